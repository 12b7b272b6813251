//! mistake: ex7.half-line-counted
//! step: 6
//! The last half line, without its '\n', counts as a message.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if read > MOST_BYTES {
        return Err(io::Error::new(ErrorKind::InvalidData, "一行超过 1024 字节"));
    }
    Ok(Some(line))
}
