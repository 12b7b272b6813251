//! mistake: ex6.read-once
//! step: 2
//! One read: only the first TLS record of the reply.

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut data = [0; BUFFER_SIZE];
    let received = stream.read(&mut data)?;
    Ok(data[..received].to_vec())
}
