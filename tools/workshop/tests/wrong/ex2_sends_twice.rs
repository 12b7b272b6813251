//! mistake: ex2.wrong-message
//! step: 1
//! write, and then write_all "in case write sent only part": the message goes out twice.

fn send(server: &mut impl Write, message: &[u8]) -> io::Result<()> {
    server.write(message)?;
    server.write_all(message)
}
