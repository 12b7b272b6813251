//! mistake: ex4.bind-error-exit-0
//! step: 3
//! Prints the right line, then returns Ok: exit status 0.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket = match TcpListener::bind(server_address) {
        Ok(socket) => socket,
        Err(e) => {
            esay!("错误: {}", errors::bind(&args.addr, &e));
            return Ok(());
        }
    };
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
