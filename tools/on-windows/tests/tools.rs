//! The book's sessions with its tools, run with the Windows builds:
//! `wiretap.exe` between Linux programs, drawing its Mermaid diagram into a
//! file given as a Windows path (written whole, then renamed), and
//! `peer.exe` against `tcp-server.exe` (a silent client, one long write)
//! and a Linux server (a reset through socket2's `SO_LINGER` on Winsock).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::time::Instant;

use on_windows::{Os, TempDir, programs, windows_path};
use testkit::deadline;

/// A wiretap line without its `#1 +0.001s  ` prefix (the time varies).
fn without_time(line: &str) -> &str {
    match line.split_once("s  ") {
        Some((prefix, rest)) if prefix.starts_with('#') => rest,
        _ => line,
    }
}

/// docs/src/tcp.md, "在线路上看": the Rust client through wiretap with
/// `--chunk 4` still gets the whole reply; wiretap shows every byte and
/// draws the connection. Then `--reset-after`: wiretap's RST (socket2's
/// `SO_LINGER` 0 on Winsock) reaches the Linux client as a reset.
///
/// Not here: a client's RST seen by `wiretap.exe`. Under Wine 8.0 a read
/// after the peer's RST returned 0 (as for a FIN) instead of
/// WSAECONNRESET, and an `accept` of a connection already reset failed
/// with WSAENOTCONN; both are Wine's, not Windows's (docs/src/windows.md).
#[test]
fn wiretap_exe_relays_in_chunks_draws_and_resets() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-wiretap");
    let server = programs.server(Os::Linux, "tcp-server", &["127.0.0.1:0"]);
    let diagram = dir.join("chunks.md");
    let wiretap = programs.server(
        Os::Windows,
        "wiretap",
        &[
            "127.0.0.1:0",
            &server.arg(),
            "--chunk",
            "4",
            "--exit-after",
            "1",
            "--mermaid",
            &windows_path(&diagram),
        ],
    );
    let client = programs.run(Os::Linux, "tcp-client", &[&wiretap.arg()]);
    assert_eq!(client.stdout, "收到服务器的响应: 数据已收到", "{client:#?}");
    server.process.stdout_line("收到来自");

    let ended = wiretap.process.finish();
    assert!(ended.status.success(), "{ended:#?}");
    let lines: Vec<&str> = ended.stdout.lines().map(without_time).collect();
    for expected in [
        "客户端 → 服务器  21 字节（按 --chunk 4 分 6 块转发，每块之前停 20 毫秒）",
        "    e4 bd a0 e5 a5 bd ef bc 8c e6 9c 8d e5 8a a1 e5  你好，服务器",
        "    99 a8 ef bc 81                                   ！",
        "服务器 → 客户端  15 字节（按 --chunk 4 分 4 块转发，每块之前停 20 毫秒）",
        "    e6 95 b0 e6 8d ae e5 b7 b2 e6 94 b6 e5 88 b0     数据已收到",
        "连接结束：客户端 → 服务器 21 字节，服务器 → 客户端 15 字节，历时 ",
        "已处理 1 个连接（--exit-after 1），wiretap 退出",
    ] {
        let found = lines.iter().any(|line| line.starts_with(expected));
        assert!(found, "{expected:?} in {lines:#?}");
    }
    assert_eq!(
        std::fs::read_to_string(&diagram).unwrap(),
        "```mermaid
sequenceDiagram
    participant C1 as 客户端 1
    participant S as 服务器
    C1->>S: 建立连接
    C1->>S: 21 字节 你好，服务器！（分 6 块转发）
    S->>C1: 15 字节 数据已收到（分 4 块转发）
    S-->>C1: FIN（关闭了写方向）
    C1-->>S: FIN（关闭了写方向）
```
"
    );

    let wiretap = programs.server(
        Os::Windows,
        "wiretap",
        &[
            "127.0.0.1:0",
            &server.arg(),
            "--reset-after",
            "10",
            "--exit-after",
            "1",
        ],
    );
    let client = programs.run(Os::Linux, "tcp-client", &[&wiretap.arg()]);
    assert_eq!(client.status.code(), Some(1), "{client:#?}");
    assert!(client.stderr.contains("连接被对方重置了"), "{client:#?}");
    let ended = wiretap.process.finish();
    let reset = "已转发 10 字节（--reset-after 10），wiretap 用 RST 重置两边的连接";
    assert!(
        ended.stdout.lines().any(|l| without_time(l) == reset),
        "{ended:#?}"
    );
}

/// docs/src/tcp.md: a silent client holds the sequential server until its
/// 5-second deadline, and the next client waits its turn; a reset, logged
/// by the server; one long write, answered.
#[test]
fn peer_exe_silent_reset_and_send_against_tcp_server_exe() {
    let Some(programs) = programs() else { return };
    let server = programs.server(Os::Windows, "tcp-server", &["127.0.0.1:0"]);
    let addr = server.arg();

    // Timed from before the silent client exists, so its connection cannot
    // have been accepted earlier: a loaded machine can only add to this.
    let started = Instant::now();
    let silent = programs.start(Os::Windows, "peer", &["silent", &addr]);
    silent.stdout_line("什么也不发送");
    let waiting = programs.start(Os::Linux, "tcp-client", &[&addr]);
    let dropped = server.process.stderr_line("通信时出错");
    assert!(dropped.ends_with("5 秒内没有完成对话，断开"), "{dropped}");
    silent.stdout_line("服务器关闭了连接（FIN）");
    let held = started.elapsed();
    assert!(held >= deadline::SERVER_LIMIT, "dropped after {held:?}");
    let waited = waiting.finish();
    assert_eq!(waited.stdout, "收到服务器的响应: 数据已收到", "{waited:#?}");

    // peer.exe's RST goes to the Linux server: under Wine, tcp-server.exe
    // sometimes read a peer's RST as a plain close (Wine's, see the
    // wiretap test above), while Linux always reports the reset.
    let linux_server = programs.server(Os::Linux, "tcp-server", &["127.0.0.1:0"]);
    let reset = programs.run(Os::Windows, "peer", &["reset", &linux_server.arg()]);
    assert!(reset.status.success(), "{reset:#?}");
    assert!(
        reset
            .stdout
            .ends_with("用 RST 重置了连接（SO_LINGER 设为 0 后关闭 Socket）"),
        "{reset:#?}"
    );
    let logged = linux_server.process.stderr_line("通信时出错");
    assert!(logged.ends_with("连接被对方重置"), "{logged}");

    let long = programs.run(
        Os::Windows,
        "peer",
        &["send", &addr, "好", "--times", "400"],
    );
    let lines: Vec<&str> = long.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("s 发送 1200 字节: “好” × 400")),
        "{long:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("s 收到 15 字节: 数据已收到")),
        "{long:#?}"
    );
    server.process.stdout_line("的数据: 好好好");
}
