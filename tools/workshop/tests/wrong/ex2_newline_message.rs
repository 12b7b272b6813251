//! mistake: ex2.wrong-message
//! step: 1
//! Sends the message with a line break after it, as println! would.

fn send(server: &mut impl Write, message: &[u8]) -> io::Result<()> {
    server.write_all(message)?;
    server.write_all(b"\n")
}
