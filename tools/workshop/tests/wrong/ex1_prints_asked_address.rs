//! mistake: ex1.wrong-address
//! step: 1
//! Prints the address it was given (port 0), not the one it is bound to.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket = listen(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_address);
    loop {
        let (mut connection, client_address) = accept(&server_socket)?;
        if let Err(e) = receive_and_reply(&mut connection, client_address) {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
    }
}
