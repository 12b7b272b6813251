//! mistake: ex4.exits-on-reset
//! step: 5
//! TODO 3 left out: any client's error goes up to main.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        let (mut connection, client_address) = server_socket.accept()?;
        receive_and_reply(&mut connection, client_address)?;
    }
}
