//! mistake: ex4.wrong-address
//! step: 1
//! Binds port 0 whatever the command line says: the system picks the port every time.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let any_port = SocketAddr::new(server_address.ip(), 0);
    let server_socket = TcpListener::bind(any_port).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        let (mut connection, client_address) = match server_socket.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                common::accept_failed(&e);
                continue;
            }
        };
        if let Err(e) = receive_and_reply(&mut connection, client_address) {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
    }
}
