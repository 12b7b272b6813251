//! mistake: ex3.gives-up-early
//! step: 7
//! Gives up right after the third send, without waiting for its reply.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        if attempt == ATTEMPTS {
            break;
        }
        match client_socket.recv_from(&mut data) {
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok(_) => {}
            Err(e) if errors::is_timeout(&e) => {
                esay!("{server_address} 在 1 秒内没有回复，重发（第 {attempt} 次超时）");
            }
            Err(e) => return Err(unreachable(server_address, &e)),
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次，每次等 1 秒")
}
