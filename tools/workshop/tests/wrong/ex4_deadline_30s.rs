//! mistake: ex4.no-deadline
//! step: 6
//! A deadline, but of 30 seconds: "long enough for a slow network".

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let deadline = Deadline::after(std::time::Duration::from_secs(30));
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data)?;
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
