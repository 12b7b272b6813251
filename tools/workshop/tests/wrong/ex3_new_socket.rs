//! mistake: ex3.new-socket
//! step: 5
//! A new socket for every try.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        let socket = UdpSocket::bind("0.0.0.0:0")?;
        socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
        socket.send_to(message, server_address)?;
        match socket.recv_from(&mut data) {
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok(_) => {}
            Err(e) if errors::is_timeout(&e) => esay!("超时（第 {attempt} 次），重发"),
            Err(e) => return Err(e.into()),
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次")
}
