//! 原文「UDP 通信示例 / UDP 服务器」的 Rust 版本。
//!
//! It waits for datagrams, prints each one, and answers `UDP 数据已收到` to
//! whoever sent it, like the article. There is no connection and no accept:
//! every `recv_from` may come from a different client.
//!
//! Fixes over the article:
//!
//! - the article writes `socket.SOCK_DUDP`, which does not exist and raises
//!   `AttributeError`; the datagram type is `SOCK_DGRAM`, which is what
//!   `UdpSocket` always is;
//! - a datagram longer than the 1024-byte buffer is cut short by the OS
//!   without a word in Python; here the log says so;
//! - an error on one datagram is logged and the loop goes on.
//!
//! ```text
//! cargo run -p udp-server                  # localhost:9999, like the article
//! cargo run -p udp-server -- 127.0.0.1:0   # let the OS pick a free port
//! ```

mod guard;
mod usage;

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::Args;
use common::{BUFFER_SIZE, UDP_REPLY, addr, errors, esay, say, show_bytes};
use guard::Guard;

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
    let server_address = &args.addr;
    // ANCHOR: bind
    // socket.socket(socket.AF_INET, socket.SOCK_DUDP) + server_socket.bind(server_address)
    // 原文的 SOCK_DUDP 并不存在，应为 SOCK_DGRAM；UdpSocket 就是 SOCK_DGRAM 类型的 Socket。
    let server_socket = UdpSocket::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，原文的 print 会卡住整个服务器；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    // say! 就是 println!，只是不会 panic，也不会等终端；esay! 对应 eprintln!。
    // 原文这里什么也不打印；打印实际地址，端口写 0 时才知道该连哪里。
    say!("UDP 服务器等待数据... {}", server_socket.local_addr()?);
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址。
    addr::print_lan_addresses(&server_socket);
    // ANCHOR_END: bind

    // ANCHOR: receive_loop
    // 比原文的 1024 多 1 个字节：如果这个字节也被填上，说明数据报超过了 1024 字节。
    let mut buffer = [0; BUFFER_SIZE + 1];
    // 原文没有这一步：来源地址可以伪造，有些数据报不能回复，见 guard.rs。
    let mut guard = Guard::new(server_socket.local_addr()?);
    loop {
        // data, client_address = server_socket.recvfrom(1024)
        match server_socket.recv_from(&mut buffer) {
            Ok((size, client_address)) => {
                let datagram = &buffer[..size];
                match guard.check(client_address, datagram) {
                    None => answer(&server_socket, datagram, client_address),
                    // 只在开始拒绝时记一行：拒绝本身不能变成刷屏的日志。
                    Some(refused) if refused.first_in_a_row => {
                        esay!("不回复 {client_address}：{}", refused.refusal.reason())
                    }
                    Some(_) => {}
                }
            }
            // 例如 Windows 会把上一次 sendto 的“端口不可达”报告在这里；超过缓冲区的数据报在
            // Windows 上也是一个错误（WSAEMSGSIZE），拿不到发送方地址，也就无法回复。记下来，继续收。
            Err(e) => esay!("接收 UDP 数据时出错: {}", errors::peer(&e)),
        }
    }
    // ANCHOR_END: receive_loop
}

// ANCHOR: answer
fn answer(server_socket: &UdpSocket, datagram: &[u8], client_address: SocketAddr) {
    // if data: —— 空数据报是合法的 UDP 数据报，原文不回复，这里也不回复。
    if datagram.is_empty() {
        esay!("收到来自 {client_address} 的空数据报，不回复");
        return;
    }
    if datagram.len() > BUFFER_SIZE {
        esay!(
            "来自 {client_address} 的数据报超过 {BUFFER_SIZE} 字节，只保留了前 {BUFFER_SIZE} 字节"
        );
    }
    let data = &datagram[..datagram.len().min(BUFFER_SIZE)];
    // print(f'收到来自 {client_address} 的 UDP 数据: {data.decode()}')
    say!(
        "收到来自 {client_address} 的 UDP 数据: {}",
        show_bytes(data)
    );
    // server_socket.sendto(b'UDP 数据已收到', client_address)
    if let Err(e) = server_socket.send_to(UDP_REPLY.as_bytes(), client_address) {
        esay!("向 {client_address} 回复时出错: {}", errors::peer(&e));
    }
}
// ANCHOR_END: answer
