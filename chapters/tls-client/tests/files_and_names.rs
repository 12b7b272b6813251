//! tls-client's `--ca` is looked at before it is read, and a certificate
//! that `tls-server --name` made is accepted for exactly those names.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::process::Command;

use testkit::{Outcome, Server, TempDir, run, run_in, skip};

const CLIENT: &str = env!("CARGO_BIN_EXE_tls-client");

/// Asserts a run that failed with exit code 1 and one line on stderr.
fn one_line_failure(outcome: &Outcome) -> &str {
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
    &outcome.stderr
}

#[test]
fn a_ca_that_is_not_a_small_regular_file_is_refused_in_one_line() {
    let dir = TempDir::new("tls-client-ca-not-file");
    let big = std::fs::File::create(dir.join("big.crt")).unwrap();
    big.set_len(2 * 1024 * 1024).unwrap(); // sparse: takes no room
    std::fs::create_dir(dir.join("folder.crt")).unwrap();
    let mut cases = vec![
        ("big.crt", "CA 证书文件 big.crt 有 2.0 MiB，太大了"),
        (
            "folder.crt",
            "CA 证书文件 folder.crt 是一个目录，不是普通文件",
        ),
    ];
    if cfg!(unix) {
        cases.push((
            "/dev/zero",
            "CA 证书文件 /dev/zero 是一个字符设备，不是普通文件",
        ));
        // Opening a named pipe to read waits for a writer that never comes.
        let fifo = Command::new("mkfifo").arg(dir.join("pipe.crt")).status();
        if fifo.is_ok_and(|status| status.success()) {
            cases.push(("pipe.crt", "CA 证书文件 pipe.crt 是一个命名管道（FIFO）"));
        } else {
            skip("mkfifo is not available: the named-pipe case is not checked");
        }
    }
    // The client stops before connecting, so no server is needed; run_in
    // fails the test if the client is still running after the usual patience.
    for (ca, expected) in cases {
        let outcome = run_in(CLIENT, &["127.0.0.1:9", "--ca", ca], Some(dir.path()));
        let line = one_line_failure(&outcome);
        assert!(line.contains(expected), "{ca}: {line}");
        assert!(
            line.contains("--ca 要指向 PEM 格式的证书文件"),
            "{ca}: {line}"
        );
    }
}

#[test]
fn a_certificate_made_with_name_is_refused_for_other_names() {
    let dir = TempDir::new("tls-client-name");
    let program = testkit::program("tls-server");
    let args = [
        "127.0.0.1:0",
        "--name",
        "192.0.2.10",
        "--name",
        "example.test",
    ];
    let server = Server::start_in(program, &args, Some(dir.path()));
    let ca = dir.file("server.crt");
    let addr = format!("localhost:{}", server.addr.port());
    let client = run(CLIENT, &[addr.as_str(), "--ca", &ca]);
    let line = one_line_failure(&client);
    assert!(
        line.contains(
            "证书上没有 \"localhost\" 这个名字（证书上的名字：192.0.2.10、example.test）"
        ),
        "{line}"
    );
}

/// Linux routes all of 127.0.0.0/8 to the loopback interface, so a server
/// can listen on 127.0.0.2 with a certificate made for that address only.
#[cfg(target_os = "linux")]
#[test]
fn a_certificate_made_with_name_for_an_address_is_accepted_there() {
    let dir = TempDir::new("tls-client-name-ip");
    let program = testkit::program("tls-server");
    let args = ["127.0.0.2:0", "--name", "127.0.0.2"];
    let server = Server::start_in(program, &args, Some(dir.path()));
    let made = server.process.stdout_line("已生成自签名证书");
    assert!(made.contains("证书适用于 127.0.0.2，"), "{made}");
    let ca = dir.file("server.crt");
    let client = run(CLIENT, &[server.arg().as_str(), "--ca", &ca]);
    assert!(client.status.success(), "{client:?}");
    assert!(
        client.stdout.ends_with("收到服务器的响应: 数据已收到"),
        "{client:?}"
    );
}

#[test]
fn help_says_what_ca_must_be() {
    let outcome = run(CLIENT, &["--help"]);
    assert!(outcome.status.success());
    assert!(
        outcome
            .stdout
            .contains("--ca 必须是一个普通文件，最大 1 MiB"),
        "{outcome:?}"
    );
}
