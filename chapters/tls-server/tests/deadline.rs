//! tls-server's time limit is a deadline for the whole exchange (handshake,
//! request, reply), not a timeout that each read restarts: a client that
//! keeps the connection busy cannot hold the one-at-a-time server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use testkit::{Process, Server, TempDir};

const SERVER: &str = env!("CARGO_BIN_EXE_tls-server");

/// How long an attacker goes on if nobody stops it: six times the server's
/// 5-second deadline, so that only the server can end it well before.
const ATTACK: Duration = Duration::from_secs(30);

fn client_config(ca: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// An ordinary TLS 1.3 client, except that instead of sending its message it
/// sends a KeyUpdate every second: each is a fresh read for the server. Returns
/// how long the connection lasted before the server ended it, or None if
/// the attack ran its whole course.
fn key_update_every_second(server: SocketAddr, ca: &Path) -> Option<Duration> {
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = ClientConnection::new(client_config(ca), name).unwrap();
    let mut tcp = TcpStream::connect(server).unwrap();
    let started = Instant::now();
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp).unwrap();
    }
    // Reading with a one-second timeout is the attacker's pace, not a way
    // of waiting for the server: the server's close ends the loop at once.
    tcp.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut scratch = [0; 1024];
    while started.elapsed() < ATTACK {
        tls.refresh_traffic_keys().unwrap();
        if tls.write_tls(&mut tcp).is_err() {
            return Some(started.elapsed());
        }
        match tcp.read(&mut scratch) {
            Ok(0) => return Some(started.elapsed()),
            Err(e)
                if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::TimedOut =>
            {
                return Some(started.elapsed());
            }
            _ => {}
        }
    }
    None
}

#[test]
fn a_client_sending_key_updates_is_cut_off_at_the_deadline_and_the_next_is_served() {
    let client = testkit::program("tls-client");
    let dir = TempDir::new("tls-deadline");
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let ca = dir.join("server.crt");
    let attacker_ca = ca.clone();
    let server_addr = server.addr;
    let attack = std::thread::spawn(move || key_update_every_second(server_addr, &attacker_ca));
    // Wait until the attacker holds the server (its handshake is logged),
    // then queue a good client behind it.
    server.process.stdout_line("完成 TLS 握手");
    let good = Process::start(
        &client,
        &[
            &server.arg(),
            "你好，服务器！",
            "--ca",
            ca.to_str().unwrap(),
        ],
    );
    let lasted = attack
        .join()
        .unwrap()
        .expect("the server never cut the attacker off");
    // Cut off at the deadline, long before the attacker would have stopped.
    assert!(
        lasted < ATTACK / 2,
        "the attacker held the server for {lasted:?}"
    );
    server.process.stderr_line("5 秒内没有完成对话");
    let outcome = good.finish();
    assert!(outcome.status.success(), "{outcome:?}");
    assert!(
        outcome.stdout.contains("收到服务器的响应: 数据已收到"),
        "{outcome:?}"
    );
}

#[test]
fn a_long_message_still_gets_its_reply_every_time() {
    let client = testkit::program("tls-client");
    let dir = TempDir::new("tls-long-message");
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let ca = dir.file("server.crt");
    // 100 KB: many TLS records, of which the server decrypts only the first.
    // Before the polite close, the unread rest made the close a reset that
    // could destroy the reply.
    let long = "x".repeat(100_000);
    for _ in 0..10 {
        let outcome = testkit::run(&client, &[&server.arg(), long.as_str(), "--ca", &ca]);
        assert!(outcome.status.success(), "{outcome:?}");
        assert!(
            outcome.stdout.ends_with("收到服务器的响应: 数据已收到"),
            "{outcome:?}"
        );
    }
}

/// A ClientHello trickled one byte a second: before, each byte restarted the
/// server's 5-second timeout. It must not keep the server past its deadline.
#[test]
fn a_trickled_client_hello_cannot_hold_the_server() {
    let dir = TempDir::new("tls-trickle");
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let mut tcp = TcpStream::connect(server.addr).unwrap();
    // The start of a real ClientHello record: handshake, TLS 1.0 record version.
    let hello = [
        0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
    ];
    let started = Instant::now();
    let mut cut_off = None;
    for byte in hello.iter().cycle() {
        if started.elapsed() > ATTACK {
            break;
        }
        if tcp.write_all(&[*byte]).is_err() {
            cut_off = Some(started.elapsed());
            break;
        }
        // The attacker's pace: one byte a second. A closed connection shows
        // up as a read of 0 (or a reset) within that second.
        tcp.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        match tcp.read(&mut [0; 64]) {
            Ok(0) => {
                cut_off = Some(started.elapsed());
                break;
            }
            Err(e)
                if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::TimedOut =>
            {
                cut_off = Some(started.elapsed());
                break;
            }
            _ => {}
        }
    }
    let lasted = cut_off.expect("the server let a trickled ClientHello run on");
    assert!(
        lasted < ATTACK / 2,
        "the trickle held the server for {lasted:?}"
    );
    server.process.stderr_line("TLS 握手失败");
}

/// A handshake message that claims to be 16 MiB long: rustls refuses it
/// (HandshakePayloadTooLarge), and the log says so in Chinese, not in
/// rustls's English.
#[test]
fn an_oversized_handshake_message_is_named_in_chinese_and_the_next_client_is_served() {
    let dir = TempDir::new("tls-too-large");
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let mut tcp = TcpStream::connect(server.addr).unwrap();
    // A handshake record of 16 KiB whose first message says it is
    // 0xffffff bytes long; the rest of the record is filler.
    let mut record = vec![0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff];
    record.resize(5 + 0x4000, 0);
    let _ = tcp.write_all(&record);
    let line = server.process.stderr_line("TLS 握手失败");
    assert!(line.contains("握手消息太大"), "{line}");
    assert!(!line.contains("HandshakePayloadTooLarge"), "{line}");
    drop(tcp);
    let ca = dir.join("server.crt");
    let client = testkit::program("tls-client");
    let outcome = testkit::run(
        &client,
        &[server.arg().as_str(), "--ca", ca.to_str().unwrap()],
    );
    assert!(outcome.status.success(), "{outcome:?}");
}
