//! Test helpers shared by the chapters' integration tests.
//!
//! Every test runs the real binaries as processes, the way a learner does:
//! a server is started on port 0, the real address is read from the first
//! line it prints, and then real bytes go over loopback. Nothing here sleeps
//! to synchronise; waiting is always for a line, a reply or an exit, with a
//! deadline so that a broken program fails the test instead of hanging it.
//!
//! The processes, folders and deadlines themselves are `process-runner`'s,
//! which the workshop uses too; this crate turns its errors into panics (a
//! failed test) and adds the network helpers the tests share.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic here is a failed test

pub mod unread;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use process_runner::{Error, Finished, Output, Running, Stream, Waited};

/// The deadlines, derived from the programs' own limits: a test that asserts
/// "within" a time uses these (e.g. `deadline::CLIENT_LIMIT + deadline::MARGIN`)
/// rather than a number of its own.
pub use process_runner::deadline;

/// How long any wait here lasts: one step of a chapter program (it starts,
/// finishes an exchange, or prints its line about one), which ends at the
/// latest when the program's own longest time limit fires, plus a margin
/// for a loaded machine. The arithmetic is in [`process_runner::deadline`].
pub const PATIENCE: Duration = process_runner::deadline::STEP;

/// A program started in the background, killed when the test is done with it.
pub struct Process {
    running: Running,
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
        Self::spawn(program, args, dir, None, &[])
    }

    /// Like [`Process::start_in`], with environment variables set for it
    /// (`SSLKEYLOGFILE`, say); a test cannot set them on itself, because the
    /// tests of one binary share one environment.
    pub fn start_with_env<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
        env: &[(&str, &OsStr)],
    ) -> Process {
        Self::spawn(program, args, dir, None, env)
    }

    /// Starts a process, writes `input` (if any) to its stdin and closes it.
    fn spawn<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
        input: Option<&[u8]>,
        env: &[(&str, &OsStr)],
    ) -> Process {
        let name = Path::new(program.as_ref()).display().to_string();
        let mut command = Command::new(program);
        command.args(args);
        command.envs(env.iter().copied());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let running = match input {
            Some(input) => Running::start_with_input(&mut command, &name, Output::Keep, input),
            None => Running::start(&mut command, &name, Output::Keep),
        };
        match running {
            Ok(running) => Process { running, name },
            Err(e) => panic!("cannot start {name}: {}", explain(&e)),
        }
    }

    /// Waits for the next stdout line containing `needle`; panics after
    /// [`PATIENCE`] with the lines it passed over.
    pub fn stdout_line(&self, needle: &str) -> String {
        self.wait_line(Stream::Stdout, needle)
    }

    /// Waits for the next stderr line containing `needle`.
    pub fn stderr_line(&self, needle: &str) -> String {
        self.wait_line(Stream::Stderr, needle)
    }

    fn wait_line(&self, stream: Stream, needle: &str) -> String {
        self.running
            .line(stream, needle, PATIENCE)
            .unwrap_or_else(|e| panic!("{}: {} (on {stream:?})", self.name, explain(&e)))
    }

    /// Everything printed on stderr so far, without waiting.
    pub fn stderr_so_far(&self) -> Vec<String> {
        self.running.lines_so_far(Stream::Stderr)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.running.is_running()
    }

    /// The process id, for reading its resource use from the OS.
    pub fn id(&self) -> u32 {
        self.running.id()
    }

    /// Waits for the process to exit on its own, killing it after [`PATIENCE`].
    pub fn finish(self) -> Outcome {
        self.finish_within(PATIENCE)
    }

    fn finish_within(self, patience: Duration) -> Outcome {
        match self.running.wait(patience) {
            Ok(finished) => Outcome::from(finished),
            Err(e) => panic!("{}: {}", self.name, explain(&e)),
        }
    }

    /// Stops reading the program's stdout, as `program | head -1` does after
    /// its first line: the pipe closes once the program writes again, and its
    /// writes fail from then on.
    pub fn stop_reading_stdout(&mut self) {
        self.running.stop_reading(Stream::Stdout);
    }
}

/// A test failure's explanation, in English like the rest of the test
/// output, with the lines the wait passed over.
fn explain(error: &Error) -> String {
    match error {
        Error::TimedOut {
            waited,
            patience,
            seen,
            ..
        } => format!("no {} within {patience:?}; saw {seen:#?}", what(waited)),
        Error::Closed { waited, seen, .. } => {
            format!("exited before printing {}; saw {seen:#?}", what(waited))
        }
        Error::NoAddress { line, .. } => {
            format!("no address at the end of the first line {line:?}")
        }
        other => format!("{other:?}"),
    }
}

fn what(waited: &Waited) -> String {
    match waited {
        Waited::NextLine => "line".to_string(),
        Waited::Line(needle) => format!("line with {needle:?}"),
        Waited::Address => "first line with its address".to_string(),
        Waited::Exit => "exit (still running)".to_string(),
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
        Self::from_process(Process::start_in(program, args, dir))
    }

    /// Like [`Server::start_in`], with environment variables set for it.
    pub fn start_with_env<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
        env: &[(&str, &OsStr)],
    ) -> Server {
        Self::from_process(Process::start_with_env(program, args, dir, env))
    }

    fn from_process(process: Process) -> Server {
        match process.running.address(PATIENCE) {
            Ok(addr) => Server { process, addr },
            Err(e) => {
                // Its stderr says why; it has exited or is killed by the drop.
                let why = explain(&e);
                let name = process.name.clone();
                let stderr = process.running.wait(PATIENCE).map(|f| f.stderr);
                panic!("{name}: {why}; stderr: {stderr:#?}")
            }
        }
    }

    /// `host:port` text for passing to a client binary.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }
}

/// The socket address that ends `line`, if any.
pub fn address_in(line: &str) -> Option<SocketAddr> {
    process_runner::address_in(line)
}

/// How a finished program ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<Finished> for Outcome {
    fn from(finished: Finished) -> Outcome {
        Outcome {
            status: finished.status,
            stdout: finished.stdout.join("\n"),
            stderr: finished.stderr.join("\n"),
        }
    }
}

/// Runs a program to completion (stdin closed) and returns what it printed.
/// A program still running after [`PATIENCE`] is killed and the test fails.
pub fn run<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S]) -> Outcome {
    run_in(program, args, None)
}

/// Like [`run`], for a program whose own deadline is longer than one step
/// (the workshop's whole tour: [`process_runner::deadline::TOUR`]).
pub fn run_within<S: AsRef<OsStr>>(
    patience: Duration,
    program: impl AsRef<OsStr>,
    args: &[S],
) -> Outcome {
    Process::start(program, args).finish_within(patience)
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
    Process::spawn(program, args, None, Some(input.as_bytes()), &[]).finish()
}

/// A folder of its own under the system's temp dir, removed when dropped.
pub struct TempDir(process_runner::TempDir);

impl TempDir {
    /// A new empty folder; `tag` shows in its name, for whoever finds one.
    pub fn new(tag: &str) -> TempDir {
        match process_runner::TempDir::new(&format!("socket-test-{tag}")) {
            Ok(dir) => TempDir(dir),
            Err(e) => panic!("{e}"),
        }
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// The path of `name` inside the folder, as text for a command line.
    pub fn file(&self, name: &str) -> String {
        self.join(name).to_str().unwrap().to_string()
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
        .join("../../article")
        .join(name)
}

/// A Python 3 (`python3`, `python`, or `py -3` on Windows: see
/// [`process_runner::python`]) if this machine has one; otherwise prints
/// why the test is skipped. Pass it where a program is taken.
pub fn python3() -> Option<&'static process_runner::Python> {
    let found = process_runner::python();
    if found.is_none() {
        skip("no Python 3 here (python3, python, or py -3 on Windows)");
    }
    found
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
        self.lines_until(Stream::Stderr, needle)
    }

    /// The same for stdout.
    pub fn stdout_until(&self, needle: &str) -> Vec<String> {
        self.lines_until(Stream::Stdout, needle)
    }

    fn lines_until(&self, stream: Stream, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.running.next_line(stream, left) {
                Ok(Some(line)) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Ok(None) => panic!(
                    "{}: exited before a line with {needle:?} on {stream:?}; saw {seen:#?}",
                    self.name
                ),
                Err(e) => panic!(
                    "{}: no line with {needle:?} on {stream:?} ({}); saw {seen:#?}",
                    self.name,
                    explain(&e)
                ),
            }
        }
    }
}
