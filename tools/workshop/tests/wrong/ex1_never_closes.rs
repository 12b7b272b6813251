//! mistake: ex1.never-closes
//! step: 2
//! Keeps every connection in a Vec "so it is not lost": the reply is sent, the connection is never closed.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket = listen(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    let mut connections = Vec::new();
    loop {
        let (mut connection, client_address) = accept(&server_socket)?;
        if let Err(e) = receive_and_reply(&mut connection, client_address) {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
        connections.push(connection);
    }
}
