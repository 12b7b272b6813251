//! A reply that ends without `close_notify` may have been cut off on the
//! way: tls-client accepts such an ending only when what arrived is the
//! protocol's whole reply, `数据已收到` (the article's Python server closes
//! that way, after the whole reply). Anything shorter is refused with one
//! line saying why, whether the connection ended with a FIN or a reset.
//!
//! The servers here are rustls servers in the test, each ending its reply in
//! one of the ways the book's security chapter describes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection};
use testkit::{Outcome, PATIENCE, TempDir, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_tls-client");

/// How the test server ends the connection after its reply.
#[derive(Clone, Copy)]
enum End {
    /// `close_notify`, then FIN: "that was all", as tls-server does.
    CloseNotify,
    /// FIN without `close_notify`, as Python's `close()` does.
    Fin,
    /// A reset (SO_LINGER 0), as an attacker in the middle can.
    #[cfg(target_os = "linux")]
    Reset,
}

/// A TLS server for one client: handshake, read the message, send `reply`,
/// end as `end` says. Returns its address and its certificate file.
fn server(dir: &TempDir, reply: &'static [u8], end: End) -> (SocketAddr, String, JoinHandle<()>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let ca = dir.file("server.crt");
    std::fs::write(&ca, made.cert.pem()).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(made.cert.der().to_vec())], key)
            .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(PATIENCE)).unwrap();
        tcp.set_write_timeout(Some(PATIENCE)).unwrap();
        let mut tls = ServerConnection::new(Arc::new(config)).unwrap();
        let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
        let mut message = [0; 1024];
        let received = stream.read(&mut message).unwrap();
        assert_eq!(&message[..received], "你好，服务器！".as_bytes());
        stream.write_all(reply).unwrap();
        stream.flush().unwrap();
        finish(tls, tcp, end);
    });
    (addr, ca, serving)
}

fn finish(mut tls: ServerConnection, mut tcp: TcpStream, end: End) {
    match end {
        End::CloseNotify => {
            tls.send_close_notify();
            while tls.wants_write() {
                tls.write_tls(&mut tcp).unwrap();
            }
        }
        End::Fin => {}
        #[cfg(target_os = "linux")]
        End::Reset => socket2::SockRef::from(&tcp)
            .set_linger(Some(std::time::Duration::ZERO))
            .unwrap(),
    }
    // Dropped here: FIN, or RST for End::Reset.
}

fn client(addr: SocketAddr, ca: &str) -> Outcome {
    run(CLIENT, &[addr.to_string().as_str(), "--ca", ca])
}

fn assert_refused_as_cut_off(outcome: &Outcome) {
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
    assert!(
        outcome
            .stderr
            .contains("没有发送 close_notify 就关闭了连接，收到的 6 字节（“数据”）不是完整的回复“数据已收到”：回复可能在途中被截断了"),
        "{outcome:?}"
    );
    assert!(!outcome.stdout.contains("收到服务器的响应"), "{outcome:?}");
}

#[test]
fn a_reply_cut_short_by_a_fin_without_close_notify_is_refused() {
    let dir = TempDir::new("tls-client-cut-fin");
    let (addr, ca, serving) = server(&dir, "数据".as_bytes(), End::Fin);
    assert_refused_as_cut_off(&client(addr, &ca));
    serving.join().unwrap();
}

/// Linux only: usually the client has read the 6 bytes before the reset
/// arrives, and says the reply was cut off; when the reset comes first
/// (a loaded machine), the bytes are thrown away and it says the connection
/// was reset. Windows may throw them away too, in its own way.
#[cfg(target_os = "linux")]
#[test]
fn a_reply_cut_short_by_a_reset_is_refused() {
    let dir = TempDir::new("tls-client-cut-rst");
    let (addr, ca, serving) = server(&dir, "数据".as_bytes(), End::Reset);
    let outcome = client(addr, &ca);
    // Whether the client read the 6 bytes before the reset arrived is up to
    // the scheduler: on a loaded machine the reset can come first, and
    // Linux then throws the unread bytes away. Either way it is refused in
    // one line, and no reply is shown.
    if outcome.stderr.contains("连接被对方重置了") {
        assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
        assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
        assert!(!outcome.stdout.contains("收到服务器的响应"), "{outcome:?}");
    } else {
        assert_refused_as_cut_off(&outcome);
    }
    serving.join().unwrap();
}

#[test]
fn the_whole_reply_without_close_notify_is_accepted_as_pythons_close_sends() {
    let dir = TempDir::new("tls-client-whole-fin");
    let (addr, ca, serving) = server(&dir, "数据已收到".as_bytes(), End::Fin);
    let outcome = client(addr, &ca);
    assert!(outcome.status.success(), "{outcome:?}");
    assert!(
        outcome.stdout.ends_with("收到服务器的响应: 数据已收到"),
        "{outcome:?}"
    );
    serving.join().unwrap();
}

#[test]
fn a_short_reply_the_server_ends_with_close_notify_is_the_whole_reply() {
    // close_notify is the server saying "that was all": nothing was cut.
    let dir = TempDir::new("tls-client-short-notify");
    let (addr, ca, serving) = server(&dir, "数据".as_bytes(), End::CloseNotify);
    let outcome = client(addr, &ca);
    assert!(outcome.status.success(), "{outcome:?}");
    assert!(
        outcome.stdout.ends_with("收到服务器的响应: 数据"),
        "{outcome:?}"
    );
    serving.join().unwrap();
}
