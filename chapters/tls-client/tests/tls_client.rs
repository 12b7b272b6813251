//! tls-client, run as a real process against tls-server, the article's
//! Python TLS server and hand-made mistakes. Every certificate mistake a
//! learner can make must end with one line that says what to do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use rcgen::{CertificateParams, KeyPair, date_time_ymd};
use testkit::{Outcome, Server, TempDir, article_script, openssl, python3, run, run_in};

const CLIENT: &str = env!("CARGO_BIN_EXE_tls-client");

/// tls-server (built first if need be) started in `dir` on a free port.
fn tls_server(dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec!["127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start_in(testkit::program("tls-server"), &args, Some(dir.path()))
}

/// Writes a certificate and its key as `{stem}.crt` and `{stem}.key`.
fn write_pair(dir: &TempDir, stem: &str, params: CertificateParams) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_file, key_file) = (
        dir.file(&format!("{stem}.crt")),
        dir.file(&format!("{stem}.key")),
    );
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (cert_file, key_file)
}

fn names(names: &[&str]) -> CertificateParams {
    CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap()
}

/// Asserts a failed run that printed exactly one line on stderr.
fn one_line_failure(outcome: &Outcome) -> &str {
    assert!(!outcome.status.success(), "{outcome:?}");
    assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
    &outcome.stderr
}

fn assert_replied(outcome: &Outcome) {
    assert!(outcome.status.success(), "{outcome:?}");
    assert!(
        outcome.stdout.ends_with("收到服务器的响应: 数据已收到"),
        "{outcome:?}"
    );
}

// ---------------------------------------------------------------------------
// Working exchanges

#[test]
fn trusts_the_certificate_tls_server_generates() {
    let dir = TempDir::new("tls-client-generated");
    let server = tls_server(&dir, &[]);
    let port = server.addr.port();
    // "localhost" may resolve to ::1 first; the server listens on 127.0.0.1.
    let ca = dir.file("server.crt");
    let client = run(CLIENT, &[&format!("localhost:{port}"), "--ca", &ca]);
    assert_replied(&client);
    assert!(client.stdout.contains("服务器的证书验证通过"), "{client:?}");
    assert!(client.stdout.contains("TLSv1_3"), "{client:?}");
    let agreed = server.process.stdout_line("完成 TLS 握手");
    assert!(agreed.contains("TLSv1_3，TLS13_"), "{agreed}");
    server.process.stdout_line("的数据: 你好，服务器！");

    // From the server's directory the default --ca (server.crt) is enough,
    // and the certificate's IP address verifies too.
    let addr = server.arg();
    let client = run_in(CLIENT, &[addr.as_str(), "自己的消息"], Some(dir.path()));
    assert_replied(&client);
    server.process.stdout_line("的数据: 自己的消息");
}

#[test]
fn accepts_the_python_servers_close_without_close_notify() {
    let Some(python) = python3() else { return };
    let dir = TempDir::new("tls-client-python");
    let (cert, key) = write_pair(&dir, "server", names(&["localhost", "127.0.0.1"]));
    let script = article_script("tls_server.py");
    let args = [
        "-u",
        script.to_str().unwrap(),
        "127.0.0.1",
        "0",
        &cert,
        &key,
    ];
    let server = Server::start(python, &args);
    let addr = format!("localhost:{}", server.addr.port());
    let client = run(CLIENT, &[addr.as_str(), "--ca", &cert]);
    assert_replied(&client);
    let line = server.process.stdout_line("收到来自");
    assert!(line.ends_with("的数据: 你好，服务器！"), "{line}");
}

// ---------------------------------------------------------------------------
// Certificate mistakes, each with its own line

#[test]
fn trusting_another_generated_certificate_is_an_unknown_issuer() {
    let (here, elsewhere) = (
        TempDir::new("tls-client-issuer"),
        TempDir::new("tls-client-issuer-other"),
    );
    let other = tls_server(&elsewhere, &[]);
    drop(other);
    let server = tls_server(&here, &[]);
    let wrong = elsewhere.file("server.crt");
    let client = run(CLIENT, &[server.arg().as_str(), "--ca", &wrong]);
    let line = one_line_failure(&client);
    assert!(line.contains("UnknownIssuer"), "{line}");
    assert!(line.contains("信任的文件不对"), "{line}");
    assert!(line.contains("--ca"), "{line}");
    let log = server.process.stderr_line("TLS 握手失败");
    assert!(log.contains("客户端不接受本服务器的证书"), "{log}");
}

#[test]
fn trusting_a_different_certificate_with_the_same_name_is_explained() {
    // rcgen's default subject is the same for every certificate, so the
    // client takes the trusted one for the issuer and the signature fails.
    let dir = TempDir::new("tls-client-same-subject");
    let (cert, key) = write_pair(&dir, "server", names(&["localhost"]));
    let (impostor, _) = write_pair(&dir, "impostor", names(&["localhost"]));
    let server = tls_server(&dir, &["--cert", &cert, "--key", &key]);
    let addr = format!("localhost:{}", server.addr.port());
    let client = run(CLIENT, &[addr.as_str(), "--ca", &impostor]);
    let line = one_line_failure(&client);
    assert!(line.contains("BadSignature"), "{line}");
    assert!(line.contains("不是同一张"), "{line}");
    server.process.stderr_line("客户端不接受本服务器的证书");
}

#[test]
fn an_ip_address_the_certificate_does_not_name() {
    let dir = TempDir::new("tls-client-name");
    let (cert, key) = write_pair(&dir, "server", names(&["localhost"]));
    let server = tls_server(&dir, &["--cert", &cert, "--key", &key]);
    let client = run(CLIENT, &[server.arg().as_str(), "--ca", &cert]);
    let line = one_line_failure(&client);
    assert!(
        line.contains("证书上没有 \"127.0.0.1\" 这个名字（证书上的名字：localhost）"),
        "{line}"
    );
    let port = server.addr.port();
    assert!(line.contains(&format!("例如 localhost:{port}")), "{line}");
    // The advice works: the name in the certificate gets through.
    assert_replied(&run(CLIENT, &[&format!("localhost:{port}"), "--ca", &cert]));
}

#[test]
fn a_ca_certificate_used_as_the_server_certificate() {
    let Some(openssl) = openssl() else { return };
    let dir = TempDir::new("tls-client-ca-true");
    // What a bare `openssl req -x509` makes: basicConstraints CA:TRUE.
    let make = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout ca.key -out ca.crt -days 1 -subj /CN=localhost \
                -addext subjectAltName=DNS:localhost";
    let args: Vec<&str> = make.split_whitespace().collect();
    let made = run_in(openssl, &args, Some(dir.path()));
    assert!(made.status.success(), "{made:?}");
    let (cert, key) = (dir.file("ca.crt"), dir.file("ca.key"));
    let server = tls_server(&dir, &["--cert", &cert, "--key", &key]);
    let addr = format!("localhost:{}", server.addr.port());
    let client = run(CLIENT, &[addr.as_str(), "--ca", &cert]);
    let line = one_line_failure(&client);
    assert!(line.contains("CA:TRUE"), "{line}");
    assert!(line.contains("CaUsedAsEndEntity"), "{line}");
    assert!(
        line.contains("-addext basicConstraints=critical,CA:FALSE"),
        "{line}"
    );
    // The server knows it is its own certificate that is wrong: it says so
    // at start, and again when a client refuses it, with the fix on its side.
    // (Before it, a warning that this one-day certificate expires soon.)
    let warning = server.process.stderr_line("CA:TRUE");
    assert!(warning.contains("是一张 CA 证书（CA:TRUE）"), "{warning}");
    let log = server.process.stderr_line("TLS 握手失败");
    assert!(log.contains("要改的是服务器的证书，不是客户端"), "{log}");
}

#[test]
fn an_expired_certificate() {
    let dir = TempDir::new("tls-client-expired");
    let mut params = names(&["localhost"]);
    params.not_before = date_time_ymd(2000, 1, 1);
    params.not_after = date_time_ymd(2001, 1, 1);
    let (cert, key) = write_pair(&dir, "server", params);
    let server = tls_server(&dir, &["--cert", &cert, "--key", &key]);
    let addr = format!("localhost:{}", server.addr.port());
    let client = run(CLIENT, &[addr.as_str(), "--ca", &cert]);
    let line = one_line_failure(&client);
    // The whole line, as docs/src/security.md quotes it (the docs check
    // cannot make an expired certificate with OpenSSL 3.0's command line).
    assert_eq!(
        line,
        format!(
            "错误: 与 {addr} 的 TLS 握手失败：服务器的证书已经过期（Expired）。请重新生成证书：如果是 tls-server 生成的，删掉它目录里的 server.crt 和 server.key，再启动一次 tls-server"
        )
    );
    // The server hears why, and is told the fix is on its side.
    let log = server.process.stderr_line("CertificateExpired");
    assert!(log.contains("请重新生成证书"), "{log}");
}

// ---------------------------------------------------------------------------
// Servers that are not TLS servers, or not there

#[test]
fn a_plaintext_server_is_recognised() {
    let dir = TempDir::new("tls-client-plaintext");
    let (cert, _) = write_pair(&dir, "server", names(&["localhost"]));
    // Behaves like tcp-server: reads once, replies in plaintext, closes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let mut hello = [0; 1024];
        let _ = connection.read(&mut hello).unwrap();
        connection.write_all("数据已收到".as_bytes()).unwrap();
    });
    let client = run(CLIENT, &[addr.to_string().as_str(), "--ca", &cert]);
    let line = one_line_failure(&client);
    assert!(line.contains("不是 TLS 数据"), "{line}");
    assert!(line.contains("tcp-client"), "{line}");
    server.join().unwrap();
}

#[test]
fn a_refused_connection_asks_whether_the_server_runs() {
    let dir = TempDir::new("tls-client-refused");
    let (cert, _) = write_pair(&dir, "server", names(&["localhost"]));
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = run(CLIENT, &[closed.to_string().as_str(), "--ca", &cert]);
    let line = one_line_failure(&client);
    assert!(line.contains("服务器启动了吗"), "{line}");
}

// ---------------------------------------------------------------------------
// Learner mistakes with the --ca file: one line naming the file

#[test]
fn ca_file_mistakes_name_the_file_and_the_fix() {
    let dir = TempDir::new("tls-client-ca-file");
    let (_, key) = write_pair(&dir, "server", names(&["localhost"]));
    std::fs::write(dir.file("empty.crt"), "").unwrap();
    let broken = "-----BEGIN CERTIFICATE-----\n不是 base64!\n-----END CERTIFICATE-----\n";
    std::fs::write(dir.file("broken.crt"), broken).unwrap();
    let junk = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    std::fs::write(dir.file("junk.crt"), junk).unwrap();

    // The client stops before connecting, so no server is needed.
    for (ca, expected) in [
        ("missing.crt", "找不到 CA 证书文件 missing.crt"),
        ("empty.crt", "CA 证书文件 empty.crt 里没有证书"),
        ("broken.crt", "CA 证书文件 broken.crt 不是有效的 PEM 文件"),
        ("junk.crt", "CA 证书文件 junk.crt 里的证书无法解析"),
        (key.as_str(), "这是私钥文件"),
    ] {
        let outcome = run_in(CLIENT, &["127.0.0.1:9", "--ca", ca], Some(dir.path()));
        let line = one_line_failure(&outcome);
        assert!(line.contains(expected), "{ca}: {line}");
    }
    assert!(!dir.path().join("missing.crt").exists());
}

#[test]
fn without_ca_the_default_server_crt_is_named() {
    let dir = TempDir::new("tls-client-default-ca");
    let outcome = run_in(CLIENT, &["127.0.0.1:9"], Some(dir.path()));
    let line = one_line_failure(&outcome);
    assert!(line.contains("找不到 CA 证书文件 server.crt"), "{line}");
    assert!(line.contains("启动一次 tls-server"), "{line}");
}

#[test]
fn help_shows_the_ca_option_and_no_way_to_skip_verification() {
    let outcome = run(CLIENT, &["--help"]);
    assert!(outcome.status.success());
    assert!(
        outcome
            .stdout
            .contains("用法: tls-client [ADDR] [MESSAGE] [选项]"),
        "{outcome:?}"
    );
    assert!(outcome.stdout.contains("--ca FILE"), "{outcome:?}");
    assert!(
        outcome.stdout.contains("没有“跳过验证”的选项"),
        "{outcome:?}"
    );
}

// ---------------------------------------------------------------------------
// SSLKEYLOGFILE

/// With `SSLKEYLOGFILE` set, the session's secrets are appended there in
/// the NSS key log format (what Wireshark reads), and one line says so and
/// what the file means. Unset, nothing is written and nothing is said.
#[test]
fn sslkeylogfile_gets_the_secrets_only_when_set() {
    use std::ffi::OsStr;
    let dir = TempDir::new("tls-client-key-log");
    let server = tls_server(&dir, &[]);
    let ca = dir.file("server.crt");
    let keys = dir.file("keys.txt");
    let args = [server.arg(), "--ca".into(), ca];
    let env = [("SSLKEYLOGFILE", OsStr::new(&keys))];
    let logged: Outcome = testkit::Process::start_with_env(CLIENT, &args, None, &env).finish();
    assert_replied(&logged);
    assert_eq!(logged.stderr.lines().count(), 1, "{logged:?}");
    assert!(logged.stderr.contains(&keys), "{logged:?}");
    assert!(
        logged.stderr.contains("任何抓到这次通信的人都能解密"),
        "{logged:?}"
    );
    let secrets = std::fs::read_to_string(&keys).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ",
        "SERVER_TRAFFIC_SECRET_0 ",
    ] {
        assert!(secrets.contains(label), "{label} missing:\n{secrets}");
    }
    #[cfg(unix)]
    {
        // rustls creates it readable by its owner only: it holds the keys.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    std::fs::remove_file(&keys).unwrap();

    let plain = run(CLIENT, &args);
    assert_replied(&plain);
    assert!(plain.stderr.is_empty(), "{plain:?}");
    assert!(!std::path::Path::new(&keys).exists());
}

#[test]
fn an_sslkeylogfile_that_cannot_be_written_is_one_clear_line() {
    use std::ffi::OsStr;
    let dir = TempDir::new("tls-client-key-log-missing");
    let (ca, _) = write_pair(&dir, "ca", names(&["localhost"]));
    let keys = dir.file("no-such-folder/keys.txt");
    let env = [("SSLKEYLOGFILE", OsStr::new(&keys))];
    let args = ["127.0.0.1:1", "--ca", &ca];
    let outcome: Outcome = testkit::Process::start_with_env(CLIENT, &args, None, &env).finish();
    let line = one_line_failure(&outcome);
    assert!(line.contains("无法写入 SSLKEYLOGFILE"), "{line}");
    assert!(line.contains("no-such-folder"), "{line}");
}
