//! mistake: ex1.wrong-address
//! step: 1
//! Always lets the system pick the port: the port on the command line is ignored.

fn listen(server_address: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::new(server_address.ip(), 0))
}
