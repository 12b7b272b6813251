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

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::errors;
use common::say;

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
    // 1. 读命令行：--help 和写错的参数在这里就打印好了，直接退出。
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 2. 做本章的事。
    let result = serve(&args);
    // 3. 出错时打印一行中文说明，以非零状态退出。
    errors::report(result)
}

fn serve(args: &Args) -> Result<()> {
    let server_address = &args.addr;
    // ANCHOR: bind
    // 创建 Socket、绑定地址、监听连接：socket() + bind() + listen(5)
    // 在 std 里是一次 TcpListener::bind。积压队列长度由 std 决定，不是参数。
    let server_socket = TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    // say! 就是 println!，只是 stdout 被关掉（例如接在 head 后面）时不会 panic；esay! 对应 eprintln!。
    // print('等待客户端连接...')，后面加上真正绑定的地址：端口写 0 时可以看到系统挑的端口。
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    // ANCHOR_END: bind

    // ANCHOR: accept_loop
    loop {
        // connection, client_address = server_socket.accept()
        match server_socket.accept() {
            Ok((connection, client_address)) => {
                common::handle_connection(connection, client_address)
            }
            // 例如客户端在排队时就断开了，或者文件描述符用完了：记下来，继续等下一个。
            Err(e) => common::accept_failed(&e),
        }
    }
    // ANCHOR_END: accept_loop
}
