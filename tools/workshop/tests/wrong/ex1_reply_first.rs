//! mistake: ex1.reply-without-request
//! step: 4
//! Replies as soon as a client connects, before reading.

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    reply(connection)?;
    let data = receive(connection)?;
    say!("收到来自 {client_address} 的数据: {}", show_bytes(&data));
    Ok(())
}
