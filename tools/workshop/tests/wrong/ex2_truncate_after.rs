//! mistake: ex2.no-limit
//! step: 5
//! Reads everything until the close, then keeps the first 1024 bytes.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    server.read_to_end(&mut data)?;
    data.truncate(BUFFER_SIZE);
    Ok(data)
}
