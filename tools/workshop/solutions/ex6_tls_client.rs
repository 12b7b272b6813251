//! 练习 6 的参考答案：会验证服务器证书的 TLS 客户端（原文「最佳实践 / 安全考量」缺的另一半）。
//!
//! 和 exercises/ex6_tls_client.rs 的结构一样，只是每个 TODO 都写好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

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
    handshake(&mut tls, &mut socket).map_err(|e| explain(&e, server_address, ca_file))?;
    say!("已与 {server_address} 建立 TLS 连接，服务器的证书验证通过");
    // sendall(message)，然后读回复
    let data = exchange(&mut tls, &mut socket, message.as_bytes())
        .map_err(|e| anyhow!("与 {server_address} 通信时出错: {e}"))?;
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

/// TODO 1：读出 `ca_file` 里的证书，作为唯一信任的根。
fn load_roots(ca_file: &str) -> Result<RootCertStore> {
    let certs = CertificateDer::pem_file_iter(ca_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow!("无法读取证书文件 {ca_file}：{e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| anyhow!("证书文件 {ca_file} 里的证书无法使用：{e}"))?;
    }
    if roots.is_empty() {
        bail!("证书文件 {ca_file} 里没有证书");
    }
    Ok(roots)
}

/// TODO 2：握手，直到完成。证书就是在这里验证的。
fn handshake(tls: &mut ClientConnection, socket: &mut Guarded) -> io::Result<()> {
    while tls.is_handshaking() {
        // complete_io 读写 TCP，直到握手有了进展；一点进展也没有，说明对方关闭了连接。
        if tls.complete_io(socket)? == (0, 0) {
            return Err(ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// TODO 3：发送消息，读服务器的回复，读到服务器关闭连接为止，最多 1024 字节。
fn exchange(
    tls: &mut ClientConnection,
    socket: &mut Guarded,
    message: &[u8],
) -> io::Result<Vec<u8>> {
    // Stream 让 TLS 连接用起来和 TcpStream 一样：写进去的被加密发出，读出来的已经解密。
    let mut stream = rustls::Stream::new(tls, socket);
    stream.write_all(message)?;
    stream.flush()?;
    let mut data = Vec::new();
    match stream.take(BUFFER_SIZE as u64).read_to_end(&mut data) {
        Ok(_) => Ok(data),
        // 原文的 Python 服务器不发 close_notify 就关闭连接：回复已经收到了，照样算数。
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !data.is_empty() => Ok(data),
        Err(e) => Err(e),
    }
}

/// Why the handshake failed, as one line.
fn explain(error: &io::Error, server: &HostPort, ca_file: &str) -> anyhow::Error {
    let why = match tls_error(error) {
        // TODO 4：证书上没有我们连接的名字。
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => format!(
            "证书上没有 \"{}\" 这个名字：只有证书上列出的名字（和 IP）能通过验证",
            server.host
        ),
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => format!(
            "服务器的证书不是 {ca_file} 里的证书，也不是它签发的：请用 --ca 指向这台服务器的证书"
        ),
        Some(other) => other.to_string(),
        None => error.to_string(),
    };
    anyhow!("与 {server} 的 TLS 握手失败：{why}")
}
