//! 练习 4 的参考答案：不会被一个客户端弄倒的服务器（原文「最佳实践 / 错误处理」）。
//!
//! 和 exercises/ex4_error_handling.rs 的结构一样，只是每个 TODO 都改好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, errors, esay, say, show_bytes};

const USAGE: Usage = Usage {
    program: "ex4",
    about: "练习 4：不会被一个客户端弄倒的 TCP 服务器。读一次数据，回复“数据已收到”，出错的客户端只记一行。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &[],
    examples: &["ex4 127.0.0.1:9999"],
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
    // try:
    //     server_socket.bind(server_address)
    // except socket.error as e:
    //     print(f'绑定地址时出错: {e}')
    // TODO 1：“绑定地址时出错: 127.0.0.1:9999 已被占用。……”，然后退出。
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);

    loop {
        // connection, client_address = server_socket.accept()
        // TODO 3：一个客户端出的错只记一行，接着等下一个。
        let (mut connection, client_address) = match server_socket.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                common::accept_failed(&e);
                continue;
            }
        };
        if let Err(e) = receive_and_reply(&mut connection, client_address) {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
        // connection.close() —— connection 在这里离开作用域，被 drop，连接随之关闭。
    }
}

/// 原文 `try:` 里的那几步：读一次、打印、回复。
fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> io::Result<()> {
    // TODO 4：整个对话一个 5 秒的期限。
    let deadline = Deadline::after(IO_TIMEOUT);
    // data = connection.recv(1024)
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data)?;
    // if data:
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    // TODO 2：不合法的 UTF-8 显示成 �，而不是出错。
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    // connection.sendall(b'数据已收到')
    deadline.apply(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
