//! mistake: ex6.read-once
//! step: 2
//! Stops when a read gives fewer bytes than asked: a reply in several records is cut.

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    loop {
        let want = BUFFER_SIZE - data.len();
        let n = match stream.read(&mut chunk[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::UnexpectedEof && !data.is_empty() => 0,
            Err(e) => return Err(e),
        };
        data.extend_from_slice(&chunk[..n]);
        if n < want {
            return Ok(data);
        }
    }
}
