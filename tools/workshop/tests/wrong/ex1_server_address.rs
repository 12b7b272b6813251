//! mistake: ex1.wrong-client-address
//! step: 2
//! Prints the server's own address as the client's.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let data = receive(connection)?;
    if data.is_empty() {
        return Ok(());
    }
    say!("收到来自 {} 的数据: {}", connection.local_addr()?, show_bytes(&data));
    reply(connection)
}
