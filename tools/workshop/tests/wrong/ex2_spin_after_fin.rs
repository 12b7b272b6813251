//! mistake: ex2.spins-after-fin
//! step: 2
//! Ignores read() == 0 and keeps reading until its time limit.

fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    loop {
        match server.read(&mut chunk) {
            Ok(received) => data.extend_from_slice(&chunk[..received]),
            Err(_) => return Ok(data),
        }
    }
}
