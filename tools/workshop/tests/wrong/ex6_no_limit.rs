//! mistake: ex6.no-limit
//! step: 2
//! read_to_end with no limit: whatever the server sends is kept.

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut data = Vec::new();
    match stream.read_to_end(&mut data) {
        Ok(_) => Ok(data),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !data.is_empty() => Ok(data),
        Err(e) => Err(e),
    }
}
