//! 原文「最佳实践 / 安全考量」的 Rust 版本：用 TLS 加密的 TCP 服务器，基于 rustls。
//!
//! The article builds an `ssl.SSLContext`, loads `server.crt`/`server.key`,
//! wraps the listening socket and leaves the rest as `# 处理连接`. This
//! program does the whole job, one client at a time like `tcp-server`: TLS
//! handshake, read once, reply `数据已收到`, close. What it fixes or adds:
//!
//! - TLS 1.3 and 1.2 (rustls's safe defaults) instead of the deprecated
//!   `ssl.PROTOCOL_TLSv1_2`;
//! - the article never says where the two files come from: when neither
//!   exists, a self-signed pair is generated (`tools/certs`);
//! - the reply ends with TLS `close_notify`, so the client can tell a finished
//!   reply from a cut connection (the article's Python server sends none);
//! - a failed handshake or a silent client is logged, and the server goes on.
//!
//! ```text
//! cargo run -p tls-server                  # localhost:9999, makes server.crt/server.key if needed
//! cargo run -p tls-client                  # second terminal, same directory: trusts ./server.crt
//! cargo run -p tls-server -- 127.0.0.1:0 --cert my.crt --key my.key
//! ```

mod peer;
mod ssl_context;
mod usage;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use common::cli::Args;
use common::deadline::{Deadline, Guarded};
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, addr, errors, esay, say, show_bytes};
use rustls::{ServerConfig, ServerConnection};
use ssl_context::Context;

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
    // ANCHOR: context
    // context.load_cert_chain(certfile='server.crt', keyfile='server.key')
    // 在绑定端口之前读好证书和私钥：文件有问题时一句话说明并退出，不会先占住端口。
    // 两个文件都不存在时，先生成一对自签名的（怎样生成、怎样保证不会只留下半对，见 tools/certs）。
    let (cert, key) = (args.option("--cert"), args.option("--key"));
    let pair = certs::load_or_make(cert, key, args.options("--name"))?;
    // context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
    let context = ssl_context::tls_config(pair)?;
    // ANCHOR_END: context

    // ANCHOR: bind
    // server_socket.bind(server_address) + server_socket.listen(5)
    let server_socket = TcpListener::bind(server_address.bind_address()?)
        .map_err(|e| errors::bind(server_address, &e))?;
    let local_addr = server_socket.local_addr()?;
    // 日志交给一个单独的线程去写：终端被暂停（Ctrl-S，或在 Windows 控制台里选中了文字）、输出接到
    // 没人读的管道时，原文的 print 会卡住整个服务器；这里服务器照常服务，写不完的日志计数后丢弃。
    common::log::write_in_background();
    // say! 就是 println!，只是不会 panic，也不会等终端；esay! 对应 eprintln!。
    say!("等待 TLS 客户端连接... {local_addr}");
    // 监听 0.0.0.0 时，接着列出别的电脑能用的地址。
    addr::print_lan_addresses(&server_socket);
    // 用的是哪一对文件（刚生成的话，客户端怎样信任它）；证书有问题时提醒。
    certs::print_notes(
        &context.files,
        context.certificate_is_a_ca,
        local_addr.port(),
    );
    // ANCHOR_END: bind

    // ANCHOR: accept_loop
    loop {
        // connection, client_address = ssl_socket.accept()
        match server_socket.accept() {
            Ok((connection, client_address)) => {
                handle_connection(&context, connection, client_address)
            }
            Err(e) => common::accept_failed(&e),
        }
    }
    // ANCHOR_END: accept_loop
}

// ANCHOR: handle_connection
/// One client, start to finish: handshake, then the body of the article's
/// `try/finally`.
fn handle_connection(context: &Context, connection: TcpStream, client_address: SocketAddr) {
    // 原文没有时限。握手、读请求、写回复一共 5 秒：握手要读写好几次，每次读各给 5 秒的话，
    // 一个每 4 秒挤出一个字节的客户端能一直占着服务器。guard 让每次读写都只能用剩下的时间。
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut socket = deadline.guard(&connection);
    let mut tls = match handshake(&context.config, &mut socket) {
        Ok(tls) => tls,
        Err(e) => {
            let why = peer::handshake_failure(&e, context.certificate_is_a_ca);
            esay!("与 {client_address} 的 TLS 握手失败：{why}");
            return;
        }
    };
    say!("与 {client_address} 完成 TLS 握手：{}", negotiated(&tls));
    // try:
    if let Err(e) = receive_and_reply(&mut tls, &mut socket, client_address) {
        let why = peer::explain(&e);
        esay!("与客户端 {client_address} 通信时出错: {why}");
    }
    // finally: connection.close()
    close_politely(connection, deadline);
}

/// The article wraps the listening socket (`context.wrap_socket(server_socket,
/// server_side=True)`) and the handshake hides inside `accept()`. rustls wraps
/// each accepted connection instead: one `ServerConnection` per client.
fn handshake(context: &Arc<ServerConfig>, socket: &mut Guarded) -> io::Result<ServerConnection> {
    // 只会因为 ServerConfig 的 max_fragment_size 设错而失败，本程序没有设它。
    let mut tls = ServerConnection::new(Arc::clone(context)).map_err(io::Error::other)?;
    while tls.is_handshaking() {
        // complete_io 读写 TCP，直到握手有了进展；一点进展也没有说明对方已经走了。
        if tls.complete_io(socket)? == (0, 0) {
            return Err(ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(tls)
}

fn receive_and_reply(
    tls: &mut ServerConnection,
    socket: &mut Guarded,
    client_address: SocketAddr,
) -> io::Result<()> {
    // 握手之后，Stream 把 TLS 连接和 TCP 连接合成一个普通的 Read + Write：
    // 读到的是解密后的数据，写进去的会被加密。
    let mut stream = rustls::Stream::new(&mut *tls, &mut *socket);
    // data = connection.recv(1024) —— 和 tcp-server 一样只读一次。
    let mut data = [0; BUFFER_SIZE];
    let received = match stream.read(&mut data) {
        Ok(received) => received,
        // 客户端没发 close_notify 就断开：rustls 报告 UnexpectedEof，也就是“什么都没发”。
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => 0,
        Err(e) => return Err(e),
    };
    // if data:
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(()); // 客户端已经走了，也就不必道别。
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    // connection.sendall(b'数据已收到')
    stream.write_all(TCP_REPLY.as_bytes())?;
    // 原文没有这一步：发送 close_notify 告诉对方“回复到此为止”，再把它真正写出去。
    // 不发的话，客户端分不清回复是说完了，还是连接被人掐断了。
    tls.send_close_notify();
    tls.complete_io(socket)?;
    Ok(())
}

/// `connection.close()`, politely: end our side (FIN), then read away what
/// the client still sends, so the close is not a reset that can destroy the
/// reply (the reasons are in `tcp-server`'s copy of this function).
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
// ANCHOR_END: handle_connection

/// What the handshake agreed on, e.g. `TLSv1_3，TLS13_AES_256_GCM_SHA384`.
fn negotiated(tls: &rustls::CommonState) -> String {
    match (tls.protocol_version(), tls.negotiated_cipher_suite()) {
        (Some(version), Some(suite)) => format!("{version:?}，{:?}", suite.suite()),
        _ => "版本和算法未知".to_string(),
    }
}
