//! mistake: ex6.error-as-end
//! step: 5
//! Any error ends the reply, a reset in the middle of it too.

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
        Err(_) => Ok(data),
    }
}
