//! mistake: ex7.read-is-message
//! step: 2
//! One read is one message, as in the article.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut data = [0; MOST_BYTES];
    let received = reader.read(&mut data)?;
    if received == 0 {
        return Ok(None);
    }
    Ok(Some(data[..received].to_vec()))
}
