//! 基准测试的尺子：和 threaded-server 一样的线程池，去掉了它为可靠付出的一切。
//!
//! The same pool as `threaded-server` (256 workers taking connections from
//! one bounded channel) serving the same protocol, without what makes that
//! server safe to leave running in a classroom: no deadline (a silent
//! client holds a worker forever), no polite close (a client that is still
//! sending gets a reset that can destroy the reply), no log line per client,
//! no error messages. Do not serve anyone with it.
//!
//! It exists to be measured: `cargo run --release -p workshop -- bench
//! threaded` compares the server CPU per request of `threaded-server` with
//! this one's, in the same run, so the difference is the price of the
//! deadline, the polite close and the logging, and nothing else.
//!
//! ```text
//! cargo run --release -p threaded-server --example bare_pool -- 127.0.0.1:0
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::{BUFFER_SIZE, TCP_REPLY, errors, say};

const USAGE: Usage = Usage {
    program: "bare_pool",
    about: "基准测试的尺子：threaded-server 的线程池，没有期限、没有礼貌的关闭、没有日志（不要拿它服务别人）。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[(
        "--threads N",
        "工作线程数，默认 256（和 threaded-server 一样）",
    )],
    notes: &["一个不说话的客户端会永远占着一个工作线程：这正是 threaded-server 的期限要防的。"],
    examples: &["cargo run --release -p threaded-server --example bare_pool -- 127.0.0.1:0"],
};

fn main() -> ExitCode {
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    errors::report(serve(&args))
}

fn serve(args: &Args) -> Result<()> {
    let threads = args.number("--threads", 256)?;
    let server_socket =
        TcpListener::bind(args.addr.bind_address()?).map_err(|e| errors::bind(&args.addr, &e))?;
    // The same pool as threaded-server's: a bounded channel of 1024, one
    // receiver shared by every worker behind a mutex.
    let (waiting_room, clients) = mpsc::sync_channel::<TcpStream>(1024);
    let clients = Arc::new(Mutex::new(clients));
    for _ in 0..threads {
        let clients = Arc::clone(&clients);
        thread::Builder::new().spawn(move || work(&clients))?;
    }
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    for connection in server_socket.incoming().flatten() {
        if waiting_room.send(connection).is_err() {
            break;
        }
    }
    Ok(())
}

/// Read once, reply, drop: the article's exchange and nothing more.
fn work(clients: &Mutex<Receiver<TcpStream>>) {
    let mut data = [0; BUFFER_SIZE];
    loop {
        let next = clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(mut connection) = next else { return };
        if let Ok(received) = connection.read(&mut data)
            && received > 0
        {
            let _ = connection.write_all(TCP_REPLY.as_bytes());
        }
    }
}
