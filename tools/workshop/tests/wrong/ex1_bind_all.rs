//! mistake: ex1.wrong-address
//! step: 1
//! Binds every interface instead of the address it was given.

fn listen(server_address: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(("0.0.0.0", server_address.port()))
}
