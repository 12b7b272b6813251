//! mistake: ex4.no-log
//! step: 6
//! Logs a reset, but a timeout is "nothing happened": the silent client is dropped without a word.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        let (mut connection, client_address) = match server_socket.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                common::accept_failed(&e);
                continue;
            }
        };
        match receive_and_reply(&mut connection, client_address) {
            Ok(()) => {}
            Err(e) if errors::is_timeout(&e) => {}
            Err(e) => esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e)),
        }
    }
}
