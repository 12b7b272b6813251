//! mistake: ex1.reads-until-close
//! step: 2
//! Reads "everything" before replying: waits for a close that never comes.

fn receive(connection: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    connection.read_to_end(&mut data)?;
    Ok(data)
}
