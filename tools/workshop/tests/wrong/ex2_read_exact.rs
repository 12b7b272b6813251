//! mistake: ex2.fixed-size
//! step: 2
//! Reads exactly as many bytes as "数据已收到" has.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = [0; 15];
    server.read_exact(&mut data)?;
    Ok(data.to_vec())
}
