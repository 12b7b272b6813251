//! 练习 1：TCP 服务器（原文「常见实践 / 简单的 TCP 服务器」，书里的 docs/src/tcp.md）。
//!
//! 把原文的服务器写成 Rust：绑定地址，逐个接受连接，读一次（最多 1024 字节），
//! 打印收到的内容，回复“数据已收到”，关闭连接，再等下一个客户端。
//!
//! 程序的骨架都写好了，只有 socket 调用的地方留成了四个 `TODO`（在文件末尾）。
//! 每个 TODO 现在返回一个“还没写”的错误：程序能编译、能运行，只是会说出哪一步还没写。
//! 写好一步，就删掉那一步的 `Err(not_written(…))`。
//!
//! ```text
//! cargo run -p workshop -- check 1           # 检查：编译、运行、让真正的客户端来连它
//! cargo run -p workshop -- check 1 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex1 -- 127.0.0.1:9999   # 自己运行，再用 tcp-client 连它
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

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
    let server_socket =
        listen(server_address).map_err(|e| explained(e, |e| errors::bind(&args.addr, e)))?;
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

// ===================== 下面是要你写的部分 =====================

/// TODO 1：创建 Socket、绑定地址、开始监听。
///
/// 原文：
/// ```python
/// server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
/// server_socket.bind(server_address)
/// server_socket.listen(5)
/// ```
/// std 把这三步合成了一个函数，它在 `std::net::TcpListener` 上。
fn listen(server_address: SocketAddr) -> io::Result<TcpListener> {
    Err(not_written("TODO 1（listen：绑定地址，开始监听）"))
}

/// TODO 2：等下一个客户端连上来，返回这条连接和客户端的地址。
///
/// 原文：`connection, client_address = server_socket.accept()`
fn accept(server_socket: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    Err(not_written("TODO 2（accept：接受一个连接）"))
}

/// TODO 3：读一次，最多 1024 字节（`BUFFER_SIZE`），返回真正读到的那些字节。
///
/// 原文：`data = connection.recv(1024)`
///
/// 注意 `read` 返回的是读到了几个字节：缓冲区后面没读到的部分不是数据。
fn receive(connection: &mut TcpStream) -> io::Result<Vec<u8>> {
    Err(not_written("TODO 3（receive：读一次数据）"))
}

/// TODO 4：回复“数据已收到”（`TCP_REPLY`）。
///
/// 原文：`connection.sendall(b'数据已收到')`
///
/// `sendall` 发完每一个字节才返回；`write` 可能只写了一部分，找一找哪个方法和 `sendall` 一样。
/// `TCP_REPLY` 是一个 `&str`（文字），而连接上发送的是字节：`TCP_REPLY.as_bytes()` 给出它的字节，
/// 就是原文的 `b'数据已收到'`。
fn reply(connection: &mut TcpStream) -> io::Result<()> {
    Err(not_written("TODO 4（reply：回复“数据已收到”）"))
}

/// 还没写的那一步返回这个错误，说出是哪一步。那一步写好后，就用不到它了。
fn not_written(step: &str) -> io::Error {
    io::Error::other(format!("还没写：{step}"))
}

/// 出错时的一句话：还没写的那一步只说“还没写”，别的错误才交给 `explain` 说明。
fn explained(error: io::Error, explain: impl FnOnce(&io::Error) -> anyhow::Error) -> anyhow::Error {
    if error.to_string().starts_with("还没写：") {
        return error.into();
    }
    explain(&error)
}
