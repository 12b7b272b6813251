//! mistake: ex4.refuses-bad-utf8
//! step: 4
//! TODO 2 left out: from_utf8 fails on the cut character, and the client gets no reply.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data)?;
    if received == 0 {
        return Ok(());
    }
    let text = std::str::from_utf8(&data[..received]).map_err(io::Error::other)?;
    say!("收到来自 {client_address} 的数据: {text}");
    deadline.apply(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
