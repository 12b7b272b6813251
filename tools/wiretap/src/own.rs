//! wiretap 不能转发给自己：比较地址之前，先把同一个地址的不同写法统一起来。
//!
//! One address has several spellings. `[::ffff:127.0.0.1]:P` is
//! `127.0.0.1:P` written as IPv6. `0.0.0.0` and `::` are "this machine": a
//! socket listening there hears every address of the machine (a listener on
//! `[::]` hears IPv4 too, unless the system makes it IPv6-only), and a
//! connection sent there arrives on this machine. So a server address
//! reaches wiretap's listener when the ports are equal and both addresses
//! are this machine's, one of them spelled as "all of it"; a plain compare
//! misses that, and wiretap then relays to itself until its cap.
//!
//! No compare can see a port forward or a firewall rule that sends wiretap's
//! connection to the server back to wiretap. So [`OwnSockets`] also keeps
//! the ports of the sockets wiretap opens towards the server, and whatever
//! arrives from one of them, or from the listening socket itself, is
//! refused: wiretap never relays its own traffic.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Result, bail};

/// `addr` with an IPv4-mapped IPv6 address written as the IPv4 address it is.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Whether `ip` is an address of this machine: loopback, "all of them"
/// (`0.0.0.0`, `::`), or the address of one of its network interfaces.
pub fn this_machine(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    if ip.is_loopback() || ip.is_unspecified() {
        return true;
    }
    // 接口的地址会变（连上 Wi-Fi、插上网线），所以每次都重新列一遍；只有端口相同时才会走到这里。
    if_addrs::get_if_addrs()
        .is_ok_and(|interfaces| interfaces.iter().any(|i| i.ip().to_canonical() == ip))
}

/// Whether something sent to `destination` arrives at a socket bound to
/// `bound` on this machine.
pub fn reaches(destination: SocketAddr, bound: SocketAddr) -> bool {
    let (to, at) = (canonical(destination), canonical(bound));
    if to.port() != at.port() {
        return false;
    }
    if to.ip() == at.ip() {
        return true;
    }
    // 监听 [::] 的 Socket 默认也收 IPv4（Windows 上默认不收，这里按会收算：宁可多拒绝一次）。
    let same_family = to.is_ipv4() == at.is_ipv4() || (at.is_ipv6() && at.ip().is_unspecified());
    let all_of_it = to.ip().is_unspecified() || at.ip().is_unspecified();
    same_family && all_of_it && this_machine(to.ip()) && this_machine(at.ip())
}

/// Refuses to start when one of the server's addresses leads back to the
/// listening socket: wiretap would connect to itself again and again.
pub fn refuse_own_address(listening: SocketAddr, servers: &[SocketAddr]) -> Result<()> {
    if let Some(server) = servers.iter().find(|server| reaches(**server, listening)) {
        bail!(
            "服务器地址 {server} 就是 wiretap 自己监听的地址 {listening}（0.0.0.0、:: 和 ::ffff:127.0.0.1 这样的写法也都指向本机）：wiretap 会转发给自己。请把第二个地址写成真正的服务器，例如 wiretap 127.0.0.1:9998 127.0.0.1:9999"
        );
    }
    Ok(())
}

/// wiretap's own sockets: the listening one, and the ports of those it has
/// open towards the server.
#[derive(Debug)]
pub struct OwnSockets {
    listening: SocketAddr,
    upstream: Mutex<HashSet<u16>>,
}

impl OwnSockets {
    pub fn new(listening: SocketAddr) -> Arc<OwnSockets> {
        Arc::new(OwnSockets {
            listening,
            upstream: Mutex::new(HashSet::new()),
        })
    }

    /// Whether traffic from `peer` comes from one of wiretap's own sockets.
    pub fn sent_by_us(&self, peer: SocketAddr) -> bool {
        let peer = canonical(peer);
        let upstream = self.ports().contains(&peer.port());
        (upstream && this_machine(peer.ip())) || reaches(peer, self.listening)
    }

    /// Keeps `port` as one of ours until the returned guard is dropped.
    /// Registered before the socket sends anything, so even the first
    /// packet that comes back from it is recognised.
    pub fn register(self: &Arc<OwnSockets>, port: u16) -> OwnPort {
        self.ports().insert(port);
        OwnPort {
            port,
            own: Arc::clone(self),
        }
    }

    fn ports(&self) -> std::sync::MutexGuard<'_, HashSet<u16>> {
        self.upstream.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One upstream socket's port, forgotten when the socket is closed.
#[derive(Debug)]
pub struct OwnPort {
    port: u16,
    own: Arc<OwnSockets>,
}

impl Drop for OwnPort {
    fn drop(&mut self) {
        self.own.ports().remove(&self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn spellings_of_this_machine_reach_the_listener() {
        for (to, at) in [
            ("127.0.0.1:9", "127.0.0.1:9"),
            ("[::ffff:127.0.0.1]:9", "127.0.0.1:9"),
            ("0.0.0.0:9", "127.0.0.1:9"),
            ("127.0.0.1:9", "0.0.0.0:9"),
            ("[::]:9", "[::1]:9"),
            ("127.0.0.1:9", "[::]:9"),
            ("[::ffff:127.0.0.1]:9", "[::]:9"),
        ] {
            assert!(reaches(addr(to), addr(at)), "{to} → {at}");
        }
    }

    #[test]
    fn other_ports_and_other_machines_do_not() {
        for (to, at) in [
            ("127.0.0.1:9", "127.0.0.1:10"),
            ("192.0.2.7:9", "0.0.0.0:9"),
            ("[::1]:9", "0.0.0.0:9"),
            ("127.0.0.2:9", "127.0.0.1:9"),
        ] {
            assert!(!reaches(addr(to), addr(at)), "{to} → {at}");
        }
    }

    #[test]
    fn registered_ports_are_ours_until_dropped() {
        let own = OwnSockets::new(addr("127.0.0.1:9"));
        assert!(own.sent_by_us(addr("127.0.0.1:9")));
        assert!(!own.sent_by_us(addr("127.0.0.1:4000")));
        let port = own.register(4000);
        assert!(own.sent_by_us(addr("[::ffff:127.0.0.1]:4000")));
        assert!(!own.sent_by_us(addr("192.0.2.7:4000")));
        drop(port);
        assert!(!own.sent_by_us(addr("127.0.0.1:4000")));
    }
}
