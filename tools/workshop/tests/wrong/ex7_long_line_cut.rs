//! mistake: ex7.no-limit
//! step: 5
//! A line over the limit is cut to 1024 bytes and answered as a message; the rest becomes the next "message".

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
    }
    line.truncate(MOST_BYTES);
    Ok(Some(line))
}
