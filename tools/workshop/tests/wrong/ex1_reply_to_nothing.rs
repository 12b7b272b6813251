//! mistake: ex1.reply-without-request
//! step: 4
//! Drops the article's `if data:`: an empty read gets a reply too.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let data = receive(connection)?;
    say!("收到来自 {client_address} 的数据: {}", show_bytes(&data));
    reply(connection)
}
