//! mistake: ex2.no-limit
//! step: 5
//! Checks the limit before each read but reads a whole buffer each time: up to 2047 bytes.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    while data.len() < BUFFER_SIZE {
        let received = server.read(&mut chunk)?;
        if received == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..received]);
    }
    Ok(data)
}
