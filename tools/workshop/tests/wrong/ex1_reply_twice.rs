//! mistake: ex1.wrong-reply
//! step: 2
//! Sends the reply, then sends it again "to be sure".

fn reply(connection: &mut TcpStream) -> io::Result<()> {
    connection.write_all(TCP_REPLY.as_bytes())?;
    connection.write_all(TCP_REPLY.as_bytes())
}
