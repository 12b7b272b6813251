//! The other side of each check: the chapter programs, `peer`, `wiretap`,
//! the article's Python programs, and the checker's own sockets for bytes
//! that no program sends (two lines in one write, a 2000-byte line).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use process_runner::{Finished, Output, Running, Stream, TICK, check};

use super::learner::PATIENCE;
use super::outcome::{Outcome, Stop};
use crate::programs;

/// The chapter programs and tools the checks use; built before checking.
pub const PROGRAMS: &[&str] = &[
    "tcp-server",
    "tcp-client",
    "udp-server",
    "tls-server",
    "peer",
    "wiretap",
];

/// A server the checks started, with the address it printed.
pub struct Peer {
    pub running: Running,
    pub addr: String,
}

/// Starts a built program (a chapter server, wiretap) and waits for the
/// address at the end of its first line.
pub fn server(name: &str, args: &[&str], dir: Option<&Path>) -> Result<Peer, Stop> {
    let mut command = Command::new(programs::binary(name)?);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let running = Running::start(&mut command, name, Output::Keep)?;
    let addr = running.address(PATIENCE)?.to_string();
    Ok(Peer { running, addr })
}

/// Starts a built program that is a client (peer silent), without waiting.
pub fn start(name: &str, args: &[&str]) -> Result<Running, Stop> {
    let mut command = Command::new(programs::binary(name)?);
    command.args(args);
    Ok(Running::start(&mut command, name, Output::Keep)?)
}

/// Runs a built client program to its end. Every one of them has a time
/// limit of its own (10 s at most), so it ends within [`PATIENCE`].
pub fn client(name: &str, args: &[&str]) -> Result<Finished, Stop> {
    Ok(start(name, args)?.wait(PATIENCE)?)
}

/// What a finished client printed on stdout, last line first.
pub fn last_line(finished: &Finished) -> &str {
    finished.stdout.last().map_or("", String::as_str)
}

/// What a client printed, for a ✗ that shows it.
pub fn said(label: &str, finished: &Finished) -> String {
    let lines: Vec<&String> = finished.stdout.iter().chain(&finished.stderr).collect();
    if lines.is_empty() {
        return format!("{label} 什么也没有打印");
    }
    let shown = super::learner::last_lines(&lines, 4);
    format!("{label} 打印了：\n{}", shown.join("\n"))
}

/// The Python 3 interpreter on this machine (`python3`, `python`, or
/// `py -3` on Windows: see [`process_runner::python`]), as a program path.
pub fn find_python() -> Option<String> {
    process_runner::python().map(|python| python.executable().to_string_lossy().into_owned())
}

/// Why a check that needs the article's Python programs did not run.
pub fn no_python() -> Outcome {
    Outcome::Skipped(
        "这台电脑上没有 Python 3（试过 python3、python，Windows 上还有 py -3），原文的程序运行不了"
            .into(),
    )
}

/// `article/NAME`, the article's Python programs.
fn article(name: &str) -> PathBuf {
    programs::workspace_root().join("article").join(name)
}

/// The article's Python server `script` with `args`, on a free port.
pub fn python_server(python: &str, script: &str, args: &[&str]) -> Result<Peer, Stop> {
    let mut command = Command::new(python);
    command.arg(article(script)).args(args);
    let running = Running::start(&mut command, script, Output::Keep)?;
    let addr = running.address(PATIENCE)?.to_string();
    Ok(Peer { running, addr })
}

/// The article's Python client `script`, run to its end.
pub fn python_client(python: &str, script: &str, args: &[&str]) -> Result<Finished, Stop> {
    let mut command = Command::new(python);
    command.arg(article(script)).args(args);
    let running = Running::start(&mut command, script, Output::Keep)?;
    Ok(running.wait(PATIENCE)?)
}

/// `127.0.0.1:40123` → (`127.0.0.1`, `40123`), the way the Python programs take it.
pub fn host_and_port(addr: &str) -> (String, String) {
    match addr.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.to_string()),
        None => (addr.to_string(), String::new()),
    }
}

/// Waits until `running` has printed at least `count` stdout lines that
/// `wanted` picks, and returns all of them seen so far.
pub fn lines_counted(
    running: &Running,
    wanted: impl Fn(&str) -> bool,
    count: usize,
    patience: Duration,
) -> Result<Vec<String>, Stop> {
    let deadline = Instant::now() + patience;
    let mut found = Vec::new();
    while found.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match running.next_line(Stream::Stdout, left) {
            Ok(Some(line)) if wanted(&line) => found.push(line),
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if e.is_cancelled() => return Err(Stop::Cancelled),
            Err(_) => break, // the deadline: the caller says what was missing
        }
    }
    found.extend(
        running
            .lines_so_far(Stream::Stdout)
            .into_iter()
            .filter(|l| wanted(l)),
    );
    Ok(found)
}

// ---------------------------------------------------------------------------
// The checker's own sockets
// ---------------------------------------------------------------------------

/// How a connection ended, seen from the checker's side.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The other side closed it politely (FIN): `read` returned 0.
    Closed,
    /// The other side reset it (RST).
    Reset,
    /// Still open when the time was up.
    TimedOut,
}

/// Connects to `addr` (`127.0.0.1:port`).
pub fn connect(addr: &str) -> Result<TcpStream, Stop> {
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| anyhow::anyhow!("地址 {addr} 不是 IP:端口"))?;
    Ok(TcpStream::connect_timeout(&addr, PATIENCE)?)
}

/// Sends `bytes`, ends our side (FIN), and reads until the other side
/// ends: what came back, and how it ended.
pub fn send_and_read(addr: &str, bytes: &[u8]) -> Result<(Vec<u8>, Ending), Stop> {
    let mut stream = connect(addr)?;
    stream.set_write_timeout(Some(PATIENCE))?;
    // A server that refuses a long line closes before reading all of it,
    // and the rest of our write may then fail: that is its answer, not ours.
    if stream.write_all(bytes).is_ok() {
        let _ = stream.shutdown(Shutdown::Write);
    }
    read_until_closed(&mut stream, PATIENCE)
}

/// Reads until the other side closes or resets, or `patience` passes;
/// looks at the cancel flag every [`TICK`].
pub fn read_until_closed(
    stream: &mut TcpStream,
    patience: Duration,
) -> Result<(Vec<u8>, Ending), Stop> {
    let deadline = Instant::now() + patience;
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        check()?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok((received, Ending::TimedOut));
        }
        stream.set_read_timeout(Some(left.min(TICK)))?;
        match stream.read(&mut buffer) {
            Ok(0) => return Ok((received, Ending::Closed)),
            Ok(size) => received.extend_from_slice(&buffer[..size]),
            Err(e) if common::errors::is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {}
            Err(e) if is_reset(&e) => return Ok((received, Ending::Reset)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether the other side has closed or reset `stream` already (without waiting).
pub fn is_closed(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0; 1];
    let closed = match stream.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => is_reset(&e),
    };
    let _ = stream.set_nonblocking(false);
    closed
}

fn is_reset(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}
