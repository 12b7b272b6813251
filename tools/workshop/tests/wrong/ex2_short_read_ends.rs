//! mistake: ex2.read-once
//! step: 3
//! Stops as soon as a read returns less than the buffer: "the buffer was not full, so that was all".

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    while data.len() < BUFFER_SIZE {
        let want = BUFFER_SIZE - data.len();
        let received = server.read(&mut chunk[..want])?;
        data.extend_from_slice(&chunk[..received]);
        if received < want {
            break;
        }
    }
    Ok(data)
}
