//! mistake: ex1.no-reply
//! step: 2
//! Shuts down the wrong direction: closes writing before the reply is written.

fn reply(connection: &mut TcpStream) -> io::Result<()> {
    connection.shutdown(std::net::Shutdown::Write)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
