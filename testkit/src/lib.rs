//! Test helpers shared by the chapters' integration tests.
//!
//! Every test runs the real binaries as processes, the way a learner does:
//! a server is started on port 0, the real address is read from the first
//! line it prints, and then real bytes go over loopback. Nothing here sleeps
//! to synchronise; waiting is always for a line, a reply or an exit, with a
//! deadline so that a broken program fails the test instead of hanging it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic here is a failed test

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// Long enough for a loaded CI machine, short enough that a hang is a failure.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A program started in the background, killed when the test is done with it.
pub struct Process {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    name: String,
}

/// A server process together with the address it said it is listening on.
pub struct Server {
    pub process: Process,
    pub addr: SocketAddr,
}

impl Process {
    /// Starts `program` with `args`, stdin closed, both outputs captured.
    pub fn start<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S]) -> Process {
        Self::start_in(program, args, None)
    }

    /// Like [`Process::start`], in the working directory `dir`.
    pub fn start_in<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
    ) -> Process {
        Self::spawn(program, args, dir, None)
    }

    /// Starts a process, writes `input` (if any) to its stdin and closes it.
    fn spawn<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
        input: Option<&[u8]>,
    ) -> Process {
        let name = Path::new(program.as_ref()).display().to_string();
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(input).unwrap();
        }
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        Process {
            child,
            stdout,
            stderr,
            name,
        }
    }

    /// Waits for the next stdout line containing `needle`; panics after
    /// [`PATIENCE`] with everything the process said on stderr.
    pub fn stdout_line(&self, needle: &str) -> String {
        self.wait_line(&self.stdout, needle, "stdout")
    }

    /// Waits for the next stderr line containing `needle`.
    pub fn stderr_line(&self, needle: &str) -> String {
        self.wait_line(&self.stderr, needle, "stderr")
    }

    fn wait_line(&self, lines: &Receiver<String>, needle: &str, which: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}: no {which} line with {needle:?}; saw {seen:#?}",
                        self.name
                    )
                }
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: exited before printing {needle:?} on {which}; saw {seen:#?}",
                    self.name
                ),
            }
        }
    }

    /// Everything printed on stderr so far, without waiting.
    pub fn stderr_so_far(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process id, for reading its resource use from the OS.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit on its own, killing it after [`PATIENCE`].
    pub fn finish(mut self) -> Outcome {
        let (stdout, closed) = drain(&self.stdout);
        let (stderr, _) = drain(&self.stderr);
        if !closed {
            let _ = self.child.kill();
            panic!(
                "{} still running after {PATIENCE:?}; stderr: {stderr:#?}",
                self.name
            );
        }
        let status = self.child.wait().unwrap();
        Outcome {
            status,
            stdout: stdout.join("\n"),
            stderr: stderr.join("\n"),
        }
    }
}

impl Process {
    /// Stops reading the program's stdout, as `program | head -1` does after
    /// its first line: the pipe closes once the program writes again, and its
    /// writes fail from then on.
    pub fn stop_reading_stdout(&mut self) {
        self.stdout = mpsc::channel().1;
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server and reads its address from the last word of its first
    /// stdout line, e.g. `等待客户端连接... 127.0.0.1:40123`.
    pub fn start<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S]) -> Server {
        Self::start_in(program, args, None)
    }

    /// Like [`Server::start`], in the working directory `dir`.
    pub fn start_in<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
    ) -> Server {
        let process = Process::start_in(program, args, dir);
        let first = match process.stdout.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(_) => panic!(
                "{} printed no first line; stderr: {:?}",
                process.name,
                drain(&process.stderr).0
            ),
        };
        let addr = address_in(&first)
            .unwrap_or_else(|| panic!("no address at the end of the first line {first:?}"));
        Server { process, addr }
    }

    /// `host:port` text for passing to a client binary.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }
}

/// The socket address that ends `line`, if any.
pub fn address_in(line: &str) -> Option<SocketAddr> {
    line.split_whitespace().last()?.parse().ok()
}

/// How a finished program ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a program to completion (stdin closed) and returns what it printed.
/// A program still running after [`PATIENCE`] is killed and the test fails.
pub fn run<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S]) -> Outcome {
    run_in(program, args, None)
}

/// Like [`run`], in the working directory `dir`.
pub fn run_in<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: &[S],
    dir: Option<&Path>,
) -> Outcome {
    Process::start_in(program, args, dir).finish()
}

/// Like [`run`], with `input` written to the program's stdin (then closed).
pub fn run_with_input<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: &[S],
    input: &str,
) -> Outcome {
    Process::spawn(program, args, None, Some(input.as_bytes())).finish()
}

/// A folder of its own under the system's temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty folder; `tag` shows in its name, for whoever finds one.
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("socket-test-{tag}-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The path of `name` inside the folder, as text for a command line.
    pub fn file(&self, name: &str) -> String {
        self.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Streams a pipe's lines into a channel; the sender closes when the pipe does.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects lines until the pipe closes (the process exited) or [`PATIENCE`]
/// passes; says which of the two happened.
fn drain(lines: &Receiver<String>) -> (Vec<String>, bool) {
    let deadline = Instant::now() + PATIENCE;
    let mut all = Vec::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => all.push(line),
            Err(RecvTimeoutError::Disconnected) => return (all, true),
            Err(RecvTimeoutError::Timeout) => return (all, false),
        }
    }
}

/// Sends `request` on a fresh TCP connection and reads until the server closes.
pub fn tcp_exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.write_all(request)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}

/// A binary built beside `own` (the test's `CARGO_BIN_EXE_…`), if cargo built it.
///
/// `cargo test --workspace` builds every member's binaries before any test
/// runs; `cargo test -p one-member` does not, and then the caller skips.
pub fn binary_beside(own: &str, name: &str) -> Option<PathBuf> {
    let path = Path::new(own).with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        Some(path)
    } else {
        skip(&format!(
            "{name} is not built; run `cargo test --workspace` to include this test"
        ));
        None
    }
}

/// The article's Python programs, kept in the repository's `article/` folder.
pub fn article_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../article")
        .join(name)
}

/// `python3` if this machine has it; otherwise prints why the test is skipped.
pub fn python3() -> Option<&'static str> {
    tool("python3", &["--version"])
}

/// `openssl` if this machine has it; otherwise prints why the test is skipped.
pub fn openssl() -> Option<&'static str> {
    tool("openssl", &["version"])
}

fn tool(name: &'static str, probe: &[&str]) -> Option<&'static str> {
    let found = Command::new(name)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        skip(&format!("{name} is not on PATH"));
    }
    found.then_some(name)
}

/// Says loudly that a test did not check what its name promises.
pub fn skip(reason: &str) {
    // Written straight to the process's stderr: the test harness captures
    // what eprintln! prints and shows it only for failed tests, and a skip
    // must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED (not a pass): {reason}");
}

/// Whether the machine can bind IPv6 loopback (some CI containers cannot).
pub fn has_ipv6_loopback() -> bool {
    let ok = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !ok {
        skip("this machine has no IPv6 loopback ([::1])");
    }
    ok
}

/// Elapsed time of `f`, for "answered within a second" style assertions.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = f();
    (value, started.elapsed())
}

/// Opens `count` TCP connections to `addr` and aborts each at once with a
/// reset (SO_LINGER 0), the way a crashed client or a port scanner does.
/// std cannot set SO_LINGER on stable Rust; socket2 can.
pub fn reset_connections(addr: SocketAddr, count: usize) {
    for _ in 0..count {
        let stream = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
        socket2::SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(stream); // 关闭时发出 RST，而不是正常的 FIN。
    }
}

/// Sends `bytes` and then closes, ignoring the errors a server that stops
/// reading causes (it resets the connection once it closes with data unread).
pub fn send_and_close(addr: SocketAddr, bytes: &[u8]) {
    if let Ok(mut stream) = TcpStream::connect_timeout(&addr, PATIENCE) {
        let _ = stream.set_write_timeout(Some(PATIENCE));
        let _ = stream.write_all(bytes);
    }
}

impl Process {
    /// Waits for the next stderr line containing `needle` and returns every
    /// line up to and including it, for tests that must also check what was
    /// *not* said on the way (a line logged once, not once per client).
    pub fn stderr_until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "{}: no stderr line with {needle:?}; saw {seen:#?}",
                    self.name
                ),
            }
        }
    }
}
