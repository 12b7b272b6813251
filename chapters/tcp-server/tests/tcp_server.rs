//! tcp-server, run as a real process on port 0 and spoken to over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::TcpStream;

use testkit::{Server, article_script, python3, reset_connections, run, send_and_close};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-server");

fn start() -> Server {
    Server::start(SERVER, &["127.0.0.1:0"])
}

/// The article's exchange, spoken by a minimal client: proves the server
/// still answers after whatever the test did to it before.
fn assert_serves(server: &Server) {
    let reply = testkit::tcp_exchange(server.addr, "你好，服务器！".as_bytes()).unwrap();
    assert_eq!(String::from_utf8(reply).unwrap(), "数据已收到");
    server.process.stdout_line("的数据: 你好，服务器！");
}

#[test]
fn first_line_is_the_articles_and_names_the_real_port() {
    let server = start();
    assert_ne!(server.addr.port(), 0);
    assert_serves(&server);
}

#[test]
fn prints_the_message_and_replies_byte_for_byte() {
    let server = start();
    let reply = testkit::tcp_exchange(server.addr, "自己的消息".as_bytes()).unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
    let line = server.process.stdout_line("收到来自");
    assert!(line.starts_with("收到来自 127.0.0.1:"), "{line}");
    assert!(line.ends_with(" 的数据: 自己的消息"), "{line}");
}

#[test]
fn serves_ipv6_loopback() {
    if !testkit::has_ipv6_loopback() {
        return;
    }
    let server = Server::start(SERVER, &["[::1]:0"]);
    assert!(server.addr.is_ipv6());
    assert_serves(&server);
}

#[test]
fn the_articles_python_client_gets_the_reply() {
    let Some(python) = python3() else { return };
    let server = start();
    let port = server.addr.port().to_string();
    let script = article_script("tcp_client.py");
    let client = run(python, &[script.to_str().unwrap(), "127.0.0.1", &port]);
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "收到服务器的响应: 数据已收到");
    server.process.stdout_line("的数据: 你好，服务器！");
}

#[test]
fn a_busy_port_is_one_clear_line_and_the_first_server_keeps_serving() {
    let server = start();
    let second = run(SERVER, &[server.arg()]);
    assert!(!second.status.success());
    assert_eq!(second.stderr.lines().count(), 1, "{second:?}");
    assert!(second.stderr.contains("绑定地址时出错"), "{second:?}");
    assert!(second.stderr.contains(&server.arg()), "{second:?}");
    assert!(second.stderr.contains("已被占用"), "{second:?}");
    assert_serves(&server);
}

#[test]
fn nonsense_addresses_are_refused_with_a_reason() {
    for (addr, reason) in [
        ("localhost", "缺少端口"),
        ("localhost:99999", "超出范围"),
        ("localhost:http", "不是数字"),
        ("::1:9999", "方括号"),
        ("no such host!:1", "字符"),
        ("nosuchhost.invalid:9999", "找不到主机"),
    ] {
        let outcome = run(SERVER, &[addr]);
        assert!(!outcome.status.success(), "{addr}: {outcome:?}");
        assert!(outcome.stderr.contains(reason), "{addr}: {outcome:?}");
        assert_eq!(outcome.stderr.lines().count(), 1, "{addr}: {outcome:?}");
        assert!(outcome.stdout.is_empty(), "{addr}: {outcome:?}");
    }
}

#[test]
fn help_is_chinese_with_an_example_and_exits_zero() {
    let outcome = run(SERVER, &["--help"]);
    assert!(outcome.status.success());
    assert!(
        outcome.stdout.contains("用法: tcp-server [ADDR]"),
        "{outcome:?}"
    );
    assert!(outcome.stdout.contains("示例:"), "{outcome:?}");
    assert!(outcome.stdout.contains("5 秒"), "the timeout is stated");
}

#[test]
fn a_silent_client_is_dropped_after_the_timeout_and_the_next_is_served() {
    let server = start();
    let silent = TcpStream::connect(server.addr).unwrap();
    server.process.stderr_line("5 秒内没有完成对话");
    assert_serves(&server);
    drop(silent);
}

#[test]
fn a_client_that_closes_without_sending_is_logged() {
    let server = start();
    drop(TcpStream::connect(server.addr).unwrap());
    server.process.stderr_line("没有发送数据就关闭了连接");
    assert_serves(&server);
}

#[test]
fn a_client_that_resets_does_not_stop_the_server() {
    let server = start();
    reset_connections(server.addr, 3);
    server.process.stderr_line("连接被对方重置");
    assert_serves(&server);
}

#[test]
fn a_megabyte_of_garbage_then_a_good_client() {
    let server = start();
    let garbage: Vec<u8> = (0..1u64 << 20).map(|i| (i * 7919 % 251) as u8).collect();
    send_and_close(server.addr, &garbage);
    // Only the first 1024 bytes are read, as in the article; the line shows them.
    server.process.stdout_line("的数据: ");
    assert_serves(&server);
}

#[test]
fn a_message_longer_than_the_buffer_still_gets_a_clean_reply() {
    // Only 1024 bytes are read; the rest must be drained before closing,
    // or the close becomes a reset that can take the reply with it.
    let server = start();
    let reply = testkit::tcp_exchange(server.addr, &[b'x'; 2000]).unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
    let line = server.process.stdout_line("的数据: ");
    assert!(line.ends_with(&"x".repeat(1024)) && !line.ends_with(&"x".repeat(1025)));
    assert_serves(&server);
}

#[test]
fn non_utf8_bytes_are_shown_lossily_and_still_answered() {
    let server = start();
    let reply = testkit::tcp_exchange(server.addr, b"\xff\xfe ok \x80").unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
    server
        .process
        .stdout_line("的数据: \u{FFFD}\u{FFFD} ok \u{FFFD}");
    assert_serves(&server);
}

#[test]
fn terminal_escape_sequences_from_a_client_are_shown_escaped() {
    // "Clear the screen" and a bell: printed raw, they would act on the
    // learner's terminal instead of being shown.
    let server = start();
    let reply = testkit::tcp_exchange(server.addr, b"\x1b[2J\x07hi").unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
    let line = server.process.stdout_line("的数据: ");
    assert!(line.ends_with("的数据: \\x1b[2J\\x07hi"), "{line:?}");
    assert!(!line.contains('\x1b'), "{line:?}");
}

/// Issue 21, finding 2: a report with a sentence hidden in tag characters
/// (and the other invisible characters the old hand-picked list missed)
/// reached the log raw. On the old code this failed.
#[test]
fn text_hidden_in_invisible_characters_is_shown_escaped() {
    let server = start();
    let hidden: String = "rm"
        .chars()
        .map(|c| char::from_u32(0xe0000 + c as u32).unwrap())
        .collect();
    let report = format!("小华 完成了练习 1{hidden}\u{ad}\u{180e}\u{3164}\u{fe0f}");
    let reply = testkit::tcp_exchange(server.addr, report.as_bytes()).unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
    let line = server.process.stdout_line("的数据: ");
    assert!(
        line.ends_with(
            "的数据: 小华 完成了练习 1\\u{e0072}\\u{e006d}\\u{00ad}\\u{180e}\\u{3164}\\u{fe0f}"
        ),
        "{line:?}"
    );
}

#[test]
fn invisible_unicode_that_reorders_or_forges_log_lines_is_shown_escaped() {
    // U+202E turns the rest of the line around, U+2028 is a line break to
    // some terminals and log viewers, U+200B cannot be seen at all.
    let server = start();
    let reply = testkit::tcp_exchange(server.addr, "a\u{202e}b\u{2028}c\u{200b}d".as_bytes());
    assert_eq!(reply.unwrap(), "数据已收到".as_bytes());
    let line = server.process.stdout_line("的数据: ");
    assert!(
        line.ends_with("的数据: a\\u{202e}b\\u{2028}c\\u{200b}d"),
        "{line:?}"
    );
}

#[test]
fn a_line_break_in_a_message_cannot_forge_a_log_line() {
    // Printed raw, the line break would start a second, convincing
    // "收到来自" line written by the client.
    let server = start();
    let forged = "hi\n收到来自 203.0.113.9:4444 的数据: 我是伪造的一行";
    let reply = testkit::tcp_exchange(server.addr, forged.as_bytes()).unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
    let line = server.process.stdout_line("收到来自");
    assert!(line.starts_with("收到来自 127.0.0.1:"), "{line}");
    assert!(
        line.ends_with("的数据: hi\\n收到来自 203.0.113.9:4444 的数据: 我是伪造的一行"),
        "{line}"
    );
    assert_serves(&server);
}

#[test]
fn keeps_serving_when_nobody_reads_its_output() {
    // Like `tcp-server | head -1`: after the first line stdout is gone, and
    // printing the next "收到来自" line fails. println! would panic there.
    let mut server = start();
    server.process.stop_reading_stdout();
    for _ in 0..5 {
        let reply = testkit::tcp_exchange(server.addr, "你好，服务器！".as_bytes()).unwrap();
        assert_eq!(reply, "数据已收到".as_bytes());
    }
    assert!(server.process.is_running());
}
