//! mistake: ex4.no-log
//! step: 5
//! Logs a client's error with say! (standard output) instead of esay!.

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
        if let Err(e) = receive_and_reply(&mut connection, client_address) {
            say!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
    }
}
