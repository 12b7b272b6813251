//! 原文「最佳实践 / 安全考量」缺的另一半：一个会验证服务器证书的 TLS 客户端，基于 rustls。
//!
//! The article shows only a TLS server and says nothing about how a client
//! knows it reached the real server. Encryption alone does not: an attacker
//! in the middle can encrypt too. So this client, before sending a byte,
//! checks two things in the server's certificate:
//!
//! - it is the certificate in the `--ca` file (default `server.crt`, the one
//!   tls-server generates), or signed by it;
//! - it names the host this client connected to (`localhost`, `127.0.0.1` …).
//!
//! Then it sends `你好，服务器！` and prints `收到服务器的响应: 数据已收到`, like
//! `tcp-client`. It works against `tls-server` and the article's Python TLS
//! server (`article/tls_server.py`). Each certificate mistake ends with one
//! line saying what is wrong and what to do (see `explain.rs`).
//!
//! ```text
//! cargo run -p tls-client                                   # localhost:9999, trusts ./server.crt
//! cargo run -p tls-client -- 127.0.0.1:9999 "自己的消息" --ca path/to/server.crt
//! ```

mod explain;
mod trust;
mod usage;

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use common::addr::HostPort;
use common::cli::Args;
use common::deadline::{Deadline, Guarded};
use common::{
    BUFFER_SIZE, CLIENT_TIMEOUT, IO_TIMEOUT, TCP_MESSAGE, TCP_REPLY, errors, say, show_bytes,
};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore};

fn main() -> ExitCode {
    // 1. 读命令行：--help 和写错的参数在这里就打印好了，直接退出。
    let args = match usage::USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 2. 做本章的事。
    let result = talk(&args);
    // 3. 出错时打印一行中文说明，以非零状态退出。
    errors::report(result)
}

fn talk(args: &Args) -> Result<()> {
    let server_address = &args.addr;
    // message = b'你好，服务器！'（在连接之前取出来：空消息在这里就被拒绝，不必先握手）
    let message = args.message(TCP_MESSAGE)?;
    // ANCHOR: config
    // 信任谁：只信任 --ca 文件里的证书。核对什么名字：地址里的主机名或 IP。
    let ca_file = args.option("--ca").unwrap_or(trust::DEFAULT_CA);
    let config = client_config(trust::load_roots(ca_file)?)?;
    let server_name = server_name(server_address)?;
    // ANCHOR_END: config

    // ANCHOR: connect
    // client_socket.connect(server_address)：带超时，依次尝试名字解析出的每个地址。
    let client_socket = connect(server_address)?;
    // 握手、发送、读完回复一共最多 10 秒。握手要读好几次，所以这必须是整个对话的期限：
    // guard 在每次读写之前把超时设成离期限还剩的时间，而不是每次各等 10 秒。
    let deadline = Deadline::after(CLIENT_TIMEOUT);
    let mut socket = deadline.guard(&client_socket);
    // 原文的 wrap_socket：给这条 TCP 连接配上 TLS 状态（只有配置有误时才会失败）。
    let mut tls = ClientConnection::new(config, server_name)?;
    handshake(&mut tls, &mut socket)
        .map_err(|e| explain::handshake(&e, server_address, ca_file))?;
    // say! 就是 println!，只是 stdout 被关掉（例如接在 head 后面）时不会 panic。
    say!(
        "已与 {server_address} 建立 TLS 连接（{}），服务器的证书验证通过",
        negotiated(&tls)
    );
    // ANCHOR_END: connect

    // ANCHOR: exchange
    // 握手之后，Stream 让 TLS 连接用起来和 TcpStream 一样：写进去的加密发出，读到的已解密。
    let mut stream = rustls::Stream::new(&mut tls, &mut socket);
    // client_socket.sendall(message)
    stream
        .write_all(message.as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|e| explain::exchange(server_address, &e))?;
    // data = client_socket.recv(1024)：读到服务器关闭连接为止，最多 1024 字节。
    let mut data = Vec::new();
    if let Err(e) = stream.take(BUFFER_SIZE as u64).read_to_end(&mut data) {
        if data.is_empty() || !closed_without_goodbye(&e) {
            return Err(explain::exchange(server_address, &e));
        }
        // 服务器没发 close_notify 就关闭（或复位）了连接，rustls 报告 UnexpectedEof：
        // 分不清回复是说完了，还是被人从中间截断了。原文的 Python 服务器就是这样关闭的；
        // 这个协议的回复是固定的“数据已收到”，所以只有收到的正好是它，才当作完整的回复。
        if data != TCP_REPLY.as_bytes() {
            return Err(explain::cut_off(server_address, &data));
        }
    }
    if data.is_empty() {
        bail!("服务器 {server_address} 没有回复任何数据就关闭了连接");
    }
    // print(f'收到服务器的响应: {data.decode()}')
    say!("收到服务器的响应: {}", show_bytes(&data));
    // ANCHOR_END: exchange
    Ok(())
    // client_socket.close() —— 连接在这里离开作用域被 drop，随之关闭。
}

/// `client_socket.connect(server_address)`, with a time limit, trying each
/// address the name stands for.
///
/// `localhost` may resolve to `::1` first while a server (the article's
/// Python one, for instance) listens on `127.0.0.1` only; trying each
/// address in turn is what makes both work. The 5 seconds are for all the
/// tries together, shared by the addresses not yet tried: an address that
/// refuses at once costs nothing, one that never answers cannot use up the
/// time of the others. The error kept is the last one, which is the most
/// telling when every address failed.
fn connect(server_address: &HostPort) -> Result<TcpStream> {
    // 名字 → 地址（DNS 或 hosts 文件）。Python 的 connect 悄悄做这一步；分开做，找不到主机就有自己的说明。
    let addrs = server_address.resolve()?;
    let deadline = Deadline::after(IO_TIMEOUT);
    let mut last_error = None;
    for (tried, addr) in addrs.iter().enumerate() {
        // 还没试的地址平分剩下的时间。
        let share = match deadline.left() {
            Ok(left) => (left / (addrs.len() - tried) as u32).max(Duration::from_millis(1)),
            Err(expired) => {
                last_error = Some((*addr, expired));
                break;
            }
        };
        match TcpStream::connect_timeout(addr, share) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some((*addr, error)),
        }
    }
    match last_error {
        Some((tried, error)) => Err(errors::connect(server_address, tried, &error, IO_TIMEOUT)),
        // invariant: resolve() never returns an empty list, so the loop ran.
        None => bail!("找不到主机 \"{}\"", server_address.host),
    }
}

// ANCHOR: client_config
fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>> {
    // 明确指定 ring，理由同 tls-server：不会因为依赖里同时开了两种加密实现而 panic。
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // 安全默认值：TLS 1.3 和 1.2。rustls 的证书验证是默认的、唯一的路径；
    // 本程序故意不提供“跳过验证”的开关：不验证证书，加密连接的另一头可能是任何人。
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // ANCHOR: key_log
    // 设置了环境变量 SSLKEYLOGFILE 的话，rustls 把每次会话的密钥写进那个文件（NSS 格式），
    // Wireshark 有了它就能解密抓到的这次通信（见“用 Wireshark 看”）。没设置时什么也不写。
    if let Some(file) = std::env::var_os("SSLKEYLOGFILE").filter(|f| !f.is_empty()) {
        config.key_log = Arc::new(rustls::KeyLogFile::new());
        certs::key_log::announce(&file)?;
    }
    // ANCHOR_END: key_log
    Ok(Arc::new(config))
}

/// The name the certificate must contain: `localhost` is checked against
/// the certificate's DNS names, `127.0.0.1` or `::1` against its IP addresses.
fn server_name(server: &HostPort) -> Result<ServerName<'static>> {
    ServerName::try_from(server.host.clone()).map_err(|_| {
        anyhow!(
            "主机名 \"{}\" 不能用来核对证书：它既不是合法的域名，也不是 IP 地址",
            server.host
        )
    })
}
// ANCHOR_END: client_config

/// Runs the handshake to the end; this is where the certificate is checked.
fn handshake(tls: &mut ClientConnection, socket: &mut Guarded) -> io::Result<()> {
    while tls.is_handshaking() {
        if tls.complete_io(socket)? == (0, 0) {
            return Err(ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// The server closed after its reply without `close_notify`, or reset.
fn closed_without_goodbye(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
    )
}

/// What the handshake agreed on, e.g. `TLSv1_3，TLS13_AES_256_GCM_SHA384`.
fn negotiated(tls: &rustls::CommonState) -> String {
    match (tls.protocol_version(), tls.negotiated_cipher_suite()) {
        (Some(version), Some(suite)) => format!("{version:?}，{:?}", suite.suite()),
        _ => "版本和算法未知".to_string(),
    }
}
