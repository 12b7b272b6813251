//! mistake: ex2.whole-buffer
//! step: 1
//! Reads to the end into a fixed buffer, and returns all of it.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = [0; BUFFER_SIZE];
    let mut filled = 0;
    while filled < BUFFER_SIZE {
        let received = server.read(&mut data[filled..])?;
        if received == 0 {
            break;
        }
        filled += received;
    }
    Ok(data.to_vec())
}
