//! 练习 2：TCP 客户端（原文「常见实践 / TCP 客户端」，书里的 docs/src/tcp.md）。
//!
//! 把原文的客户端写成 Rust：连接服务器，把消息全部发出去，读服务器的回复并打印
//! `收到服务器的响应: 数据已收到`。原文只 `recv` 一次，就当成了整个回复；可 TCP 是字节流，
//! 一次读可能只拿到回复的一部分。检查会让回复一个字节一个字节地到达，看你的客户端能不能读全。
//!
//! 程序的骨架都写好了，socket 调用的地方留成了三个 `TODO`（在文件末尾）。
//! 每个 TODO 现在返回一个“还没写”的错误；写好一步，就删掉那一步的 `Err(…)`。
//!
//! ```text
//! cargo run -p workshop -- check 2           # 检查：对着 tcp-server、wiretap --chunk 1 和原文的 Python 服务器
//! cargo run -p workshop -- check 2 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex2 -- 127.0.0.1:9999   # 自己运行（先启动 tcp-server）
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use anyhow::{Result, bail};
use common::addr::HostPort;
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{BUFFER_SIZE, CLIENT_TIMEOUT, IO_TIMEOUT, TCP_MESSAGE, errors, say, show_bytes};

const USAGE: Usage = Usage {
    program: "ex2",
    about: "练习 2：原文的 TCP 客户端。连接服务器，发送一条消息，读完服务器的回复并打印。",
    arguments: &[
        ("[ADDR]", "服务器地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，服务器！”"),
    ],
    options: &[],
    notes: &[],
    examples: &["ex2 127.0.0.1:9999", "ex2 127.0.0.1:9999 自己的消息"],
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
    // server_address = ('localhost', 9999)
    let server_address = &args.addr;
    // message = b'你好，服务器！'（命令行上可以换一条）
    let message = args.message(TCP_MESSAGE)?;
    // client_socket.connect(server_address)
    let client_socket = connect(server_address)?;
    // 原文没有时限。这里发送和读完回复一共最多 10 秒：整个对话一个期限，
    // guard 在每次读写之前把超时设成还剩下的时间。
    let deadline = Deadline::after(CLIENT_TIMEOUT);
    let mut server = deadline.guard(&client_socket);
    // client_socket.sendall(message)
    send(&mut server, message.as_bytes())
        .map_err(|e| explained(e, |e| errors::exchange(server_address, e, CLIENT_TIMEOUT)))?;
    // data = client_socket.recv(1024) —— 但要读完整个回复。
    let data = read_reply(&mut server)
        .map_err(|e| explained(e, |e| errors::exchange(server_address, e, CLIENT_TIMEOUT)))?;
    if data.is_empty() {
        bail!("服务器 {server_address} 没有回复任何数据就关闭了连接");
    }
    // print(f'收到服务器的响应: {data.decode()}')
    say!("收到服务器的响应: {}", show_bytes(&data));
    Ok(())
    // client_socket.close() —— client_socket 在这里离开作用域，被 drop，连接随之关闭。
}

// ===================== 下面是要你写的部分 =====================

/// TODO 1：连接服务器，返回连好的 `TcpStream`。
///
/// 原文：
/// ```python
/// client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
/// client_socket.connect(server_address)
/// ```
/// `server_address` 是 `localhost:9999` 这样的主机名加端口，`server_address.resolve()?`
/// 给出它对应的每一个地址（`localhost` 可能先是 `::1`，而服务器可能只监听 `127.0.0.1`）。
/// 依次用 `TcpStream::connect_timeout(&addr, IO_TIMEOUT)` 试，第一个连上的就是；
/// 都连不上时，`errors::connect(server_address, addr, &e, IO_TIMEOUT)` 把最后一个错误说成一句中文。
fn connect(server_address: &HostPort) -> Result<TcpStream> {
    Err(not_written("TODO 1（connect：连接服务器）").into())
}

/// TODO 2：把整条消息发出去。
///
/// 原文：`client_socket.sendall(message)`
///
/// `server` 就是这条连接（每次读写都带着期限），用起来和 `TcpStream` 一样。
fn send(server: &mut impl Write, message: &[u8]) -> io::Result<()> {
    Err(not_written("TODO 2（send：发送消息）"))
}

/// TODO 3：读服务器的回复，一直读到服务器关闭连接，最多 1024 字节（`BUFFER_SIZE`）。
///
/// 原文：`data = client_socket.recv(1024)`
///
/// 原文只读一次。可一次 `read` 只返回已经到达的字节，可能只是回复的开头；
/// 本章的服务器回复之后就关闭连接，所以 `read` 返回 0 的时候，回复才算读完。
fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    Err(not_written("TODO 3（read_reply：读服务器的回复）"))
}

/// 还没写的那一步返回这个错误，说出是哪一步。那一步写好后，就用不到它了。
fn not_written(step: &str) -> io::Error {
    io::Error::other(format!("还没写：{step}"))
}

/// 出错时的一句话：还没写的那一步只说“还没写”，别的错误才交给 `explain` 说明。
fn explained(error: io::Error, explain: impl FnOnce(&io::Error) -> anyhow::Error) -> anyhow::Error {
    if error.to_string().starts_with("还没写：") {
        return error.into();
    }
    explain(&error)
}
