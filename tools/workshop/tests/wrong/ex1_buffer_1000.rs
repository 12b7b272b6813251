//! mistake: ex1.short-read
//! step: 3
//! "About a kilobyte": a buffer of 1000 bytes, not 1024.

fn receive(connection: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut data = [0; 1000];
    let received = connection.read(&mut data)?;
    Ok(data[..received].to_vec())
}
