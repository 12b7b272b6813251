//! mistake: ex6.error-as-end
//! step: 5
//! A timeout is taken as "the server has said everything".

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut data = Vec::new();
    match stream.take(BUFFER_SIZE as u64).read_to_end(&mut data) {
        Ok(_) => Ok(data),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !data.is_empty() => Ok(data),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(data),
        Err(e) => Err(e),
    }
}
