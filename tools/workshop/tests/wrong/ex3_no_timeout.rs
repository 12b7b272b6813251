//! mistake: ex3.no-timeout
//! step: 5
//! Resends in a loop, but recv_from has no timeout: a lost datagram is waited for forever.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    let mut data = [0; BUFFER_SIZE];
    for _ in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        if let Ok((size, from)) = client_socket.recv_from(&mut data)
            && from == server_address
        {
            return Ok(data[..size].to_vec());
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次")
}
