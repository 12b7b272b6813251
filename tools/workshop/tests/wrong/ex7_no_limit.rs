//! mistake: ex7.no-limit
//! step: 5
//! No limit at all.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader.read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() == Some(b'\n') {
        return Ok(Some(line));
    }
    Err(io::Error::new(ErrorKind::UnexpectedEof, "连接在一行的中间关闭了"))
}
