//! mistake: ex3.wrong-attempts
//! step: 7
//! `0..=ATTEMPTS`: sends four times, not three.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for attempt in 0..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        match client_socket.recv_from(&mut data) {
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok(_) => {}
            Err(e) if errors::is_timeout(&e) => {
                esay!("{server_address} 在 1 秒内没有回复，重发（第 {} 次超时）", attempt + 1);
            }
            Err(e) => return Err(unreachable(server_address, &e)),
        }
    }
    bail!("没有收到 {server_address} 的回复")
}
