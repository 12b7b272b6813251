//! mistake: ex6.accepts-wrong-name
//! step: 4
//! Checks the certificate against "localhost", not the address it connected to.

fn talk(args: &Args) -> Result<()> {
    let server_address = &args.addr;
    let message = args.message(TCP_MESSAGE)?;
    let ca_file = args.option("--ca").unwrap_or("server.crt");
    let config = client_config(load_roots(ca_file)?)?;
    let server_name = ServerName::try_from("localhost")?;
    let client_socket = connect(server_address)?;
    let deadline = Deadline::after(CLIENT_TIMEOUT);
    let mut socket = deadline.guard(&client_socket);
    let mut tls = ClientConnection::new(config, server_name)?;
    handshake(&mut tls, &mut socket).map_err(|e| explain(&e, server_address, ca_file))?;
    let data = exchange(&mut tls, &mut socket, message.as_bytes())
        .map_err(|e| anyhow!("与 {server_address} 通信时出错: {e}"))?;
    if data.is_empty() {
        bail!("服务器 {server_address} 没有回复任何数据就关闭了连接");
    }
    say!("收到服务器的响应: {}", show_bytes(&data));
    Ok(())
}
