//! mistake: ex7.read-is-message
//! step: 3
//! Takes what the buffer has up to a '\n', or all of it: a line cut into pieces becomes pieces.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let available = reader.fill_buf()?;
    if available.is_empty() {
        return Ok(None);
    }
    let (line, used) = match available.iter().position(|&b| b == b'\n') {
        Some(end) => (available[..end].to_vec(), end + 1),
        None => (available.to_vec(), available.len()),
    };
    reader.consume(used);
    Ok(Some(line))
}
