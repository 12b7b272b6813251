//! Python 和 Rust 读同一段 Socket 代码时容易绊倒的差别，每一条都把两边都跑一遍。
//!
//! The book's page docs/src/python-vs-rust.md quotes the regions below and
//! the Python in `tests/python/`. Each test runs the Python (with python3
//! where there is one; a skip note otherwise) and the Rust, over loopback,
//! and asserts what each side really does:
//!
//! - a quick restart on the same port (SO_REUSEADDR and TIME_WAIT);
//! - what a read returns once the peer has closed (`b''` and `Ok(0)`);
//! - bytes cut in the middle of a character (`decode()` raises, Rust's
//!   display is lossy);
//! - a read timeout (`socket.timeout` and `WouldBlock`/`TimedOut`);
//! - Ctrl-C (an exception with `finally`, a process killed without `drop`);
//! - closing with unread data (a reset, in both).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::ffi::OsStr;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use testkit::{PATIENCE, Server, article_script, python3, run};
// Only the Unix-only tests (Ctrl-C as SIGINT) start a bare process.
#[cfg(unix)]
use testkit::Process;

/// A Python program of this page, in `tests/python/`.
fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

fn host_port(addr: SocketAddr) -> [String; 2] {
    [addr.ip().to_string(), addr.port().to_string()]
}

/// Runs a Python program of this page against `addr`; its stdout lines.
fn python_against(python: impl AsRef<OsStr>, name: &str, addr: SocketAddr) -> Vec<String> {
    let [host, port] = host_port(addr);
    let script = script(name);
    let outcome = run(python, &[script.to_str().unwrap(), &host, &port]);
    assert!(outcome.status.success(), "{name}: {}", outcome.stderr);
    outcome.stdout.lines().map(String::from).collect()
}

/// One exchange with a server that closes first (as the article's does):
/// the server's side of the connection is left in TIME_WAIT. Only the
/// Unix-only restart tests need it (Windows has its own TIME_WAIT rules).
#[cfg(unix)]
fn one_exchange(addr: SocketAddr) {
    let reply = testkit::tcp_exchange(addr, "你好，服务器！".as_bytes()).unwrap();
    assert_eq!(reply, "数据已收到".as_bytes());
}

/// A Rust server for one exchange on `port` (0: any), closing first; its address.
fn rust_server_once(port: u16) -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut connection, _) = listener.accept().unwrap();
        let mut data = [0; 1024];
        let _ = connection.read(&mut data).unwrap();
        connection.write_all("数据已收到".as_bytes()).unwrap();
        // connection and listener are dropped here: the server closes first.
    });
    (addr, server)
}

// ---------------------------------------------------------------------------
// SO_REUSEADDR and TIME_WAIT
// ---------------------------------------------------------------------------

/// Rust restarts at once on the same port; Python cannot, after either.
/// Unix only: on Windows std deliberately does not set SO_REUSEADDR (there
/// it would let another program take a port in use), and Windows's rules
/// for TIME_WAIT are its own.
#[cfg(unix)]
#[test]
fn a_quick_restart_works_in_rust_and_fails_in_python() {
    let (addr, server) = rust_server_once(0);
    one_exchange(addr);
    server.join().unwrap();
    // ANCHOR: restart
    // 上一个服务器刚关闭，它关闭的连接还在 TIME_WAIT 里（约 60 秒）。
    // std 在 Unix 上给监听的 Socket 设了 SO_REUSEADDR，所以马上就能再绑定同一个端口：
    let restarted = TcpListener::bind(addr);
    // ANCHOR_END: restart
    assert!(restarted.is_ok(), "{restarted:?}");
    drop(restarted);

    let Some(python) = python3() else { return };
    // The article's server on the same port: no SO_REUSEADDR, so the
    // connection in TIME_WAIT keeps the port from it.
    let [host, port] = host_port(addr);
    let article = article_script("tcp_server.py");
    let swapped = run(python, &[article.to_str().unwrap(), &host, &port]);
    assert_eq!(swapped.status.code(), Some(1), "{}", swapped.stdout);
    assert!(
        swapped.stderr.contains("OSError: [Errno")
            && swapped.stderr.contains("Address already in use"),
        "{}",
        swapped.stderr
    );
}

/// After the article's server, even Rust must wait (Linux): both sockets
/// must have SO_REUSEADDR for the port to be taken over.
#[cfg(target_os = "linux")]
#[test]
fn after_the_articles_server_even_rust_must_wait() {
    let Some(python) = python3() else { return };
    let article = article_script("tcp_server.py");
    let server = Server::start(python, &[article.to_str().unwrap(), "127.0.0.1", "0"]);
    one_exchange(server.addr);
    let addr = server.addr;
    drop(server); // killed, like Ctrl-C
    let again = TcpListener::bind(addr);
    assert_eq!(
        again.map_err(|e| e.kind()).err(),
        Some(ErrorKind::AddrInUse)
    );
}

// ---------------------------------------------------------------------------
// The end of the stream
// ---------------------------------------------------------------------------

#[test]
fn a_closed_peer_reads_as_empty_in_python_and_zero_in_rust() -> io::Result<()> {
    // Rust, as the client of a server that replies and closes.
    let (addr, server) = rust_server_once(0);
    let mut client_socket = TcpStream::connect(addr).unwrap();
    client_socket
        .write_all("你好，服务器！".as_bytes())
        .unwrap();
    let mut data = [0; 1024];
    let mut reply = Vec::new();
    // ANCHOR: eof
    // Python 的 recv 返回 b''，Rust 的 read 返回 Ok(0)：对方关闭了，不是错误。
    loop {
        match client_socket.read(&mut data)? {
            0 => break, // 以后再读也一直是 Ok(0)
            received => reply.extend_from_slice(&data[..received]),
        }
    }
    // ANCHOR_END: eof
    assert_eq!(reply, "数据已收到".as_bytes());
    assert_eq!(client_socket.read(&mut data)?, 0);
    server.join().unwrap();

    let Some(python) = python3() else {
        return Ok(());
    };
    let (addr, server) = rust_server_once(0);
    let lines = python_against(python, "eof_client.py", addr);
    assert_eq!(
        lines,
        [
            "收到: 数据已收到",
            "再读一次: b''",
            "再读一次: b''",
            "对方关闭了连接"
        ]
    );
    server.join().unwrap();
    Ok(())
}

// ---------------------------------------------------------------------------
// Bytes cut in the middle of a character
// ---------------------------------------------------------------------------

#[test]
fn a_cut_character_raises_in_python_and_shows_as_a_replacement_in_rust() {
    let data = "好".repeat(400).into_bytes();
    let data = &data[..1024]; // 一次 read 最多拿到 1024 字节
    // ANCHOR: decode
    // Python 的 data.decode() 抛出 UnicodeDecodeError；Rust 显示时把坏字节换成 �，不出错：
    let shown = String::from_utf8_lossy(data);
    // 要像 Python 那样“不合法就出错”，用 String::from_utf8：
    let strict = String::from_utf8(data.to_vec());
    // ANCHOR_END: decode
    assert!(shown.ends_with("好好�"), "{shown}");
    assert_eq!(shown.chars().filter(|&c| c == '好').count(), 341);
    let error = strict.unwrap_err();
    assert_eq!(error.utf8_error().valid_up_to(), 1023);

    let Some(python) = python3() else { return };
    let outcome = run(python, &[script("decode.py").to_str().unwrap()]);
    assert!(outcome.status.success(), "{}", outcome.stderr);
    assert_eq!(
        outcome.stdout.lines().collect::<Vec<_>>(),
        [
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe5 in position 1023: unexpected end of data",
            "最后三个字: 好好�"
        ]
    );
}

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

/// A server that accepts connections and never says a word; it holds each
/// until `release` is dropped.
fn silent_server() -> (
    SocketAddr,
    std::sync::mpsc::Sender<()>,
    thread::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let server = thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        let held: Vec<TcpStream> = listener.incoming().take(2).map(Result::unwrap).collect();
        let _ = released.recv_timeout(PATIENCE);
        drop(held);
    });
    (addr, release, server)
}

#[test]
fn a_read_timeout_is_socket_timeout_in_python_and_would_block_or_timed_out_in_rust()
-> io::Result<()> {
    let (addr, release, server) = silent_server();
    let client_socket = TcpStream::connect(addr).unwrap();
    let mut data = [0; 1024];
    // ANCHOR: timeout
    // client_socket.settimeout(0.2)
    client_socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let kind = match (&client_socket).read(&mut data) {
        Ok(received) => panic!("the silent server sent {received} bytes"),
        Err(e) => e.kind(),
    };
    // 到时没有数据：Unix 上是 WouldBlock，Windows 上是 TimedOut。两种都要认，
    // 本仓库的 common::errors::is_timeout 就是这么做的。
    let timed_out = matches!(kind, ErrorKind::WouldBlock | ErrorKind::TimedOut);
    // ANCHOR_END: timeout
    assert!(timed_out, "{kind:?}");
    #[cfg(unix)]
    assert_eq!(kind, ErrorKind::WouldBlock);
    #[cfg(windows)]
    assert_eq!(kind, ErrorKind::TimedOut);

    if let Some(python) = python3() {
        let lines = python_against(python, "timeout_client.py", addr);
        assert_eq!(lines, ["TimeoutError timed out True"]);
    }
    drop(release);
    server.join().unwrap();
    Ok(())
}

// ---------------------------------------------------------------------------
// Closing with bytes unread
// ---------------------------------------------------------------------------

/// A server that reads only the first 4 bytes of a longer message, replies
/// and closes: the bytes it did not read turn its close into a reset.
fn partial_reader() -> (SocketAddr, thread::JoinHandle<io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut connection, _) = listener.accept()?;
        // ANCHOR: unread
        let mut data = [0; 4];
        connection.read_exact(&mut data)?; // 客户端发了 2000 字节，只读 4 个
        connection.write_all("数据已收到".as_bytes())?;
        drop(connection); // 和 Python 的 close() 一样：还有没读的数据，发出的是 RST 而不是 FIN
        // ANCHOR_END: unread
        Ok(())
    });
    (addr, server)
}

#[test]
fn closing_with_unread_bytes_resets_in_both() {
    // Rust's client against a Rust server that closes with bytes unread.
    let (addr, server) = partial_reader();
    let mut client_socket = TcpStream::connect(addr).unwrap();
    client_socket.write_all(&[b'x'; 2000]).unwrap();
    client_socket.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut data = [0; 1024];
    let received = client_socket.read(&mut data).unwrap();
    assert_eq!(&data[..received], "数据已收到".as_bytes());
    let after = client_socket.read(&mut data).map_err(|e| e.kind());
    assert_eq!(after, Err(ErrorKind::ConnectionReset));
    server.join().unwrap().unwrap();

    let Some(python) = python3() else { return };
    // Python's client against the same kind of server.
    let (addr, server) = partial_reader();
    let lines = python_against(python, "unread_client.py", addr);
    assert_eq!(lines[0], "收到: 数据已收到");
    assert!(
        lines[1].starts_with("ConnectionResetError: [Errno"),
        "{lines:?}"
    );
    server.join().unwrap().unwrap();

    // And the article's Python server does the same to a Rust client: it
    // reads 1024 of 2000 bytes and closes.
    let article = article_script("tcp_server.py");
    let python_server = Server::start(python, &[article.to_str().unwrap(), "127.0.0.1", "0"]);
    let mut client_socket = TcpStream::connect(python_server.addr).unwrap();
    client_socket.write_all(&[b'x'; 2000]).unwrap();
    client_socket.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut reply = Vec::new();
    let end = client_socket.read_to_end(&mut reply).map_err(|e| e.kind());
    assert_eq!(reply, "数据已收到".as_bytes());
    assert_eq!(end, Err(ErrorKind::ConnectionReset));
}

// ---------------------------------------------------------------------------
// Ctrl-C
// ---------------------------------------------------------------------------

/// The second test filter with which the Ctrl-C test starts this test
/// binary again, as its Rust server (libtest takes several filters; with
/// `--exact` this one matches no test, and the test itself looks for it).
#[cfg(unix)]
const CHILD: &str = "as-the-rust-server";

/// The Rust side of the Ctrl-C test, run in a process of its own.
#[cfg(unix)]
fn rust_server_waiting_for_ctrl_c() -> io::Result<()> {
    // ANCHOR: ctrl_c
    struct CleansUp;
    impl Drop for CleansUp {
        fn drop(&mut self) {
            println!("drop 运行了：可以在这里清理"); // 按 Ctrl-C 时不会运行
        }
    }
    let _cleanup = CleansUp;
    let server_socket = TcpListener::bind("127.0.0.1:0")?;
    println!("等待客户端连接... {}", server_socket.local_addr()?);
    // Ctrl-C（SIGINT）默认直接结束进程：不是错误，不会返回，drop 也不运行。
    // 要在结束前清理，得自己接住信号，例如工作坊用的 ctrlc crate。
    server_socket.accept()?;
    // ANCHOR_END: ctrl_c
    Ok(())
}

/// Whether SIGINT is ignored in this process, which its children then
/// inherit: a shell without job control ignores it for `command &`.
#[cfg(unix)]
fn sigint_ignored() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (2 - 1)) != 0)
}

/// Sends SIGINT, as Ctrl-C in a terminal does.
#[cfg(unix)]
fn press_ctrl_c(process: &Process) -> bool {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &process.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        testkit::skip("cannot run `kill -INT`");
    }
    sent
}

#[cfg(unix)]
#[test]
fn ctrl_c_raises_in_python_and_kills_rust() {
    use std::os::unix::process::ExitStatusExt;

    if std::env::args().any(|a| a == CHILD) {
        rust_server_waiting_for_ctrl_c().unwrap();
        return;
    }
    if sigint_ignored() {
        testkit::skip("SIGINT is ignored in this environment, so Ctrl-C cannot be shown");
        return;
    }
    // Rust: this test binary again, as the server, in a process of its own.
    let own = std::env::current_exe().unwrap();
    let rust = Process::start(
        &own,
        &[
            "--exact",
            "ctrl_c_raises_in_python_and_kills_rust",
            CHILD,
            "--nocapture",
        ],
    );
    rust.stdout_line("等待客户端连接...");
    if !press_ctrl_c(&rust) {
        return;
    }
    let ended = rust.finish();
    assert_eq!(ended.status.signal(), Some(2), "{ended:?}");
    assert!(!ended.stdout.contains("drop 运行了"), "{}", ended.stdout);

    let Some(python) = python3() else { return };
    let python_server = Process::start(python, &[script("ctrl_c_server.py").to_str().unwrap()]);
    python_server.stdout_line("等待客户端连接...");
    if !press_ctrl_c(&python_server) {
        return;
    }
    let ended = python_server.finish();
    assert!(ended.stdout.contains("finally 运行了"), "{}", ended.stdout);
    assert!(
        ended.stderr.ends_with("KeyboardInterrupt"),
        "{}",
        ended.stderr
    );
    // Python ends itself with SIGINT after the traceback, so the shell sees 130 too.
    assert_eq!(ended.status.signal(), Some(2), "{ended:?}");
}
