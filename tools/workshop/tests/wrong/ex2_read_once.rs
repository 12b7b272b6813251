//! mistake: ex2.read-once
//! step: 3
//! The article's one recv(1024).

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = [0; BUFFER_SIZE];
    let received = server.read(&mut data)?;
    Ok(data[..received].to_vec())
}
