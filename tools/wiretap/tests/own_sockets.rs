//! wiretap never relays what comes from its own sockets (issue 21,
//! findings 3 and 4), shown with what only root can make: a datagram with a
//! forged source address, and a server address that a firewall rule turns
//! back into wiretap's own. Linux only; without root each test prints a skip
//! note, and under `CI=true` it fails instead.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod shared;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;

use shared::{WIRETAP, cannot_run, chapter, is_root};
use socket2::{Domain, Protocol, Socket, Type};
use testkit::{PATIENCE, Server, article_script, python3, run};

/// Sends one UDP datagram whose source is `from`, whoever really sends it:
/// a raw socket writes the UDP header itself (the system adds the IP header,
/// with 127.0.0.1 as the source on loopback).
fn forge_udp(from: SocketAddr, to: SocketAddr, payload: &[u8]) {
    assert!(from.ip().is_loopback() && to.ip().is_loopback());
    let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::UDP)).unwrap();
    let length = (8 + payload.len()) as u16;
    let mut datagram = Vec::new();
    datagram.extend_from_slice(&from.port().to_be_bytes());
    datagram.extend_from_slice(&to.port().to_be_bytes());
    datagram.extend_from_slice(&length.to_be_bytes());
    datagram.extend_from_slice(&[0, 0]); // no checksum: allowed in IPv4
    datagram.extend_from_slice(payload);
    let target = SocketAddr::new(to.ip(), 0);
    raw.send_to(&datagram, &target.into()).unwrap();
}

/// Issue 21, finding 4. On the code before the fix, wiretap took the forged
/// datagram for a client at its own address: the server's reply went to
/// that "client", which is wiretap's own socket, so it came back as a new
/// datagram, was forwarded again, and so on (39,000 lines in 3 s in front of
/// the article's Python server). The wait for the refusal line below then
/// fails, and the count of datagrams shown would be in the thousands.
#[test]
fn a_datagram_forged_from_wiretaps_own_address_is_not_relayed() {
    if !is_root("forging a datagram's source") {
        return;
    }
    let Some(python) = python3() else { return };
    let script = article_script("udp_server.py");
    let server = Server::start(python, &[script.to_str().unwrap(), "127.0.0.1", "0"]);
    let tap = shared::wiretap(server.addr, &["--udp"]);
    forge_udp(tap.addr, tap.addr, "绕一圈？".as_bytes());
    let refused = tap.process.stderr_line("不转发");
    assert!(refused.contains("wiretap 自己"), "{refused}");
    // A real client is served as before, and it is all wiretap relayed.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    client
        .send_to("你好，UDP 服务器！".as_bytes(), tap.addr)
        .unwrap();
    let mut reply = [0; 64];
    let size = client.recv(&mut reply).unwrap();
    assert_eq!(&reply[..size], "UDP 数据已收到".as_bytes());
    let lines = tap.process.stdout_until(" → 客户端 ");
    let datagrams = lines.iter().filter(|l| l.contains("数据报 ")).count();
    assert_eq!(datagrams, 2, "{lines:#?}");
}

/// The same from the side of wiretap's upstream socket: a datagram that
/// claims to come from the socket wiretap uses towards the server for a
/// client is not taken for a new client either.
#[test]
fn a_datagram_forged_from_an_upstream_socket_is_not_relayed() {
    if !is_root("forging a datagram's source") {
        return;
    }
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = echo.local_addr().unwrap();
    let tap = shared::wiretap(server, &["--udp"]);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(b"first", tap.addr).unwrap();
    echo.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buffer = [0; 64];
    let (_, upstream) = echo.recv_from(&mut buffer).unwrap();
    let upstream = SocketAddr::new("127.0.0.1".parse().unwrap(), upstream.port());
    forge_udp(upstream, tap.addr, b"from inside");
    let refused = tap.process.stderr_line("不转发");
    assert!(refused.contains("wiretap 自己"), "{refused}");
}

/// A network namespace of this test's own, removed when dropped.
struct Namespace(String);

impl Namespace {
    fn new(tag: &str) -> Option<Namespace> {
        let name = format!("wiretap-{tag}-{}", std::process::id());
        let _ = ip(&["netns", "del", &name]); // left over from a killed run
        if !ip(&["netns", "add", &name]) {
            cannot_run("`ip netns add` failed");
            return None;
        }
        let namespace = Namespace(name);
        assert!(ip(&["-n", &namespace.0, "link", "set", "lo", "up"]));
        Some(namespace)
    }

    /// `ip netns exec NAME program args…` as words for a process.
    fn exec(&self, program: &str, args: &[&str]) -> Vec<String> {
        let mut words = vec!["netns", "exec", &self.0, program];
        words.extend_from_slice(args);
        words.into_iter().map(String::from).collect()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.0]);
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Issue 21, finding 3, in the form no address comparison can see: a
/// firewall rule (as a port forward or a proxy setting would) sends
/// wiretap's connection to the server back to wiretap. On the code before
/// the fix each relay connected to wiretap again, 64 deep (the connection
/// cap), and the refusal line below never came. Now the connection that
/// arrives from wiretap's own upstream socket is refused at once.
#[test]
fn a_server_address_that_leads_back_to_wiretap_is_refused_when_it_arrives() {
    if !is_root("a network namespace") {
        return;
    }
    let client = chapter("tcp-client");
    let has_nft = Command::new("nft").arg("--version").output().is_ok();
    if !has_nft {
        return cannot_run("nft is not on PATH (Debian: apt-get install nftables)");
    }
    let Some(namespace) = Namespace::new("loop") else {
        return;
    };
    // In a namespace of its own nothing else listens, so 9999 is free there.
    let tap = Server::start(
        "ip",
        &namespace.exec(WIRETAP, &["127.0.0.1:0", "127.0.0.1:9999"]),
    );
    let port = tap.addr.port();
    let redirect = format!("redirect to :{port}");
    for rule in [
        vec!["add", "table", "ip", "loop"],
        vec![
            "add",
            "chain",
            "ip",
            "loop",
            "out",
            "{ type nat hook output priority -100 ; }",
        ],
        vec![
            "add", "rule", "ip", "loop", "out", "tcp", "dport", "9999", &redirect,
        ],
    ] {
        let nft = Command::new("ip")
            .args(namespace.exec("nft", &rule))
            .output()
            .unwrap();
        assert!(nft.status.success(), "{rule:?}: {nft:?}");
    }
    let outcome = run(
        "ip",
        &namespace.exec(client.to_str().unwrap(), &[&tap.arg()]),
    );
    assert!(!outcome.status.success(), "{outcome:?}");
    let refused = tap.process.stderr_line("不转发");
    assert!(refused.contains("wiretap 自己"), "{refused}");
    // One relay (#1) and the one refused connection (#2); no third.
    let lines = tap.process.stdout_until("#1 ");
    let log = tap.process.stdout_until("连接结束");
    assert!(
        !lines.iter().chain(&log).any(|l| l.starts_with("#3 ")),
        "{lines:#?}{log:#?}"
    );
}
