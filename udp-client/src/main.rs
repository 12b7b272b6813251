//! 原文「UDP 通信示例 / UDP 客户端」的 Rust 版本：发一个数据报，等一个回复。
//!
//! Same bytes as the article: it sends `你好，UDP 服务器！` and prints
//! `收到 UDP 服务器的响应: UDP 数据已收到`. UDP promises nothing, so:
//!
//! - the article's `recvfrom` waits forever when a datagram is lost; here
//!   each wait lasts 3 seconds and the datagram is sent again, 3 times in
//!   all, and then the program says the server may not be running;
//! - the socket is of the same family (IPv4 or IPv6) as the server address:
//!   an IPv4 socket cannot send to `::1`, which is what `localhost` is first
//!   on some systems; each address the name resolves to is tried in turn;
//! - the article's `socket.SOCK_DUDP` does not exist: it is `SOCK_DGRAM`.
//!
//! ```text
//! cargo run -p udp-client                              # localhost:9999
//! cargo run -p udp-client -- 127.0.0.1:9999 "自己的消息"
//! ```

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use common::cli::{Args, Usage};
use common::{BUFFER_SIZE, UDP_MESSAGE, esay, say, show_bytes};

/// How long to wait for each reply, and how many times to send.
/// 3 × 3 s keeps the whole wait under ten seconds.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPTS: u32 = 3;

const USAGE: Usage = Usage {
    program: "udp-client",
    about: "原文「UDP 客户端」：发送一个数据报，打印服务器的回复。",
    arguments: &[
        ("[ADDR]", "服务器地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，UDP 服务器！”"),
    ],
    options: &[],
    notes: &["每次等待回复 3 秒，没有回复就重发，共 3 次（原文会一直等下去）。"],
    examples: &["udp-client", "udp-client 127.0.0.1:9999 \"自己的消息\""],
};

fn main() -> ExitCode {
    USAGE.run(talk)
}

fn talk(args: Args) -> Result<()> {
    // message = b'你好，UDP 服务器！'
    let message = args.message(UDP_MESSAGE);
    let (mut refused, mut silent, mut failed) = (0, 0, None);
    for server_address in args.addr.resolve()? {
        match ask(server_address, message.as_bytes()) {
            Ok(data) => {
                // print(f'收到 UDP 服务器的响应: {data.decode()}')
                // say! 就是 println!，只是 stdout 被关掉时不会 panic；esay! 对应 eprintln!。
                say!("收到 UDP 服务器的响应: {}", show_bytes(&data));
                return Ok(());
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => refused += 1,
            Err(e) if is_timeout(&e) => silent += 1,
            // 例如本机关掉了 IPv6，发往 ::1 失败：记下来，接着试下一个地址。
            Err(e) => failed = Some((server_address, e)),
        }
    }
    let addr = &args.addr;
    if let (Some((server_address, e)), 0, 0) = (&failed, refused, silent) {
        bail!(
            "无法向 UDP 服务器 {server_address} 发送数据（{e}）。请检查地址是否写对、本机网络是否可用"
        );
    }
    // 只有每个地址都回报“端口不可达”时，才能肯定那里没有服务器；有一个没回音，就可能只是丢了包。
    if refused > 0 && silent == 0 {
        bail!(
            "{addr} 上没有 UDP 服务器在运行（系统回报“端口不可达”）。请先启动 udp-server，并确认地址和端口一致"
        );
    }
    let secs = REPLY_TIMEOUT.as_secs();
    bail!(
        "没有收到 {addr} 的回复：发送了 {ATTEMPTS} 次，每次等待 {secs} 秒。服务器可能没有运行，或者数据报在网络中丢失了；请确认 udp-server 已启动、地址和端口一致、防火墙放行 UDP"
    )
}

// ANCHOR: ask
/// Sends `message` to one server address and waits for its reply, sending
/// again after each timeout.
fn ask(server_address: SocketAddr, message: &[u8]) -> io::Result<Vec<u8>> {
    // client_socket = socket.socket(socket.AF_INET, socket.SOCK_DUDP)
    // 原文的 SOCK_DUDP 不存在，应为 SOCK_DGRAM。地址族要与服务器地址一致。
    let local_address = if server_address.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let client_socket = UdpSocket::bind(local_address)?;
    // UDP 的 connect 不发送任何东西：它只记下对方地址，于是 send/recv 不必再写地址，
    // 系统还能把“端口不可达”报告成 ConnectionRefused，其他来源的数据报也会被过滤掉。
    client_socket.connect(server_address)?;
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;

    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        // client_socket.sendto(message, server_address)
        client_socket.send(message)?;
        // data, server = client_socket.recvfrom(1024)，但最多等 3 秒。
        match client_socket.recv(&mut data) {
            Ok(size) => return Ok(data[..size].to_vec()),
            Err(e) if is_timeout(&e) && attempt < ATTEMPTS => {
                let secs = REPLY_TIMEOUT.as_secs();
                esay!("{server_address} 在 {secs} 秒内没有回复，重发（第 {attempt} 次超时）");
            }
            Err(e) => return Err(e),
        }
    }
    Err(ErrorKind::TimedOut.into())
    // client_socket.close() —— client_socket 离开作用域时被 drop，Socket 随之关闭。
}
// ANCHOR_END: ask

/// Unix reports an expired read timeout as WouldBlock, Windows as TimedOut.
fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
