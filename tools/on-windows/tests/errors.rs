//! The error-handling chapter's lines, from the Windows programs: a refused
//! connection, addresses that are wrong or not this machine's, a port in
//! use, a certificate file that is missing.
//!
//! On Windows these start as Winsock and Win32 error codes (WSAECONNREFUSED
//! 10061, WSAEADDRINUSE 10048, WSAEADDRNOTAVAIL 10049, ERROR_FILE_NOT_FOUND
//! 2), which std turns into the same `io::ErrorKind`s as Linux's errno
//! values, and `common::errors` into the same sentences. So each case runs
//! the Linux program and the Windows one and asserts that they say exactly
//! the same thing, byte for byte, with the same exit code; then what that
//! one line must say. (Under Wine the codes come from Wine's translation of
//! Linux's errors; that Windows itself reports these codes for these cases
//! is Microsoft's documentation, linked in docs/src/windows.md.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::TcpListener;
use std::path::Path;

use on_windows::{Os, Programs, TempDir, programs};

/// Runs `name ARGS` in `dir` as a Linux and as a Windows program; both must
/// fail with `code` and print the same single line on stderr and nothing
/// on stdout. That line.
fn same_failure(programs: &Programs, name: &str, args: &[&str], dir: &Path, code: i32) -> String {
    let linux = programs.run_in(Os::Linux, name, args, dir);
    let windows = programs.run_in(Os::Windows, name, args, dir);
    for (os, outcome) in [(Os::Linux, &linux), (Os::Windows, &windows)] {
        assert_eq!(
            outcome.status.code(),
            Some(code),
            "{os:?} {name} {args:?}: {outcome:#?}"
        );
        assert_eq!(outcome.stdout, "", "{os:?} {name} {args:?}: {outcome:#?}");
        assert_eq!(
            outcome.stderr.lines().count(),
            1,
            "{os:?} {name} {args:?}: {outcome:#?}"
        );
    }
    assert_eq!(windows.stderr, linux.stderr, "{name} {args:?}");
    windows.stderr
}

/// A port on 127.0.0.1 where nothing listens (just closed by us).
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

#[test]
fn a_refused_connection_is_the_same_sentence() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-refused");
    let addr = closed_port();
    let line = same_failure(programs, "tcp-client", &[&addr], dir.path(), 1);
    assert_eq!(
        line,
        format!(
            "错误: 无法连接到 {addr}: 连接被拒绝，那里没有程序在监听。服务器启动了吗？请先启动服务器，并确认地址和端口与服务器打印的一致"
        )
    );
}

#[test]
fn bad_addresses_are_the_same_sentence() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-addresses");
    // Written wrong: refused before any socket call, exit code 2.
    for (addr, reason) in [
        ("localhost", "缺少端口"),
        ("localhost:65536", "超出范围"),
        ("::1:9999", "方括号"),
    ] {
        let line = same_failure(programs, "tcp-client", &[addr], dir.path(), 2);
        assert!(
            line.starts_with("错误: ") && line.contains(reason),
            "{addr}: {line}"
        );
    }
    // A name that does not resolve (Windows: WSAHOST_NOT_FOUND).
    let line = same_failure(
        programs,
        "tcp-client",
        &["nosuchhost.invalid:9999"],
        dir.path(),
        1,
    );
    assert!(line.contains("找不到主机 \"nosuchhost.invalid\""), "{line}");
    // An address that is not this machine's (Windows: WSAEADDRNOTAVAIL).
    let line = same_failure(programs, "tcp-server", &["192.0.2.1:9999"], dir.path(), 1);
    assert_eq!(
        line,
        "错误: 绑定地址时出错: 本机没有地址 192.0.2.1:9999。服务器只能绑定本机的地址：用 localhost、127.0.0.1，或用 0.0.0.0 接受所有网卡上的连接"
    );
}

/// A second server on a port in use (Windows: WSAEADDRINUSE), whichever
/// system's server holds it; the first one goes on serving.
#[test]
fn a_port_in_use_is_the_same_sentence_and_the_first_server_serves_on() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-in-use");
    for first_os in [Os::Windows, Os::Linux] {
        let first = programs.server(first_os, "tcp-server", &["127.0.0.1:0"]);
        let addr = first.arg();
        let line = same_failure(programs, "tcp-server", &[&addr], dir.path(), 1);
        assert_eq!(
            line,
            format!(
                "错误: 绑定地址时出错: {addr} 已被占用。也许上一次启动的服务器还没关掉；请先关掉它，或换一个端口（端口写 0 让系统挑一个空闲的）"
            ),
            "first server on {first_os:?}"
        );
        let client = programs.run(Os::Windows, "tcp-client", &[&addr]);
        assert_eq!(client.stdout, "收到服务器的响应: 数据已收到", "{client:#?}");
        first.process.stdout_line("的数据: 你好，服务器！");
    }
}

/// Certificate files that are not there: named, with the option that names
/// them, and nothing generated in their place.
#[test]
fn a_missing_certificate_file_is_the_same_sentence() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-missing-cert");
    let line = same_failure(
        programs,
        "tls-server",
        &["127.0.0.1:0", "--cert", "nope.crt", "--key", "nope.key"],
        dir.path(),
        1,
    );
    assert!(
        line.contains("找不到证书文件 nope.crt") && line.contains("--cert"),
        "{line}"
    );
    let line = same_failure(
        programs,
        "tls-client",
        &[&closed_port(), "--ca", "nope.crt"],
        dir.path(),
        1,
    );
    assert!(line.contains("nope.crt") && line.contains("--ca"), "{line}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing is generated: {left:?}");
}

/// A key with a passphrase, which rustls does not read: the one sentence
/// that differs by system on purpose. Its fix names openssl, which is not
/// on PowerShell's PATH even with Git for Windows, so the Windows program
/// gives the command in the form PowerShell runs.
#[test]
fn a_locked_key_gets_an_openssl_command_each_shell_can_run() {
    let Some(programs) = programs() else { return };
    let Some(openssl) = testkit::tool("openssl", &["version"], "apt-get install openssl") else {
        return;
    };
    let dir = TempDir::new("on-windows-locked-key");
    let make = |args: &str| {
        let made = std::process::Command::new(openssl)
            .args(args.split(' '))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(made.status.success(), "openssl {args}: {made:?}");
    };
    make("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out plain.key");
    make("req -new -x509 -key plain.key -out plain.crt -days 1 -subj /CN=localhost");
    make("pkey -in plain.key -aes256 -passout pass:secret -out locked.key");
    let args = ["127.0.0.1:0", "--cert", "plain.crt", "--key", "locked.key"];
    let linux = programs.run_in(Os::Linux, "tls-server", &args, dir.path());
    let windows = programs.run_in(Os::Windows, "tls-server", &args, dir.path());
    for (os, outcome) in [(Os::Linux, &linux), (Os::Windows, &windows)] {
        assert_eq!(outcome.status.code(), Some(1), "{os:?}: {outcome:#?}");
        assert_eq!(outcome.stderr.lines().count(), 1, "{os:?}: {outcome:#?}");
        assert!(
            outcome.stderr.contains("私钥文件 locked.key"),
            "{os:?}: {outcome:#?}"
        );
        assert!(outcome.stderr.contains("设了口令"), "{os:?}: {outcome:#?}");
    }
    assert!(
        linux
            .stderr
            .contains("先用 openssl pkey -in 原文件 -out 新文件"),
        "{}",
        linux.stderr
    );
    assert!(
        windows.stderr.contains(
            r#"& "$env:ProgramFiles\Git\usr\bin\openssl.exe" pkey -in 原文件 -out 新文件"#
        ),
        "{}",
        windows.stderr
    );
}
