//! Which Python 3 runs the article's programs on this machine.
//!
//! The tests, `workshop check`, `workshop bench` and the docs check all run
//! the article's Python programs, and the command that starts Python 3 is
//! not the same everywhere:
//!
//! - Linux and macOS: `python3` (`python` may be missing, or Python 2);
//! - Windows: a python.org install puts the launcher `py` on PATH, and
//!   `py -3` asks it for Python 3. `python` and `python3` may be the
//!   Microsoft Store's stub, which starts nothing and only says where to
//!   install Python.
//!
//! So each candidate is asked for its major version and for the path of the
//! interpreter itself (`sys.executable`), and that path is what runs the
//! programs: a plain program that every caller starts like any other, with
//! no `-3` to carry along. The answer is looked up once per process.
//!
//! Output: every child this crate starts has its stdout in a pipe, and
//! Python before 3.15 writes a pipe on Windows in the ANSI code page (cp936
//! on Chinese Windows; cp1252 cannot even encode the article's first
//! `print('等待客户端连接...')`). [`crate::Running`] therefore sets
//! `PYTHONUTF8=1` for every child it starts.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{Output, Running, deadline};

/// A Python 3 interpreter found on this machine.
#[derive(Debug)]
pub struct Python {
    executable: PathBuf,
    found_as: &'static str,
}

impl Python {
    /// The interpreter's own path (`sys.executable`), to run programs with.
    pub fn executable(&self) -> &Path {
        &self.executable
    }

    /// The command it was found by: `python3`, `python` or `py -3`.
    pub fn found_as(&self) -> &'static str {
        self.found_as
    }

    /// A command that runs this Python; add the script and its arguments.
    pub fn command(&self) -> Command {
        Command::new(&self.executable)
    }
}

/// So that a `&Python` can be passed wherever a program name is taken.
impl AsRef<OsStr> for Python {
    fn as_ref(&self) -> &OsStr {
        self.executable.as_os_str()
    }
}

/// The commands tried, in order: the launcher first on Windows, where the
/// other two may be the Store's stub.
const CANDIDATES: &[(&str, &[&str])] = if cfg!(windows) {
    &[("py", &["-3"]), ("python3", &[]), ("python", &[])]
} else {
    &[("python3", &[]), ("python", &[])]
};

/// What each candidate is asked: its major version, then its own path.
const PROBE: &str = "import sys; print(sys.version_info[0]); print(sys.executable)";

/// The first candidate that is a working Python 3, or `None`.
pub fn python() -> Option<&'static Python> {
    static FOUND: OnceLock<Option<Python>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            CANDIDATES
                .iter()
                .find_map(|(program, args)| probe(program, args))
        })
        .as_ref()
}

/// Asks one candidate; `None` unless it runs, says 3, and names itself.
fn probe(program: &'static str, args: &[&str]) -> Option<Python> {
    let mut command = Command::new(program);
    command.args(args).args(["-c", PROBE]);
    let finished = Running::start(&mut command, program, Output::Keep)
        .ok()?
        .wait(deadline::STEP)
        .ok()?;
    let found_as = match args {
        [] => program,
        _ => "py -3",
    };
    parse_probe(finished.status.success(), &finished.stdout, found_as)
}

/// The probe's answer: `3` on the first line, the interpreter's path on the
/// second.
fn parse_probe(succeeded: bool, stdout: &[String], found_as: &'static str) -> Option<Python> {
    let [major, executable, ..] = stdout else {
        return None;
    };
    let executable = executable.trim();
    (succeeded && major.trim() == "3" && !executable.is_empty()).then(|| Python {
        executable: PathBuf::from(executable),
        found_as,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|line| line.to_string()).collect()
    }

    #[test]
    fn only_a_python_3_that_names_itself_is_taken() {
        let found = parse_probe(true, &lines(&["3", "C:\\Python313\\python.exe"]), "py -3");
        let found = found.unwrap();
        assert_eq!(found.executable(), Path::new("C:\\Python313\\python.exe"));
        assert_eq!(found.found_as(), "py -3");
        assert!(parse_probe(true, &lines(&["2", "/usr/bin/python"]), "python").is_none());
        assert!(parse_probe(true, &lines(&["3", ""]), "python3").is_none());
        assert!(parse_probe(false, &lines(&["3", "/usr/bin/python3"]), "python3").is_none());
        // The Store's stub prints its advice on stderr and nothing here.
        assert!(parse_probe(false, &[], "python").is_none());
    }

    #[test]
    fn the_python_found_here_runs_with_utf_8_output() {
        let Some(python) = python() else {
            let note = "SKIPPED (not a pass): no Python 3 here (python3, python or py -3)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{note}");
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{note}");
            return;
        };
        let mut command = python.command();
        command.args([
            "-c",
            "import sys; print(sys.stdout.encoding); print('等待客户端连接...')",
        ]);
        let finished = Running::start(&mut command, "python", Output::Keep)
            .unwrap()
            .wait(deadline::STEP)
            .unwrap();
        assert!(finished.status.success(), "{finished:?}");
        assert_eq!(finished.stdout, ["utf-8", "等待客户端连接..."]);
    }
}
