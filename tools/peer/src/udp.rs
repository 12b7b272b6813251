//! UDP 对端：只收不回的接收方，和发送一个指定大小数据报的发送方。

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use common::cli::{Args, Usage};
use common::{UDP_MESSAGE, errors, esay, say, show_bytes};

use crate::talk::{self, stamp};

/// The largest datagram there is (IPv4: 65,535 minus the IP and UDP headers).
const MOST_DATAGRAM: usize = 65_507;

/// How long `udp-send` waits for a reply, like one try of `udp-client`.
const REPLY_WAIT: Duration = Duration::from_secs(3);

pub const LISTEN: Usage = Usage {
    program: "peer udp-listen",
    about: "UDP 接收方：打印收到的每个数据报，但从不回复（看 udp-client 怎样重发、放弃）",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[(
        "--count N",
        "收到 N 个数据报后退出；不写就一直收，按 Ctrl-C 结束",
    )],
    notes: &["第一行以真正监听的地址结尾。数据报最大 65507 字节，收到多大就显示多大。"],
    examples: &[
        "peer udp-listen 127.0.0.1:9999",
        "peer udp-listen 127.0.0.1:0 --count 3",
    ],
};

pub fn listen(args: &Args) -> Result<()> {
    let count = args
        .option("--count")
        .map(|_| args.number("--count", 1))
        .transpose()?;
    let socket =
        UdpSocket::bind(args.addr.bind_address()?).map_err(|e| errors::bind(&args.addr, &e))?;
    let local = socket.local_addr()?;
    say!("只收不回，等待数据报... {local}");
    // 监听 0.0.0.0 时，列出其他电脑能用的地址（和各章的服务器一样）。
    common::addr::print_lan_addresses(&socket);
    let started = Instant::now();
    let mut buffer = vec![0; MOST_DATAGRAM + 1];
    let mut received = 0;
    while count.is_none_or(|count| received < count) {
        match socket.recv_from(&mut buffer) {
            Ok((size, from)) => {
                received += 1;
                let text = talk::shorten(&show_bytes(&buffer[..size]));
                say!(
                    "{} 收到来自 {from} 的数据报，{size} 字节（不回复）: {text}",
                    stamp(started)
                );
            }
            // 例如 Windows 把别处的“端口不可达”报告在这里：记下来，继续收。
            Err(e) => esay!("接收数据报时出错: {}", errors::peer(&e)),
        }
    }
    say!("收到了 {received} 个数据报，退出");
    Ok(())
}

pub const SEND: Usage = Usage {
    program: "peer udp-send",
    about: "发送一个数据报（可以指定大小），等 3 秒看有没有回复",
    arguments: &[
        ("[ADDR]", "接收方地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，UDP 服务器！”"),
    ],
    options: &[(
        "--size N",
        "发送 N 字节的数据报（内容是 N 个 x），代替 MESSAGE；最多 65507",
    )],
    notes: &[
        "只发一次，不重发：没有回复就说没有回复。udp-server 只读前 1024 字节，试试 --size 2000。",
    ],
    examples: &[
        "peer udp-send 127.0.0.1:9999",
        "peer udp-send 127.0.0.1:9999 --size 2000",
    ],
};

pub fn send(args: &Args) -> Result<()> {
    let datagram = match args.option("--size") {
        Some(_) => {
            let size = args.number("--size", 1)?;
            if size > MOST_DATAGRAM {
                bail!("--size {size} 太大了：一个 UDP 数据报最多 {MOST_DATAGRAM} 字节");
            }
            vec![b'x'; size]
        }
        None => args.message(UDP_MESSAGE)?.into_bytes(),
    };
    // UDP 一次只发给一个地址：和各章的服务器一样，名字优先取 IPv4 地址。
    let server = args.addr.bind_address()?;
    let local = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    let started = Instant::now();
    if let Err(e) = socket.send(&datagram) {
        bail!("无法发送 {} 字节的数据报到 {server}: {e}", datagram.len());
    }
    let text = talk::shorten(&show_bytes(&datagram));
    say!(
        "{} 发送数据报到 {server}，{} 字节: {text}",
        stamp(started),
        datagram.len()
    );
    socket.set_read_timeout(Some(REPLY_WAIT))?;
    let mut reply = vec![0; MOST_DATAGRAM + 1];
    match socket.recv(&mut reply) {
        Ok(size) => say!(
            "{} 收到回复，{size} 字节: {}",
            stamp(started),
            talk::shorten(&show_bytes(&reply[..size]))
        ),
        Err(e) if errors::is_timeout(&e) => say!(
            "{} {} 秒内没有回复：UDP 不保证送达，也不保证有回复",
            stamp(started),
            REPLY_WAIT.as_secs()
        ),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
            ) =>
        {
            bail!("{server} 上没有程序在接收 UDP 数据报（系统回报“端口不可达”）")
        }
        Err(e) => bail!("等待 {server} 的回复时出错: {}", errors::peer(&e)),
    }
    Ok(())
}
