//! mistake: ex4.exits-on-bad-utf8
//! step: 4
//! TODO 2 and TODO 3 left out: the cut character's error ends the server.

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        let (mut connection, client_address) = server_socket.accept()?;
        receive_and_reply(&mut connection, client_address)?;
    }
}

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data)?;
    if received == 0 {
        return Ok(());
    }
    let text = std::str::from_utf8(&data[..received]).map_err(io::Error::other)?;
    say!("收到来自 {client_address} 的数据: {text}");
    deadline.apply(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
