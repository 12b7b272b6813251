//! mistake: ex4.no-log
//! step: 5
//! Swallows every client's error without a word.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        if let Ok((mut connection, client_address)) = server_socket.accept() {
            let _ = receive_and_reply(&mut connection, client_address);
        }
    }
}
