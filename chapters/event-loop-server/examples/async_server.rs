//! 同一个服务器的 async 写法（tokio）：和 mio 版对照着读，看运行时替我们做了多少事。
//!
//! Same protocol, same log lines, same promises as `event-loop-server`: one
//! thread, a 5-second deadline for the whole exchange, the unread bytes
//! drained before the close, a connection cap, a rest after a failed
//! `accept`. Compare what is left to write:
//!
//! - **No state machine.** `handle_connection` reads like the blocking
//!   servers' code with `.await` added: read once, print, `write_all`. The
//!   compiler turns each `async fn` into the enum that `src/connection.rs`
//!   writes by hand; every `.await` is a state where it may wait.
//! - **No poll loop, no tokens, no table.** `tokio::spawn` is "register this
//!   connection"; the runtime's own loop (mio inside) wakes the task whose
//!   socket is ready.
//! - **No deadline queue.** `timeout_at(deadline, …)` gives up on a future
//!   when the deadline passes, wherever it is waiting; the runtime keeps the
//!   timers. It takes a deadline, not a duration, so the two steps below
//!   share one: a `timeout(5 s, …)` around each step would be the per-read
//!   timeout that issue 10 warns about.
//! - **No partial-write bookkeeping.** `write_all(…).await` is `sendall`.
//! - **The cap** is a `Semaphore`: one permit per connection; when none is
//!   left, the accept loop waits for one and newcomers queue in the system.
//!
//! The price: a dependency much larger than mio, and behaviour that lives
//! in the runtime, out of sight. Both servers are one thread, so they can be
//! measured against each other fairly (`current_thread` runtime).
//!
//! ```text
//! cargo run -p event-loop-server --example async_server -- 127.0.0.1:0
//! cargo run -p event-loop-server --example async_server -- 127.0.0.1:0 --max-connections 100
//! ```

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use common::cli::{Args, Usage};
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, addr, errors, esay, say, show_bytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep, timeout_at};

const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
const MAX_MAX_CONNECTIONS: usize = 1_000_000;
/// 回复之后最多再读掉多少字节，和 mio 版一样。
const DRAIN_LIMIT: usize = 64 * BUFFER_SIZE;
/// accept 出错后歇多久再试。
const ACCEPT_REST: Duration = Duration::from_millis(100);

const USAGE: Usage = Usage {
    program: "async_server",
    about: "event-loop-server 的 async 写法（tokio）：同样的协议和日志，用来和 mio 版对照。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[(
        "--max-connections N",
        "同时连接数的上限，默认 10000，最多 1000000",
    )],
    notes: &[
        "每个连接从被接受起有 5 秒期限，读、回复、关闭整个过程都算在内。",
        "达到上限时暂停接受新连接（记一行日志），每结束一个连接接受下一个；排队的都接受了再记一行。",
    ],
    examples: &["cargo run -p event-loop-server --example async_server -- 127.0.0.1:0"],
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
    let max_connections = args.number("--max-connections", DEFAULT_MAX_CONNECTIONS)?;
    if max_connections > MAX_MAX_CONNECTIONS {
        bail!("--max-connections {max_connections} 太多了：最多 {MAX_MAX_CONNECTIONS}");
    }
    // 运行时：事件循环（里面就是 mio 的 Poll）加定时器。只用一个线程，和 mio 版一样。
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("无法启动 tokio 运行时")?;
    runtime.block_on(accept_loop(args, max_connections))
}

// ANCHOR: accept_loop
async fn accept_loop(args: &Args, max_connections: usize) -> Result<()> {
    let server_address = &args.addr;
    // 和其他章一样用 std 绑定（同样的地址规则和出错说明），再交给 tokio。
    let server_socket = std::net::TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    server_socket.set_nonblocking(true)?;
    let server_socket = TcpListener::from_std(server_socket)?;
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，print 会卡住整个运行时；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址。
    addr::print_lan_addresses(&server_socket);

    // 每个连接拿一个名额，连接结束时还回来。
    let slots = Arc::new(Semaphore::new(max_connections));
    // 正处在“达到上限”的一段时间里：开始时记一行，排队的客户端都接受了再记一行。
    let mut at_cap = false;
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if !at_cap {
                    esay!(
                        "同时连接的客户端达到上限 {max_connections} 个（--max-connections）：暂停接受新连接，新来的客户端先在系统的连接队列里等候"
                    );
                    at_cap = true;
                }
                // 等一个连接结束；这期间没人 accept，新来的客户端在系统的队列里等。
                Arc::clone(&slots).acquire_owned().await?
            }
        };
        // connection, client_address = server_socket.accept()
        match accept(&server_socket, &mut at_cap).await {
            Ok((connection, client_address)) => {
                let deadline = Instant::now() + IO_TIMEOUT;
                // 相当于 threading.Thread(...).start()，但只是一个任务：一两 KB 的状态，没有自己的线程和栈。
                tokio::spawn(async move {
                    handle_connection(connection, client_address, deadline).await;
                    drop(slot); // 名额还回去
                });
            }
            Err(e) => {
                // 文件描述符用完时每秒最多记一行，带上这期间又失败了几次。
                common::log_accept_error(&e);
                // 文件描述符用完之类的错误会马上再来：歇一下，已连上的客户端照常服务。
                if !one_client(&e) {
                    sleep(ACCEPT_REST).await;
                }
            }
        }
    }
}
// ANCHOR_END: accept_loop

/// `server_socket.accept()`, except that at the cap it first tries without
/// waiting: finding nobody in the queue ends the time at the cap, and that
/// is worth one line. (`poll_accept` once is the non-blocking `accept` that
/// returns `WouldBlock` in the mio version.)
async fn accept(listener: &TcpListener, at_cap: &mut bool) -> io::Result<(TcpStream, SocketAddr)> {
    if *at_cap {
        match poll_fn(|cx| Poll::Ready(listener.poll_accept(cx))).await {
            Poll::Ready(accepted) => return accepted,
            Poll::Pending => {
                *at_cap = false;
                esay!("排队等候的客户端都已接受，恢复正常");
            }
        }
    }
    listener.accept().await
}

/// Whether a failed `accept` concerned only the client that gave up while queued.
fn one_client(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

// ANCHOR: handle_connection
/// 原文的 `handle_connection`：读一次、打印、回复，然后读掉多余的字节再关闭。
/// 两步共用一个期限：从 accept 起 5 秒。
async fn handle_connection(
    mut connection: TcpStream,
    client_address: SocketAddr,
    deadline: Instant,
) {
    match timeout_at(deadline, answer_once(&mut connection, client_address)).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return, // 客户端什么也没发就关闭了，已经记下。
        Ok(Err(e)) => {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
            return;
        }
        Err(_elapsed) => {
            let e = io::Error::from(io::ErrorKind::TimedOut);
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
            return;
        }
    }
    // 回复已经送出：期限到了或出错都不必再说什么，关闭就是了。
    let _ = timeout_at(deadline, discard_unread(&mut connection)).await;
    // connection 在这里被 drop，连接随之关闭。
}

async fn answer_once(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<bool> {
    // data = connection.recv(1024)
    let mut data = [0; BUFFER_SIZE];
    let received = connection.read(&mut data).await?;
    // if data:
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(false);
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    // connection.sendall(b'数据已收到')
    connection.write_all(TCP_REPLY.as_bytes()).await?;
    Ok(true)
}

/// Sends the FIN (the reply ends here), then reads and throws away what the
/// client sent beyond the one `recv(1024)` until it closes, so that the
/// close is not a reset that could take the reply with it.
async fn discard_unread(connection: &mut TcpStream) -> io::Result<()> {
    connection.shutdown().await?;
    let mut scratch = [0; BUFFER_SIZE];
    let mut drained = 0;
    while drained <= DRAIN_LIMIT {
        match connection.read(&mut scratch).await? {
            0 => break,
            n => drained += n,
        }
    }
    Ok(())
}
// ANCHOR_END: handle_connection
