//! mistake: ex4.hides-bad-utf8
//! step: 4
//! `from_utf8(..).unwrap_or_default()`: a cut character makes the whole message print as nothing.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data)?;
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    let text = std::str::from_utf8(&data[..received]).unwrap_or_default();
    say!("收到来自 {client_address} 的数据: {text}");
    deadline.apply(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
