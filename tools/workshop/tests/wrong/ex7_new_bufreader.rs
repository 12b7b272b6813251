//! mistake: ex7.one-message-only
//! step: 2
//! A new BufReader for every line: what it read ahead is dropped with it.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64 + 1)
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
