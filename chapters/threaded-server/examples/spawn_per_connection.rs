//! 原文「并发处理」的原样写法：每来一个连接就新建一个线程，没有上限。
//!
//! This is the article's shape, kept so learners can compare it with
//! `threaded-server`. It is correct and simple, and for a handful of clients
//! it is fine. The trade-off:
//!
//! - every connection pays for creating and destroying a thread (tens of
//!   microseconds each), which dominates when requests are short;
//! - nothing bounds the number of threads: a thousand slow or idle clients
//!   make a thousand threads, each with its own stack, until the operating
//!   system refuses to create more. When `Builder::spawn` reports that, the
//!   server logs it and drops the connection (`thread::spawn` would panic);
//!   but near the limit a new thread can also fail after it has started,
//!   while setting up its stack, and that aborts the whole process. Only a
//!   cap avoids it.
//!
//! `threaded-server` creates its threads once and reuses them, with a cap.
//! `cargo run --release -p workshop -- bench threaded` measures both.
//!
//! ```text
//! cargo run -p threaded-server --example spawn_per_connection -- 127.0.0.1:0
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, addr, errors, esay, say, show_bytes};

const USAGE: Usage = Usage {
    program: "spawn_per_connection",
    about: "原文「并发处理」的原样写法：每个连接一个新线程，线程数没有上限（用来和 threaded-server 比较）。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &["每个连接 5 秒内不收发数据就会被断开。"],
    examples: &["cargo run -p threaded-server --example spawn_per_connection -- 127.0.0.1:0"],
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
    let server_socket = TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，原文的 print 会卡住整个服务器；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    // say! 就是 println!，只是不会 panic，也不会等终端；esay! 对应 eprintln!。
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址。
    addr::print_lan_addresses(&server_socket);

    // ANCHOR: spawn
    loop {
        // connection, client_address = server_socket.accept()
        match server_socket.accept() {
            Ok((connection, client_address)) => {
                // client_thread = threading.Thread(target=handle_connection, args=(connection, client_address))
                // client_thread.start()
                let spawned = thread::Builder::new()
                    .spawn(move || handle_connection(connection, client_address));
                if let Err(e) = spawned {
                    esay!("无法为 {client_address} 创建线程（线程太多了？）: {e}");
                }
            }
            Err(e) => common::accept_failed(&e),
        }
    }
    // ANCHOR_END: spawn
}

/// The article's `handle_connection`, the same as `threaded-server`'s, so
/// that the benchmark compares only how threads are made.
fn handle_connection(mut connection: TcpStream, client_address: SocketAddr) {
    // 整个对话共用一个 5 秒的期限：一个不说话的客户端最多占着这个工作线程 5 秒。
    let deadline = Deadline::after(IO_TIMEOUT);
    // try:
    if let Err(e) = receive_and_reply(&mut connection, client_address, deadline) {
        esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
    // finally: connection.close()
    close_politely(connection, deadline);
}

fn receive_and_reply(
    connection: &mut TcpStream,
    client_address: SocketAddr,
    deadline: Deadline,
) -> io::Result<()> {
    // data = connection.recv(1024)
    let mut data = [0; BUFFER_SIZE];
    deadline.before_read(connection)?;
    let received = connection.read(&mut data)?;
    // if data:
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    // connection.sendall(b'数据已收到')
    deadline.before_write(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}

/// `connection.close()`, politely: end our side (FIN), then read away what
/// the client still sends, so the close is not a reset that can destroy the
/// reply (the reasons are in `tcp-server`'s copy of this function).
fn close_politely(mut connection: TcpStream, deadline: Deadline) {
    let _ = connection.shutdown(Shutdown::Write);
    let mut scratch = [0; BUFFER_SIZE];
    // 最多读 1024 次、每次最多 1024 字节：一共最多 1 MiB，之后就不再等了。
    for _ in 0..BUFFER_SIZE {
        let read = deadline
            .before_read(&connection)
            .and_then(|()| connection.read(&mut scratch));
        if !matches!(read, Ok(received) if received > 0) {
            break; // 0：客户端也关闭了；出错或到期：不再等。
        }
    }
    // connection 在这里离开作用域被 drop，连接随之关闭。
}
