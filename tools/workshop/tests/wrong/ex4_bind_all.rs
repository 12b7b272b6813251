//! mistake: ex4.wrong-address
//! step: 1
//! Binds every interface with the given port: "so that other computers can connect too".

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let everywhere = SocketAddr::from(([0, 0, 0, 0], server_address.port()));
    let server_socket =
        TcpListener::bind(everywhere).map_err(|e| errors::bind(&args.addr, &e))?;
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
