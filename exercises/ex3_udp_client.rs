//! 练习 3：UDP 客户端，会超时、会重发（原文「UDP 通信示例 / UDP 客户端」，书里的 docs/src/udp.md）。
//!
//! 原文的客户端发出一个数据报，然后 `recvfrom` 一直等回复。UDP 不保证送达：数据报或者回复
//! 在路上丢了，原文的客户端就永远等下去。你的客户端要做到：
//!
//! - 每次发送之后最多等 1 秒（`REPLY_TIMEOUT`）；
//! - 没等到就重发，一共发 3 次（`ATTEMPTS`），每次都用同一个 Socket；
//! - 3 次都没有回复，就以一行“错误: 没有收到 … 的回复……”结束，而不是卡住。
//!
//! 程序的骨架都写好了，只有 `ask` 这一个函数留成了 `TODO`（在文件末尾）。
//!
//! ```text
//! cargo run -p workshop -- check 3           # 检查：对着 udp-server，以及在中间丢包的 wiretap --drop
//! cargo run -p workshop -- check 3 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex3 -- 127.0.0.1:9999   # 自己运行（先启动 udp-server）
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use common::cli::{Args, Usage};
use common::{BUFFER_SIZE, UDP_MESSAGE, errors, esay, say, show_bytes};

/// 每次发送之后等回复的时间。udp-client 等 3 秒；练习用 1 秒，检查跑得快一些。
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// 一共发送几次（第一次加上两次重发）。
const ATTEMPTS: u32 = 3;

const USAGE: Usage = Usage {
    program: "ex3",
    about: "练习 3：原文的 UDP 客户端，加上超时和重发。发一个数据报，等回复；1 秒没有回复就重发，一共发 3 次。",
    arguments: &[
        ("[ADDR]", "服务器地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，UDP 服务器！”"),
    ],
    options: &[],
    notes: &[],
    examples: &["ex3 127.0.0.1:9999", "ex3 127.0.0.1:9999 自己的消息"],
};

fn main() -> ExitCode {
    // 读命令行；--help 和写错的参数在这里就处理好了。
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 出错时打印一行“错误: …”，以非零状态退出。
    errors::report(talk(&args))
}

fn talk(args: &Args) -> Result<()> {
    // server_address = ('localhost', 9999)：和原文的 AF_INET 一样，取这个名字的 IPv4 地址。
    let server_address = args.addr.bind_address()?;
    // message = b'你好，UDP 服务器！'（命令行上可以换一条）
    let message = args.message(UDP_MESSAGE)?;
    // client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    // （原文写的 SOCK_DUDP 不存在。）绑定端口 0：让系统挑一个本机端口，服务器的回复就发到这里。
    let local_address = if server_address.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let client_socket = UdpSocket::bind(local_address)?;
    // 发送、等回复、超时重发：每次重发都用同一个 Socket。
    let data = ask(&client_socket, server_address, message.as_bytes())?;
    // print(f'收到 UDP 服务器的响应: {data.decode()}')
    say!("收到 UDP 服务器的响应: {}", show_bytes(&data));
    Ok(())
    // client_socket.close() —— client_socket 在这里离开作用域，被 drop，Socket 随之关闭。
}

// ===================== 下面是要你写的部分 =====================

/// TODO：发送 `message`，等服务器的回复；没等到就重发，一共发 `ATTEMPTS` 次。返回回复的字节。
///
/// 原文：
/// ```python
/// client_socket.sendto(message, server_address)
/// data, server = client_socket.recvfrom(1024)
/// ```
/// 要补上的：
/// 1. 给 Socket 设一个读超时 `REPLY_TIMEOUT`（`UdpSocket` 上有个方法专门做这件事），
///    这样 `recv_from` 等不到数据时会返回一个错误，而不是一直等。
///    超时的错误用 `errors::is_timeout(&e)` 认出来（Linux 报 WouldBlock，Windows 报 TimedOut）。
/// 2. 一个循环：`send_to`，然后 `recv_from`。收到了就返回；超时了就打印一行（用 `esay!`），例如
///    `127.0.0.1:9999 在 1 秒内没有回复，重发（第 1 次超时）`，再发一次。
/// 3. `ATTEMPTS` 次都超时：返回一个错误，它会被打印成一行，例如
///    `bail!("没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次……")`。
///    这一行要包含“没有收到”。
fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    Err(not_written("TODO（ask：发送、等回复、超时重发）").into())
}

/// 还没写的那一步返回这个错误，说出是哪一步。写好后，就用不到它了。
fn not_written(step: &str) -> io::Error {
    io::Error::other(format!("还没写：{step}"))
}
