//! mistake: ex3.short-buffer
//! step: 2
//! "About a kilobyte": a 1000-byte buffer, and the end of a 1024-byte datagram is lost.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; 1000];
    for attempt in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        match client_socket.recv_from(&mut data) {
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok((_, from)) => esay!("收到了 {from} 的数据报，它不是服务器，不算回复"),
            Err(e) if errors::is_timeout(&e) && attempt < ATTEMPTS => {
                esay!("{server_address} 在 1 秒内没有回复，重发（第 {attempt} 次超时）");
            }
            Err(e) if errors::is_timeout(&e) => {}
            Err(e) => return Err(unreachable(server_address, &e)),
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次，每次等 1 秒")
}
