//! 原文「常见实践 / TCP 客户端」的 Rust 版本：连接、发送一条消息、打印回复。
//!
//! Same bytes as the article: it sends `你好，服务器！` and prints
//! `收到服务器的响应: 数据已收到`. It works against `tcp-server`,
//! `threaded-server` and the article's own Python server. What it adds:
//!
//! - connecting times out after 5 seconds, waiting for the reply after 10
//!   (longer than the server's 5, in case another client holds it);
//! - every address the name resolves to is tried (`localhost` may be `::1`
//!   first, while the article's Python server listens on `127.0.0.1` only);
//! - the reply is read until the server closes the connection, because one
//!   `recv` may return only part of it (TCP is a byte stream).
//!
//! ```text
//! cargo run -p tcp-client                              # localhost:9999
//! cargo run -p tcp-client -- 127.0.0.1:9999 "自己的消息"
//! ```

mod usage;

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use common::addr::HostPort;
use common::cli::Args;
use common::deadline::Deadline;
use common::{BUFFER_SIZE, CLIENT_TIMEOUT, IO_TIMEOUT, TCP_MESSAGE, errors, say, show_bytes};

fn main() -> ExitCode {
    // 1. 读命令行：--help 和写错的参数在这里就打印好了，直接退出。
    let args = match usage::USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 2. 做本章的事。
    let result = talk(&args);
    // 3. 出错时打印一行中文说明，以非零状态退出。
    errors::report(result)
}

fn talk(args: &Args) -> Result<()> {
    let server_address = &args.addr;
    // message = b'你好，服务器！'（在连接之前取出来：空消息在这里就被拒绝，不必先连服务器）
    let message = args.message(TCP_MESSAGE)?;
    // ANCHOR: connect
    // client_socket.connect(server_address)：带超时，依次尝试名字解析出的每个地址。
    let mut client_socket = connect(server_address)?;
    // 原文没有时限。连上之后，发送和读完回复一共最多 10 秒：这是整个对话的期限，
    // 不是每次 read 各等 10 秒（那样的话，一个每 8 秒挤出一个字节的服务器能让我们一直等下去）。
    let deadline = Deadline::after(CLIENT_TIMEOUT);
    // ANCHOR_END: connect

    // ANCHOR: exchange
    // client_socket.sendall(message) —— write_all 就是 sendall：写完每一个字节才返回。
    deadline
        .before_write(&client_socket)
        .and_then(|()| client_socket.write_all(message.as_bytes()))
        .map_err(|e| errors::exchange(server_address, &e, CLIENT_TIMEOUT))?;
    // data = client_socket.recv(1024)：一次 recv 可能只拿到一部分，所以读到服务器关闭连接为止。
    let data = read_reply(&client_socket, deadline)
        .map_err(|e| errors::exchange(server_address, &e, CLIENT_TIMEOUT))?;
    if data.is_empty() {
        bail!("服务器 {server_address} 没有回复任何数据就关闭了连接");
    }
    if is_tls_record(&data) {
        bail!(
            "{server_address} 回复的是 TLS 数据，不是文本：它是 TLS 服务器（例如 tls-server），请用 tls-client 连接它"
        );
    }
    // say! 就是 println!，只是 stdout 被关掉（例如接在 head 后面）时不会 panic。
    // print(f'收到服务器的响应: {data.decode()}')
    say!("收到服务器的响应: {}", show_bytes(&data));
    // ANCHOR_END: exchange
    Ok(())
    // client_socket.close() —— client_socket 在这里离开作用域被 drop，连接随之关闭。
}

// ANCHOR: connect_each
/// `client_socket.connect(server_address)`, with a time limit, trying each
/// address the name stands for.
///
/// `localhost` may resolve to `::1` first while a server (the article's
/// Python one, for instance) listens on `127.0.0.1` only; trying each
/// address in turn is what makes both work. The 5 seconds are for all the
/// tries together, shared by the addresses not yet tried: an address that
/// refuses at once costs nothing, one that never answers cannot use up the
/// time of the others. The error kept is the last one, which is the most
/// telling when every address failed.
fn connect(server_address: &HostPort) -> Result<TcpStream> {
    // 名字 → 地址（DNS 或 hosts 文件）。Python 的 connect 悄悄做这一步；分开做，找不到主机就有自己的说明。
    let addrs = server_address.resolve()?;
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut last_error = None;
    for (tried, addr) in addrs.iter().enumerate() {
        // 还没试的地址平分剩下的时间。
        let share = match deadline.left() {
            Ok(left) => (left / (addrs.len() - tried) as u32).max(Duration::from_millis(1)),
            Err(expired) => {
                last_error = Some((*addr, expired));
                break;
            }
        };
        match TcpStream::connect_timeout(addr, share) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some((*addr, error)),
        }
    }
    match last_error {
        Some((tried, error)) => Err(errors::connect(server_address, tried, &error, IO_TIMEOUT)),
        // invariant: resolve() never returns an empty list, so the loop ran.
        None => bail!("找不到主机 \"{}\"", server_address.host),
    }
}
// ANCHOR_END: connect_each

// ANCHOR: read_reply
/// 读服务器的回复：一直读到服务器关闭连接，最多 1024 字节，整个过程受 `deadline` 限制。
///
/// The article's single `recv(1024)` may return only the first part of the
/// reply. The servers here close the connection right after replying, so
/// the end of the stream marks the end of the reply.
fn read_reply(client_socket: &TcpStream, deadline: Deadline) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    // guard：每次 read 之前都把超时设成离期限还剩的时间。
    let mut reply = deadline.guard(client_socket).take(BUFFER_SIZE as u64);
    match reply.read_to_end(&mut data) {
        Ok(_) => Ok(data),
        // 回复之后连接被重置（而不是正常关闭）：回复本身已经收到了，照样显示。
        Err(e) if !data.is_empty() && e.kind() == ErrorKind::ConnectionReset => Ok(data),
        Err(e) => Err(e),
    }
}
// ANCHOR_END: read_reply

/// A TLS record starts with its type (0x15 alert, 0x16 handshake) and the
/// version 3.x: what a TLS server answers to a plaintext message.
fn is_tls_record(data: &[u8]) -> bool {
    matches!(data, [0x15 | 0x16, 0x03, ..])
}
