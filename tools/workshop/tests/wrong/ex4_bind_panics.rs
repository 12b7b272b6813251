//! mistake: ex4.bind-panics
//! step: 3
//! `expect` on the bind: a panic, with the system's English words.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket = TcpListener::bind(server_address).expect("绑定地址时出错");
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
