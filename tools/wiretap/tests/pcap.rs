//! `wiretap --pcap`, read back by the real tool: every check here asks
//! `tshark` (Wireshark's command line) what the capture holds. Without
//! tshark each test prints a skip note; under `CI=true` it fails instead
//! (`.ci/run` installs Debian's `tshark`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod shared;

use std::ffi::OsStr;
use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;
use std::thread;

use shared::{chapter, tshark, wiretap};
use testkit::{PATIENCE, Process, Server, TempDir, article_script, python3, run};

const MESSAGE: &str = "你好，服务器！";
const REPLY: &str = "数据已收到";

/// What `tshark ARGS` prints on stdout; it must succeed.
fn tshark_says(tshark: &str, args: &[&str]) -> String {
    let out = Command::new(tshark).args(args).output().unwrap();
    assert!(out.status.success(), "tshark {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    let text = text.trim();
    assert!(text.len().is_multiple_of(2), "odd hex {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// `tshark -z follow,tcp,raw,N`: the bytes each side of stream N sent, as
/// [first sender (the client), other side]. In its output the first
/// sender's lines start at the margin and the other's with a tab.
fn follow(tshark: &str, file: &str, stream: usize) -> [Vec<u8>; 2] {
    let z = format!("follow,tcp,raw,{stream}");
    let text = tshark_says(tshark, &["-r", file, "-q", "-z", &z]);
    let body = text
        .lines()
        .skip_while(|l| !l.starts_with("Node 1:"))
        .skip(1)
        .take_while(|l| !l.starts_with("====="));
    let mut sides = [Vec::new(), Vec::new()];
    for line in body {
        match line.strip_prefix('\t') {
            Some(other) => sides[1].extend(hex(other)),
            None => sides[0].extend(hex(line)),
        }
    }
    sides
}

/// `(source port, FIN, RST)` of each TCP segment of stream N.
fn flags(tshark: &str, file: &str, stream: usize) -> Vec<(u16, bool, bool)> {
    let filter = format!("tcp.stream == {stream}");
    let text = tshark_says(
        tshark,
        &[
            "-r",
            file,
            "-Y",
            &filter,
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.flags.fin",
            "-e",
            "tcp.flags.reset",
        ],
    );
    let yes = |f: &str| f == "1" || f == "True";
    text.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields[0].parse().unwrap(), yes(fields[1]), yes(fields[2]))
        })
        .collect()
}

/// The bytes forwarded each way, from wiretap's `连接结束` line.
fn forwarded(log: &str) -> [usize; 2] {
    let line = log
        .lines()
        .find(|l| l.contains("连接结束："))
        .unwrap_or_else(|| panic!("no 连接结束 in:\n{log}"));
    let counts: Vec<usize> = line
        .split("字节")
        .filter_map(|part| part.split_whitespace().last()?.parse().ok())
        .collect();
    [counts[0], counts[1]]
}

/// The client's port: the source of the stream's first segment (its SYN).
fn client_port(segments: &[(u16, bool, bool)]) -> u16 {
    segments[0].0
}

#[test]
fn the_articles_python_client_through_chunk_4_is_followed_byte_for_byte() {
    let Some(tshark) = tshark() else { return };
    let Some(python) = python3() else { return };
    let server = chapter("tcp-server");
    let server = Server::start(server, &["127.0.0.1:0"]);
    let dir = TempDir::new("wiretap-pcap-python");
    let file = dir.file("tcp.pcap");
    let tap = wiretap(
        server.addr,
        &["--chunk", "4", "--pcap", &file, "--exit-after", "1"],
    );
    let script = article_script("tcp_client.py");
    let port = tap.addr.port().to_string();
    // It reads once, gets 4 bytes of the reply and fails to decode them.
    let client = run(python, &[script.to_str().unwrap(), "127.0.0.1", &port]);
    assert!(client.stderr.contains("UnicodeDecodeError"), "{client:?}");
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    assert!(log.stdout.contains("抓包文件"), "{log:?}");

    // Follow TCP Stream gives back exactly what crossed: the whole message,
    // and as much of the reply as wiretap could forward before the client left.
    let [sent, received] = follow(tshark, &file, 0);
    let [to_server, to_client] = forwarded(&log.stdout);
    assert_eq!(sent, MESSAGE.as_bytes());
    assert_eq!(to_server, MESSAGE.len());
    assert_eq!(received, &REPLY.as_bytes()[..to_client], "{log:?}");
    // And the message crossed in pieces of at most 4 bytes, one segment each.
    let lengths = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-Y",
            "tcp.len > 0",
            "-T",
            "fields",
            "-e",
            "tcp.len",
        ],
    );
    let lengths: Vec<usize> = lengths.lines().map(|l| l.parse().unwrap()).collect();
    assert!(lengths.iter().all(|&l| (1..=4).contains(&l)), "{lengths:?}");
    assert_eq!(lengths.iter().sum::<usize>(), to_server + to_client);

    // How the client's side ended, as wiretap saw it, is in the capture too.
    let segments = flags(tshark, &file, 0);
    let client = client_port(&segments);
    let from_client = |fin: bool, rst: bool| {
        segments
            .iter()
            .any(|&(port, f, r)| port == client && (f && fin || r && rst))
    };
    if log.stdout.contains("FIN：客户端关闭了写方向") {
        assert!(from_client(true, false), "{segments:?}");
    } else {
        assert!(log.stdout.contains("连接被客户端重置"), "{log:?}");
        assert!(from_client(false, true), "{segments:?}");
    }
}

#[test]
fn each_connection_is_a_stream_ending_in_fin_or_in_rst() {
    let Some(tshark) = tshark() else { return };
    let (server, client) = (chapter("tcp-server"), chapter("tcp-client"));
    let server = Server::start(server, &["127.0.0.1:0"]);
    let dir = TempDir::new("wiretap-pcap-fin-rst");
    let file = dir.file("fin-rst.pcap");
    let tap = wiretap(server.addr, &["--pcap", &file, "--exit-after", "2"]);
    let outcome = run(client, &[tap.arg()]);
    assert!(outcome.status.success(), "{outcome:?}");
    tap.process.stdout_line("连接结束");
    testkit::reset_connections(tap.addr, 1);
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");

    // The first connection: the exchange, then a FIN from each side.
    let [sent, received] = follow(tshark, &file, 0);
    assert_eq!(sent, MESSAGE.as_bytes());
    assert_eq!(received, REPLY.as_bytes());
    let polite = flags(tshark, &file, 0);
    let client = client_port(&polite);
    let fins: Vec<u16> = polite.iter().filter(|s| s.1).map(|s| s.0).collect();
    assert_eq!(fins, [server.addr.port(), client], "{polite:?}");
    assert!(polite.iter().all(|s| !s.2), "{polite:?}");

    // The second: a handshake and a reset from the client, no FIN.
    let reset = flags(tshark, &file, 1);
    let client = client_port(&reset);
    assert_eq!(reset.len(), 4, "{reset:?}");
    assert_eq!(reset[3], (client, false, true), "{reset:?}");
    assert!(reset.iter().all(|s| !s.1), "{reset:?}");

    // Wireshark finds nothing wrong with the numbers: no "previous segment
    // not captured", no "ACKed unseen segment", no bad checksum.
    let problems = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-Y",
            "tcp.analysis.flags && !tcp.analysis.window_update || tcp.checksum.status == 0 || ip.checksum.status == 0",
        ],
    );
    assert_eq!(problems, "", "tshark flagged segments");
}

#[test]
fn with_drop_the_capture_holds_exactly_the_datagrams_forwarded() {
    let Some(tshark) = tshark() else { return };
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = echo.local_addr().unwrap();
    thread::spawn(move || {
        let mut buffer = [0; 2048];
        while let Ok((size, from)) = echo.recv_from(&mut buffer) {
            let reply = [b"echo: ", &buffer[..size]].concat();
            let _ = echo.send_to(&reply, from);
        }
    });
    let dir = TempDir::new("wiretap-pcap-udp");
    let file = dir.file("udp.pcap");
    let tap = wiretap(
        server,
        &[
            "--udp",
            "--drop",
            "50%",
            "--seed",
            "7",
            "--pcap",
            &file,
            "--exit-after",
            "1",
            "--idle",
            "1",
        ],
    );
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    let me = client.local_addr().unwrap().port();
    // What crossed, in order, as (from the client?, payload), read off wiretap's log.
    let mut expected: Vec<(bool, Vec<u8>)> = Vec::new();
    let mut dropped = 0;
    for i in 0..12 {
        let datagram = format!("第 {i} 个").into_bytes();
        client.send_to(&datagram, tap.addr).unwrap();
        let there = tap.process.stdout_line(&format!("127.0.0.1:{me} → 服务器"));
        if there.contains("丢弃") {
            dropped += 1;
            continue;
        }
        expected.push((true, datagram.clone()));
        let back = tap.process.stdout_line(&format!("→ 客户端 127.0.0.1:{me}"));
        if back.contains("丢弃") {
            dropped += 1;
        } else {
            let reply = [b"echo: ", &datagram[..]].concat();
            assert_eq!(receive(&client), reply);
            expected.push((false, reply));
        }
    }
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    assert!(dropped > 0 && !expected.is_empty(), "{expected:?}");

    let text = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-T",
            "fields",
            "-e",
            "udp.srcport",
            "-e",
            "udp.payload",
        ],
    );
    let captured: Vec<(bool, Vec<u8>)> = text
        .lines()
        .map(|line| {
            let (port, payload) = line.split_once('\t').unwrap();
            (port.parse::<u16>().unwrap() == me, hex(payload))
        })
        .collect();
    assert_eq!(captured, expected);
    // Every datagram wiretap showed is either in the capture or was dropped.
    let shown = 12
        + expected
            .iter()
            .filter(|(from_client, _)| *from_client)
            .count();
    assert_eq!(captured.len() + dropped, shown);
}

fn receive(socket: &UdpSocket) -> Vec<u8> {
    let mut buffer = [0; 2048];
    let size = socket.recv(&mut buffer).unwrap();
    buffer[..size].to_vec()
}

/// A TLS session of tls-client and tls-server through `wiretap --pcap`,
/// with tls-client writing its key log to `keys` (or not, when `None`).
fn tls_session(dir: &TempDir, keys: Option<&str>) -> String {
    let (server, client) = (chapter("tls-server"), chapter("tls-client"));
    // tls-server makes server.crt and server.key in its folder; tls-client trusts that file.
    let server = Server::start_in(server, &["127.0.0.1:0"], Some(dir.path()));
    let file = dir.file("tls.pcap");
    let tap = wiretap(server.addr, &["--pcap", &file, "--exit-after", "1"]);
    let env: Vec<(&str, &OsStr)> = keys
        .map(|keys| ("SSLKEYLOGFILE", OsStr::new(keys)))
        .into_iter()
        .collect();
    let ca = dir.file("server.crt");
    let outcome =
        Process::start_with_env(client, &[tap.arg(), "--ca".into(), ca], None, &env).finish();
    assert!(outcome.status.success(), "{outcome:?}");
    assert!(
        outcome
            .stdout
            .ends_with(&format!("收到服务器的响应: {REPLY}")),
        "{outcome:?}"
    );
    let said = outcome.stderr.contains("SSLKEYLOGFILE");
    assert_eq!(said, keys.is_some(), "{outcome:?}");
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    file
}

#[test]
fn with_the_key_log_tshark_decrypts_the_tls_session() {
    let Some(tshark) = tshark() else { return };
    let dir = TempDir::new("wiretap-pcap-tls");
    let keys = dir.file("keys.txt");
    let file = tls_session(&dir, Some(&keys));
    let key_log = std::fs::read_to_string(&keys).unwrap();
    assert!(key_log.contains("CLIENT_TRAFFIC_SECRET_0 "), "{key_log}");
    let option = format!("tls.keylog_file:{keys}");
    // The application data, decrypted: the message and the reply, in order.
    let text = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-o",
            &option,
            "-Y",
            "data",
            "-T",
            "fields",
            "-e",
            "data.data",
        ],
    );
    let plain: Vec<String> = text
        .lines()
        .map(|line| String::from_utf8(hex(line)).unwrap())
        .collect();
    assert_eq!(plain, [MESSAGE, REPLY], "{text}");
    // The same command without the key log finds no plaintext at all.
    let closed = tshark_says(
        tshark,
        &["-r", &file, "-Y", "data", "-T", "fields", "-e", "data.data"],
    );
    assert_eq!(closed, "");
    // And the server's close_notify, a warning alert of description 0.
    let alerts = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-o",
            &option,
            "-Y",
            "tls.alert_message.desc == 0",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
        ],
    );
    assert_eq!(alerts.lines().count(), 1, "{alerts}");
}

#[test]
fn without_the_key_log_only_encrypted_application_data_is_seen() {
    let Some(tshark) = tshark() else { return };
    let dir = TempDir::new("wiretap-pcap-tls-closed");
    let file = tls_session(&dir, None);
    assert!(!Path::new(&dir.file("keys.txt")).exists());
    let decrypted = tshark_says(tshark, &["-r", &file, "-Y", "data || tls.alert_message"]);
    assert_eq!(decrypted, "");
    let records = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-Y",
            "tls.app_data",
            "-T",
            "fields",
            "-e",
            "tls.app_data",
        ],
    );
    assert!(records.lines().count() >= 3, "{records}");
    let bytes = std::fs::read(&file).unwrap();
    for secret in [MESSAGE, REPLY] {
        let secret = secret.as_bytes();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret));
    }
}

/// Ctrl-C while connections come and go: wiretap writes the capture a
/// last time, whole, and leaves no temporary file (issue 26: "also on Ctrl-C").
#[cfg(unix)]
#[test]
fn the_capture_is_whole_after_ctrl_c_and_nothing_else_is_left() {
    let Some(tshark) = tshark() else { return };
    let dir = TempDir::new("wiretap-pcap-ctrl-c");
    let file = dir.file("busy.pcap");
    let echo = echo_tcp_server();
    let tap = wiretap(echo, &["--pcap", &file]);
    for _ in 0..3 {
        let reply = testkit::tcp_exchange(tap.addr, b"ping").unwrap();
        assert_eq!(reply, b"ping");
    }
    let sent = Command::new("kill")
        .args(["-INT", &tap.process.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let ended = tap.process.finish();
    assert_eq!(ended.status.code(), Some(130), "{ended:?}");
    assert!(ended.stdout.contains("抓包文件"), "{ended:?}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["busy.pcap"]);
    let streams = tshark_says(
        tshark,
        &[
            "-r",
            &file,
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
        ],
    );
    assert_eq!(streams.lines().count(), 3, "{streams}");
    for stream in 0..3 {
        assert_eq!(
            follow(tshark, &file, stream),
            [b"ping".to_vec(), b"ping".to_vec()]
        );
    }
}

/// A TCP server that reads once, sends back what it read and closes.
fn echo_tcp_server() -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0; 64];
            if let Ok(size) = stream.read(&mut buffer) {
                let _ = stream.write_all(&buffer[..size]);
            }
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let _ = stream.read(&mut buffer);
        }
    });
    addr
}

/// The book says what a capture of the real packets has that wiretap's
/// reconstruction leaves out: pure ACKs and the handshake's options; and
/// what both share: the bytes and the FINs. Shown here with a real
/// capture on the loopback interface (root only: capturing needs it).
#[cfg(target_os = "linux")]
#[test]
fn a_loopback_capture_has_the_acks_and_options_the_reconstruction_leaves_out() {
    let Some(tshark) = tshark() else { return };
    if !shared::is_root("capturing on the loopback interface") {
        return;
    }
    if Command::new("dumpcap").arg("--version").output().is_err() {
        // Debian's tshark package brings it (wireshark-common).
        return shared::cannot_run("dumpcap is not on PATH");
    }
    let (server, client) = (chapter("tcp-server"), chapter("tcp-client"));
    let server = Server::start(server, &["127.0.0.1:0"]);
    let dir = TempDir::new("wiretap-pcap-real");
    let (real, rebuilt) = (dir.file("real.pcap"), dir.file("rebuilt.pcap"));
    // The real packets of a direct exchange, captured by dumpcap (tshark's
    // capture engine, which stops reliably on Ctrl-C; tshark itself does
    // not always when it comes early).
    let filter = format!("tcp port {}", server.addr.port());
    let capture = Process::start("dumpcap", &["-i", "lo", "-f", &filter, "-w", &real]);
    // "File: …" comes once the capture has started ("Capturing on" comes before).
    capture.stderr_line("File: ");
    assert!(run(&client, &[server.arg()]).status.success());
    // dumpcap writes as packets come; poll the file (with a deadline) until
    // both FINs are in, then stop it.
    let deadline = std::time::Instant::now() + PATIENCE;
    let fins = |file: &str| {
        let out = Command::new(tshark)
            .args(["-r", file, "-Y", "tcp.flags.fin == 1"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    while fins(&real) < 2 {
        if std::time::Instant::now() > deadline {
            let all = Command::new(tshark).args(["-r", &real]).output().unwrap();
            panic!("dumpcap saw no FINs: {all:?} {:?}", capture.stderr_so_far());
        }
    }
    let stopped = Command::new("kill")
        .args(["-INT", &capture.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(capture.finish().status.success());
    // The same exchange through wiretap.
    let tap = wiretap(server.addr, &["--pcap", &rebuilt, "--exit-after", "1"]);
    assert!(run(&client, &[tap.arg()]).status.success());
    assert!(tap.process.finish().status.success());

    let count = |file: &str, filter: &str| {
        tshark_says(tshark, &["-r", file, "-Y", filter])
            .lines()
            .count()
    };
    let pure_ack = "tcp.len == 0 && tcp.flags == 0x010";
    // Only the handshake's third segment is a pure ACK in the rebuilt file;
    // the kernel also acknowledged the data.
    assert_eq!(count(&rebuilt, pure_ack), 1);
    assert!(count(&real, pure_ack) > 1);
    // The kernel's SYNs carry options (MSS, window scale, SACK, timestamps).
    assert_eq!(count(&real, "tcp.flags.syn == 1 && tcp.options.mss_val"), 2);
    assert_eq!(count(&rebuilt, "tcp.options"), 0);
    // The same bytes each way, and a FIN from each side, in both.
    for file in [&real, &rebuilt] {
        let expected = [MESSAGE.as_bytes().to_vec(), REPLY.as_bytes().to_vec()];
        assert_eq!(follow(tshark, file, 0), expected, "{file}");
        assert_eq!(count(file, "tcp.flags.fin == 1"), 2, "{file}");
    }
}

/// While wiretap runs, the capture is rewritten (about once a second) as
/// packets come in: a learner can open it without stopping wiretap.
#[test]
fn the_capture_is_rewritten_while_wiretap_runs() {
    let Some(tshark) = tshark() else { return };
    let dir = TempDir::new("wiretap-pcap-live");
    let file = dir.file("live.pcap");
    let tap = wiretap(echo_tcp_server(), &["--pcap", &file]);
    assert_eq!(testkit::tcp_exchange(tap.addr, b"live").unwrap(), b"live");
    tap.process.stdout_line("连接结束");
    // 24 bytes of file header, then 7 packets of which 2 carry "live".
    let whole = 24 + 7 * (16 + 40) + 2 * 4;
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::fs::metadata(&file).map_or(0, |m| m.len()) < whole {
        assert!(
            std::time::Instant::now() < deadline,
            "not rewritten within {PATIENCE:?}"
        );
        // Polling a file, with a deadline: nothing tells us when it is rewritten.
        thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        follow(tshark, &file, 0),
        [b"live".to_vec(), b"live".to_vec()]
    );
}
