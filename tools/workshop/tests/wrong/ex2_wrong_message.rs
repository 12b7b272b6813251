//! mistake: ex2.wrong-message
//! step: 1
//! Sends the article's message, not the one it was given.

fn send(server: &mut impl Write, message: &[u8]) -> io::Result<()> {
    server.write_all(TCP_MESSAGE.as_bytes())
}
