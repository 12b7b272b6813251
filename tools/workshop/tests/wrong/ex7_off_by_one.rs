//! mistake: ex7.off-by-one
//! step: 4
//! take(MOST_BYTES): no room left for the '\n' of a 1024-byte line.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() == Some(b'\n') {
        return Ok(Some(line));
    }
    Err(io::Error::new(ErrorKind::InvalidData, "一行超过 1024 字节"))
}
