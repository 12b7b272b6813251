//! mistake: ex2.needs-utf8
//! step: 5
//! `take(1024).read_to_string`: the limit is right, but a character cut at byte 1024 is an error.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut text = String::new();
    server.take(BUFFER_SIZE as u64).read_to_string(&mut text)?;
    Ok(text.into_bytes())
}
