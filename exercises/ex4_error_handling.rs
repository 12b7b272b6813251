//! 练习 4：不会被一个客户端弄倒的服务器（原文「最佳实践 / 错误处理」，书里的 docs/src/error-handling.md）。
//!
//! 下面是一个能用的 TCP 服务器，和原文的一样脆弱：每一步出错都用 `?` 一路返回到 `main`，
//! 于是任何一个客户端出的错都会结束整个服务器。检查会这样考验它：
//!
//! 1. 端口已经被占用时，它该像原文那样说“绑定地址时出错”，说清是哪个地址，然后退出；
//! 2. 客户端发来的字节不是合法的 UTF-8（一个汉字被 1024 字节的边界切开了），它该照样打印、回复；
//! 3. 客户端连上就重置（RST）了连接，它该记一行，接着服务下一个；
//! 4. 客户端连上却一言不发，它不能一直等：5 秒（`IO_TIMEOUT`）后断开，接着服务下一个。
//!
//! 每一处要改的地方都标了 `TODO`，按编号做，检查也按这个顺序。
//!
//! ```text
//! cargo run -p workshop -- check 4           # 检查：占用的端口、peer send/reset/silent、tcp-client
//! cargo run -p workshop -- check 4 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex4 -- 127.0.0.1:9999   # 自己运行，再用 peer 的子命令捣乱
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

use std::io::{Read, Write};
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
    //
    // TODO 1：绑定失败时，这里只会打印系统的原话，例如“错误: Address already in use (os error 98)”。
    //         改成一句以“绑定地址时出错”开头、说出地址（args.addr）的话。common 的
    //         errors::bind(&args.addr, &e) 正是这样一句话（还说了怎么办）；用 map_err 把错误换掉。
    //         （原文打印之后还接着往下跑，拿一个没绑定的 Socket 去 listen；这里 `?` 会结束程序，这是对的。）
    let server_socket = TcpListener::bind(server_address)?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);

    loop {
        // connection, client_address = server_socket.accept()
        //
        // TODO 3：一个客户端出的错，不能结束整个服务器。这里和下面的 `?` 把任何错误都一路返回到了
        //         main：一个连上就重置的客户端，就能让服务器退出。改成：出错时用 esay! 记一行
        //         （errors::peer(&e) 把错误说成一句中文），然后 continue，接着等下一个客户端。
        //         accept 的错误也一样（common::accept_failed(&e) 会记下它）。
        let (mut connection, client_address) = server_socket.accept()?;
        receive_and_reply(&mut connection, client_address)?;
        // connection.close() —— connection 在这里离开作用域，被 drop，连接随之关闭。
    }
}

/// 原文 `try:` 里的那几步：读一次、打印、回复。
fn receive_and_reply(connection: &mut TcpStream, client_address: SocketAddr) -> Result<()> {
    // TODO 4：原文没有时限：一个连上却一言不发的客户端，会让下面的 read 一直等下去，
    //         后面的客户端谁也得不到服务。给整个对话一个期限：
    //             let deadline = Deadline::after(IO_TIMEOUT);
    //         然后在每次 read 和 write 之前调用 deadline.apply(connection)?，
    //         它把 Socket 的读写超时设成还剩下的时间。到期时 read 返回一个错误（TODO 3 会记下它）。

    // data = connection.recv(1024)
    let mut data = [0; BUFFER_SIZE];
    let received = connection.read(&mut data)?;
    // if data:
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    //
    // TODO 2：data.decode() 遇到不合法的 UTF-8 会抛出异常，下面的 from_utf8 也一样会出错，
    //         而 `?` 会让整个服务器退出。可是 1024 字节的边界常常把一个汉字切成两半！
    //         改成不会失败的写法：show_bytes(&data[..received]) 把不合法的字节显示成 �。
    let text = std::str::from_utf8(&data[..received])?;
    say!("收到来自 {client_address} 的数据: {text}");
    // connection.sendall(b'数据已收到')
    connection.write_all(TCP_REPLY.as_bytes())?;
    Ok(())
}
