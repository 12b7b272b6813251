//! mistake: ex6.hardcoded-reply
//! step: 2
//! Sends, then returns the reply it expected.

fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    Ok("数据已收到".as_bytes().to_vec())
}
