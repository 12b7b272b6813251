//! mistake: ex6.no-handshake
//! step: 3
//! TODO 2 left as Ok(()): rustls::Stream does the handshake on the first write, outside `explain`.

fn handshake(tls: &mut ClientConnection, socket: &mut Guarded) -> io::Result<()> {
    Ok(())
}
