//! mistake: ex1.fixed-port
//! step: 1
//! Binds the article's port 9999 whatever the command line says.

fn listen(server_address: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:9999")
}
