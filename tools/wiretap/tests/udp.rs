//! wiretap --udp between real UDP clients and servers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::thread;

use testkit::{PATIENCE, Server, TempDir, run};

const WIRETAP: &str = env!("CARGO_BIN_EXE_wiretap");

fn wiretap(server: SocketAddr, options: &[&str]) -> Server {
    let server = server.to_string();
    let mut args = vec!["127.0.0.1:0", server.as_str(), "--udp"];
    args.extend_from_slice(options);
    Server::start(WIRETAP, &args)
}

/// A chapter's program, built first if need be.
fn chapter(name: &str) -> PathBuf {
    testkit::program(name)
}

fn socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket
}

/// A UDP server that answers each datagram with `echo: ` and the datagram.
fn echo_server() -> SocketAddr {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    thread::spawn(move || {
        let mut buffer = [0; 2048];
        while let Ok((size, from)) = server.recv_from(&mut buffer) {
            let reply = [b"echo: ", &buffer[..size]].concat();
            let _ = server.send_to(&reply, from);
        }
    });
    addr
}

fn receive(socket: &UdpSocket) -> Vec<u8> {
    let mut buffer = [0; 2048];
    let size = socket.recv(&mut buffer).unwrap();
    buffer[..size].to_vec()
}

#[test]
fn udp_client_and_udp_server_talk_through_wiretap_with_both_addresses_shown() {
    let server = chapter("udp-server");
    let client = chapter("udp-client");
    let server = Server::start(server, &["127.0.0.1:0"]);
    let tap = wiretap(server.addr, &[]);
    let outcome = run(client, &[tap.arg()]);
    assert!(outcome.status.success(), "{outcome:?}");
    assert_eq!(outcome.stdout, "收到 UDP 服务器的响应: UDP 数据已收到");
    let there = tap.process.stdout_line("数据报 25 字节");
    assert!(
        there.contains(&format!("→ 服务器 {}", server.addr)),
        "{there}"
    );
    let back = tap.process.stdout_line("数据报 19 字节");
    assert!(
        back.contains(&format!("服务器 {} → 客户端 127.0.0.1:", server.addr)),
        "{back}"
    );
}

#[test]
fn each_datagram_keeps_its_edges_and_each_client_gets_its_own_replies() {
    let tap = wiretap(echo_server(), &[]);
    let (first, second) = (socket(), socket());
    first.connect(tap.addr).unwrap();
    second.connect(tap.addr).unwrap();
    first.send(b"a").unwrap();
    first.send(b"bc").unwrap();
    second.send(b"xyz").unwrap();
    assert_eq!(receive(&first), b"echo: a");
    assert_eq!(receive(&first), b"echo: bc");
    assert_eq!(receive(&second), b"echo: xyz");
    tap.process.stdout_line("#2 ");
}

#[test]
fn drop_1_makes_udp_client_resend_and_then_give_up_and_the_diagram_shows_each_drop() {
    let server = chapter("udp-server");
    let client = chapter("udp-client");
    let server = Server::start(server, &["127.0.0.1:0"]);
    let dir = TempDir::new("wiretap-udp");
    let file = dir.file("udp.mmd");
    let tap = wiretap(server.addr, &["--drop", "1", "--mermaid", &file]);
    let outcome = run(client, &[tap.arg()]);
    assert!(!outcome.status.success(), "{outcome:?}");
    assert!(
        outcome.stderr.contains("重发（第 1 次超时）"),
        "{outcome:?}"
    );
    assert!(
        outcome.stderr.contains("重发（第 2 次超时）"),
        "{outcome:?}"
    );
    assert!(outcome.stderr.contains("发送了 3 次"), "{outcome:?}");
    for _ in 0..3 {
        tap.process
            .stdout_line("数据报 25 字节，按 --drop 丢弃，没有转发");
    }
    let diagram = std::fs::read_to_string(&file).unwrap();
    let dropped = "C1-xS: 数据报 25 字节 你好，UDP 服务器！（被 wiretap 丢弃）";
    assert_eq!(diagram.matches(dropped).count(), 3, "{diagram}");
    assert!(diagram.starts_with("sequenceDiagram\n"), "{diagram}");
}

#[test]
fn the_same_seed_drops_the_same_datagrams() {
    let drops = || {
        let tap = wiretap(echo_server(), &["--drop", "50%", "--seed", "7"]);
        tap.process.stdout_line("丢包用的随机种子是 7；");
        let client = socket();
        client.connect(tap.addr).unwrap();
        let mut fates = Vec::new();
        for i in 0..12 {
            client.send(format!("{i}").as_bytes()).unwrap();
            let line = tap.process.stdout_line(" → 服务器 ");
            fates.push(line.contains("丢弃"));
        }
        fates
    };
    let first = drops();
    assert_eq!(first, drops());
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

#[test]
fn a_server_that_is_not_there_is_reported_and_the_relay_goes_on() {
    let nobody = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = nobody.local_addr().unwrap();
    drop(nobody);
    let tap = wiretap(server, &[]);
    let client = socket();
    client.connect(tap.addr).unwrap();
    client.send(b"anyone?").unwrap();
    tap.process.stderr_line("端口不可达");
    // The server arrives; the same client is now answered.
    let late = UdpSocket::bind(server).unwrap();
    client.send(b"now?").unwrap();
    let mut buffer = [0; 64];
    late.set_read_timeout(Some(PATIENCE)).unwrap();
    let (size, relay) = late.recv_from(&mut buffer).unwrap();
    assert_eq!(&buffer[..size], b"now?");
    late.send_to(b"yes", relay).unwrap();
    assert_eq!(receive(&client), b"yes");
}

#[test]
fn exit_after_ends_once_the_clients_have_gone_quiet() {
    let tap = wiretap(echo_server(), &["--exit-after", "1", "--idle", "1"]);
    let client = socket();
    client.connect(tap.addr).unwrap();
    client.send(b"hi").unwrap();
    assert_eq!(receive(&client), b"echo: hi");
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    assert!(
        log.stdout.contains("1 秒没有数据报，这个客户端的会话结束"),
        "{log:?}"
    );
    assert!(
        log.stdout
            .ends_with("已处理 1 个客户端（--exit-after 1），wiretap 退出")
    );
}
