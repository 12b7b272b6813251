//! wiretap between real TCP clients and servers: the chapter programs, the
//! article's Python client, and tiny listeners in the test where a server
//! must do something the chapters' servers never do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use testkit::{PATIENCE, Server, TempDir, article_script, python3, run};

const WIRETAP: &str = env!("CARGO_BIN_EXE_wiretap");
const MESSAGE: &str = "你好，服务器！";
const REPLY: &str = "数据已收到";

/// wiretap on a free port in front of `server`.
fn wiretap(server: SocketAddr, options: &[&str]) -> Server {
    let server = server.to_string();
    let mut args = vec!["127.0.0.1:0", server.as_str()];
    args.extend_from_slice(options);
    Server::start(WIRETAP, &args)
}

/// A chapter's program, built first if need be.
fn chapter(name: &str) -> PathBuf {
    testkit::program(name)
}

fn tcp_server() -> Server {
    Server::start(chapter("tcp-server"), &["127.0.0.1:0"])
}

/// A server that reads until the client closes its sending side, sends
/// back what it read, and closes: what it got is what crossed wiretap.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let mut got = Vec::new();
                if stream.read_to_end(&mut got).is_ok() {
                    let _ = stream.write_all(&got);
                }
            });
        }
    });
    addr
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends, closes the sending side, reads everything back.
fn echo_through(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr);
    stream.write_all(bytes).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    back
}

/// The bytes wiretap's hexdump shows under the first line containing `header`.
fn bytes_shown(log: &str, header: &str) -> Vec<u8> {
    let mut lines = log.lines().skip_while(|line| !line.contains(header));
    assert!(lines.next().is_some(), "no line with {header:?} in:\n{log}");
    lines
        .take_while(|line| line.starts_with("    ") && !line.contains("没有显示"))
        .flat_map(|line| {
            let hex = line[4..].get(..47).unwrap_or(&line[4..]).to_string();
            hex.split_whitespace()
                .map(|pair| u8::from_str_radix(pair, 16).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_articles_python_client_exchanges_the_same_bytes_through_wiretap() {
    let Some(python) = python3() else { return };
    let server = tcp_server();
    let script = article_script("tcp_client.py");
    let script = script.to_str().unwrap();
    let direct = run(
        python,
        &[script, "127.0.0.1", &server.addr.port().to_string()],
    );
    server.process.stdout_line(&format!("的数据: {MESSAGE}"));

    let tap = wiretap(server.addr, &["--exit-after", "1"]);
    let relayed = run(python, &[script, "127.0.0.1", &tap.addr.port().to_string()]);
    assert!(relayed.status.success(), "{relayed:?}");
    assert_eq!(relayed.stdout, direct.stdout);
    assert_eq!(relayed.stdout, format!("收到服务器的响应: {REPLY}"));
    server.process.stdout_line(&format!("的数据: {MESSAGE}"));

    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    // The same helper finds the plaintext where there is no TLS.
    assert_eq!(
        all_chunks_shown(&log.stdout),
        [MESSAGE.as_bytes(), REPLY.as_bytes()]
    );
    let sent = bytes_shown(&log.stdout, "客户端 → 服务器  21 字节");
    assert_eq!(sent, MESSAGE.as_bytes(), "{}", log.stdout);
    let replied = bytes_shown(&log.stdout, "服务器 → 客户端  15 字节");
    assert_eq!(replied, REPLY.as_bytes(), "{}", log.stdout);
    assert!(
        log.stdout
            .contains("e4 bd a0 e5 a5 bd ef bc 8c e6 9c 8d e5 8a a1 e5  你好，服务器")
    );
    assert!(log.stdout.contains("已处理 1 个连接"), "{}", log.stdout);
}

#[test]
fn chunk_1_gives_tcp_server_part_of_the_message_and_tcp_client_the_whole_reply() {
    let server = tcp_server();
    let client = chapter("tcp-client");
    let tap = wiretap(server.addr, &["--chunk", "1", "--exit-after", "1"]);
    let outcome = run(client, &[tap.arg()]);
    assert!(outcome.status.success(), "{outcome:?}");
    assert_eq!(outcome.stdout, format!("收到服务器的响应: {REPLY}"));
    // tcp-server reads once: with one byte per piece it gets the start only.
    let line = server.process.stdout_line("的数据: ");
    let got = line.split("的数据: ").nth(1).unwrap();
    assert!(
        got.len() < MESSAGE.len(),
        "the whole message in one read: {line}"
    );
    assert!(got.contains('\u{fffd}'), "{line}");
    let log = tap.process.finish();
    assert!(
        log.stdout.contains("按 --chunk 1 分 21 块转发"),
        "{}",
        log.stdout
    );
}

#[test]
fn a_reset_from_the_client_reaches_tcp_server_as_a_reset() {
    let server = tcp_server();
    let tap = wiretap(server.addr, &[]);
    testkit::reset_connections(tap.addr, 1);
    tap.process
        .stdout_line("客户端 → 服务器  RST：连接被客户端重置，已用 RST 转告服务器");
    server.process.stderr_line("连接被对方重置");
    // And the relay goes on serving.
    let reply = testkit::tcp_exchange(tap.addr, MESSAGE.as_bytes()).unwrap();
    assert_eq!(reply, REPLY.as_bytes());
}

#[test]
fn a_reset_from_the_server_reaches_the_client_as_a_reset() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap();
    let resetter = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        socket2::SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    let tap = wiretap(server, &[]);
    let mut client = connect(tap.addr);
    resetter.join().unwrap();
    tap.process
        .stdout_line("服务器 → 客户端  RST：连接被服务器重置，已用 RST 转告客户端");
    let error = client.read(&mut [0; 16]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
}

#[test]
fn a_polite_close_is_passed_on_as_fin_in_each_direction() {
    let tap = wiretap(echo_server(), &[]);
    assert_eq!(echo_through(tap.addr, b"hello"), b"hello");
    tap.process
        .stdout_line("客户端 → 服务器  FIN：客户端关闭了写方向");
    tap.process
        .stdout_line("服务器 → 客户端  FIN：服务器关闭了写方向");
    tap.process
        .stdout_line("连接结束：客户端 → 服务器 5 字节，服务器 → 客户端 5 字节");
}

#[test]
fn a_utf8_character_cut_between_two_reads_is_shown_as_cut_and_then_joined() {
    let tap = wiretap(echo_server(), &[]);
    let mut client = connect(tap.addr);
    // 好 = e5 a5 bd. The second write waits until wiretap has shown the
    // first read, so the two arrive in two reads.
    client.write_all(b"ab\xe5\xa5").unwrap();
    tap.process.stdout_line("ab…[被截断的 UTF-8 字符 e5 a5]");
    client.write_all(b"\xbdcd").unwrap();
    tap.process.stdout_line("[接上一块的 bd，拼成“好”]cd");
    client.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    client.read_to_end(&mut back).unwrap();
    assert_eq!(
        back,
        "ab好cd".as_bytes(),
        "the bytes themselves are untouched"
    );
}

#[test]
fn reset_after_cuts_both_sides_off_after_that_many_bytes() {
    let tap = wiretap(echo_server(), &["--reset-after", "5"]);
    let mut client = connect(tap.addr);
    client.write_all(MESSAGE.as_bytes()).unwrap();
    tap.process
        .stdout_line("已转发 5 字节（--reset-after 5），wiretap 用 RST 重置两边的连接");
    let error = client.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
}

#[test]
fn a_silent_connection_times_out_after_idle_seconds() {
    let tap = wiretap(echo_server(), &["--idle", "1"]);
    let mut client = connect(tap.addr);
    tap.process
        .stdout_line("超时：1 秒没有任何数据（--idle），wiretap 关闭两边的连接");
    assert_eq!(client.read(&mut [0; 16]).unwrap(), 0, "closed with FIN");
}

#[test]
fn at_the_connection_cap_a_client_is_turned_away_and_the_relay_goes_on() {
    let tap = wiretap(echo_server(), &["--max-connections", "1"]);
    let holder = connect(tap.addr);
    tap.process.stdout_line("#1 ");
    let mut turned_away = connect(tap.addr);
    tap.process
        .stderr_line("同时转发的连接已达上限 1 个（--max-connections），拒绝了");
    assert_eq!(turned_away.read(&mut [0; 16]).unwrap(), 0);
    // The first connection ends; its place is free again.
    holder.shutdown(Shutdown::Write).unwrap();
    tap.process.stdout_line("连接结束");
    assert_eq!(echo_through(tap.addr, b"again"), b"again");
}

#[test]
fn no_server_means_a_reset_for_the_client_a_clear_line_and_the_relay_goes_on() {
    // A port nobody listens on, until this test listens on it itself.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = free.local_addr().unwrap();
    drop(free);
    let tap = wiretap(server, &[]);
    // The kernel completes the handshake before wiretap accepts; wiretap
    // then fails to reach the server and resets the client. On a loaded
    // machine that reset can arrive before connect_timeout has seen the
    // connection established, and then connect itself reports it. Either
    // way the client was reset, which is what load cannot change.
    let connected = TcpStream::connect_timeout(&tap.addr, PATIENCE);
    tap.process.stderr_line("无法连接到 127.0.0.1:");
    let ended = connected.and_then(|mut client| {
        client.set_read_timeout(Some(PATIENCE))?;
        client.read(&mut [0; 16])
    });
    assert!(
        matches!(&ended, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "{ended:?}"
    );
    // The server starts after all: the same wiretap now reaches it.
    let listener = TcpListener::bind(server).unwrap();
    let answer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(b"late but here").unwrap();
    });
    let mut client = connect(tap.addr);
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).unwrap();
    answer.join().unwrap();
    assert_eq!(reply, b"late but here");
}

#[test]
fn the_mermaid_file_names_every_event_of_the_run_and_only_those() {
    let server = tcp_server();
    let client = chapter("tcp-client");
    let dir = TempDir::new("wiretap-mermaid");
    let file = dir.file("tcp.md");
    let tap = wiretap(server.addr, &["--mermaid", &file, "--exit-after", "2"]);
    let outcome = run(client, &[tap.arg()]);
    assert!(outcome.status.success(), "{outcome:?}");
    tap.process.stdout_line("#1 ");
    tap.process.stdout_line("连接结束");
    testkit::reset_connections(tap.addr, 1);
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    let diagram = std::fs::read_to_string(&file).unwrap();
    let expected = "```mermaid
sequenceDiagram
    participant C1 as 客户端 1
    participant S as 服务器
    participant C2 as 客户端 2
    C1->>S: 建立连接
    C1->>S: 21 字节 你好，服务器！
    S->>C1: 15 字节 数据已收到
    S-->>C1: FIN（关闭了写方向）
    C1-->>S: FIN（关闭了写方向）
    C2->>S: 建立连接
    C2-xS: RST（连接被重置）
```
";
    assert_eq!(diagram, expected);
    // Only the diagram is left in the folder: no temporary file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn three_clients_at_once_through_wiretap_to_threaded_server_are_each_answered() {
    let server = chapter("threaded-server");
    let client = chapter("tcp-client");
    let server = Server::start(server, &["127.0.0.1:0"]);
    let tap = wiretap(server.addr, &["--exit-after", "3"]);
    let clients: Vec<_> = ["一", "二", "三"]
        .into_iter()
        .map(|name| testkit::Process::start(&client, &[tap.arg(), format!("客户端{name}")]))
        .collect();
    for client in clients {
        let outcome = client.finish();
        assert!(outcome.status.success(), "{outcome:?}");
        assert_eq!(outcome.stdout, format!("收到服务器的响应: {REPLY}"));
    }
    let log = tap.process.finish();
    for id in 1..=3 {
        let ended = format!("#{id} ");
        assert!(
            log.stdout
                .lines()
                .any(|l| l.starts_with(&ended) && l.contains("连接结束：客户端 → 服务器 12 字节")),
            "{}",
            log.stdout
        );
    }
}

#[test]
fn through_tls_only_records_cross_and_the_message_never_shows() {
    let server = chapter("tls-server");
    let client = chapter("tls-client");
    let dir = TempDir::new("wiretap-tls");
    // tls-server makes server.crt and server.key in its folder; tls-client trusts that file.
    let server = Server::start_in(server, &["127.0.0.1:0"], Some(dir.path()));
    let tap = wiretap(server.addr, &["--exit-after", "1"]);
    let ca = dir.file("server.crt");
    let outcome = run(client, &[tap.arg(), "--ca".into(), ca]);
    assert!(outcome.status.success(), "{outcome:?}");
    assert!(
        outcome
            .stdout
            .ends_with(&format!("收到服务器的响应: {REPLY}")),
        "{outcome:?}"
    );
    let log = tap.process.finish().stdout;
    assert!(log.contains("（TLS 记录：握手）"), "{log}");
    assert!(log.contains("加密数据"), "{log}");
    // Neither the message nor the reply crossed as readable bytes.
    let chunks = all_chunks_shown(&log);
    assert!(chunks.len() >= 4, "{log}");
    for secret in [MESSAGE, REPLY] {
        let secret = secret.as_bytes();
        let seen = chunks
            .iter()
            .any(|c| c.windows(secret.len()).any(|w| w == secret));
        assert!(!seen, "plaintext in:\n{log}");
    }
}

/// The bytes of every chunk wiretap showed, one list per chunk.
fn all_chunks_shown(log: &str) -> Vec<Vec<u8>> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for line in log.lines() {
        if line.starts_with('#') && line.contains(" 字节") && !line.contains("连接结束") {
            chunks.push(Vec::new());
        } else if let (Some(chunk), Some(row)) = (chunks.last_mut(), line.strip_prefix("    ")) {
            let hex = row.get(..47).unwrap_or(row);
            let pairs = hex.split_whitespace().map(|p| u8::from_str_radix(p, 16));
            chunk.extend(pairs.map_while(Result::ok));
        }
    }
    chunks
}

/// Issue 21: `--exit-after` counted the connections it turned away at the
/// cap. On the code before the fix, the refused second client made the
/// count 2, so wiretap stopped accepting and the third client below was
/// never relayed ("已处理 2 个连接" after relaying one). Now only the
/// connections it relayed count.
#[test]
fn exit_after_counts_relayed_connections_not_refused_ones() {
    let tap = wiretap(
        echo_server(),
        &["--max-connections", "1", "--exit-after", "2"],
    );
    let holder = connect(tap.addr);
    tap.process.stdout_line("#1 ");
    let mut turned_away = connect(tap.addr);
    tap.process.stderr_line("拒绝了");
    assert_eq!(turned_away.read(&mut [0; 16]).unwrap(), 0);
    holder.shutdown(Shutdown::Write).unwrap();
    tap.process.stdout_line("连接结束");
    assert_eq!(echo_through(tap.addr, b"third"), b"third");
    let log = tap.process.finish();
    assert!(log.status.success(), "{log:?}");
    assert!(
        log.stdout.ends_with(
            "已处理 2 个连接（--exit-after 2），wiretap 退出；因为达到上限被拒绝的 1 个不算在内"
        ),
        "{log:?}"
    );
}
