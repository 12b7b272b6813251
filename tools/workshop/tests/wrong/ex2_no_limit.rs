//! mistake: ex2.no-limit
//! step: 5
//! Reads to the end with no limit.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    server.read_to_end(&mut data)?;
    Ok(data)
}
