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

/// Issue 21: `--drop --seed` promises a repeatable run. On the code before
/// the fix each client's drops came from the order in which clients first
/// appeared, so two clients that started the other way round swapped their
/// drops, and this test failed. Now each client draws from the start of its
/// own streams: its n-th datagram's fate depends on the seed and n alone.
#[test]
fn the_same_seed_drops_the_same_datagrams_whichever_client_comes_first() {
    let fates = |first: &'static str, second: &'static str| {
        let tap = wiretap(echo_server(), &["--drop", "50%", "--seed", "7"]);
        let clients = [first, second].map(|name| (name, socket()));
        let mut fates = std::collections::BTreeMap::<&'static str, Vec<bool>>::new();
        for i in 0..12 {
            for (name, client) in &clients {
                client
                    .send_to(format!("{name} {i}").as_bytes(), tap.addr)
                    .unwrap();
                let port = client.local_addr().unwrap().port();
                let line = tap
                    .process
                    .stdout_line(&format!("127.0.0.1:{port} → 服务器"));
                fates.entry(name).or_default().push(line.contains("丢弃"));
            }
        }
        fates
    };
    let one_way = fates("甲", "乙");
    assert_eq!(one_way, fates("乙", "甲"));
    for drops in one_way.values() {
        assert!(
            drops.contains(&true) && drops.contains(&false),
            "{one_way:?}"
        );
    }
}

/// Sends SIGINT, as Ctrl-C in a terminal does.
#[cfg(unix)]
fn press_ctrl_c(process: &testkit::Process) {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &process.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Issue 21: Ctrl-C in a UDP session left `.NAME.PID.tmp` beside the
/// diagram in 11 to 15 of 20 runs, because the diagram is rewritten after
/// each datagram and Ctrl-C ended wiretap between writing the temporary
/// file and renaming it. On the code before the fix this test failed in its
/// first rounds. Now Ctrl-C waits for a write in progress, and every file
/// wiretap writes is whole and alone in its folder.
#[cfg(unix)]
#[test]
fn ctrl_c_in_a_busy_udp_session_leaves_whole_files_and_no_temporary_one() {
    for round in 0..20 {
        let dir = TempDir::new("wiretap-ctrl-c");
        let diagram = dir.file("udp.md");
        let tap = wiretap(echo_server(), &["--mermaid", &diagram]);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sender = {
            let (stop, target) = (std::sync::Arc::clone(&stop), tap.addr);
            thread::spawn(move || {
                let client = socket();
                // Pacing, not waiting for anything: once wiretap has gone, no reply comes.
                client
                    .set_read_timeout(Some(std::time::Duration::from_millis(100)))
                    .unwrap();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = client.send_to(b"busy", target);
                    let _ = client.recv(&mut [0; 64]);
                }
            })
        };
        for _ in 0..round % 5 + 1 {
            tap.process.stdout_line("数据报 4 字节");
        }
        press_ctrl_c(&tap.process);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let ended = tap.process.finish();
        sender.join().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["udp.md"], "round {round}: {ended:?}");
        assert_eq!(ended.status.code(), Some(130), "round {round}: {ended:?}");
        let text = std::fs::read_to_string(&diagram).unwrap();
        assert!(text.starts_with("```mermaid\nsequenceDiagram\n") && text.ends_with("```\n"));
    }
}
