//! mistake: ex3.hardcoded-reply
//! step: 2
//! Waits for a reply, then returns the one it expected.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for _ in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        if client_socket.recv_from(&mut data).is_ok() {
            return Ok("UDP 数据已收到".as_bytes().to_vec());
        }
    }
    bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次")
}
