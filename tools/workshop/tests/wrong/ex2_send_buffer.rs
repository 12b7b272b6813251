//! mistake: ex2.wrong-message
//! step: 1
//! Copies the message into a 1024-byte buffer and sends all of it: NUL bytes after the message.

fn send(server: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let mut buffer = [0u8; BUFFER_SIZE];
    let n = message.len().min(BUFFER_SIZE);
    buffer[..n].copy_from_slice(&message[..n]);
    server.write_all(&buffer)
}
