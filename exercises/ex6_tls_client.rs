//! 练习 6：会验证服务器证书的 TLS 客户端（原文「最佳实践 / 安全考量」缺的另一半，书里的 docs/src/security.md）。
//!
//! 原文只给了 TLS 服务器，没有客户端，也没说客户端怎样知道连上的是真的服务器。
//! 加密本身不够：中间人也会加密。你的客户端在发出第一个字节之前要核对两件事：
//!
//! - 服务器的证书就是 `--ca` 文件里的那张（或者由它签发）：只信任这一个文件，不信任别的；
//! - 证书上写着我们连接的名字（`localhost`、`127.0.0.1`……）；对不上就拒绝，并说清为什么。
//!
//! 然后像 tcp-client 一样发送“你好，服务器！”，打印“收到服务器的响应: 数据已收到”。
//! 检查会让它去连 tls-server（信任对的、错的证书各一次）、一个证书上写着别的名字的 tls-server，
//! 以及原文的 Python TLS 服务器。配置 rustls 的部分写好了，留给你的是四个 `TODO`（在文件末尾）。
//!
//! ```text
//! cargo run -p workshop -- check 6           # 检查
//! cargo run -p workshop -- check 6 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex6 -- localhost:9999 --ca server.crt   # 自己运行（先启动 tls-server）
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use common::addr::HostPort;
use common::cli::{Args, Usage};
use common::deadline::{Deadline, Guarded};
use common::{BUFFER_SIZE, CLIENT_TIMEOUT, IO_TIMEOUT, TCP_MESSAGE, errors, say, show_bytes};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};

const USAGE: Usage = Usage {
    program: "ex6",
    about: "练习 6：会验证服务器证书的 TLS 客户端。只信任 --ca 文件里的证书，核对证书上的名字，再发送一条消息。",
    arguments: &[
        ("[ADDR]", "服务器地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，服务器！”"),
    ],
    options: &[("--ca FILE", "信任的证书（PEM），默认 server.crt")],
    notes: &[],
    examples: &["ex6 127.0.0.1:9999 --ca server.crt"],
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
    let server_address = &args.addr;
    let message = args.message(TCP_MESSAGE)?;
    // 信任谁：只信任 --ca 文件里的证书（tls-server 在它的目录里生成的 server.crt）。
    let ca_file = args.option("--ca").unwrap_or("server.crt");
    let config = client_config(load_roots(ca_file)?)?;
    // 核对什么名字：地址里的主机名或 IP，证书上必须有它。
    let server_name = ServerName::try_from(server_address.host.clone())
        .map_err(|_| anyhow!("\"{}\" 既不是域名也不是 IP 地址", server_address.host))?;

    // client_socket.connect(server_address)
    let client_socket = connect(server_address)?;
    // 握手、发送、读回复一共最多 10 秒；guard 在每次读写之前把超时设成还剩下的时间。
    let deadline = Deadline::after(CLIENT_TIMEOUT);
    let mut socket = deadline.guard(&client_socket);
    // 原文的 context.wrap_socket(...)：给这条 TCP 连接配上 TLS。
    let mut tls = ClientConnection::new(config, server_name)?;
    handshake(&mut tls, &mut socket)
        .map_err(|e| explained(e, |e| explain(e, server_address, ca_file)))?;
    say!("已与 {server_address} 建立 TLS 连接，服务器的证书验证通过");
    // sendall(message)，然后读回复
    let data = exchange(&mut tls, &mut socket, message.as_bytes())
        .map_err(|e| explained(e, |e| anyhow!("与 {server_address} 通信时出错: {e}")))?;
    if data.is_empty() {
        bail!("服务器 {server_address} 没有回复任何数据就关闭了连接");
    }
    // print(f'收到服务器的响应: {data.decode()}')
    say!("收到服务器的响应: {}", show_bytes(&data));
    Ok(())
}

/// rustls 的客户端配置：只用 ring 这一种加密实现，只信任 `roots`。
/// 连接服务器：依次试名字解析出的每个地址（`localhost` 可能先是 `::1`），每个最多等 5 秒，
/// 都连不上时把最后一个错误说成一句中文。这一步不是本练习的重点，已经写好了。
fn connect(server_address: &HostPort) -> Result<TcpStream> {
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

/// The `rustls::Error` inside an `io::Error`: rustls reports a TLS failure
/// as an `io::Error` of kind `InvalidData` that wraps it.
fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

// ===================== 下面是要你写的部分 =====================

/// TODO 1：读出 `ca_file` 里的证书（PEM 格式，可能有好几张），作为唯一信任的根，放进 `RootCertStore`。
///
/// 原文没有客户端；Python 的写法是 `context.load_verify_locations(cafile=ca_file)`。
/// - `CertificateDer::pem_file_iter(ca_file)` 打开文件，给出一张张证书（每一张都是一个 Result）；
/// - `RootCertStore::empty()` 是一个空的信任列表，`add` 往里放一张证书；
/// - 文件打不开、里面没有证书，都要返回一个说清文件名的错误（`anyhow!` 或 `bail!`），不能 panic。
fn load_roots(ca_file: &str) -> Result<RootCertStore> {
    Err(not_written("TODO 1（load_roots：读出信任的证书）").into())
}

/// TODO 2：把握手做完。证书就是在握手时验证的：不对的证书会让这里返回错误。
///
/// Python 在 `wrap_socket` 和 `connect` 里悄悄做完了握手。rustls 不碰网络，要我们自己转：
/// 只要 `tls.is_handshaking()`，就调用 `tls.complete_io(socket)?`，它读写 TCP，直到握手有了进展。
/// 它返回 `(0, 0)`（一个字节也没读写）说明对方关闭了连接：返回一个 `ErrorKind::UnexpectedEof` 错误，
/// 免得一直转下去。
fn handshake(tls: &mut ClientConnection, socket: &mut Guarded) -> io::Result<()> {
    Err(not_written("TODO 2（handshake：完成 TLS 握手）"))
}

/// TODO 3：发送消息，读服务器的回复，读到服务器关闭连接为止，最多 1024 字节（`BUFFER_SIZE`）。
///
/// 原文（TCP 客户端）：
/// ```python
/// client_socket.sendall(message)
/// data = client_socket.recv(1024)
/// ```
/// `rustls::Stream::new(tls, socket)` 把 TLS 连接和 TCP 连接合成一个普通的 Read + Write：
/// 写进去的被加密发出（写完记得 `flush`），读出来的已经解密。
/// 注意：原文的 Python 服务器回复之后直接关闭连接，不发 TLS 的 close_notify，rustls 会报告
/// `ErrorKind::UnexpectedEof`。已经读到回复的话，这不算错。
fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    Err(not_written("TODO 3（exchange：发送消息，读回复）"))
}

/// Why the handshake failed, as one line.
fn explain(error: &io::Error, server: &HostPort, ca_file: &str) -> anyhow::Error {
    let why = match tls_error(error) {
        // TODO 4：证书上没有我们连接的名字时，rustls 报告
        //         rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
        //         （有的版本是 CertificateError::NotValidForName）。照下面 UnknownIssuer 的样子加一个分支，
        //         说：证书上没有 "{server.host}" 这个名字。检查要看到的正是这几个字，例如
        //         `证书上没有 "127.0.0.1" 这个名字`。
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => format!(
            "服务器的证书不是 {ca_file} 里的证书，也不是它签发的：请用 --ca 指向这台服务器的证书"
        ),
        Some(other) => other.to_string(),
        None => error.to_string(),
    };
    anyhow!("与 {server} 的 TLS 握手失败：{why}")
}

/// 还没写的那一步返回这个错误，说出是哪一步。写好后，就用不到它了。
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
