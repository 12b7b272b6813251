//! 原文「UDP 通信示例 / UDP 客户端」的 Rust 版本：发一个数据报，等一个回复。
//!
//! Same bytes as the article: it sends `你好，UDP 服务器！` and prints
//! `收到 UDP 服务器的响应: UDP 数据已收到`. UDP promises nothing, so where the
//! article's `recvfrom` waits forever for a lost datagram, this client waits
//! 3 seconds, sends again, and after 3 tries (9 seconds in all, however many
//! addresses the name has) says the server may not be running. Its socket
//! has the family (IPv4 or IPv6) of the address it sends to, and it tries
//! each address the name resolves to (`localhost` may be `::1` first). The
//! article's `socket.SOCK_DUDP` does not exist: it is `SOCK_DGRAM`.
//!
//! ```text
//! cargo run -p udp-client                              # localhost:9999
//! cargo run -p udp-client -- 127.0.0.1:9999 "自己的消息"
//! ```

mod usage;

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use common::cli::Args;
use common::errors::{self, is_timeout};
use common::{BUFFER_SIZE, UDP_MESSAGE, esay, say, show_bytes};

/// How long to wait for each reply, and how many times to send:
/// 3 × 3 s keeps the whole wait under ten seconds.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPTS: u32 = 3;

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
    // message = b'你好，UDP 服务器！'
    let message = args.message(UDP_MESSAGE)?;
    let addresses = args.addr.resolve()?;
    let started = Instant::now();
    let mut failures = Vec::new();
    for (tried, server_address) in addresses.iter().copied().enumerate() {
        // 总共最多等 9 秒，由还没试过的地址平分：名字只有一个地址时，每次等满 3 秒。
        let left = (started + REPLY_TIMEOUT * ATTEMPTS).saturating_duration_since(Instant::now());
        let share = left / (ATTEMPTS * (addresses.len() - tried) as u32);
        let wait = share.clamp(Duration::from_millis(100), REPLY_TIMEOUT);
        match ask(server_address, message.as_bytes(), wait) {
            Ok(data) => {
                // say! 就是 println!，只是 stdout 被关掉时不会 panic；esay! 对应 eprintln!。
                // print(f'收到 UDP 服务器的响应: {data.decode()}')
                say!("收到 UDP 服务器的响应: {}", show_bytes(&data));
                return Ok(());
            }
            // 这个地址不行（没有回复、端口不可达、本机没有 IPv6……）：记下来，试下一个。
            Err(e) => failures.push((server_address, e)),
        }
    }
    Err(errors::no_udp_reply(
        &args.addr,
        &failures,
        ATTEMPTS,
        started.elapsed(),
    ))
}

// ANCHOR: ask
/// Sends `message` to one server address and waits for its reply, sending
/// again after each timeout.
fn ask(server_address: SocketAddr, message: &[u8], wait: Duration) -> io::Result<Vec<u8>> {
    // client_socket = socket.socket(socket.AF_INET, socket.SOCK_DUDP)
    // 原文的 SOCK_DUDP 不存在，应为 SOCK_DGRAM。地址族要与服务器地址一致。
    let local_address = if server_address.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let client_socket = UdpSocket::bind(local_address)?;
    // UDP 的 connect 不发送任何东西：它只记下对方地址，于是 send/recv 不必再写地址，
    // 系统还能把“端口不可达”报告成 ConnectionRefused（Windows 上是 ConnectionReset），别处来的数据报也会被过滤掉。
    client_socket.connect(server_address)?;
    client_socket.set_read_timeout(Some(wait))?;

    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        // client_socket.sendto(message, server_address)
        client_socket.send(message)?;
        // data, server = client_socket.recvfrom(1024)，但有期限。
        match client_socket.recv(&mut data) {
            Ok(size) => return Ok(data[..size].to_vec()),
            Err(e) if is_timeout(&e) && attempt < ATTEMPTS => {
                let secs = (wait.as_secs_f64() * 10.0).round() / 10.0;
                esay!("{server_address} 在 {secs} 秒内没有回复，重发（第 {attempt} 次超时）");
            }
            Err(e) => return Err(e),
        }
    }
    Err(ErrorKind::TimedOut.into())
    // client_socket.close() —— client_socket 离开作用域时被 drop，Socket 随之关闭。
}
// ANCHOR_END: ask
