//! mistake: ex1.prints-other
//! step: 2
//! Prints the message with {:?}: quotes and escapes around it.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let data = receive(connection)?;
    if data.is_empty() {
        return Ok(());
    }
    say!("收到来自 {client_address} 的数据: {:?}", String::from_utf8_lossy(&data));
    reply(connection)
}
