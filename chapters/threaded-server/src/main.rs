//! 原文「最佳实践 / 并发处理」的 Rust 版本：多个客户端同时服务，但线程数有上限。
//!
//! Same protocol and output as `tcp-server`. The article starts a new
//! `threading.Thread` per connection, with no limit, so a flood of
//! connections means a flood of threads. This server starts a fixed pool of
//! workers once (256 by default, `--threads N`) and hands each accepted
//! connection to a free one, as the Rust Book's web-server chapter does with
//! its `ThreadPool`. At the cap, connections queue (see [`WAITING_ROOM`]);
//! nobody is refused, no thread is added, memory stays flat, and the 5-second
//! timeout keeps idle clients from holding a worker for long.
//!
//! The article's unbounded shape is `examples/spawn_per_connection.rs`;
//! `cargo run --release -p workshop -- bench threaded` measures both, and
//! the article's Python server, side by side.
//!
//! ```text
//! cargo run -p threaded-server                          # localhost:9999
//! cargo run -p threaded-server -- 127.0.0.1:0 --threads 8
//! ```

mod usage;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use anyhow::{Context, Result, bail};
use common::cli::Args;
use common::deadline::Deadline;
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, addr, errors, esay, say, show_bytes};

/// 默认的工作线程数：够一个教室的同学同时连接。
const DEFAULT_THREADS: usize = 256;
/// `--threads` 的上限：防止打错的数字（多打了几个 0）耗尽内存。
const MAX_THREADS: usize = 4096;
/// 所有工作线程都忙时，最多有多少个已接受的连接排队等候；再多的留在系统的连接队列里。
const WAITING_ROOM: usize = 1024;

fn main() -> ExitCode {
    // 1. 读命令行：--help 和写错的参数在这里就打印好了，直接退出。
    let args = match usage::USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 2. 做本章的事。
    let result = serve(&args);
    // 3. 出错时打印一行中文说明，以非零状态退出。
    errors::report(result)
}

type Client = (TcpStream, SocketAddr);

fn serve(args: &Args) -> Result<()> {
    let threads = args.number("--threads", DEFAULT_THREADS)?;
    if threads > MAX_THREADS {
        bail!(
            "--threads {threads} 太多了：最多 {MAX_THREADS} 个；教室里用默认的 {DEFAULT_THREADS} 就够"
        );
    }
    let server_address = &args.addr;
    // server_socket.bind(server_address); server_socket.listen(5)
    let server_socket = TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;

    // ANCHOR: pool
    // 原文每来一个连接就 threading.Thread(...).start()，线程数没有上限。
    // 这里先创建固定数量的工作线程，再通过一个有容量上限的通道把连接交给它们。
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for number in 0..threads {
        let clients = Arc::clone(&clients);
        thread::Builder::new()
            .name(format!("worker-{number}"))
            .spawn(move || work(&clients))
            .with_context(|| {
                format!(
                    "无法创建第 {} 个工作线程；请用 --threads 设一个更小的数",
                    number + 1
                )
            })?;
    }
    // 接收端只留在工作线程手里：万一它们全都退出了，下面的 send 会失败，服务器能说出来。
    drop(clients);
    // ANCHOR_END: pool
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，原文的 print 会卡住整个服务器；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    // 工作线程都创建好了才打印地址：客户端和测试把第一行当作“可以连了”，
    // 创建线程失败的错误也不该出现在地址之后。say! 就是 println!，只是不会 panic，也不会等终端。
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址。
    addr::print_lan_addresses(&server_socket);

    // ANCHOR: accept_loop
    loop {
        // connection, client_address = server_socket.accept()
        match server_socket.accept() {
            // 队列满时 send 会等待：接受连接的循环暂停，新客户端留在系统的连接队列里。
            Ok(client) => {
                if waiting_room.send(client).is_err() {
                    bail!("所有工作线程都已退出，服务器无法继续");
                }
            }
            Err(e) => common::accept_failed(&e),
        }
    }
    // ANCHOR_END: accept_loop
}

// ANCHOR: worker
/// One worker thread: takes the next waiting client, serves it, repeats.
fn work(clients: &Mutex<Receiver<Client>>) {
    loop {
        // 锁只在取下一个客户端时持有，语句结束就释放，服务客户端时其他线程照样能取。
        let next = clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok((connection, client_address)) = next else {
            return; // 通道已关闭：服务器正在退出。
        };
        handle_connection(connection, client_address);
    }
}
// ANCHOR_END: worker

// ANCHOR: handle_connection
/// 原文的 `handle_connection(connection, client_address)`，在工作线程里运行。
/// The same steps as `tcp-server`'s loop body, written out again here so
/// that this file reads alone, as the article writes them out again too.
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
// ANCHOR_END: handle_connection
