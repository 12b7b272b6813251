//! mistake: ex1.wrong-address
//! step: 1
//! Binds [::] with the given port: every address, IPv6 and IPv4.

fn listen(server_address: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(("::", server_address.port()))
}
