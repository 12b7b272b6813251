//! 原文「常见实践 / 简单的 TCP 服务器」的 Rust 版本：一次服务一个客户端。
//!
//! It accepts a connection, reads once (up to 1024 bytes), prints what came,
//! replies `数据已收到` and closes, exactly like the article's Python loop,
//! and every one of those socket calls is in this file. Three things differ,
//! all fixes:
//!
//! - each client gets 5 seconds for the whole exchange; one that connects and
//!   says nothing is dropped then (the article's `recv` would wait for it
//!   forever, and nobody else would be served meanwhile);
//! - an error with one client is logged and the loop goes on; only a failure
//!   to bind ends the program;
//! - before closing, bytes the client sent beyond the one read are read away,
//!   so the close is a polite FIN and not a reset that can destroy the reply.
//!
//! Run it, then `tcp-client` in a second terminal:
//!
//! ```text
//! cargo run -p tcp-server                  # localhost:9999, like the article
//! cargo run -p tcp-server -- 127.0.0.1:0   # let the OS pick a free port
//! ```

mod usage;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::Args;
use common::deadline::Deadline;
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, addr, errors, esay, say, show_bytes};

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
    // 创建 Socket、绑定地址、监听连接：socket() + bind() + listen(5)
    // 在 std 里是一次 TcpListener::bind。积压队列长度由 std 决定，不是参数。
    let server_socket = TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，原文的 print 会卡住整个服务器；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    // say! 就是 println!，只是不会 panic，也不会等终端；esay! 对应 eprintln!。
    // print('等待客户端连接...')，后面加上真正绑定的地址：端口写 0 时可以看到系统挑的端口。
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址（上课时学生要连老师的电脑）。
    addr::print_lan_addresses(&server_socket);
    // ANCHOR_END: bind

    // ANCHOR: accept_loop
    loop {
        // connection, client_address = server_socket.accept()
        let (mut connection, client_address) = match server_socket.accept() {
            Ok(accepted) => accepted,
            // 例如客户端在排队时就断开了，或者文件描述符用完了：记下来，继续等下一个。
            Err(e) => {
                common::accept_failed(&e);
                continue;
            }
        };
        // 原文没有时限：连上却不发数据的客户端会让 recv 永远等下去，后面的人都得等着。
        // 这里整个对话（读、写、关闭）共用一个 5 秒的期限，每次读写前把超时设成剩下的时间。
        let deadline = Deadline::after(IO_TIMEOUT);
        // try:
        if let Err(e) = receive_and_reply(&mut connection, client_address, deadline) {
            esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
        }
        // finally: connection.close()
        close_politely(connection, deadline);
    }
    // ANCHOR_END: accept_loop
}

// ANCHOR: receive_and_reply
/// The body of the article's `try:`: read once, print, reply.
fn receive_and_reply(
    connection: &mut TcpStream,
    client_address: SocketAddr,
    deadline: Deadline,
) -> io::Result<()> {
    // data = connection.recv(1024)
    // 和原文一样只读一次。TCP 是字节流，一次 read 拿到的可能只是消息的一部分；
    // 本章的消息很短，一次足够。更长的消息怎样读完整，见文档「小结与进阶」。
    let mut data = [0; BUFFER_SIZE];
    deadline.before_read(connection)?;
    let received = connection.read(&mut data)?;

    // if data: —— 读到 0 字节表示客户端什么也没发就关闭了连接。
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    // 不是合法 UTF-8 的字节显示成 �，而不是像 Python 那样抛出 UnicodeDecodeError。
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    // connection.sendall(b'数据已收到') —— write_all 就是 sendall：写完每个字节才返回。
    deadline.before_write(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}
// ANCHOR_END: receive_and_reply

// ANCHOR: close_politely
/// `connection.close()`, politely.
///
/// Closing a socket while bytes the client sent are still unread does not
/// end the connection with a FIN; it resets it (RST), and a reset may
/// destroy the reply before the client has read it (RFC 9293 lets the
/// receiver flush what it has not read; Linux happens not to). So first
/// `shutdown(Write)`: the client sees the end of the reply at once. Then
/// read away whatever the client still sends until it closes its side too,
/// bounded by the deadline and by 1 MiB, so a client that never stops
/// sending still gets its reset.
fn close_politely(mut connection: TcpStream, deadline: Deadline) {
    let _ = connection.shutdown(Shutdown::Write);
    let mut scratch = [0; BUFFER_SIZE];
    // 最多读 1024 次、每次最多 1024 字节：一共最多 1 MiB，之后就不再等了。
    for _ in 0..BUFFER_SIZE {
        let read = deadline
            .before_read(&connection)
            .and_then(|()| connection.read(&mut scratch));
        if !matches!(read, Ok(received) if received > 0) {
            break; // 0：客户端也关闭了；出错或到期：不再等。
        }
    }
    // connection 在这里离开作用域被 drop，连接随之关闭。
}
// ANCHOR_END: close_politely
