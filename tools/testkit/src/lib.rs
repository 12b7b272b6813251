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

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
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

    /// Like [`Process::start`], for a command the caller has set up (its
    /// environment, or a program run through another, such as Wine);
    /// `name` labels it in failures.
    pub fn start_command(command: &mut Command, name: &str) -> Process {
        Self::spawn_command(command, name.to_string(), None)
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
        Self::spawn_command(&mut command, name, input)
    }

    fn spawn_command(command: &mut Command, name: String, input: Option<&[u8]>) -> Process {
        let running = match input {
            Some(input) => Running::start_with_input(command, &name, Output::Keep, input),
            None => Running::start(command, &name, Output::Keep),
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

    /// Like [`Process::finish`], for a program whose own deadline is longer
    /// than one step (a whole `workshop check` run).
    pub fn finish_within(self, patience: Duration) -> Outcome {
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

    /// Like [`Server::start`], for a command the caller has set up (see
    /// [`Process::start_command`]).
    pub fn start_command(command: &mut Command, name: &str) -> Server {
        Self::from_process(Process::start_command(command, name))
    }

    /// Waits for the address on the first line of a started server.
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

/// Like [`run`], for a command the caller has set up (see [`Process::start_command`]).
pub fn run_command(command: &mut Command, name: &str) -> Outcome {
    Process::start_command(command, name).finish()
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

// ---------------------------------------------------------------------------
// What a test needs from outside it: the workspace's programs, which it
// builds, and tools, whose absence is a skip (a failure under CI)
// ---------------------------------------------------------------------------

/// The workspace program `name` (the binaries of the package of that name,
/// e.g. `tcp-server`), built first, as the workshop's tour does.
///
/// `cargo test --workspace` has built every program already, and the build
/// is a no-op; `cargo test -p one-member` has not, and a test that talks to
/// another member's program must not skip for that.
pub fn program(name: &str) -> PathBuf {
    build(&["-p", name, "--bins"]);
    programs_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The example `name` of the workspace package `package`, built first.
pub fn example(package: &str, name: &str) -> PathBuf {
    build(&["-p", package, "--example", name]);
    programs_dir()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Every program and example of the workspace, built first; the folder
/// they are in (`target/debug`, examples in its `examples/`).
pub fn all_programs() -> PathBuf {
    build(&["--workspace", "--bins", "--examples"]);
    programs_dir()
}

/// Where cargo put this test (`target/debug/deps/NAME-HASH`): the programs
/// are one folder up, in `target/debug`.
fn programs_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("a test runs from target/PROFILE/deps")
        .to_path_buf()
}

/// `cargo build TARGETS` into this test's own target folder and profile,
/// once per test process: later calls (other tests in the same file)
/// return at once, and concurrent ones wait for the first.
fn build(targets: &[&str]) {
    static BUILT: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let key = targets.join(" ");
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if built.contains(&key) {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut command = process_runner::cargo_build_into(&programs_dir(), &root);
    command.args(targets);
    let cargo = Running::start_group(&mut command, "cargo", Output::Keep)
        .unwrap_or_else(|e| panic!("cannot run cargo build {key}: {}", explain(&e)));
    let finished = cargo
        .wait(deadline::BUILD)
        .unwrap_or_else(|e| panic!("cargo build {key}: {}", explain(&e)));
    assert!(
        finished.status.success(),
        "cargo build {key} failed:\n{}",
        finished.stderr.join("\n")
    );
    built.insert(key);
}

/// The article's Python programs, kept in the repository's `article/` folder.
pub fn article_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../article")
        .join(name)
}

/// A Python 3 (`python3`, `python`, or `py -3` on Windows: see
/// [`process_runner::python`]), or a skip (a failure under CI). Pass it
/// where a program is taken.
pub fn python3() -> Option<&'static process_runner::Python> {
    let found = process_runner::python();
    if found.is_none() {
        skip("no Python 3 here (python3, python, or py -3 on Windows; apt-get install python3)");
    }
    found
}

/// `openssl`, or a skip (a failure under CI).
pub fn openssl() -> Option<&'static str> {
    tool("openssl", &["version"], "apt-get install openssl")
}

/// `name` if it runs here (`name PROBE…` exits 0); otherwise a skip that
/// names it and how to get it (`install`), which fails the test under CI.
pub fn tool(name: &'static str, probe: &[&str], install: &str) -> Option<&'static str> {
    let found = Command::new(name)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        skip(&format!("{name} is not on PATH ({install})"));
    }
    found.then_some(name)
}

/// Whether this is a CI run: `CI` is set, and neither empty nor `false`
/// (GitHub Actions, GitLab and our `.ci/run` all set `CI=true`).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|ci| !ci.is_empty() && ci != "false")
}

/// Says loudly that a test did not check what its name promises, naming
/// what is missing. On a learner's or developer's machine the note goes to
/// stderr and the caller returns: a missing Python should not stop someone
/// from running the rest. Under CI the same words fail the test: `.ci/run`
/// installs everything the tests need, so a skip there means an install
/// step broke, and a green run must mean every test ran.
pub fn skip(what: &str) {
    let note = format!("SKIPPED (not a pass): {what}");
    assert!(
        !in_ci(),
        "{note} — under CI a skip is a failure: .ci/run must provide it"
    );
    // Written straight to the process's stderr: the test harness captures
    // what eprintln! prints and shows it only for failed tests, and a skip
    // must be seen.
    let _ = writeln!(std::io::stderr(), "{note}");
}

/// Whether the machine can bind IPv6 loopback (some containers cannot);
/// otherwise a skip (a failure under CI).
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
