//! mistake: ex1.short-read
//! step: 2
//! A buffer of 16 bytes: longer messages are cut.

fn receive(connection: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut data = [0; 16];
    let received = connection.read(&mut data)?;
    Ok(data[..received].to_vec())
}
