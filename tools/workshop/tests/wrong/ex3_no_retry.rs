//! mistake: ex3.no-retry
//! step: 5
//! A timeout, but no resend: the first loss is the end.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    client_socket.send_to(message, server_address)?;
    loop {
        match client_socket.recv_from(&mut data) {
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok(_) => {}
            Err(_) => bail!("没有收到 {server_address} 的回复"),
        }
    }
}
