//! tls-client's 10 seconds are a deadline for handshake, request and reply
//! together: a server that trickles its handshake cannot keep it waiting.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{TempDir, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_tls-client");

/// Three times the client's deadline: only the client can end it early.
const TRICKLE: Duration = Duration::from_secs(30);

/// Reads the ClientHello, then answers with the start of a TLS handshake
/// record, one byte a second. Returns how long it kept the client.
fn trickling_tls_server() -> (std::net::SocketAddr, mpsc::Receiver<Duration>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The trickler reports through a channel, so that a client that never
    // connects fails the test after a bound instead of leaving it waiting
    // in accept for ever.
    let (report, held) = mpsc::channel();
    thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let _ = connection.read(&mut [0; 4096]);
        let started = Instant::now();
        // A handshake record header promising 16 KiB, then its slow body.
        let record = [0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3f, 0xfc];
        connection
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        for byte in record.into_iter().chain(std::iter::repeat(0)) {
            if started.elapsed() > TRICKLE || connection.write_all(&[byte]).is_err() {
                break;
            }
            match connection.read(&mut [0; 64]) {
                Ok(0) => break,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                _ => {}
            }
        }
        let _ = report.send(started.elapsed());
    });
    (addr, held)
}

#[test]
fn a_server_trickling_its_handshake_cannot_keep_the_client_past_its_deadline() {
    // Any certificate will do: the client never gets as far as checking one.
    let dir = TempDir::new("tls-client-trickle");
    let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("ca.crt"), key.cert.pem()).unwrap();
    let (addr, server) = trickling_tls_server();
    let client = run(
        CLIENT,
        &[addr.to_string(), "--ca".into(), dir.file("ca.crt")],
    );
    let held = server
        .recv_timeout(TRICKLE + testkit::deadline::MARGIN)
        .expect("the trickling server never saw the client");
    assert!(held < TRICKLE / 2, "the client waited {held:?}");
    assert_eq!(client.status.code(), Some(1), "{client:?}");
    assert!(client.stderr.contains("10 秒内没有完成握手"), "{client:?}");
    // A busy tls-server (one client at a time, a silent one ahead) looks the
    // same from here, so the line does not only blame a wrong address.
    assert!(
        client.stderr.contains("可能正忙着服务别的客户端"),
        "{client:?}"
    );
}
