//! 练习 1 的参考答案：原文「常见实践 / 简单的 TCP 服务器」。
//!
//! 和 exercises/ex1_tcp_server.rs 的结构一样，只是每个 TODO 都写好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::{BUFFER_SIZE, TCP_REPLY, errors, esay, say, show_bytes};

const USAGE: Usage = Usage {
    program: "ex1",
    about: "练习 1：原文的 TCP 服务器。逐个接受连接，读一次数据，回复“数据已收到”，然后关闭连接。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &[],
    examples: &["ex1 127.0.0.1:9999"],
};

fn main() -> ExitCode {
    // 读命令行；--help 和写错的参数在这里就处理好了。
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 出错时打印一行“错误: …”，以非零状态退出。
    errors::report(serve(&args))
}

fn serve(args: &Args) -> Result<()> {
    // server_address = ('localhost', 9999)：和原文的 AF_INET 一样，取这个名字的 IPv4 地址。
    let server_address = args.addr.bind_address()?;
    // server_socket.bind(server_address)
    // server_socket.listen(5)
    let server_socket = listen(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    // print('等待客户端连接...')，后面加上真正绑定的地址：端口写 0 时，从这里知道系统挑了哪个。
    say!("等待客户端连接... {}", server_socket.local_addr()?);

    // while True:
    loop {
        // connection, client_address = server_socket.accept()
        let (mut connection, client_address) = accept(&server_socket)?;
        // try:
        if let Err(e) = receive_and_reply(&mut connection, client_address) {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
        // finally: connection.close() —— connection 在这里离开作用域，被 drop，连接随之关闭。
    }
}

/// The body of the article's `try:`: read once, print, reply.
fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    // data = connection.recv(1024)
    let data = receive(connection)?;
    // if data: —— 读到 0 字节，说明客户端什么也没发就关闭了连接。
    if data.is_empty() {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    say!("收到来自 {client_address} 的数据: {}", show_bytes(&data));
    // connection.sendall(b'数据已收到')
    reply(connection)
}

/// TODO 1：创建 Socket、绑定地址、开始监听。
fn listen(server_address: SocketAddr) -> io::Result<TcpListener> {
    // socket() + bind() + listen(5) 在 std 里是一次 TcpListener::bind。
    TcpListener::bind(server_address)
}

/// TODO 2：等下一个客户端连上来。
fn accept(server_socket: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    server_socket.accept()
}

/// TODO 3：读一次，最多 1024 字节；返回读到的字节。
fn receive(connection: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut data = [0; BUFFER_SIZE];
    let received = connection.read(&mut data)?;
    Ok(data[..received].to_vec())
}

/// TODO 4：回复“数据已收到”。
fn reply(connection: &mut TcpStream) -> io::Result<()> {
    // write_all 就是 sendall：写完每一个字节才返回（write 可能只写一部分）。
    connection.write_all(TCP_REPLY.as_bytes())
}
