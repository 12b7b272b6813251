//! 地址：解析 `host:port`，以及客户端该怎样使用一个名字解析出的多个地址。
//!
//! Python's `('localhost', 9999)` tuple becomes the string `localhost:9999`.
//! A name such as `localhost` can stand for several addresses (`::1` and
//! `127.0.0.1` on many systems, in an order the system chooses), so a client
//! must be ready to try each of them: [`HostPort::resolve`] gives them all,
//! and each client (`tcp-client`, `tls-client`) tries them in turn in its
//! own `connect`, where the lesson is.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

use anyhow::{Result, anyhow, bail};

/// A `host:port` pair as a learner types it: `localhost:9999`,
/// `127.0.0.1:9999`, `[::1]:9999` or `example.com:80`.
///
/// Parsing checks only the shape; whether the name exists is found out when
/// it is [resolved](HostPort::resolve), and reported there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl FromStr for HostPort {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        let (host, port) = split_host_port(text)?;
        let port = parse_port(text, port)?;
        check_host(text, host)?;
        Ok(HostPort {
            host: host.to_string(),
            port,
        })
    }
}

/// Splits `host:port` or `[v6]:port`; the brackets are how an IPv6 address,
/// which is full of colons itself, is told apart from its port.
fn split_host_port(text: &str) -> Result<(&str, &str)> {
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once("]:").ok_or_else(|| {
            anyhow!("地址 \"{text}\" 格式不对：IPv6 地址应写成 [地址]:端口，例如 [::1]:9999")
        });
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        bail!("地址 \"{text}\" 缺少端口：请写成 主机:端口，例如 localhost:9999");
    };
    if host.contains(':') {
        bail!("地址 \"{text}\" 格式不对：IPv6 地址要用方括号括起来，例如 [::1]:9999");
    }
    Ok((host, port))
}

fn parse_port(text: &str, port: &str) -> Result<u16> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "地址 \"{text}\" 中的端口 \"{port}\" 不是数字：请写成 主机:端口，例如 localhost:9999"
        );
    }
    port.parse().map_err(|_| {
        anyhow!("地址 \"{text}\" 中的端口 {port} 超出范围：端口只能是 0 到 65535（0 表示让系统挑一个空闲端口）")
    })
}

fn check_host(text: &str, host: &str) -> Result<()> {
    if host.is_empty() {
        bail!("地址 \"{text}\" 缺少主机：请写成 主机:端口，例如 localhost:9999 或 0.0.0.0:9999");
    }
    // fe80::1%eth0：带“作用域”（网卡名）的 IPv6 链路本地地址。写法没错，只是本程序不支持。
    if host.contains('%') {
        bail!(
            "地址 \"{text}\" 是带作用域（%网卡名）的 IPv6 地址，本程序不支持这种地址：请改用 IPv4 地址，或者不带 % 的 IPv6 地址，例如 [::1]:9999"
        );
    }
    let is_name = host
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if host.parse::<IpAddr>().is_err() && !is_name {
        bail!("地址 \"{text}\" 中的主机 \"{host}\" 含有不能出现在主机名里的字符");
    }
    Ok(())
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl HostPort {
    /// Every address the name stands for, in the system's order.
    ///
    /// This is the DNS (or `/etc/hosts`) lookup that Python's `connect` and
    /// `bind` do silently; doing it here lets "no such host" get its own message.
    pub fn resolve(&self) -> Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = match (self.host.as_str(), self.port).to_socket_addrs() {
            Ok(addrs) => addrs.collect(),
            Err(_) => Vec::new(),
        };
        if addrs.is_empty() {
            bail!(
                "找不到主机 \"{}\"：无法把这个名字解析成 IP 地址。请检查拼写，或直接写 IP 地址，例如 127.0.0.1:{}",
                self.host,
                self.port
            );
        }
        Ok(addrs)
    }
}

impl HostPort {
    /// The one address a server binds: the first IPv4 address the name
    /// resolves to, or the first address if it has none.
    ///
    /// The article's servers are `AF_INET` sockets, so `localhost` means
    /// `127.0.0.1` to them, even on systems that list `::1` first; binding
    /// `::1` would leave the article's IPv4-only Python clients refused.
    /// Only one address is bound, never "the first that works": if
    /// `127.0.0.1:9999` is busy, the learner must hear so, not find the
    /// server quietly listening on `[::1]:9999` instead.
    pub fn bind_address(&self) -> Result<SocketAddr> {
        let addrs = self.resolve()?;
        let ipv4 = addrs.iter().find(|addr| addr.is_ipv4());
        // resolve() has already refused an empty list, so this error is only a fallback.
        let preferred = ipv4.or(addrs.first()).copied();
        preferred.ok_or_else(|| anyhow!("找不到主机 \"{}\" 的地址", self.host))
    }
}

// ANCHOR: lan_addresses
/// For a server listening on every interface (`0.0.0.0` or `[::]`): the
/// addresses by which other computers can reach it, with the name of the
/// network interface each belongs to (as the system names it, unescaped).
///
/// Left out: interfaces that are not up (a Wi-Fi card that is off, a cable
/// unplugged, a virtual bridge with nothing on it: their addresses reach
/// nobody), loopback (other computers cannot use it), and IPv6 link-local
/// addresses (they need a `%` scope, which these programs do not take).
/// `families` says which address families the socket accepts.
pub fn lan_addresses(port: u16, families: Families) -> std::io::Result<Vec<(String, SocketAddr)>> {
    let mut found = Vec::new();
    for interface in if_addrs::get_if_addrs()? {
        let ip = interface.ip();
        let wanted = if ip.is_ipv4() {
            families.ipv4
        } else {
            families.ipv6
        };
        let reachable = !interface.is_loopback() && !is_v6_link_local(ip);
        // 网卡没有启用（没插网线、Wi-Fi 关着……）时，它的地址谁也连不上。
        if wanted && reachable && interface.is_oper_up() {
            found.push((interface.name, SocketAddr::new(ip, port)));
        }
    }
    found.sort_by_key(|(_, addr)| *addr);
    found.dedup_by_key(|(_, addr)| *addr);
    Ok(found)
}
// ANCHOR_END: lan_addresses

/// Which address families a listening socket accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Families {
    pub ipv4: bool,
    pub ipv6: bool,
}

impl Families {
    /// What a socket bound to `bound` accepts. `0.0.0.0` is IPv4 only. `[::]`
    /// is IPv6, and IPv4 too unless the socket is IPv6-only (IPV6_V6ONLY):
    /// Linux and macOS make std's `[::]` sockets take both by default,
    /// Windows makes them IPv6-only (Microsoft's documentation:
    /// <https://learn.microsoft.com/en-us/windows/win32/winsock/dual-stack-sockets>).
    /// `v6_only` is what the socket itself says.
    pub fn of(bound: SocketAddr, v6_only: std::io::Result<bool>) -> Families {
        match bound {
            SocketAddr::V4(_) => Families {
                ipv4: true,
                ipv6: false,
            },
            SocketAddr::V6(_) => Families {
                // 问不出来时按“只接受 IPv6”算：宁可少列一行，也不列出连不上的地址。
                ipv4: matches!(v6_only, Ok(false)),
                ipv6: true,
            },
        }
    }
}

fn is_v6_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80)
}

/// A listening socket of any kind: std's, mio's or tokio's, TCP or UDP.
#[cfg(unix)]
pub trait Listening: std::os::fd::AsFd {}
#[cfg(unix)]
impl<T: std::os::fd::AsFd> Listening for T {}
/// A listening socket of any kind: std's, mio's or tokio's, TCP or UDP.
#[cfg(windows)]
pub trait Listening: std::os::windows::io::AsSocket {}
#[cfg(windows)]
impl<T: std::os::windows::io::AsSocket> Listening for T {}

/// Prints, after a server's first line, where other computers can reach it,
/// if it listens on every interface; one line per address, so that a
/// teacher can read them off the projector. The interface names come from
/// the system, which lets them hold any character, so they are shown
/// through [`show_text`](crate::show_text).
pub fn print_lan_addresses(socket: &impl Listening) {
    for line in lan_report(socket).0 {
        crate::say!("{line}");
    }
}

/// What [`print_lan_addresses`] prints, as lines, with the addresses it
/// names, for a program that shows them its own way (the workshop's
/// board draws them on a thread of its own). Nothing for a socket bound
/// to one address.
pub fn lan_report(socket: &impl Listening) -> (Vec<String>, Vec<SocketAddr>) {
    let socket = socket2::SockRef::from(socket);
    let Some(bound) = socket.local_addr().ok().and_then(|addr| addr.as_socket()) else {
        return (Vec::new(), Vec::new());
    };
    if !bound.ip().is_unspecified() {
        return (Vec::new(), Vec::new());
    }
    let families = Families::of(bound, socket.only_v6());
    let found = lan_addresses(bound.port(), families);
    let addresses = match &found {
        Ok(found) => found.iter().map(|(_, addr)| *addr).collect(),
        Err(_) => Vec::new(),
    };
    (lan_lines(found), addresses)
}

fn lan_lines(found: std::io::Result<Vec<(String, SocketAddr)>>) -> Vec<String> {
    match found {
        Ok(found) if found.is_empty() => vec![
            "这台电脑除了回环地址没有别的可用的网络地址，其他电脑连不上它：请先连上网络（Wi-Fi 或网线）".to_string(),
        ],
        Ok(found) => found
            .iter()
            .map(|(interface, addr)| {
                format!("其他电脑可以连接：{addr}（网卡 {}）", crate::show_text(interface))
            })
            .collect(),
        Err(e) => vec![format!(
            "无法列出本机的网络地址（{e}）：请用 ipconfig（Windows）、ip addr（Linux）或 ifconfig（macOS）查看"
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HostPort> {
        text.parse()
    }

    #[test]
    fn accepts_names_ipv4_and_bracketed_ipv6() {
        assert_eq!(parse("localhost:9999").unwrap().host, "localhost");
        assert_eq!(parse("127.0.0.1:0").unwrap().port, 0);
        let v6 = parse("[::1]:65535").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 65535));
        assert_eq!(v6.to_string(), "[::1]:65535");
    }

    #[test]
    fn servers_bind_ipv4_like_the_article_and_ipv6_only_when_asked() {
        let bind = |text: &str| parse(text).unwrap().bind_address().unwrap().to_string();
        assert_eq!(bind("localhost:1"), "127.0.0.1:1");
        assert_eq!(bind("[::1]:1"), "[::1]:1");
        assert_eq!(bind("0.0.0.0:1"), "0.0.0.0:1");
    }

    #[test]
    fn lan_addresses_leave_out_loopback_and_keep_the_port() {
        let v4 = Families::of("0.0.0.0:0".parse().unwrap(), Ok(false));
        for (_, addr) in lan_addresses(9999, v4).unwrap() {
            assert!(addr.is_ipv4() && !addr.ip().is_loopback(), "{addr}");
            assert_eq!(addr.port(), 9999);
        }
        assert!(is_v6_link_local("fe80::1".parse().unwrap()));
        assert!(!is_v6_link_local("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn an_ipv6_socket_takes_ipv4_only_when_it_says_so() {
        let any6: SocketAddr = "[::]:0".parse().unwrap();
        let both = Families::of(any6, Ok(false));
        assert_eq!((both.ipv4, both.ipv6), (true, true));
        assert!(!Families::of(any6, Ok(true)).ipv4);
        assert!(!Families::of(any6, Err(std::io::ErrorKind::Other.into())).ipv4);
        let any4 = Families::of("0.0.0.0:0".parse().unwrap(), Ok(false));
        assert_eq!((any4.ipv4, any4.ipv6), (true, false));
    }

    #[test]
    fn interface_names_are_shown_escaped() {
        let addr = "192.0.2.1:9999".parse().unwrap();
        let lines = lan_lines(Ok(vec![("e\u{1b}]0;x\u{7}\u{202e}".to_string(), addr)]));
        assert_eq!(
            lines,
            ["其他电脑可以连接：192.0.2.1:9999（网卡 e\\x1b]0;x\\x07\\u{202e}）"]
        );
    }

    #[test]
    fn rejects_each_malformed_shape_with_its_own_reason() {
        let reason = |text| parse(text).unwrap_err().to_string();
        assert!(reason("localhost").contains("缺少端口"));
        assert!(reason("localhost:99999").contains("超出范围"));
        assert!(reason("localhost:abc").contains("不是数字"));
        assert!(reason("localhost:").contains("不是数字"));
        assert!(reason(":9999").contains("缺少主机"));
        assert!(reason("::1:9999").contains("方括号"));
        assert!(reason("[::1]9999").contains("IPv6"));
        assert!(reason("bad host!:9999").contains("字符"));
        assert!(reason("[fe80::1%lo]:9999").contains("不支持"));
    }
}
