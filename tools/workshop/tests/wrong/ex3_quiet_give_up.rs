//! mistake: ex3.unclear-give-up
//! step: 7
//! Gives up with an empty reply and a success exit.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for _ in 1..=ATTEMPTS {
        client_socket.send_to(message, server_address)?;
        if let Ok((size, from)) = client_socket.recv_from(&mut data)
            && from == server_address
        {
            return Ok(data[..size].to_vec());
        }
    }
    Ok(Vec::new())
}
