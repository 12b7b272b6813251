//! mistake: ex1.stops-after-one
//! step: 3
//! Serves the first client and ends: no loop.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket = listen(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    let (mut connection, client_address) = accept(&server_socket)?;
    if let Err(e) = receive_and_reply(&mut connection, client_address) {
        esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
    Ok(())
}
