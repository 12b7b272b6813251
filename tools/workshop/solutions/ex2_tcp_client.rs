//! 练习 2 的参考答案：原文「常见实践 / TCP 客户端」，但读完整个回复。
//!
//! 和 exercises/ex2_tcp_client.rs 的结构一样，只是每个 TODO 都写好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

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
        .map_err(|e| errors::exchange(server_address, &e, CLIENT_TIMEOUT))?;
    // data = client_socket.recv(1024) —— 但要读完整个回复。
    let data = read_reply(&mut server)
        .map_err(|e| errors::exchange(server_address, &e, CLIENT_TIMEOUT))?;
    if data.is_empty() {
        bail!("服务器 {server_address} 没有回复任何数据就关闭了连接");
    }
    // print(f'收到服务器的响应: {data.decode()}')
    say!("收到服务器的响应: {}", show_bytes(&data));
    Ok(())
    // client_socket.close() —— client_socket 在这里离开作用域，被 drop，连接随之关闭。
}

/// TODO 1：连接服务器。
fn connect(server_address: &HostPort) -> Result<TcpStream> {
    // 依次尝试名字解析出的每个地址（localhost 可能先是 ::1），每个最多等 5 秒。
    let mut last_error = None;
    for addr in server_address.resolve()? {
        match TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((addr, e)),
        }
    }
    match last_error {
        Some((tried, e)) => Err(errors::connect(server_address, tried, &e, IO_TIMEOUT)),
        None => bail!("找不到主机 \"{}\"", server_address.host),
    }
}

/// TODO 2：把整条消息发出去。
fn send(server: &mut impl Write, message: &[u8]) -> io::Result<()> {
    server.write_all(message)
}

/// TODO 3：读服务器的回复，一直读到服务器关闭连接，最多 1024 字节。
fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {
    // 一次 read 可能只拿到回复的一部分：read 返回 0 才说明服务器关闭了连接，回复到此为止。
    let mut data = Vec::new();
    let mut chunk = [0; BUFFER_SIZE];
    while data.len() < BUFFER_SIZE {
        let received = server.read(&mut chunk[..BUFFER_SIZE - data.len()])?;
        if received == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..received]);
    }
    Ok(data)
}
