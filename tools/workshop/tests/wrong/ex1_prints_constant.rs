//! mistake: ex1.prints-other
//! step: 3
//! Prints the article's message instead of what arrived.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let data = receive(connection)?;
    if data.is_empty() {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    say!("收到来自 {client_address} 的数据: 你好，服务器！");
    reply(connection)
}
