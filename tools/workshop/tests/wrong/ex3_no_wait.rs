//! mistake: ex3.no-wait
//! step: 5
//! A timeout of a few milliseconds: resends at once.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(Duration::from_millis(5)))?;
    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        match client_socket.recv_from(&mut data) {
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok(_) => {}
            Err(e) if errors::is_timeout(&e) => esay!("超时（第 {attempt} 次），重发"),
            Err(e) => return Err(e.into()),
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次")
}
