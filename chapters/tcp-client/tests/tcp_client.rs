//! tcp-client, run as a real process against real servers on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::Read;
use std::net::TcpListener;
use std::thread;

use testkit::{Server, article_script, deadline, python3, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-client");

#[test]
fn talks_to_the_articles_python_server_by_name() {
    let Some(python) = python3() else { return };
    let script = article_script("tcp_server.py");
    let server = Server::start(python, &["-u", script.to_str().unwrap(), "localhost", "0"]);
    // "localhost" may resolve to ::1 first; the Python server listens on
    // 127.0.0.1 only, so this passes only if every address is tried.
    let addr = format!("localhost:{}", server.addr.port());
    let client = run(CLIENT, &[addr]);
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "收到服务器的响应: 数据已收到");
    let line = server.process.stdout_line("收到来自");
    assert!(line.ends_with("的数据: 你好，服务器！"), "{line}");
}

#[test]
fn talks_to_tcp_server_with_a_custom_message() {
    let server_bin = testkit::program("tcp-server");
    let server = Server::start(server_bin, &["127.0.0.1:0"]);
    let client = run(CLIENT, &[server.arg().as_str(), "自己的消息"]);
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "收到服务器的响应: 数据已收到");
    server.process.stdout_line("的数据: 自己的消息");
}

#[test]
fn talks_over_ipv6_loopback() {
    if !testkit::has_ipv6_loopback() {
        return;
    }
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let mut request = [0; 1024];
        let size = connection.read(&mut request).unwrap();
        std::io::Write::write_all(&mut connection, "数据已收到".as_bytes()).unwrap();
        request[..size].to_vec()
    });
    let client = run(CLIENT, &[addr.to_string()]);
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "收到服务器的响应: 数据已收到");
    assert_eq!(server.join().unwrap(), "你好，服务器！".as_bytes());
}

#[test]
fn a_tls_server_is_recognised_instead_of_printing_its_alert() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // What a TLS server answers to plaintext: an alert record (decode_error).
    let server = thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let mut request = [0; 1024];
        let _ = connection.read(&mut request).unwrap();
        std::io::Write::write_all(&mut connection, b"\x15\x03\x03\x00\x02\x02\x32").unwrap();
    });
    let client = run(CLIENT, &[addr.to_string()]);
    server.join().unwrap();
    assert!(!client.status.success());
    assert!(client.stdout.is_empty(), "{client:?}");
    assert!(client.stderr.contains("回复的是 TLS 数据"), "{client:?}");
    assert!(client.stderr.contains("tls-client"), "{client:?}");
}

#[test]
fn a_refused_connection_asks_whether_the_server_runs() {
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = run(CLIENT, &[closed_port.to_string()]);
    assert!(!client.status.success());
    assert_eq!(client.stderr.lines().count(), 1, "{client:?}");
    assert!(
        client.stderr.contains(&closed_port.to_string()),
        "{client:?}"
    );
    assert!(client.stderr.contains("服务器启动了吗"), "{client:?}");
}

#[test]
fn a_server_that_never_replies_times_out_with_a_message() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and hold the connection open without a word.
    let holder = thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let (client, elapsed) = testkit::timed(|| run(CLIENT, &[addr.to_string()]));
    assert!(!client.status.success());
    // The whole line, as docs/src/tcp.md quotes it (the docs check does not
    // wait these 10 seconds itself).
    assert_eq!(
        client.stderr,
        format!(
            "错误: 与 {addr} 通信时出错: 10 秒内没有收完服务器的响应。服务器可能正忙着服务别的客户端、卡住了，或者它不是本章的服务器"
        ),
        "{client:?}"
    );
    assert!(
        elapsed < deadline::CLIENT_LIMIT + deadline::MARGIN,
        "gave up after {elapsed:?}"
    );
    drop(holder.join());
}

#[test]
fn waits_its_turn_behind_a_silent_client_on_the_sequential_server() {
    let server_bin = testkit::program("tcp-server");
    let server = Server::start(server_bin, &["127.0.0.1:0"]);
    // tcp-server serves one client at a time: this one holds it for the
    // server's 5-second timeout, and the real client must outwait that.
    let silent = std::net::TcpStream::connect(server.addr).unwrap();
    let (client, elapsed) = testkit::timed(|| run(CLIENT, &[server.arg()]));
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "收到服务器的响应: 数据已收到");
    // The whole line, as docs/src/tcp.md quotes it (the docs check does not
    // wait these 5 seconds itself).
    let dropped = server.process.stderr_line("5 秒内没有完成对话");
    assert_eq!(
        dropped,
        format!(
            "与客户端 {} 通信时出错: 5 秒内没有完成对话，断开",
            silent.local_addr().unwrap()
        )
    );
    assert!(elapsed.as_secs() >= 4, "it really waited: {elapsed:?}");
    drop(silent);
}

#[test]
fn bad_addresses_and_unknown_hosts_get_one_line() {
    for (addr, reason) in [
        ("localhost", "缺少端口"),
        ("localhost:65536", "超出范围"),
        ("nosuchhost.invalid:9999", "找不到主机"),
    ] {
        let client = run(CLIENT, &[addr]);
        assert!(!client.status.success(), "{addr}");
        assert!(client.stderr.contains(reason), "{addr}: {client:?}");
        assert_eq!(client.stderr.lines().count(), 1, "{addr}: {client:?}");
    }
}

#[test]
fn help_shows_both_arguments() {
    let outcome = run(CLIENT, &["-h"]);
    assert!(outcome.status.success());
    assert!(outcome.stdout.contains("用法: tcp-client [ADDR] [MESSAGE]"));
}

#[test]
fn an_empty_message_is_refused_at_once() {
    // Checked before connecting: with no server there, the message is
    // still what the learner hears about.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (client, elapsed) = testkit::timed(|| run(CLIENT, &[closed.to_string().as_str(), ""]));
    assert!(!client.status.success());
    assert!(client.stderr.contains("要发送的消息是空的"), "{client:?}");
    assert_eq!(client.stderr.lines().count(), 1, "{client:?}");
    // Refused before connecting: it never waited out its own limit.
    assert!(elapsed < deadline::CLIENT_LIMIT, "took {elapsed:?}");
}

#[test]
fn a_scoped_ipv6_address_is_called_unsupported_not_misspelled() {
    let client = run(CLIENT, &["[fe80::1%lo]:9999"]);
    assert_eq!(client.status.code(), Some(2), "{client:?}");
    assert!(
        client.stderr.contains("带作用域（%网卡名）的 IPv6 地址"),
        "{client:?}"
    );
}

/// A server that is running but whose connection queue is full: the kernel
/// drops new connection requests instead of refusing them, exactly as a
/// firewall does, so the client's line must not only ask "is it running".
#[cfg(target_os = "linux")]
#[test]
fn a_server_too_busy_to_accept_is_not_called_absent() {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    // Fill the queue (never accepted), so the next SYN is dropped. Linux
    // queues one connection at a backlog of 0; a second one is not
    // completed, which connect_timeout notices within a second.
    let queued: Vec<_> = (0..2)
        .map_while(|_| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).ok()
        })
        .collect();
    assert!(!queued.is_empty(), "not even one connection was queued");
    let client = run(CLIENT, &[addr.to_string()]);
    assert_eq!(client.status.code(), Some(1), "{client:?}");
    assert!(client.stderr.contains("5 秒内没有应答"), "{client:?}");
    assert!(client.stderr.contains("服务器太忙"), "{client:?}");
}
