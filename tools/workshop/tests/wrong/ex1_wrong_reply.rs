//! mistake: ex1.wrong-reply
//! step: 2
//! Replies with a line break after the reply.

fn reply(connection: &mut TcpStream) -> io::Result<()> {
    connection.write_all(format!("{TCP_REPLY}\n").as_bytes())
}
