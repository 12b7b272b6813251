//! mistake: ex7.limit-after-read
//! step: 7
//! The limit is checked once the whole line is in memory.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader.read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.len() > MOST_BYTES + 1 {
        return Err(io::Error::new(ErrorKind::InvalidData, "一行超过 1024 字节"));
    }
    if line.pop() == Some(b'\n') {
        return Ok(Some(line));
    }
    Err(io::Error::new(ErrorKind::UnexpectedEof, "连接在一行的中间关闭了"))
}
