//! mistake: ex3.whole-buffer
//! step: 1
//! Returns the whole buffer, not the bytes of the datagram.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for _ in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        if let Ok((_, from)) = client_socket.recv_from(&mut data)
            && from == server_address
        {
            return Ok(data.to_vec());
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次")
}
