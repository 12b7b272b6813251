//! mistake: ex1.whole-buffer
//! step: 2
//! Returns the whole buffer, not the bytes that were read.

fn receive(connection: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut data = [0; BUFFER_SIZE];
    connection.read(&mut data)?;
    Ok(data.to_vec())
}
