//! mistake: ex1.wrong-reply
//! step: 2
//! Copies the reply into a 1024-byte buffer and sends the whole buffer: trailing NUL bytes.

fn reply(connection: &mut TcpStream) -> io::Result<()> {
    let mut buffer = [0u8; BUFFER_SIZE];
    let bytes = TCP_REPLY.as_bytes();
    buffer[..bytes.len()].copy_from_slice(bytes);
    connection.write_all(&buffer)
}
