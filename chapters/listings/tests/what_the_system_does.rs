//! 书里关于操作系统怎样处理连接的说法，每一条都在这里真的跑一遍（Linux）。
//!
//! The book's pages say what the system does in three situations a learner
//! meets; each test here shows it with real processes over loopback:
//!
//! - a program that is killed (SIGKILL: it closes nothing itself) ends its
//!   connections with a FIN like any close, unless bytes it never read are
//!   waiting, which turns the close into a reset (tcp.md, troubleshooting.md);
//! - the article's error handling (print and carry on after a failed
//!   `bind`) leaves a socket that `listen` quietly binds to 0.0.0.0 on a
//!   random port, listening on every interface (error-handling.md, errata 17);
//! - a full backlog: Linux drops new connection requests, so a client's
//!   `connect` waits and times out instead of being refused (concurrency.md).
//!
//! Linux only: Windows does each of these its own way, which the pages
//! state from Microsoft's documentation.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::ffi::OsStr;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use testkit::{PATIENCE, Process, python3};

/// A Python program of this crate's tests, in `tests/python/`.
fn script(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
        .display()
        .to_string()
}

// ---------------------------------------------------------------------------
// A killed program
// ---------------------------------------------------------------------------

/// The Python client of `killed_client.py`, connected to a listener of the
/// test's, and the test's end of that connection.
fn connected_python_client(python: impl AsRef<OsStr>) -> (Process, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = Process::start(
        python,
        &[
            script("killed_client.py"),
            addr.ip().to_string(),
            addr.port().to_string(),
        ],
    );
    // Once it says so, its connection is in the listener's queue.
    client.stdout_line("已连接");
    let (connection, _) = listener.accept().unwrap();
    connection.set_read_timeout(Some(PATIENCE)).unwrap();
    (client, connection)
}

/// `kill -9`: the process ends at once, without running any code of its own.
fn kill_9(process: Process) {
    let killed = Command::new("kill")
        .args(["-KILL", &process.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(process.finish().status.signal(), Some(9));
}

#[test]
fn a_killed_program_with_nothing_unread_ends_its_connection_with_a_fin() {
    let Some(python) = python3() else { return };
    let (client, mut connection) = connected_python_client(python);
    kill_9(client);
    // The system closes the killed program's socket as close() would: the
    // other side reads the end of the stream (Python: b''), not an error.
    assert_eq!(connection.read(&mut [0; 64]).map_err(|e| e.kind()), Ok(0));
}

#[test]
fn a_killed_program_with_bytes_unread_resets_its_connection() {
    let Some(python) = python3() else { return };
    let (client, mut connection) = connected_python_client(python);
    connection.write_all("数据已收到".as_bytes()).unwrap();
    // The bytes are in the client's receive buffer, and it does not read them.
    client.stdout_line("有数据到了，不读");
    kill_9(client);
    // Closing with unread bytes is a reset, killed or not.
    assert_eq!(
        connection.read(&mut [0; 64]).map_err(|e| e.kind()),
        Err(ErrorKind::ConnectionReset)
    );
}

// ---------------------------------------------------------------------------
// listen() after a failed bind
// ---------------------------------------------------------------------------

#[test]
fn after_a_failed_bind_the_articles_listen_quietly_listens_on_every_interface() {
    let Some(python) = python3() else { return };
    // The address the article's server wants is taken.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = Process::start(
        python,
        &[
            script("unbound_listen.py"),
            "127.0.0.1".into(),
            port.to_string(),
        ],
    );
    let failed = server.stdout_line("绑定地址时出错");
    assert!(
        failed.contains("[Errno 98] Address already in use"),
        "{failed}"
    );
    // No exception from listen: it bound the socket itself, to 0.0.0.0
    // (every interface) on a port of the system's choosing.
    let listening = server.stdout_line("实际监听的地址");
    let addr: SocketAddr = testkit::address_in(&listening).unwrap();
    assert!(addr.ip().is_unspecified(), "{listening}");
    assert_ne!(addr.port(), port);
    // And it serves whoever finds that port.
    let found = TcpStream::connect_timeout(&([127, 0, 0, 1], addr.port()).into(), PATIENCE);
    assert!(found.is_ok(), "{found:?}");
    server.stdout_line("接受了来自 127.0.0.1 的连接");
    assert!(server.finish().status.success());
}

// ---------------------------------------------------------------------------
// A full backlog
// ---------------------------------------------------------------------------

/// Linux sends its first retransmitted SYN 1 s after the first (the initial
/// retransmission timeout of RFC 6298), so waiting a little longer shows the
/// retry dropped too. Nothing here waits for this time except the one
/// connect that is meant to time out.
const PAST_FIRST_RETRY: Duration = Duration::from_millis(1500);

#[test]
fn a_full_backlog_on_linux_drops_new_connections_so_they_time_out() {
    // ANCHOR: backlog
    // socket() + bind() + listen(2)，和 Python 一样分步：std 的 TcpListener 不让你选积压队列的长度。
    let server_socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    server_socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    server_socket.listen(2).unwrap();
    // ANCHOR_END: backlog
    let addr = server_socket.local_addr().unwrap().as_socket().unwrap();
    // Nobody accepts. Linux queues backlog + 1 finished handshakes…
    let queued: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect_timeout(&addr, PATIENCE).unwrap())
        .collect();
    // …and then drops connection requests: no refusal, the client waits.
    let fourth = TcpStream::connect_timeout(&addr, PAST_FIRST_RETRY);
    assert_eq!(
        fourth.map_err(|e| e.kind()).err(),
        Some(ErrorKind::TimedOut)
    );
    // Once the server accepts one, there is room again.
    let (accepted, _) = server_socket.accept().unwrap();
    let fifth = TcpStream::connect_timeout(&addr, PATIENCE);
    assert!(fifth.is_ok(), "{fifth:?}");
    drop((queued, accepted));
}
