//! 原文「常见实践 / 简单的 TCP 服务器」的 Rust 版本：一次服务一个客户端。
//!
//! It accepts a connection, reads once (up to 1024 bytes), prints what came,
//! replies `数据已收到` and closes, exactly like the article's Python loop.
//! Two things differ, both fixes:
//!
//! - a client that connects and says nothing is dropped after 5 seconds
//!   (the article's `recv` would wait for it forever, and nobody else would
//!   be served meanwhile);
//! - an error with one client is logged and the loop goes on; only a failure
//!   to bind ends the program.
//!
//! Run it, then `tcp-client` in a second terminal:
//!
//! ```text
//! cargo run -p tcp-server                  # localhost:9999, like the article
//! cargo run -p tcp-server -- 127.0.0.1:0   # let the OS pick a free port
//! ```

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, errors, show_bytes};

const USAGE: Usage = Usage {
    program: "tcp-server",
    about: "原文「简单的 TCP 服务器」：逐个接受连接，读一次数据，回复“数据已收到”，然后关闭连接。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &["连上后 5 秒内不发数据的客户端会被断开（原文会一直等下去）。"],
    examples: &[
        "tcp-server",
        "tcp-server 127.0.0.1:0",
        "tcp-server 0.0.0.0:9999     # 让同一网络里的其他电脑也能连上",
    ],
};

fn main() -> ExitCode {
    USAGE.run(serve)
}

fn serve(args: Args) -> Result<()> {
    let server_address = &args.addr;
    // ANCHOR: bind
    // 创建 Socket、绑定地址、监听连接：socket() + bind() + listen(5)
    // 在 std 里是一次 TcpListener::bind。积压队列长度由 std 决定，不是参数。
    let server_socket = TcpListener::bind(&server_address.resolve()?[..])
        .map_err(|e| errors::bind(server_address, server_address.port, &e))?;
    // print('等待客户端连接...')，后面加上真正绑定的地址：端口写 0 时可以看到系统挑的端口。
    println!("等待客户端连接... {}", server_socket.local_addr()?);
    // ANCHOR_END: bind

    // ANCHOR: accept_loop
    loop {
        // connection, client_address = server_socket.accept()
        match server_socket.accept() {
            Ok((connection, client_address)) => handle_connection(connection, client_address),
            // 例如客户端在排队时就断开了：记下来，继续等下一个。
            Err(e) => eprintln!("接受连接时出错: {}", errors::peer(&e)),
        }
    }
    // ANCHOR_END: accept_loop
}

// ANCHOR: handle_connection
/// One client, start to finish: the body of the article's `try/finally`.
fn handle_connection(mut connection: TcpStream, client_address: SocketAddr) {
    if let Err(e) = receive_and_reply(&mut connection, client_address) {
        eprintln!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
    // finally: connection.close() —— connection 在这里离开作用域被 drop，连接随之关闭。
}

fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    // 原文没有超时：连上却不发数据的客户端会让 recv 永远等下去，整个服务器都会卡住。
    connection.set_read_timeout(Some(IO_TIMEOUT))?;
    connection.set_write_timeout(Some(IO_TIMEOUT))?;

    // data = connection.recv(1024)
    // 和原文一样只读一次。TCP 是字节流，一次 read 拿到的可能只是消息的一部分；
    // 本章的消息很短，一次足够，更长的消息见文档「小结与进阶」里的消息边界。
    let mut data = [0; BUFFER_SIZE];
    let received = connection.read(&mut data)?;

    // if data: —— 读到 0 字节表示客户端什么也没发就关闭了连接。
    if received == 0 {
        eprintln!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    // 不是合法 UTF-8 的字节显示成 �，而不是像 Python 那样抛出 UnicodeDecodeError。
    let text = show_bytes(&data[..received]);
    println!("收到来自 {client_address} 的数据: {text}");
    // connection.sendall(b'数据已收到')
    connection.write_all(TCP_REPLY.as_bytes())
}
// ANCHOR_END: handle_connection
