//! mistake: ex2.error-as-end
//! step: 6
//! Any error ends the reply: a reset in the middle of it is printed as the whole reply, exit 0.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    while data.len() < BUFFER_SIZE {
        match server.read(&mut chunk[..BUFFER_SIZE - data.len()]) {
            Ok(0) | Err(_) => break,
            Ok(received) => data.extend_from_slice(&chunk[..received]),
        }
    }
    Ok(data)
}
