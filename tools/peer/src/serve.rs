//! 服务器一方的对端：回复一段自己指定的文字（可以拆块、可以不关闭连接）的 TCP 服务器，
//! 和回复自己指定的文字、还能先让“别人”插一句嘴的 UDP 服务器。
//!
//! The chapter servers always answer `数据已收到`. A client under test (the
//! workshop's exercises 2 and 3) must print whatever the server sent, read
//! it to the end however it is cut, stop at its limit, and take a reply
//! only from the server it asked: these servers send exactly that, and the
//! workshop's checker uses them, so a learner can repeat any step by hand
//! with the command the checker prints.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{IO_TIMEOUT, TCP_REPLY, UDP_REPLY, errors, esay, say, show_bytes};

use crate::talk::{self, stamp};

/// The longest reply `--times` may build, as for `peer send`.
const MOST_BYTES: usize = 16 << 20;

/// The longest `--gap` or `--hold`: a minute is more than any lesson needs,
/// and a typo cannot leave a connection hanging for a day.
const MOST_WAIT_MS: usize = 60_000;

/// One read of the request, as the article's `recv(1024)`, but larger so
/// that a long request is shown whole.
const REQUEST_BYTES: usize = 64 * 1024;

const LISTEN_ADDR: (&str, &str) = (
    "[ADDR]",
    "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
);

pub const REPLY: Usage = Usage {
    program: "peer reply",
    about: "TCP 服务器：每个连接读一次请求，然后回复 REPLY（可以重复、拆成小块慢慢发、发完先不关闭），看客户端能不能读完整、按时停下",
    arguments: &[LISTEN_ADDR, ("[REPLY]", "回复的文字，默认“数据已收到”")],
    options: &[
        ("--times N", "把 REPLY 重复 N 次，默认 1（最多 16 MiB）"),
        ("--chunk N", "每次发 N 字节，默认一次发完"),
        (
            "--gap MS",
            "两块之间停 MS 毫秒，默认 20（和 --chunk 一起用）",
        ),
        (
            "--hold MS",
            "发完之后先不关闭连接，等 MS 毫秒再关闭（FIN）；默认发完就关闭",
        ),
    ],
    notes: &[
        "第一行以真正监听的地址结尾。每个连接在自己的线程里服务；请求最多等 5 秒。",
        "客户端提前关闭了连接，剩下的就不发了，并打印一行说明。",
    ],
    examples: &[
        "peer reply 127.0.0.1:9999 你好 --times 3",
        "peer reply 127.0.0.1:9999 数据已收到 --chunk 1 --gap 500",
        "peer reply 127.0.0.1:9999 x --times 5000 --hold 8000",
    ],
};

/// How `peer reply` answers each connection.
#[derive(Clone, Copy)]
struct Plan {
    chunk: usize,
    gap: Duration,
    hold: Option<Duration>,
}

pub fn reply(args: &Args) -> Result<()> {
    let text = args.message(TCP_REPLY)?;
    let times = args.number("--times", 1)?;
    if text.len().saturating_mul(times) > MOST_BYTES {
        bail!(
            "回复太长了：{} 字节 × {times} 超过了 16 MiB 的上限；请把 --times 改小",
            text.len()
        );
    }
    let reply = text.repeat(times);
    let plan = Plan {
        chunk: args.number("--chunk", reply.len().max(1))?,
        gap: Duration::from_millis(wait_ms(args, "--gap", 20)? as u64),
        hold: match args.option("--hold") {
            Some(_) => Some(Duration::from_millis(wait_ms(args, "--hold", 1)? as u64)),
            None => None,
        },
    };
    let listener =
        TcpListener::bind(args.addr.bind_address()?).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", listener.local_addr()?);
    common::addr::print_lan_addresses(&listener);
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let reply = reply.clone().into_bytes();
                thread::spawn(move || answer(stream, &reply, plan));
            }
            Err(e) => common::accept_failed(&e),
        }
    }
}

/// A `--gap` or `--hold` value, at most a minute.
fn wait_ms(args: &Args, name: &str, default: usize) -> Result<usize> {
    let ms = args.number(name, default)?;
    if ms > MOST_WAIT_MS {
        bail!("{name} {ms} 太长了：最多 {MOST_WAIT_MS} 毫秒");
    }
    Ok(ms)
}

/// One connection: read the request once, send the reply as planned, close.
fn answer(stream: TcpStream, reply: &[u8], plan: Plan) {
    let Ok(client) = stream.peer_addr() else {
        return;
    };
    let started = Instant::now();
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut request = vec![0; REQUEST_BYTES];
    match deadline
        .guard(&stream)
        .read(&mut request)
        .map_err(|e| errors::peer(&e))
    {
        Ok(0) => {
            say!("{} 客户端 {client} 什么也没发就关闭了连接", stamp(started));
            return;
        }
        Ok(size) => say!(
            "{} 收到来自 {client} 的 {size} 字节: {}",
            stamp(started),
            talk::shorten(&show_bytes(&request[..size]))
        ),
        Err(why) => {
            esay!("{} 读 {client} 的请求时出错: {why}", stamp(started));
            return;
        }
    }
    let pieces: Vec<&[u8]> = reply.chunks(plan.chunk).collect();
    for (index, piece) in pieces.iter().enumerate() {
        if index > 0 {
            thread::sleep(plan.gap);
        }
        if let Err(e) = (&stream).write_all(piece) {
            let sent: usize = pieces[..index].iter().map(|p| p.len()).sum();
            say!(
                "{} 发了 {sent} 字节之后，客户端 {client} 已经不收了（{}），剩下的不发了",
                stamp(started),
                errors::peer(&e)
            );
            return;
        }
    }
    say!(
        "{} 回复了 {} 字节（{} 块）",
        stamp(started),
        reply.len(),
        pieces.len()
    );
    if let Some(hold) = plan.hold {
        say!(
            "{} 先不关闭连接，{} 毫秒后再关闭",
            stamp(started),
            hold.as_millis()
        );
        thread::sleep(hold);
    }
    // 先 shutdown 写方向：客户端看到的是 FIN；它多发的字节读掉，关闭才不会变成 RST。
    let _ = stream.shutdown(std::net::Shutdown::Write);
    say!("{} 关闭了连接（FIN）", stamp(started));
    drain(&stream, &deadline);
}

/// Reads what the client still sends until it closes, within the deadline.
fn drain(stream: &TcpStream, deadline: &Deadline) {
    let mut scratch = [0; 4096];
    let mut guarded = deadline.guard(stream);
    while let Ok(size) = guarded.read(&mut scratch) {
        if size == 0 {
            break;
        }
    }
}

pub const UDP_REPLY_USAGE: Usage = Usage {
    program: "peer udp-reply",
    about: "UDP 服务器：回复每个数据报 REPLY；--foreign 先从另一个端口给客户端发一个数据报，看客户端会不会把它错当成回复",
    arguments: &[LISTEN_ADDR, ("[REPLY]", "回复的文字，默认“UDP 数据已收到”")],
    options: &[(
        "--foreign TEXT",
        "回复之前，先从另一个端口把 TEXT 发给客户端（它不是服务器的回复）",
    )],
    notes: &["第一行以真正监听的地址结尾。按 Ctrl-C 结束。"],
    examples: &[
        "peer udp-reply 127.0.0.1:9999 你好",
        "peer udp-reply 127.0.0.1:9999 真的回复 --foreign 假的回复",
    ],
};

pub fn udp_reply(args: &Args) -> Result<()> {
    let reply = args.message(UDP_REPLY)?;
    let server_address = args.addr.bind_address()?;
    let socket = UdpSocket::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    // The other port: same address, a port of the system's choosing.
    let foreign = match args.option("--foreign") {
        Some(text) => {
            let mut elsewhere = socket.local_addr()?;
            elsewhere.set_port(0);
            Some((UdpSocket::bind(elsewhere)?, text.to_string()))
        }
        None => None,
    };
    say!("等待数据报... {}", socket.local_addr()?);
    common::addr::print_lan_addresses(&socket);
    let started = Instant::now();
    let mut buffer = vec![0; 65_536];
    loop {
        let (size, client) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            // Windows reports an earlier "port unreachable" here: note it, go on.
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                esay!("接收数据报时出错: {}", errors::peer(&e));
                continue;
            }
        };
        say!(
            "{} 收到来自 {client} 的数据报，{size} 字节: {}",
            stamp(started),
            talk::shorten(&show_bytes(&buffer[..size]))
        );
        if let Some((other, text)) = &foreign {
            match other.send_to(text.as_bytes(), client) {
                Ok(_) => say!(
                    "{} 从另一个端口 {} 发给 {client}: {}（这不是服务器的回复）",
                    stamp(started),
                    other.local_addr()?,
                    talk::shorten(&show_bytes(text.as_bytes()))
                ),
                Err(e) => esay!("无法从另一个端口发送: {}", errors::peer(&e)),
            }
        }
        match socket.send_to(reply.as_bytes(), client) {
            Ok(_) => say!(
                "{} 回复 {client}，{} 字节: {}",
                stamp(started),
                reply.len(),
                talk::shorten(&show_bytes(reply.as_bytes()))
            ),
            Err(e) => esay!("无法回复 {client}: {}", errors::peer(&e)),
        }
    }
}
