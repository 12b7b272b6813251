//! mistake: ex2.hardcoded-reply
//! step: 2
//! Reads, then returns the reply it expected instead of what came.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    server.take(BUFFER_SIZE as u64).read_to_end(&mut data)?;
    Ok("数据已收到".as_bytes().to_vec())
}
