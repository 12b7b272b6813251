//! mistake: ex3.any-sender
//! step: 3
//! Hint 1 as it was: `let (size, from) = …` and `from` never looked at.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        match client_socket.recv_from(&mut data) {
            Ok((size, from)) => return Ok(data[..size].to_vec()),
            Err(e) if errors::is_timeout(&e) => esay!("超时（第 {attempt} 次）"),
            Err(e) => return Err(e.into()),
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次")
}
