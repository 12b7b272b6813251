//! 练习 7 的参考答案：一行一条消息的服务器（书里的「小结与进阶 / 消息的边界」）。
//!
//! 和 exercises/ex7_framing.rs 的结构一样，只是 TODO 写好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{IO_TIMEOUT, TCP_REPLY, errors, esay, say, show_bytes};

/// 一行最长多少字节（不算结尾的换行符）。
const MOST_BYTES: usize = 1024;

const USAGE: Usage = Usage {
    program: "ex7",
    about: "练习 7：一行一条消息的 TCP 服务器。一条连接上可以发很多条消息，每条以换行结尾，每条都回复“数据已收到”和换行。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &[],
    examples: &["ex7 127.0.0.1:9999"],
};

fn main() -> ExitCode {
    // 读命令行；--help 和写错的参数在这里就处理好了。
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 出错时打印一行“错误: …”，以非零状态退出。
    errors::report(serve(&args))
}

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        match server_socket.accept() {
            Ok((connection, client_address)) => handle_connection(&connection, client_address),
            Err(e) => common::accept_failed(&e),
        }
        // connection 在这里被 drop，连接随之关闭。
    }
}

/// 一条连接：读一行、打印、回复，直到客户端关闭连接；出错只记一行。
fn handle_connection(connection: &TcpStream, client_address: SocketAddr) {
    // 整条连接一个 5 秒的期限：一个不说话、或者永远不发换行符的客户端，不能一直占着服务器。
    let deadline = Deadline::after(IO_TIMEOUT);
    if let Err(e) = converse(connection, client_address, deadline) {
        esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
}

fn converse(
    connection: &TcpStream,
    client_address: SocketAddr,
    deadline: Deadline,
) -> io::Result<()> {
    // BufReader 一次从 Socket 读一大块，再从里面一行一行地交出来；guard 让每次读写都受期限限制。
    let mut reader = BufReader::new(deadline.guard(connection));
    let mut writer = deadline.guard(connection);
    // 一条连接上可以有很多条消息：一行一条，直到客户端关闭连接（receive_line 返回 None）。
    while let Some(message) = receive_line(&mut reader)? {
        say!("收到来自 {client_address} 的消息: {}", show_bytes(&message));
        // 每条消息一个回复，回复也以换行结尾，客户端才知道一个回复在哪里结束。
        writer.write_all(format!("{TCP_REPLY}\n").as_bytes())?;
    }
    Ok(())
}

/// TODO：读一行（以 `\n` 结尾的一条消息），返回它（不带 `\n`）；连接已经关闭、没有更多消息时返回 None。
fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    // 最多读 MOST_BYTES + 1 个字节（消息加上换行符）：对方永远不发换行符时，也不会无限地攒内存。
    let read = reader
        .by_ref()
        .take(MOST_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() == Some(b'\n') {
        return Ok(Some(line));
    }
    if read > MOST_BYTES {
        let why = format!("一行超过 {MOST_BYTES} 字节，断开这个连接");
        return Err(io::Error::new(ErrorKind::InvalidData, why));
    }
    let why = "连接在一行的中间关闭了，最后这半行没有换行符";
    Err(io::Error::new(ErrorKind::UnexpectedEof, why))
}
