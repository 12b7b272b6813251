//! tls-server, run as a real process on port 0, spoken to by real TLS
//! clients: a small rustls client written here, `openssl s_client` and
//! Python's `ssl` module. Certificates live in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use testkit::{PATIENCE, Server, TempDir, openssl, python3, run_in, run_with_input};

const SERVER: &str = env!("CARGO_BIN_EXE_tls-server");

/// Starts tls-server in `dir` (where it looks for or generates its files).
fn start_in(dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec!["127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start_in(SERVER, &args, Some(dir.path()))
}

/// A verifying rustls client's connection: trusts only `ca`, checks `name`.
fn tls_connect(addr: SocketAddr, ca: &Path, name: &str) -> (ClientConnection, TcpStream) {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let tls = ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    (tls, tcp)
}

/// Sends `message` and reads until the server's close_notify: `read_to_end`
/// succeeds only if close_notify came; a bare close is `UnexpectedEof`.
fn tls_exchange(addr: SocketAddr, ca: &Path, name: &str, message: &str) -> io::Result<String> {
    let (mut tls, mut tcp) = tls_connect(addr, ca, name);
    let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
    stream.write_all(message.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(String::from_utf8(reply).unwrap())
}

/// The article's exchange over TLS, then the server's log of it.
fn assert_serves(server: &Server, ca: &Path) {
    let reply = tls_exchange(server.addr, ca, "localhost", "你好，服务器！").unwrap();
    assert_eq!(reply, "数据已收到");
    server.process.stdout_line("的数据: 你好，服务器！");
}

/// Runs one openssl command (words without spaces, files relative to `dir`).
fn openssl_ok(openssl: &str, dir: &TempDir, command: &str) {
    let args: Vec<&str> = command.split_whitespace().collect();
    let outcome = run_in(openssl, &args, Some(dir.path()));
    assert!(outcome.status.success(), "openssl {command}: {outcome:?}");
}

// ---------------------------------------------------------------------------
// The generated certificate

#[test]
fn generates_a_pair_in_an_empty_directory_and_serves_with_it() {
    let dir = TempDir::new("tls-server-generate");
    let server = start_in(&dir, &[]);
    assert_ne!(server.addr.port(), 0);
    let made = server.process.stdout_line("已生成自签名证书");
    assert!(made.contains("localhost、127.0.0.1、::1"), "{made}");
    let hint = server.process.stdout_line("信任它");
    let port = server.addr.port();
    // The path in the hint is absolute: it works from any directory.
    let (command, ca_path) = hint.rsplit_once(" --ca ").unwrap();
    assert!(
        command.ends_with(&format!("tls-client -- localhost:{port}")),
        "{hint}"
    );
    let ca_path = std::path::Path::new(ca_path);
    assert!(
        ca_path.is_absolute() && ca_path.ends_with("server.crt"),
        "{hint}"
    );
    assert!(ca_path.is_file(), "{hint}");

    let ca = dir.join("server.crt");
    // Both the DNS name and the IP in the certificate verify.
    assert_eq!(
        tls_exchange(server.addr, &ca, "127.0.0.1", "按 IP").unwrap(),
        "数据已收到"
    );
    let agreed = server.process.stdout_line("完成 TLS 握手");
    assert!(agreed.contains("TLSv1_3，TLS13_"), "{agreed}");
    server.process.stdout_line("的数据: 按 IP");
    assert_serves(&server, &ca);
}

#[test]
fn the_generated_certificate_is_not_a_ca_and_is_reused_next_time() {
    let dir = TempDir::new("tls-server-reuse");
    let first = start_in(&dir, &[]);
    first.process.stdout_line("已生成自签名证书");
    drop(first);
    let cert = std::fs::read(dir.join("server.crt")).unwrap();

    let second = start_in(&dir, &[]);
    second
        .process
        .stdout_line("使用证书 server.crt 和私钥 server.key");
    assert_eq!(std::fs::read(dir.join("server.crt")).unwrap(), cert);
    assert_serves(&second, &dir.join("server.crt"));

    // Nothing half-written is left behind: exactly the two files.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["server.crt", "server.key"]);

    let Some(openssl) = openssl() else { return };
    let text = run_in(
        openssl,
        &[
            "x509",
            "-in",
            "server.crt",
            "-noout",
            "-ext",
            "basicConstraints",
        ],
        Some(dir.path()),
    );
    assert!(text.stdout.contains("CA:FALSE"), "{text:?}");
}

#[cfg(unix)]
#[test]
fn the_generated_key_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("tls-server-mode");
    let server = start_in(&dir, &[]);
    server.process.stdout_line("权限 0600");
    let mode = std::fs::metadata(dir.join("server.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "server.key mode {mode:o}");
}

// ---------------------------------------------------------------------------
// Certificates made by openssl, in each key format it writes

#[test]
fn loads_each_key_format_openssl_makes() {
    let Some(openssl) = openssl() else { return };
    let dir = TempDir::new("tls-server-formats");
    // OpenSSL 3 writes PKCS#8 by default; -traditional gives the older PKCS#1.
    openssl_ok(
        openssl,
        &dir,
        "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa8.key",
    );
    openssl_ok(openssl, &dir, "rsa -in rsa8.key -traditional -out rsa1.key");
    openssl_ok(
        openssl,
        &dir,
        "ecparam -name prime256v1 -genkey -noout -out ec.key",
    );
    for (key, header) in [
        ("rsa8.key", "-----BEGIN PRIVATE KEY-----"),
        ("rsa1.key", "-----BEGIN RSA PRIVATE KEY-----"),
        ("ec.key", "-----BEGIN EC PRIVATE KEY-----"),
    ] {
        let pem = std::fs::read_to_string(dir.join(key)).unwrap();
        assert!(pem.starts_with(header), "{key} is not {header}: {pem}");
        let cert = format!("{key}.crt");
        openssl_ok(
            openssl,
            &dir,
            &format!(
                "req -new -x509 -key {key} -out {cert} -days 1 -subj /CN=localhost \
                 -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
                 -addext basicConstraints=critical,CA:FALSE"
            ),
        );
        let server = start_in(&dir, &["--cert", &cert, "--key", key]);
        server
            .process
            .stdout_line(&format!("使用证书 {cert} 和私钥 {key}"));
        assert_serves(&server, &dir.join(&cert));
    }
    // The one kind rustls does not read: a key protected by a passphrase.
    openssl_ok(
        openssl,
        &dir,
        "pkey -in ec.key -aes256 -passout pass:secret -out locked.key",
    );
    let line = refused(&dir, &["--cert", "ec.key.crt", "--key", "locked.key"]);
    assert!(line.contains("私钥文件 locked.key"), "{line}");
    assert!(line.contains("设了口令"), "{line}");
}

// ---------------------------------------------------------------------------
// Real TLS peers

#[test]
fn openssl_s_client_verifies_the_server_and_gets_the_reply() {
    let Some(openssl) = openssl() else { return };
    let dir = TempDir::new("tls-server-s_client");
    let server = start_in(&dir, &[]);
    let connect = server.arg();
    let ca = dir.file("server.crt");
    // -ign_eof: keep reading after our stdin ends, until the server closes.
    let checks =
        "s_client -verify_return_error -verify_hostname localhost -servername localhost -ign_eof";
    let mut args: Vec<&str> = checks.split_whitespace().collect();
    args.extend(["-connect", &connect, "-CAfile", &ca]);
    let outcome = run_with_input(openssl, &args, "你好，服务器！");
    let (out, err) = (&outcome.stdout, &outcome.stderr);
    assert!(
        outcome.status.success(),
        "s_client failed\nstdout: {out}\nstderr: {err}"
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains("数据已收到"), "{out}");
    // The server said goodbye with close_notify, so no unexpected EOF.
    assert!(!err.to_lowercase().contains("unexpected eof"), "{err}");
    server.process.stdout_line("的数据: 你好，服务器！");
}

#[test]
fn pythons_ssl_client_with_hostname_checking_gets_the_reply() {
    let Some(python) = python3() else { return };
    const CLIENT: &str = "import socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=cafile)
assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
with socket.create_connection((host, port), timeout=20) as sock:
    with context.wrap_socket(sock, server_hostname=host) as tls:
        tls.sendall('你好，服务器！'.encode())
        reply = b''
        while chunk := tls.recv(1024):
            reply += chunk
        print(tls.version(), reply.decode())
";
    let dir = TempDir::new("tls-server-python");
    let server = start_in(&dir, &[]);
    let port = server.addr.port().to_string();
    let ca = dir.file("server.crt");
    let client = testkit::run(python, &["-c", CLIENT, "localhost", &port, &ca]);
    assert!(client.status.success(), "{client:?}");
    assert!(client.stdout.ends_with(" 数据已收到"), "{client:?}");
    assert!(client.stdout.starts_with("TLSv1."), "{client:?}");
    server.process.stdout_line("的数据: 你好，服务器！");
}

// ---------------------------------------------------------------------------
// Clients that do not speak TLS, or stop halfway

#[test]
fn a_plaintext_client_is_logged_and_the_next_client_is_served() {
    let dir = TempDir::new("tls-server-plaintext");
    let server = start_in(&dir, &[]);
    // What tcp-client sends, without TLS.
    let mut plain = TcpStream::connect(server.addr).unwrap();
    plain.set_read_timeout(Some(PATIENCE)).unwrap();
    plain.write_all("你好，服务器！".as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !String::from_utf8_lossy(&answer).contains("数据已收到"),
        "a plaintext client must not get the reply"
    );
    let line = server.process.stderr_line("TLS 握手失败");
    assert!(line.contains("不是 TLS 数据"), "{line}");
    assert!(line.contains("tcp-client"), "{line}");
    assert_serves(&server, &dir.join("server.crt"));
}

#[test]
fn a_garbage_handshake_is_logged_and_the_next_client_is_served() {
    let dir = TempDir::new("tls-server-garbage");
    let server = start_in(&dir, &[]);
    // A record that claims to be a TLS handshake, then a megabyte of noise.
    let mut garbage = b"\x16\x03\x01\x00\x05hello".to_vec();
    garbage.extend((0..1u32 << 20).map(|i| (i.wrapping_mul(7919) % 251) as u8));
    testkit::send_and_close(server.addr, &garbage);
    server.process.stderr_line("TLS 握手失败");
    assert_serves(&server, &dir.join("server.crt"));
}

#[test]
fn clients_that_hang_up_early_are_logged() {
    let dir = TempDir::new("tls-server-hangup");
    let server = start_in(&dir, &[]);
    let ca = dir.join("server.crt");
    drop(TcpStream::connect(server.addr).unwrap());
    server.process.stderr_line("握手完成前就关闭了连接");

    // A full handshake, then a close without a byte of data (and without
    // close_notify). Reading to the end before dropping the socket keeps the
    // server's session tickets from being left unread, which would make the
    // kernel answer with a reset instead of a plain close.
    let (mut tls, mut tcp) = tls_connect(server.addr, &ca, "localhost");
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp).unwrap();
    }
    tcp.shutdown(Shutdown::Write).unwrap();
    let _ = tcp.read_to_end(&mut Vec::new());
    server.process.stdout_line("完成 TLS 握手");
    server.process.stderr_line("没有发送数据就关闭了连接");
    assert_serves(&server, &ca);
}

#[test]
fn a_silent_client_times_out_and_the_next_is_served() {
    let dir = TempDir::new("tls-server-silent");
    let server = start_in(&dir, &[]);
    let silent = TcpStream::connect(server.addr).unwrap();
    server.process.stderr_line("5 秒内没有完成对话");
    assert_serves(&server, &dir.join("server.crt"));
    drop(silent);
}

// ---------------------------------------------------------------------------
// Learner mistakes with the files: one line naming the file, non-zero exit

/// Runs tls-server in `dir` and returns its single stderr line.
fn refused(dir: &TempDir, args: &[&str]) -> String {
    let mut all = vec!["127.0.0.1:0"];
    all.extend_from_slice(args);
    let outcome = run_in(SERVER, &all, Some(dir.path()));
    assert!(!outcome.status.success(), "{args:?}: {outcome:?}");
    assert_eq!(outcome.stderr.lines().count(), 1, "{args:?}: {outcome:?}");
    assert!(outcome.stdout.is_empty(), "{args:?}: {outcome:?}");
    outcome.stderr
}

fn write_rcgen_pair(dir: &TempDir, stem: &str) -> (String, String) {
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (format!("{stem}.crt"), format!("{stem}.key"));
    std::fs::write(dir.join(&cert), pair.cert.pem()).unwrap();
    std::fs::write(dir.join(&key), pair.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn a_named_file_that_is_missing_is_reported_and_never_generated() {
    let dir = TempDir::new("tls-server-missing");
    let (_, key) = write_rcgen_pair(&dir, "good");
    let line = refused(&dir, &["--cert", "nope.crt", "--key", &key]);
    assert!(line.contains("找不到证书文件 nope.crt"), "{line}");
    assert!(line.contains("--cert"), "{line}");
    assert!(!dir.join("nope.crt").exists());
    let line = refused(&dir, &["--cert", "good.crt", "--key", "nope.key"]);
    assert!(line.contains("找不到私钥文件 nope.key"), "{line}");
    // Naming only one file never generates the other either.
    let line = refused(&dir, &["--cert", "good.crt"]);
    assert!(line.contains("找不到私钥文件 server.key"), "{line}");
    assert!(!dir.join("server.key").exists());
}

#[test]
fn empty_malformed_swapped_and_mismatched_files_are_each_explained() {
    let dir = TempDir::new("tls-server-malformed");
    let (cert, key) = write_rcgen_pair(&dir, "good");
    let (other_cert, _) = write_rcgen_pair(&dir, "other");
    let (cert, key, other_cert) = (cert.as_str(), key.as_str(), other_cert.as_str());
    std::fs::write(dir.join("empty.pem"), "").unwrap();
    let broken = "-----BEGIN CERTIFICATE-----\n不是 base64!\n-----END CERTIFICATE-----\n";
    std::fs::write(dir.join("broken.crt"), broken).unwrap();
    let der_junk = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    std::fs::write(dir.join("junk.crt"), der_junk).unwrap();

    for (args, expected) in [
        (
            ["--cert", "empty.pem", "--key", key],
            "证书文件 empty.pem 里没有证书",
        ),
        (
            ["--cert", cert, "--key", "empty.pem"],
            "私钥文件 empty.pem 里没有可用的私钥",
        ),
        (
            ["--cert", "broken.crt", "--key", key],
            "证书文件 broken.crt 不是有效的 PEM 文件",
        ),
        (
            ["--cert", "junk.crt", "--key", key],
            "证书文件 junk.crt 里的证书无法解析",
        ),
        (
            ["--cert", key, "--key", cert],
            "是不是把 --cert 和 --key 弄反了",
        ),
        (["--cert", other_cert, "--key", key], "不是一对"),
    ] {
        let line = refused(&dir, &args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
}

#[test]
fn half_of_the_default_pair_is_reported_not_overwritten() {
    let dir = TempDir::new("tls-server-half");
    let (cert, key) = write_rcgen_pair(&dir, "good");
    std::fs::rename(dir.join(&cert), dir.join("server.crt")).unwrap();
    let line = refused(&dir, &[]);
    assert!(line.contains("有 server.crt，却没有 server.key"), "{line}");
    assert!(!dir.join("server.key").exists());

    std::fs::rename(dir.join("server.crt"), dir.join(&cert)).unwrap();
    std::fs::rename(dir.join(&key), dir.join("server.key")).unwrap();
    let line = refused(&dir, &[]);
    assert!(line.contains("有 server.key，却没有 server.crt"), "{line}");
    assert!(!dir.join("server.crt").exists());
}

#[test]
fn help_names_the_files_and_the_options() {
    let outcome = testkit::run(SERVER, &["--help"]);
    assert!(outcome.status.success());
    assert!(
        outcome.stdout.contains("用法: tls-server [ADDR] [选项]"),
        "{outcome:?}"
    );
    for needle in [
        "--cert FILE",
        "--key FILE",
        "server.crt",
        "server.key",
        "示例:",
    ] {
        assert!(outcome.stdout.contains(needle), "{needle}: {outcome:?}");
    }
}

/// With `SSLKEYLOGFILE` set, tls-server appends each session's secrets to
/// that file (NSS key log format) and says once, at start, what the file
/// means; unset, it writes and says nothing of the kind.
#[test]
fn sslkeylogfile_gets_the_secrets_only_when_set() {
    let dir = TempDir::new("tls-server-key-log");
    let keys = dir.join("keys.txt");
    let env = [("SSLKEYLOGFILE", keys.as_os_str())];
    let server = Server::start_with_env(SERVER, &["127.0.0.1:0"], Some(dir.path()), &env);
    let said = server.process.stderr_line("SSLKEYLOGFILE");
    assert!(said.contains("任何抓到这次通信的人都能解密"), "{said}");
    assert_serves(&server, &dir.join("server.crt"));
    let secrets = std::fs::read_to_string(&keys).unwrap();
    assert!(secrets.contains("SERVER_TRAFFIC_SECRET_0 "), "{secrets}");
    assert!(secrets.contains("CLIENT_TRAFFIC_SECRET_0 "), "{secrets}");
    drop(server);

    let quiet = TempDir::new("tls-server-no-key-log");
    let server = start_in(&quiet, &[]);
    assert_serves(&server, &quiet.join("server.crt"));
    drop(server);
    let names: Vec<String> = std::fs::read_dir(quiet.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("server.")), "{names:?}");
}
