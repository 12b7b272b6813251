//! mistake: ex7.dies-on-read-error
//! step: 6
//! `read_until(...).expect(...)`: a client that resets, or says nothing for 5 s, ends the whole server.

fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)
        .expect("读取失败");
    if read == 0 {
        return Ok(None);
    }
    if line.pop() == Some(b'\n') {
        return Ok(Some(line));
    }
    if read > MOST_BYTES {
        return Err(io::Error::new(ErrorKind::InvalidData, "一行超过 1024 字节"));
    }
    Err(io::Error::new(ErrorKind::UnexpectedEof, "半行"))
}
