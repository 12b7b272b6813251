//! mistake: ex3.no-send
//! step: 1
//! Returns the reply the article's server would send, without sending.

fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    Ok("UDP 数据已收到".as_bytes().to_vec())
}
