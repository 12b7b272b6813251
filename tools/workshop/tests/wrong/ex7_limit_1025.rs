//! mistake: ex7.off-by-one
//! step: 5
//! take(MOST_BYTES + 2): a line of 1025 bytes is let through.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64 + 2)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() == Some(b'\n') {
        return Ok(Some(line));
    }
    if read > MOST_BYTES {
        return Err(io::Error::new(ErrorKind::InvalidData, "一行太长"));
    }
    Err(io::Error::new(ErrorKind::UnexpectedEof, "半行"))
}
