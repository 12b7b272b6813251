//! `tls-server.exe` makes its certificate pair on Windows: in an empty
//! folder it generates `server.crt` and `server.key` (whole, through a
//! temporary name and a rename, with no mode bits to set), names them with
//! the Windows paths a learner would copy, and serves with them. Linux's
//! `tls-client` and `openssl s_client -verify_return_error` verify it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use on_windows::{Os, TempDir, programs, unavailable, windows_path};

#[test]
fn tls_server_exe_generates_its_pair_and_linux_clients_verify_it() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-tls-generate");
    let server = programs.server_in(Os::Windows, "tls-server", &["127.0.0.1:0"], dir.path());
    let port = server.addr.port();

    // What it says, with the paths as a Windows learner sees them.
    let cert = windows_path(&dir.join("server.crt"));
    let key = windows_path(&dir.join("server.key"));
    let made = server.process.stdout_line("已生成自签名证书");
    // (The line goes on with the expiry date.)
    let expected = format!(
        "已生成自签名证书 {cert} 和私钥 {key}（不要把它发给别人），证书适用于 localhost、127.0.0.1、::1，有效期一年"
    );
    assert!(made.starts_with(&expected), "{made}");
    let hint = server.process.stdout_line("信任它");
    assert_eq!(
        hint,
        format!(
            "客户端用 --ca {cert} 信任它：cargo run -p tls-client -- localhost:{port} --ca {cert}"
        )
    );
    // The pair and nothing else: no temporary file or lock left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["server.crt", "server.key"]);

    // Linux's tls-client trusts that file, by name and by IP address.
    let ca = dir.file("server.crt");
    for addr in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let client = programs.run(Os::Linux, "tls-client", &[&addr, "Linux 来的", "--ca", &ca]);
        assert!(client.status.success(), "{addr}: {client:#?}");
        let lines: Vec<&str> = client.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{client:#?}");
        assert!(lines[0].ends_with("服务器的证书验证通过"), "{client:#?}");
        assert_eq!(lines[1], "收到服务器的响应: 数据已收到");
        server.process.stdout_line("的数据: Linux 来的");
    }

    // openssl verifies the chain and the name, and the server ends with
    // close_notify (no "unexpected eof").
    let Some(openssl) = testkit::openssl() else {
        unavailable("openssl is not on PATH");
        return;
    };
    let connect = server.arg();
    let mut args: Vec<&str> =
        "s_client -verify_return_error -verify_hostname localhost -servername localhost -ign_eof"
            .split_whitespace()
            .collect();
    args.extend(["-connect", &connect, "-CAfile", &ca]);
    let outcome = testkit::run_with_input(openssl, &args, "openssl 来的");
    let (out, err) = (&outcome.stdout, &outcome.stderr);
    assert!(outcome.status.success(), "stdout: {out}\nstderr: {err}");
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    // The reply has no line end: s_client prints its next "---" right after it.
    assert!(out.contains("数据已收到"), "{out}");
    assert!(!err.to_lowercase().contains("unexpected eof"), "{err}");
    server.process.stdout_line("的数据: openssl 来的");
}

/// Started again in the same folder, it uses the pair it made.
#[test]
fn tls_server_exe_uses_the_pair_it_made_next_time() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-tls-again");
    let first = programs.server_in(Os::Windows, "tls-server", &["127.0.0.1:0"], dir.path());
    first.process.stdout_line("已生成自签名证书");
    drop(first);
    let made = std::fs::read(dir.join("server.crt")).unwrap();
    let again = programs.server_in(Os::Windows, "tls-server", &["127.0.0.1:0"], dir.path());
    let using = again.process.stdout_line("使用证书");
    assert!(
        using.starts_with("使用证书 server.crt 和私钥 server.key"),
        "{using}"
    );
    let client = programs.run(
        Os::Windows,
        "tls-client",
        &[&again.arg(), "--ca", &windows_path(&dir.join("server.crt"))],
    );
    assert!(client.status.success(), "{client:#?}");
    assert_eq!(std::fs::read(dir.join("server.crt")).unwrap(), made);
}
