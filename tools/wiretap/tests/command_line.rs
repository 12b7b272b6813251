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
