//! wiretap's command line: help, and a clear line for each mistake.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::TcpListener;

use testkit::run;

const WIRETAP: &str = env!("CARGO_BIN_EXE_wiretap");

#[test]
fn help_is_chinese_with_every_option_and_examples() {
    let outcome = run(WIRETAP, &["--help"]);
    assert!(outcome.status.success());
    let help = outcome.stdout;
    assert!(
        help.contains("用法: wiretap LISTEN_ADDR SERVER_ADDR [选项]"),
        "{help}"
    );
    for option in [
        "--udp",
        "--chunk N",
        "--delay MS",
        "--drop P",
        "--seed S",
        "--reset-after N",
        "--mermaid FILE",
        "--exit-after N",
        "--max-connections N",
        "--idle S",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
    assert!(
        help.contains("示例:\n  wiretap 127.0.0.1:9998 127.0.0.1:9999"),
        "{help}"
    );
}

#[test]
fn each_mistake_is_one_clear_line_and_a_failure() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    for (args, reason) in [
        (vec!["127.0.0.1:0"], "缺少服务器地址"),
        (
            vec!["127.0.0.1:0", "127.0.0.1:9", "--drop", "1"],
            "--drop 只能和 --udp 一起用",
        ),
        (
            vec!["127.0.0.1:0", "127.0.0.1:9", "--udp", "--drop", "2"],
            "0.3 表示丢三成",
        ),
        (
            vec!["127.0.0.1:0", "127.0.0.1:9", "--udp", "--chunk", "4"],
            "--chunk 只能用于 TCP",
        ),
        (
            vec!["127.0.0.1:0", "127.0.0.1:9", "--chunk", "0"],
            "需要一个正整数",
        ),
        (vec!["127.0.0.1:0", "127.0.0.1:9", "--udp=yes"], "不带值"),
        (
            vec!["127.0.0.1:0", "127.0.0.1:9", "--max-connections", "5000"],
            "最多 1024",
        ),
        (vec![busy.as_str(), "127.0.0.1:9"], "已被占用"),
        (
            vec![
                "127.0.0.1:0",
                "127.0.0.1:9",
                "--mermaid",
                "no/such/folder/x.md",
            ],
            "无法写入 --mermaid 文件",
        ),
    ] {
        let outcome = run(WIRETAP, &args);
        assert!(!outcome.status.success(), "{args:?}: {outcome:?}");
        assert_eq!(outcome.stderr.lines().count(), 1, "{args:?}: {outcome:?}");
        assert!(outcome.stderr.contains(reason), "{args:?}: {outcome:?}");
        assert!(outcome.stdout.is_empty(), "{args:?}: {outcome:?}");
    }
}

#[test]
fn forwarding_to_itself_is_refused() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let outcome = run(WIRETAP, &[addr.as_str(), addr.as_str()]);
    assert!(!outcome.status.success(), "{outcome:?}");
    assert!(
        outcome.stderr.contains("就是 wiretap 自己监听的地址"),
        "{outcome:?}"
    );
}

/// A free port on both loopbacks, by asking the system for one.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Issue 21, finding 3. On the code before the fix, only the literal same
/// address was caught: each of these started, and one client then made 64
/// relays of wiretap to itself (the run below waits for an exit that never
/// came and fails). `[::ffff:127.0.0.1]` is 127.0.0.1 written as IPv6;
/// `0.0.0.0` and `::` as a destination mean this machine.
#[test]
fn forwarding_to_itself_is_refused_in_every_spelling() {
    let port = free_port();
    let mut cases = vec![
        (
            format!("127.0.0.1:{port}"),
            format!("[::ffff:127.0.0.1]:{port}"),
        ),
        (format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")),
        (
            format!("0.0.0.0:{port}"),
            format!("[::ffff:127.0.0.1]:{port}"),
        ),
        (format!("localhost:{port}"), format!("0.0.0.0:{port}")),
    ];
    if testkit::has_ipv6_loopback() {
        cases.push((format!("[::1]:{port}"), format!("[::]:{port}")));
        cases.push((format!("[::]:{port}"), format!("0.0.0.0:{port}")));
        cases.push((format!("[::]:{port}"), format!("127.0.0.1:{port}")));
    }
    for (listen, server) in cases {
        for mode in [&[][..], &["--udp"][..]] {
            let mut args = vec![listen.as_str(), server.as_str()];
            args.extend_from_slice(mode);
            let outcome = run(WIRETAP, &args);
            assert!(!outcome.status.success(), "{args:?}: {outcome:?}");
            assert!(
                outcome.stderr.contains("就是 wiretap 自己监听的地址"),
                "{args:?}: {outcome:?}"
            );
        }
    }
}

/// A server on another port of this machine is not wiretap itself, in
/// whichever spelling: the guard refuses loops, not neighbours.
#[test]
fn another_port_of_this_machine_is_relayed() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let mapped = format!("[::ffff:127.0.0.1]:{}", server.local_addr().unwrap().port());
    let tap = testkit::Server::start(WIRETAP, &["0.0.0.0:0", mapped.as_str()]);
    let mut client = std::net::TcpStream::connect(("127.0.0.1", tap.addr.port())).unwrap();
    let (mut accepted, _) = server.accept().unwrap();
    use std::io::{Read, Write};
    client.write_all(b"hi").unwrap();
    let mut got = [0; 2];
    accepted.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hi");
}
