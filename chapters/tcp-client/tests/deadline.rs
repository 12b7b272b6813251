//! tcp-client's 10 seconds are a deadline for the whole exchange: a server
//! that trickles its reply one byte at a time cannot keep it waiting longer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use testkit::run;

const CLIENT: &str = env!("CARGO_BIN_EXE_tcp-client");

/// How long the trickling server would go on: three times the client's
/// 10-second deadline, so only the client's deadline can end it early.
const TRICKLE: Duration = Duration::from_secs(30);

/// A server that reads the request, then sends one byte a second for
/// [`TRICKLE`]. Returns how long it was able to keep the client.
fn trickling_server() -> (std::net::SocketAddr, mpsc::Receiver<Duration>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The trickler reports through a channel, so that a client that never
    // connects fails the test after a bound instead of leaving it waiting
    // in accept for ever.
    let (report, held) = mpsc::channel();
    thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let _ = connection.read(&mut [0; 1024]);
        let started = Instant::now();
        // Each byte is sent, then the next waits a second: the pace of the
        // attack, not a way of synchronising with the client.
        connection
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        for byte in "数据已收到".bytes().cycle() {
            if started.elapsed() > TRICKLE || connection.write_all(&[byte]).is_err() {
                break;
            }
            // A read of 0 (or a reset) means the client has hung up.
            match connection.read(&mut [0; 16]) {
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
fn a_server_trickling_its_reply_cannot_keep_the_client_past_its_deadline() {
    let (addr, server) = trickling_server();
    let client = run(CLIENT, &[addr.to_string()]);
    let held = server
        .recv_timeout(TRICKLE + testkit::deadline::MARGIN)
        .expect("the trickling server never saw the client");
    assert!(held < TRICKLE / 2, "the client waited {held:?}");
    assert_eq!(client.status.code(), Some(1), "{client:?}");
    assert!(
        client.stderr.contains("10 秒内没有收完服务器的响应"),
        "{client:?}"
    );
}
