//! mistake: ex3.short-buffer
//! step: 1
//! A 16-byte buffer: the rest of a longer datagram is lost.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; 16];
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
