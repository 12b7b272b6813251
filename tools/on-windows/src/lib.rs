//! The workspace's programs as Windows programs, run under Wine beside the
//! Linux ones: the harness for the tests in `tests/`.
//!
//! Debian's own Rust (1.96, with its standard library's source) builds the
//! programs for `x86_64-pc-windows-gnu`, mingw-w64 links them, and Wine runs
//! the `.exe` files. A Windows server then meets a Linux client over
//! loopback, and the other way round, with the same bytes and the same
//! Chinese lines as on Linux.
//!
//! What that proves: every `cfg(windows)` path of std and of our code runs,
//! against Wine's implementation of the Windows API: Windows error codes
//! turned into `io::ErrorKind` and our sentences, `Z:\…` paths, files with
//! no mode bits, std's Windows sockets, threads and processes. What it
//! cannot prove: Wine's Winsock is Linux's sockets underneath, so whatever
//! Windows's own network stack decides (a full backlog answered with RST,
//! `WSAECONNRESET` on a UDP socket, exclusive port use, the firewall
//! prompt) behaves here as on Linux, and the console is not Windows's
//! console. `docs/src/windows.md` lists which Windows claims are run here
//! and which are taken from Microsoft's documentation.
//!
//! The pieces:
//! - [`programs`]: finds the toolchain and Wine (a skip note without them,
//!   a failure under `CI=true`), builds the Linux and the Windows programs
//!   once per test process, and hands out [`Programs`] to start them;
//! - `toolchain`: what is needed and where it is;
//! - `building`: the two builds, the DLL shim Wine 8.0 needs, Wine's first start.

mod building;
mod toolchain;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub use testkit::{Outcome, PATIENCE, Process, Server, TempDir};

/// Which build of a program to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// The ordinary Linux binary, from this test's own target folder.
    Linux,
    /// The `.exe`, under Wine.
    Windows,
}

impl Os {
    /// Both, Windows first: the point of these tests.
    pub const BOTH: [Os; 2] = [Os::Windows, Os::Linux];
}

/// The built programs, Linux and Windows, and the Wine that runs the latter.
#[derive(Debug)]
pub struct Programs {
    /// The Linux binaries (this test's own profile folder).
    linux: PathBuf,
    /// The `.exe` files, with the DLL shim beside them.
    windows: PathBuf,
    wine: building::Wine,
}

/// The programs, built on the first call (the other tests of this process
/// wait for that build, which happens once); `None`, after a skip note, on
/// a machine without the Windows toolchain or Wine. Under `CI=true` that
/// case fails instead. A build that fails fails every test, with cargo's
/// own words.
pub fn programs() -> Option<&'static Programs> {
    static BUILT: OnceLock<Result<Programs, String>> = OnceLock::new();
    if !cfg!(target_os = "linux") {
        // Not a skip: nothing is missing there. On Windows the other tests
        // run the programs natively; this toolchain is Debian's.
        let _ = writeln!(
            std::io::stderr(),
            "on-windows: the Wine tests run on Linux only"
        );
        return None;
    }
    let tools = match toolchain::find() {
        Ok(tools) => tools,
        Err(missing) => {
            unavailable(&missing);
            return None;
        }
    };
    match BUILT.get_or_init(|| building::build(&tools)) {
        Ok(programs) => Some(programs),
        Err(why) => panic!("{why}"),
    }
}

/// Says that a test cannot run here: a skip note, or under `CI=true`, where
/// `.ci/windows` has installed everything, a failure.
pub fn unavailable(reason: &str) {
    if on_ci() {
        panic!(
            "{reason}\n(CI is set: a test that cannot run fails; .ci/windows installs what is missing)"
        );
    }
    testkit::skip(reason);
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0")
}

impl Programs {
    /// `name` (a binary of the workspace, e.g. `tcp-server`) as a command
    /// ready for its arguments: the Linux binary, or the `.exe` under Wine.
    pub fn command(&self, os: Os, name: &str) -> Command {
        match os {
            Os::Linux => Command::new(self.linux.join(name)),
            Os::Windows => self.wine.command(&self.exe(name)),
        }
    }

    /// The `.exe` file of `name`, e.g. for `workshop.exe check --program`.
    pub fn exe(&self, name: &str) -> PathBuf {
        self.windows.join(format!("{name}.exe"))
    }

    /// Starts a server and reads the address from its first line.
    pub fn server(&self, os: Os, name: &str, args: &[&str]) -> Server {
        Server::start_command(self.command(os, name).args(args), &label(os, name))
    }

    /// Like [`Programs::server`], in the working folder `dir`.
    pub fn server_in(&self, os: Os, name: &str, args: &[&str], dir: &Path) -> Server {
        let mut command = self.command(os, name);
        command.args(args).current_dir(dir);
        Server::start_command(&mut command, &label(os, name))
    }

    /// Starts a program without waiting for anything.
    pub fn start(&self, os: Os, name: &str, args: &[&str]) -> Process {
        Process::start_command(self.command(os, name).args(args), &label(os, name))
    }

    /// Runs a program to its end (killed after [`PATIENCE`]).
    pub fn run(&self, os: Os, name: &str, args: &[&str]) -> Outcome {
        testkit::run_command(self.command(os, name).args(args), &label(os, name))
    }

    /// Like [`Programs::run`], in the working folder `dir`.
    pub fn run_in(&self, os: Os, name: &str, args: &[&str], dir: &Path) -> Outcome {
        let mut command = self.command(os, name);
        command.args(args).current_dir(dir);
        testkit::run_command(&mut command, &label(os, name))
    }
}

/// How a program is named in a failure: `tcp-server` or `tcp-server.exe (Wine)`.
pub fn label(os: Os, name: &str) -> String {
    match os {
        Os::Linux => name.to_string(),
        Os::Windows => format!("{name}.exe (Wine)"),
    }
}

/// A Linux path as a Windows program under Wine is given it, the way a
/// Windows learner writes one: Wine's drive `Z:` is the Linux root, and
/// the separators are backslashes (`/tmp/a/server.crt` → `Z:\tmp\a\server.crt`).
pub fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}
