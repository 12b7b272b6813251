//! mistake: ex1.stops-after-one
//! step: 4
//! A client that sends nothing ends the server: the empty read is an error, and `?` takes it to main.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket = listen(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        let (mut connection, client_address) = accept(&server_socket)?;
        let data = receive(&mut connection)?;
        if data.is_empty() {
            anyhow::bail!("客户端 {client_address} 没有发送数据");
        }
        say!("收到来自 {client_address} 的数据: {}", show_bytes(&data));
        reply(&mut connection)?;
    }
}
