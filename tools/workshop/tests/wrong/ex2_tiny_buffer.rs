//! mistake: ex2.fixed-size
//! step: 1
//! One read into a buffer of 4 bytes.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = [0; 4];
    let received = server.read(&mut data)?;
    Ok(data[..received].to_vec())
}
