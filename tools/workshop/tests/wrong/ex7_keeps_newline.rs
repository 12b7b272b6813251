//! mistake: ex7.keeps-newline
//! step: 2
//! Returns the line with its '\n'.

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
        return Ok(Some(line));
    }
    Err(io::Error::new(ErrorKind::InvalidData, "一行超过 1024 字节，或者没有换行符"))
}
