//! 错误处理：把 `io::Error` 变成一句说明原因、给出办法的中文。
//!
//! The article's 错误处理 section wraps `bind` in `try/except` and prints
//! `绑定地址时出错: {e}`. These helpers keep that first phrase and add what the
//! raw OS message leaves out: which address, what it means, what to do next.
//! A learner's mistake ends the program with one such line on stderr; a
//! misbehaving peer is only logged with [`peer`] and the server goes on.

use std::fmt::Display;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;

use crate::addr::HostPort;

/// 绑定地址失败时的说明（原文：`print(f'绑定地址时出错: {e}')`）。
pub fn bind(addr: &HostPort, error: &io::Error) -> anyhow::Error {
    let port = addr.port;
    let why = match error.kind() {
        ErrorKind::AddrInUse => format!(
            "{addr} 已被占用。也许上一次启动的服务器还没关掉；请先关掉它，或换一个端口（端口写 0 让系统挑一个空闲的）"
        ),
        ErrorKind::PermissionDenied => permission_denied(addr, port),
        ErrorKind::AddrNotAvailable => format!(
            "本机没有地址 {addr}。服务器只能绑定本机的地址：用 localhost、127.0.0.1，或用 0.0.0.0 接受所有网卡上的连接"
        ),
        _ => format!("{addr}: {error}"),
    };
    anyhow!("绑定地址时出错: {why}")
}

/// Why the system refused a port. On Unix, ports below 1024 are kept for
/// root (unless the system was told otherwise).
#[cfg(not(windows))]
fn permission_denied(addr: &HostPort, port: u16) -> String {
    if port < 1024 {
        format!(
            "没有权限使用 {addr}。在这个系统上 1024 以下的端口需要管理员（root）权限；请换一个 1024 以上的端口，例如 9999"
        )
    } else {
        format!("系统不允许使用 {addr}（权限不足或被安全策略拦截）；请换一个端口试试")
    }
}

/// Why the system refused a port. Windows has no privileged ports: access
/// denied (WSAEACCES) means the port is in a range the system reserved, or
/// another program holds it exclusively (SO_EXCLUSIVEADDRUSE); running as
/// administrator changes neither (Microsoft's Windows Sockets Error Codes).
#[cfg(windows)]
fn permission_denied(addr: &HostPort, _port: u16) -> String {
    format!(
        "系统不允许使用 {addr}：Windows 没有“特权端口”，多半是系统保留了这个端口（在 PowerShell 里运行 netsh int ipv4 show excludedportrange protocol=tcp 查看保留的范围），或者另一个程序独占了它。以管理员身份运行也没有用，请换一个端口，例如 9999"
    )
}

/// 客户端连接失败时的说明。`tried` 是最后试过的那个地址。
pub fn connect(
    addr: &impl Display,
    tried: SocketAddr,
    error: &io::Error,
    timeout: Duration,
) -> anyhow::Error {
    let secs = timeout.as_secs();
    let why = match error.kind() {
        // 连接超时可能是服务器太忙（连接队列满了），也可能是防火墙悄悄丢掉了连接请求，
        // 或者地址那头根本没有电脑：都不会回一个“拒绝”。
        _ if is_timeout(error) => format!(
            "{secs} 秒内没有应答。可能是服务器太忙、连接排满了，也可能是防火墙丢弃了连接请求，或者地址写错了；请稍后再试，并检查地址和防火墙"
        ),
        ErrorKind::ConnectionRefused if tried.ip().is_loopback() => {
            "连接被拒绝，那里没有程序在监听。服务器启动了吗？请先启动服务器，并确认地址和端口与服务器打印的一致".to_string()
        }
        // 另一台电脑上的服务器只监听 localhost 时，从别的电脑连过去也是“拒绝”。
        ErrorKind::ConnectionRefused => format!(
            "连接被拒绝，{} 上没有程序在这个端口监听。服务器启动了吗？如果服务器在另一台电脑上，它必须监听 0.0.0.0（例如 tcp-server 0.0.0.0:{}）：只监听 localhost 的服务器，别的电脑连不上；也可能是防火墙拒绝了连接",
            tried.ip(),
            tried.port()
        ),
        ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable => {
            "网络不可达。请检查网络连接，以及地址是否写对".to_string()
        }
        _ => error.to_string(),
    };
    anyhow!("无法连接到 {addr}: {why}")
}

/// 客户端收发数据失败时的说明（服务器已经连上了，之后出的错）。
pub fn exchange(addr: &impl Display, error: &io::Error, timeout: Duration) -> anyhow::Error {
    let secs = timeout.as_secs();
    let why = match error.kind() {
        _ if is_timeout(error) => {
            format!(
                "{secs} 秒内没有收完服务器的响应。服务器可能正忙着服务别的客户端、卡住了，或者它不是本章的服务器"
            )
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "连接被对方重置了。服务器可能在读完数据之前就关闭了连接，或者已经崩溃".to_string()
        }
        ErrorKind::BrokenPipe => "对方已经关闭了连接，数据没能发出去".to_string(),
        _ => error.to_string(),
    };
    anyhow!("与 {addr} 通信时出错: {why}")
}

/// Why a UDP client got no reply from any of the addresses it tried, said
/// the way that helps most. `attempts` is per address; `waited` in all.
pub fn no_udp_reply(
    addr: &impl Display,
    failures: &[(SocketAddr, io::Error)],
    attempts: u32,
    waited: Duration,
) -> anyhow::Error {
    if failures.iter().any(|(_, e)| is_timeout(e)) {
        let secs = waited.as_secs_f64().round();
        return anyhow!(
            "没有收到 {addr} 的回复：发送了 {attempts} 次，一共等了 {secs} 秒。服务器可能没有运行，或者数据报在网络中丢失了；请确认 udp-server 已启动、地址和端口一致、防火墙放行 UDP"
        );
    }
    // 端口不可达：Linux、macOS 报告为 ConnectionRefused，Windows 报告为 ConnectionReset。
    let unreachable = |e: &io::Error| {
        matches!(
            e.kind(),
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
        )
    };
    let not_refused = failures.iter().find(|(_, e)| !unreachable(e));
    if let Some((server_address, e)) = not_refused {
        return anyhow!(
            "无法向 UDP 服务器 {server_address} 发送数据（{e}）。请检查地址是否写对、本机网络是否可用"
        );
    }
    // 每个地址都回报了“端口不可达”，才能肯定那里没有服务器；没回音的话，可能只是丢了包。
    anyhow!(
        "{addr} 上没有 UDP 服务器在运行（系统回报“端口不可达”）。请先启动 udp-server，并确认地址和端口一致"
    )
}

/// What a server logs when one client misbehaves, or `accept` fails: a short
/// reason and no advice, because the fault is the peer's and the server
/// simply carries on. The one exception is running out of file descriptors,
/// which is the server's own limit and has a fix.
pub fn peer(error: &io::Error) -> String {
    match error.kind() {
        _ if is_timeout(error) => {
            format!("{} 秒内没有完成对话，断开", crate::IO_TIMEOUT.as_secs())
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => "连接被对方重置".to_string(),
        ErrorKind::BrokenPipe => "对方已关闭连接".to_string(),
        _ if is_out_of_files(error) => {
            let fix = if cfg!(unix) {
                "。可以用 ulimit -n 调高上限"
            } else {
                ""
            };
            format!(
                "同时打开的连接太多，超出了系统允许打开的文件数（{error}）；稍后再接受新连接{fix}"
            )
        }
        _ => error.to_string(),
    }
}

/// Whether a read or write ran into its timeout. Unix reports an expired
/// timeout as `WouldBlock`, Windows as `TimedOut`.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock)
}

/// Whether the process (EMFILE) or the system (ENFILE) ran out of file
/// descriptors; every socket is one. std has no `ErrorKind` for it yet.
pub fn is_out_of_files(error: &io::Error) -> bool {
    // EMFILE and ENFILE have the same numbers on Linux, macOS and the BSDs;
    // Windows has only WSAEMFILE.
    const OUT_OF_FILES: &[i32] = if cfg!(windows) { &[10024] } else { &[24, 23] };
    error
        .raw_os_error()
        .is_some_and(|code| OUT_OF_FILES.contains(&code))
}

/// Ends `main`: prints the error as one line on stderr and returns a failure
/// code, instead of the `Error: …` debug dump and backtrace hint that
/// returning `Result` from `main` would give. A server's log still waiting
/// in its queue is written out first ([`log::flush`](crate::log::flush)).
pub fn report(result: anyhow::Result<()>) -> ExitCode {
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            crate::esay!("错误: {error:#}");
            ExitCode::FAILURE
        }
    };
    crate::log::flush();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(text: &str) -> HostPort {
        text.parse().unwrap()
    }

    #[test]
    fn a_busy_port_keeps_the_articles_wording_and_names_the_address() {
        let error = io::Error::from(ErrorKind::AddrInUse);
        let line = bind(&host("localhost:9999"), &error).to_string();
        assert!(line.starts_with("绑定地址时出错: localhost:9999 已被占用"));
    }

    #[cfg(not(windows))]
    #[test]
    fn permission_denied_mentions_low_ports_only_for_low_ports() {
        let error = io::Error::from(ErrorKind::PermissionDenied);
        assert!(bind(&host("x:80"), &error).to_string().contains("1024"));
        assert!(!bind(&host("x:8080"), &error).to_string().contains("1024"));
    }

    #[cfg(windows)]
    #[test]
    fn permission_denied_on_windows_names_reserved_ports_not_administrators() {
        let error = io::Error::from(ErrorKind::PermissionDenied);
        for port in ["x:80", "x:8080"] {
            let line = bind(&host(port), &error).to_string();
            assert!(line.contains("excludedportrange"), "{line}");
            assert!(line.contains("以管理员身份运行也没有用"), "{line}");
            assert!(!line.contains("1024"), "{line}");
        }
    }

    #[test]
    fn a_refused_connection_asks_whether_the_server_runs() {
        let error = io::Error::from(ErrorKind::ConnectionRefused);
        let loopback = "127.0.0.1:9999".parse().unwrap();
        let line = connect(&"localhost:9999", loopback, &error, Duration::from_secs(5)).to_string();
        assert!(line.contains("服务器启动了吗"), "{line}");
        assert!(!line.contains("0.0.0.0"), "{line}");
        let lan = "192.0.2.10:9999".parse().unwrap();
        let line = connect(&"192.0.2.10:9999", lan, &error, Duration::from_secs(5)).to_string();
        assert!(line.contains("必须监听 0.0.0.0"), "{line}");
    }
}
