//! mistake: ex6.eof-is-error
//! step: 7
//! needs: python
//! No close_notify, no reply: the Python server's reply is refused.

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut data = Vec::new();
    stream.take(BUFFER_SIZE as u64).read_to_end(&mut data)?;
    Ok(data)
}
