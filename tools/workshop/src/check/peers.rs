//! The other side of each check: the chapter programs, `peer`, `wiretap`,
//! the article's Python programs, and the checker's own sockets for bytes
//! that no program sends (an empty request, a 64 MiB line). The checker's
//! own sockets record what they send and receive into the step's wire.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use process_runner::{Finished, Output, Running, Stream, TICK, check};

use super::learner::{Learner, PATIENCE};
use super::outcome::{Outcome, Stop};
use super::taps::{is_reset, is_wait};
use super::wire::{Side, Wire};
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
    pub addr: SocketAddr,
}

/// Starts a built program (a chapter server, wiretap, a peer server) and
/// waits for the address at the end of its first line.
pub fn server(name: &str, args: &[&str], dir: Option<&Path>) -> Result<Peer, Stop> {
    let mut command = Command::new(programs::binary(name)?);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let label = match args.first() {
        Some(sub) if name == "peer" => format!("peer {sub}"),
        _ => name.to_string(),
    };
    let running = Running::start(&mut command, &label, Output::Keep)?;
    let addr = running.address(PATIENCE)?;
    Ok(Peer { running, addr })
}

/// Starts a built program that is a client, without waiting.
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
        "这台电脑上找不到 Python 3（试过 python3、python，Windows 上还有 py -3），和原文的 Python 程序对话的这一项跳过了"
            .into(),
    )
}

/// `article/NAME`, the article's Python programs.
fn article(name: &str) -> PathBuf {
    programs::workspace_root().join("article").join(name)
}

/// `python script args…` (process-runner makes every child's Python write
/// UTF-8 into our pipes, on Windows too).
fn python(python: &str, script: &str, args: &[&str]) -> Command {
    let mut command = Command::new(python);
    command.arg(article(script)).args(args);
    command
}

/// The article's Python server `script` with `args`, on a free port.
pub fn python_server(python_name: &str, script: &str, args: &[&str]) -> Result<Peer, Stop> {
    let running = Running::start(&mut python(python_name, script, args), script, Output::Keep)?;
    let addr = running.address(PATIENCE)?;
    Ok(Peer { running, addr })
}

/// The article's Python client `script`, run to its end.
pub fn python_client(python_name: &str, script: &str, args: &[&str]) -> Result<Finished, Stop> {
    let running = Running::start(&mut python(python_name, script, args), script, Output::Keep)?;
    Ok(running.wait(PATIENCE)?)
}

/// `127.0.0.1:40123` → (`127.0.0.1`, `40123`), the way the Python programs take it.
pub fn host_and_port(addr: SocketAddr) -> (String, String) {
    (addr.ip().to_string(), addr.port().to_string())
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
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Ending {
    /// The other side closed it politely (FIN): `read` returned 0.
    Closed,
    /// The other side reset it (RST).
    Reset,
    /// Still open when the time was up.
    TimedOut,
}

/// What the checker read from a connection.
#[derive(Debug)]
pub struct Received {
    /// The first [`RECEIVED_KEPT`] bytes.
    pub bytes: Vec<u8>,
    /// All bytes, kept or not.
    pub count: usize,
    pub ending: Ending,
}

/// What the checker keeps of what a server sends it; the rest is counted.
pub const RECEIVED_KEPT: usize = 64 * 1024;

/// The checker as a TCP client of the learner's server, recording.
pub struct Conn {
    pub stream: TcpStream,
    wire: Arc<Wire>,
    pub id: usize,
}

impl Conn {
    /// Connects to `addr`.
    pub fn open(addr: SocketAddr, wire: &Arc<Wire>) -> std::io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, PATIENCE)?;
        let local = stream.local_addr()?;
        let id = wire.opened(local, addr);
        stream.set_write_timeout(Some(PATIENCE))?;
        Ok(Conn {
            stream,
            wire: Arc::clone(wire),
            id,
        })
    }

    /// Sends `bytes` in one write.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.wire.data(self.id, Side::Client, bytes);
        Ok(())
    }

    /// Records bytes written to [`Conn::stream`] directly.
    pub fn sent(&self, bytes: &[u8]) {
        self.wire.data(self.id, Side::Client, bytes);
    }

    /// Ends our side (FIN).
    pub fn finish_sending(&self) {
        if self.stream.shutdown(Shutdown::Write).is_ok() {
            self.wire.fin(self.id, Side::Client);
        }
    }

    /// Reads until the other side closes or resets, or `patience` passes;
    /// looks at the cancel flag every [`TICK`].
    pub fn read_until_closed(&mut self, patience: Duration) -> Result<Received, Stop> {
        let deadline = Instant::now() + patience;
        let mut received = Received {
            bytes: Vec::new(),
            count: 0,
            ending: Ending::TimedOut,
        };
        let mut buffer = [0; 16 * 1024];
        loop {
            check()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(received);
            }
            self.stream.set_read_timeout(Some(left.min(TICK)))?;
            match self.stream.read(&mut buffer) {
                Ok(0) => {
                    self.wire.fin(self.id, Side::Server);
                    received.ending = Ending::Closed;
                    return Ok(received);
                }
                Ok(size) => {
                    self.wire.data(self.id, Side::Server, &buffer[..size]);
                    let room = RECEIVED_KEPT.saturating_sub(received.bytes.len());
                    received.bytes.extend_from_slice(&buffer[..size.min(room)]);
                    received.count += size;
                }
                Err(e) if is_wait(&e) => {}
                Err(e) if is_reset(&e) => {
                    self.wire.reset(self.id, Side::Server);
                    received.ending = Ending::Reset;
                    return Ok(received);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Whether the other side has closed or reset the connection already,
    /// without waiting.
    pub fn is_closed(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0; 1];
        let closed = match self.stream.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => is_reset(&e) || e.kind() == ErrorKind::NotConnected,
        };
        let _ = self.stream.set_nonblocking(false);
        closed
    }
}

/// Connects to the learner's server at `addr`, sends `bytes`, ends our side
/// (FIN) and reads until the server ends. A connection the server refuses
/// or resets is the learner's ✗ (`expected` says what should have been).
pub fn talk(
    server: &mut Learner,
    addr: SocketAddr,
    bytes: &[u8],
    wire: &Arc<Wire>,
    expected: &str,
) -> Result<(Conn, Received), Stop> {
    let mut conn = Conn::open(addr, wire).map_err(|e| server.failed_talk(expected, &e))?;
    // A server that refuses a long line closes before reading all of it,
    // and the rest of our write may then fail: that is its answer, not ours.
    if conn.send(bytes).is_ok() {
        conn.finish_sending();
    }
    let received = conn.read_until_closed(PATIENCE)?;
    Ok((conn, received))
}
