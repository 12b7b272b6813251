//! mistake: ex7.one-message-only
//! step: 2
//! Reads everything, keeps the first line: the rest are lost.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut all = Vec::new();
    reader.take(MOST_BYTES as u64 * 16).read_to_end(&mut all)?;
    let Some(end) = all.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    Ok(Some(all[..end].to_vec()))
}
