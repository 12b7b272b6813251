//! mistake: ex4.exits-on-reset
//! step: 5
//! `read(...).unwrap()`: a client's reset panics the whole server.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data).unwrap();
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    deadline.apply(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
