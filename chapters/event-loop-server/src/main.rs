//! 原文「并发处理」之后的下一步：一个线程，用就绪事件同时照看成千上万个连接。
//!
//! Same protocol and output as `tcp-server` and `threaded-server`: read once
//! (up to 1024 bytes), print `收到来自 … 的数据: …`, reply `数据已收到`,
//! close. What changes is how many clients wait at once, and what each
//! costs while it waits.
//!
//! The article gives every connection a thread that sleeps in `recv` until
//! its client speaks. Here nobody sleeps in `recv`: all sockets are
//! non-blocking, and one thread asks the operating system "which of these
//! sockets can I read or write *now*?" (epoll on Linux, kqueue on macOS,
//! IOCP on Windows, all behind the `mio` crate). It then does exactly that
//! work and asks again. An idle client costs a table entry, not a thread.
//! This is the shape of Python's `selectors` module, of Beej's `poll`
//! server, and of what tokio runs underneath.
//!
//! Python's `selectors`, line for line ([`event_loop`] has each one as a
//! comment on the Rust line that does it):
//!
//! | Python `selectors`                          | here (`mio`)                                   |
//! |---------------------------------------------|------------------------------------------------|
//! | `sel = selectors.DefaultSelector()`         | `Poll::new()`                                  |
//! | `sock.setblocking(False)`                   | `set_nonblocking(true)` (accepted sockets already are) |
//! | `sel.register(sock, EVENT_READ, data)`      | `registry.register(&mut sock, token, READABLE)` |
//! | `sel.modify(sock, EVENT_WRITE, data)`       | `registry.reregister(…, WRITABLE)`             |
//! | `events = sel.select(timeout)`              | `poll.poll(&mut events, timeout)`              |
//! | `for key, mask in events:`                  | `for event in events.iter()`                   |
//! | `key.data` (what belongs to this socket)    | `connections[&event.token()]`                  |
//! | `sel.unregister(sock); sock.close()`        | `registry.deregister(&mut sock)`, then drop    |
//!
//! One difference matters: `selectors` reports a socket again and again
//! while it stays readable (level-triggered); `mio` reports a change once
//! (edge-triggered), so each handler works until the OS says `WouldBlock`
//! before it waits again.
//!
//! Every promise of the other servers is kept, reorganised for one thread:
//!
//! - each connection is a small state machine, reading → replying →
//!   closing ([`connection`]), driven by events instead of by a thread;
//! - each has a deadline, 5 seconds from `accept` for the whole exchange,
//!   and the loop sleeps only until the nearest one: a client that trickles
//!   a byte a second gains nothing;
//! - a reply the socket does not take at once is finished when the socket
//!   becomes writable again;
//! - unread bytes are drained before the close, so it is a FIN, not a reset;
//! - at `--max-connections` the loop stops accepting (one log line) and
//!   newcomers wait in the system's connection queue; each connection that
//!   ends lets the next one in, and once the queue is empty one more line
//!   says so;
//! - when `accept` fails (out of file descriptors, say) the listener rests
//!   100 ms instead of spinning, and the open connections are still served.
//!
//! `examples/async_server.rs` is the same server in tokio, for contrast.
//!
//! ```text
//! cargo run -p event-loop-server                        # localhost:9999
//! cargo run -p event-loop-server -- 127.0.0.1:0 --max-connections 100
//! ```

mod connection;
mod event_loop;
mod usage;

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::{Result, bail};
use common::cli::Args;
use common::{addr, errors, say};

use event_loop::EventLoop;

/// 默认的同时连接上限。空闲的连接在这里只占一个表项和一个文件描述符。
const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// `--max-connections` 的上限：防止打错的数字（多打了几个 0）。
const MAX_MAX_CONNECTIONS: usize = 1_000_000;

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

fn serve(args: &Args) -> Result<()> {
    let max_connections = args.number("--max-connections", DEFAULT_MAX_CONNECTIONS)?;
    if max_connections > MAX_MAX_CONNECTIONS {
        bail!(
            "--max-connections {max_connections} 太多了：最多 {MAX_MAX_CONNECTIONS}；教室里用默认的 {DEFAULT_MAX_CONNECTIONS} 就够"
        );
    }
    let server_address = &args.addr;
    // server_socket.bind(server_address); server_socket.listen(5)
    // 和其他章一样用 std 绑定：同样的地址规则、同样的出错说明。
    let server_socket = TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    let event_loop = EventLoop::new(server_socket, max_connections)?;
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，print 会卡住整个事件循环；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    // 事件循环准备好了才打印地址：客户端和测试把第一行当作“可以连了”。
    // say! 就是 println!，只是不会 panic，也不会等终端：事件循环里的任何一步都不许等待。
    say!("等待客户端连接... {}", event_loop.local_addr()?);
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址。
    addr::print_lan_addresses(event_loop.listener());
    event_loop.run()
}
