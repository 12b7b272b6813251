//! udp-server, run as a real process on port 0 and sent real datagrams.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use testkit::{PATIENCE, Server, article_script, python3, run};

const SERVER: &str = env!("CARGO_BIN_EXE_udp-server");

fn start() -> Server {
    Server::start(SERVER, &["127.0.0.1:0"])
}

/// Sends one datagram and returns the reply, or None after `wait`.
fn ask(server: SocketAddr, datagram: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let local = if server.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let socket = UdpSocket::bind(local).unwrap();
    socket.set_read_timeout(Some(wait)).unwrap();
    socket.send_to(datagram, server).unwrap();
    let mut reply = [0; 2048];
    let (size, from) = socket.recv_from(&mut reply).ok()?;
    assert_eq!(from, server);
    Some(reply[..size].to_vec())
}

fn assert_serves(server: &Server) {
    let reply = ask(server.addr, "你好，UDP 服务器！".as_bytes(), PATIENCE);
    assert_eq!(reply.as_deref(), Some("UDP 数据已收到".as_bytes()));
    server
        .process
        .stdout_line("的 UDP 数据: 你好，UDP 服务器！");
}

#[test]
fn replies_to_the_articles_message_and_prints_it() {
    let server = start();
    assert_ne!(server.addr.port(), 0);
    assert_serves(&server);
}

#[test]
fn serves_ipv6_loopback() {
    if !testkit::has_ipv6_loopback() {
        return;
    }
    let server = Server::start(SERVER, &["[::1]:0"]);
    assert_serves(&server);
}

#[test]
fn the_articles_python_client_gets_the_reply() {
    let Some(python) = python3() else { return };
    let server = start();
    let port = server.addr.port().to_string();
    let script = article_script("udp_client.py");
    let client = run(python, &[script.to_str().unwrap(), "127.0.0.1", &port]);
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "收到 UDP 服务器的响应: UDP 数据已收到");
}

#[test]
fn an_empty_datagram_gets_no_reply_like_the_article_and_no_crash() {
    let server = start();
    assert_eq!(ask(server.addr, b"", Duration::from_millis(300)), None);
    server.process.stderr_line("空数据报");
    assert_serves(&server);
}

#[test]
fn an_oversized_datagram_is_answered_and_its_truncation_logged() {
    let server = start();
    let reply = ask(server.addr, &[b'x'; 2000], PATIENCE);
    assert_eq!(reply.as_deref(), Some("UDP 数据已收到".as_bytes()));
    server.process.stderr_line("超过 1024 字节");
    let line = server.process.stdout_line("的 UDP 数据: ");
    assert!(line.ends_with(&"x".repeat(1024)) && !line.ends_with(&"x".repeat(1025)));
    assert_serves(&server);
}

#[test]
fn non_utf8_is_shown_lossily_and_answered() {
    let server = start();
    let reply = ask(server.addr, b"\xff\xfe", PATIENCE);
    assert_eq!(reply.as_deref(), Some("UDP 数据已收到".as_bytes()));
    server.process.stdout_line("的 UDP 数据: \u{FFFD}\u{FFFD}");
    assert_serves(&server);
}

#[test]
fn a_busy_port_is_one_clear_line() {
    let server = start();
    let second = run(SERVER, &[server.arg()]);
    assert!(!second.status.success());
    assert!(second.stderr.contains("已被占用"), "{second:?}");
    assert_eq!(second.stderr.lines().count(), 1, "{second:?}");
    assert_serves(&server);
}

#[test]
fn bad_addresses_are_refused_with_a_reason() {
    for (addr, reason) in [("9999", "缺少端口"), ("localhost:-1", "不是数字")] {
        let outcome = run(SERVER, &[addr]);
        assert!(!outcome.status.success(), "{addr}");
        assert!(outcome.stderr.contains(reason), "{addr}: {outcome:?}");
    }
}

#[test]
fn keeps_serving_when_nobody_reads_its_output() {
    // Like `udp-server | head -1`: every later line fails to print.
    let mut server = start();
    server.process.stop_reading_stdout();
    for _ in 0..5 {
        let reply = ask(server.addr, "你好，UDP 服务器！".as_bytes(), PATIENCE);
        assert_eq!(reply.as_deref(), Some("UDP 数据已收到".as_bytes()));
    }
    assert!(server.process.is_running());
}

/// Sends `payload` to `to` as a UDP datagram whose source port is
/// `from_port`, through a raw socket: the forged datagram a loop-DoS attacker
/// sends. `None` (with a skip note) where raw sockets are not allowed.
fn forge_datagram(from_port: u16, to: SocketAddr, payload: &[u8]) -> Option<()> {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    let raw = match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::UDP)) {
        Ok(raw) => raw,
        Err(e) => {
            testkit::skip(&format!("raw sockets need root here ({e})"));
            return None;
        }
    };
    // The kernel adds the IP header (source 127.0.0.1 towards loopback);
    // we write the UDP header: source port, destination port, length, and a
    // zero checksum, which IPv4 allows.
    let length = u16::try_from(8 + payload.len()).unwrap();
    let mut datagram = Vec::new();
    datagram.extend_from_slice(&from_port.to_be_bytes());
    datagram.extend_from_slice(&to.port().to_be_bytes());
    datagram.extend_from_slice(&length.to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    raw.send_to(&datagram, &SockAddr::from(to)).unwrap();
    Some(())
}

#[test]
fn a_datagram_forged_from_the_server_itself_gets_no_answer() {
    let server = start();
    let own = server.addr;
    let Some(()) = forge_datagram(own.port(), own, b"loop") else {
        return;
    };
    let refused = server.process.stderr_line("不回复");
    assert!(
        refused.contains(&format!("不回复 {own}：来源地址是本服务器自己")),
        "{refused}"
    );
    // Without the guard, the server would be answering itself: its first
    // 收到来自 lines would come from its own address, forever.
    let reply = ask(own, "你好，UDP 服务器！".as_bytes(), PATIENCE);
    assert_eq!(reply.as_deref(), Some("UDP 数据已收到".as_bytes()));
    let first = server.process.stdout_line("收到来自");
    assert!(
        !first.contains(&own.to_string()),
        "the server answered itself: {first}"
    );
    assert!(
        first.ends_with("的 UDP 数据: 你好，UDP 服务器！"),
        "{first}"
    );
}

#[test]
fn two_servers_forged_at_each_other_do_not_ping_pong() {
    let (a, b) = (start(), start());
    // To A, "from B": A answers B with its reply text, which B must not answer.
    let Some(()) = forge_datagram(b.addr.port(), a.addr, b"ping") else {
        return;
    };
    a.process.stdout_line("的 UDP 数据: ping");
    let refused = b.process.stderr_line("不回复");
    assert!(refused.contains("内容是本服务器自己的回复"), "{refused}");
    // Both still serve, and neither logged anything from the other meanwhile.
    for server in [&a, &b] {
        let reply = ask(server.addr, b"hello", PATIENCE);
        assert_eq!(reply.as_deref(), Some("UDP 数据已收到".as_bytes()));
        let first = server.process.stdout_line("收到来自");
        assert!(first.ends_with("的 UDP 数据: hello"), "{first}");
    }
}

#[test]
fn a_source_that_sends_too_fast_is_refused_once_and_others_are_served() {
    let server = start();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    for n in 0..50 {
        socket
            .send_to(format!("快 {n}").as_bytes(), server.addr)
            .unwrap();
    }
    let refused = server.process.stderr_line("不回复");
    assert!(refused.contains("每秒发来超过 5 个数据报"), "{refused}");
    // The first five were answered, then the source was refused; one line only.
    let mut reply = [0; 64];
    for _ in 0..5 {
        socket.recv_from(&mut reply).unwrap();
    }
    assert_serves(&server);
    let more = server.process.stderr_so_far();
    assert!(more.iter().all(|line| !line.contains("不回复")), "{more:?}");
}

#[test]
fn a_datagram_that_is_the_servers_own_reply_text_gets_no_answer() {
    let server = start();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket
        .send_to("UDP 数据已收到".as_bytes(), server.addr)
        .unwrap();
    let refused = server.process.stderr_line("不回复");
    assert!(refused.contains("内容是本服务器自己的回复"), "{refused}");
    // The refused datagram was not even printed: the first 收到来自 line is
    // the next, ordinary one, and it is the only one answered.
    socket.send_to(b"next", server.addr).unwrap();
    let first = server.process.stdout_line("收到来自");
    assert!(first.ends_with("的 UDP 数据: next"), "{first}");
    let mut reply = [0; 64];
    let (size, _) = socket.recv_from(&mut reply).unwrap();
    assert_eq!(&reply[..size], "UDP 数据已收到".as_bytes());
}

#[test]
fn a_datagram_from_source_port_zero_is_refused_in_one_chinese_line() {
    // Before: the reply to port 0 failed with the OS's raw English
    // "Invalid argument (os error 22)".
    let server = start();
    let Some(()) = forge_datagram(0, server.addr, b"zero") else {
        return;
    };
    let refused = server.process.stderr_line("不回复");
    assert!(refused.contains("来源端口是 0"), "{refused}");
    assert_serves(&server);
    let said = server.process.stderr_so_far();
    assert!(
        said.iter().all(|line| !line.contains("os error")),
        "{said:?}"
    );
}
