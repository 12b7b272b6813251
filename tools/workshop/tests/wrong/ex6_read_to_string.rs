//! mistake: ex6.needs-utf8
//! step: 2
//! `take(1024).read_to_string`: a character cut at byte 1024 is an error.

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut text = String::new();
    match stream.take(BUFFER_SIZE as u64).read_to_string(&mut text) {
        Ok(_) => Ok(text.into_bytes()),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !text.is_empty() => Ok(text.into_bytes()),
        Err(e) => Err(e),
    }
}
