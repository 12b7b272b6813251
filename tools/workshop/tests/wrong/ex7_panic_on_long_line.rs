//! mistake: ex7.dies-on-long-line
//! step: 5
//! Panics on a line that is too long: the whole server ends.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    assert!(line.last() == Some(&b'\n'), "一行太长了");
    line.pop();
    Ok(Some(line))
}
