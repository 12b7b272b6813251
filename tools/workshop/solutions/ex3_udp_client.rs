//! 练习 3 的参考答案：原文「UDP 通信示例 / UDP 客户端」，加上超时和重发。
//!
//! 和 exercises/ex3_udp_client.rs 的结构一样，只是 TODO 写好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

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

/// TODO：发送 `message`，等服务器的回复；没等到就重发，一共发 `ATTEMPTS` 次。
fn ask(client_socket: &UdpSocket, server_address: SocketAddr, message: &[u8]) -> Result<Vec<u8>> {
    // 原文的 recvfrom 没有时限，丢了的数据报永远等不来。
    client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut data = [0; BUFFER_SIZE];
    for attempt in 1..=ATTEMPTS {
        // client_socket.sendto(message, server_address)
        client_socket.send_to(message, server_address)?;
        // data, server = client_socket.recvfrom(1024)
        match client_socket.recv_from(&mut data) {
            // 只认服务器的回复：别的地址发来的数据报不算。
            Ok((size, from)) if from == server_address => return Ok(data[..size].to_vec()),
            Ok((_, from)) => esay!("收到了 {from} 的数据报，它不是服务器，不算回复"),
            Err(e) if errors::is_timeout(&e) && attempt < ATTEMPTS => {
                let secs = REPLY_TIMEOUT.as_secs();
                esay!("{server_address} 在 {secs} 秒内没有回复，重发（第 {attempt} 次超时）");
            }
            Err(e) if errors::is_timeout(&e) => {}
            Err(e) => return Err(unreachable(server_address, &e)),
        }
    }
    let secs = REPLY_TIMEOUT.as_secs();
    bail!(
        "没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次，每次等 {secs} 秒。服务器可能没有运行，或者数据报在路上丢了"
    )
}

/// An error other than a timeout: most often "port unreachable", which
/// Linux and macOS report as ConnectionRefused and Windows as ConnectionReset.
fn unreachable(server_address: SocketAddr, error: &io::Error) -> anyhow::Error {
    match error.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => anyhow::anyhow!(
            "{server_address} 上没有 UDP 服务器在运行（系统回报“端口不可达”）。请先启动 udp-server"
        ),
        _ => anyhow::anyhow!("与 {server_address} 收发数据报时出错: {error}"),
    }
}
