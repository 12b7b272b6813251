//! mistake: ex2.no-limit
//! step: 5
//! Stops one byte short of the limit: 1023 bytes.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    while data.len() < BUFFER_SIZE - 1 {
        let received = server.read(&mut chunk[..BUFFER_SIZE - 1 - data.len()])?;
        if received == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..received]);
    }
    Ok(data)
}
