//! mistake: ex7.no-limit
//! step: 5
//! `reader.lines().next()`: no limit, and a String.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    match reader.lines().next() {
        Some(line) => Ok(Some(line?.into_bytes())),
        None => Ok(None),
    }
}
