//! Quoted outputs: a ```` ```text ```` block under an `<!-- output: … -->`
//! marker must be what the command the marker names prints, run now.
//!
//! The marker is invisible on the page, so it names the commands exactly as
//! a learner types them, with the ports the page uses:
//!
//! ```text
//! <!-- output: cargo run -p tcp-client -- localhost:1 -->
//! <!-- output: cargo run -p tcp-server -- --help -->
//! <!-- output: cargo run -p tcp-client -- localhost:9999
//!      server: cargo run -p tcp-server -- localhost:9999 -->
//! <!-- output: server
//!      server: cargo run -p tcp-server -- localhost:9999
//!      run: cargo run -p tcp-client -- localhost:9999 -->
//! <!-- output: python3 article/tcp_server.py localhost 9999
//!      server: cargo run -p tcp-server -- localhost:9999
//!      exit: 1 -->
//! <!-- output: not-run (LAN) -->
//! ```
//!
//! The first line is the command whose output the block shows (stdout, then
//! stderr), or the name of a background process whose output it shows, or
//! `not-run (why)` for output that cannot be made unattended (another
//! laptop, Windows, a key pressed). The lines after it, in order:
//!
//! | line                  | does                                                        |
//! |-----------------------|-------------------------------------------------------------|
//! | `NAME: COMMAND`       | starts a background process (a server), waits for the address at the end of its first line |
//! | `run: COMMAND`        | runs a command to its end (a client the shown server talks to) |
//! | `stop: NAME`          | ends a background process (its port stays the same for later commands) |
//! | `wait: NAME`          | waits for a background process to exit by itself (`--exit-after`), so the files it writes are whole |
//! | `exit: N`             | the shown command must exit with N                           |
//! | `cwd: /home/me/x`     | the folder the page pretends to run in (the run's own temp folder is shown as it) |
//! | `order: any`          | the lines may come in any order (several clients at once)   |
//! | `and: COMMAND`        | another shown command, run after the first; its output follows (a block showing two tries) |
//! | `skip: N`             | the first N lines are not shown (a server's address line, when the block shows only what came after) |
//!
//! A command may start with environment variables, as in a Unix shell:
//! `SSLKEYLOGFILE=keys.txt cargo run -p tls-client -- …` runs tls-client
//! with `SSLKEYLOGFILE` set (the page gives the PowerShell form beside it).
//!
//! tshark, run as root (as CI runs), first warns `Running as user "root"
//! and group "root". This could be dangerous.` on stderr. A learner does not
//! run it as root and never sees that line, so it is left out of the output.
//!
//! Ports: a background command's port (`localhost:9999`, or `9999` for the
//! article's Python programs) is replaced by 0, so the system picks a free
//! one; later commands that name 9999 get that port, and in the output it is
//! shown as 9999 again. So the page reads as a learner's run and the check
//! needs no fixed port. `cargo run -p X -- …` runs the already built
//! program (`cargo build --workspace --bins --examples`), never cargo.
//! Comparison rules (placeholders, ports a run picks) are in
//! [`crate::matching`].

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use process_runner::{Error as RunError, Output, Running, Stream, TempDir, address_in};

use crate::bless::{self, Blessed, Expected};
use crate::commands::{Binaries, Unreadable, cargo_options, shell_words};
use crate::markdown::{self, Fence, Parsed};
use crate::matching::{self, is_any_lines};
use crate::repo::Workspace;
use crate::{Files, Problem, Repo};

/// What an `<!-- output: … -->` marker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Annotation {
    /// Output that cannot be made unattended, and why (`LAN`, `Windows`).
    NotRun { reason: String },
    /// Output to make by running commands.
    Run(Session),
}

/// The commands behind one output block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    pub shown: Shown,
    pub steps: Vec<Step>,
    pub exit: Option<i32>,
    pub cwd: Option<String>,
    pub any_order: bool,
    /// More shown commands (`and:`), run after the first, their output appended.
    pub and: Vec<String>,
    /// Shown lines to leave out at the start (`skip:`).
    pub skip: usize,
}

/// Whose output the block shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A command run to its end after the steps.
    Command(String),
    /// A background process started by a step, after all the steps.
    Process(String),
}

impl Default for Shown {
    fn default() -> Shown {
        Shown::Command(String::new())
    }
}

/// A step before the shown output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Start { name: String, command: String },
    Run(String),
    Stop(String),
    Wait(String),
}

/// What tshark says first when run as root; see the module's notes.
const TSHARK_AS_ROOT: &str = r#"Running as user "root" and group "root". This could be dangerous."#;

/// Keys that are not process names.
const KEYS: [&str; 8] = ["run", "stop", "wait", "exit", "cwd", "order", "and", "skip"];

/// Reads a marker's text (the inside of `<!-- … -->`). `None`: not an
/// output marker; `Some(Err)`: one that says something this cannot do.
pub fn parse_annotation(comment: &str) -> Option<Result<Annotation, String>> {
    let text = comment.trim().strip_prefix("output:")?;
    Some(parse_lines(text))
}

fn parse_lines(text: &str) -> Result<Annotation, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().ok_or("`output:` names no command")?;
    if let Some(rest) = first.strip_prefix("not-run") {
        let reason = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.split_once(')'))
            .map(|(reason, _)| reason.trim().to_string())
            .filter(|r| !r.is_empty())
            .ok_or("`not-run` needs its reason in brackets, for example `not-run (LAN)`")?;
        return Ok(Annotation::NotRun { reason });
    }
    let mut session = Session::default();
    for line in lines {
        let (key, value) = line
            .split_once(':')
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| {
                format!("`{line}` is not `name: command` (or run:, stop:, exit:, cwd:, order:)")
            })?;
        match key {
            "run" => session.steps.push(Step::Run(value.to_string())),
            "stop" => session.steps.push(Step::Stop(value.to_string())),
            "wait" => session.steps.push(Step::Wait(value.to_string())),
            "exit" => {
                let code = value
                    .parse()
                    .map_err(|_| format!("`exit: {value}` is not a number"))?;
                session.exit = Some(code);
            }
            "cwd" => session.cwd = Some(value.to_string()),
            "and" => session.and.push(value.to_string()),
            "skip" => {
                session.skip = value
                    .parse()
                    .map_err(|_| format!("`skip: {value}` is not a number"))?;
            }
            "order" if value == "any" => session.any_order = true,
            "order" => return Err(format!("`order: {value}`: the only order is `any`")),
            name if is_name(name) => session.steps.push(Step::Start {
                name: name.to_string(),
                command: value.to_string(),
            }),
            other => {
                return Err(format!(
                    "`{other}:` is neither a key ({}) nor a process name",
                    KEYS.join(", ")
                ));
            }
        }
    }
    let started: Vec<&str> = session
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Start { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for (i, name) in started.iter().enumerate() {
        if started[..i].contains(name) {
            return Err(format!("`{name}` is started twice"));
        }
    }
    for step in &session.steps {
        if let Step::Stop(name) | Step::Wait(name) = step
            && !started.contains(&name.as_str())
        {
            let key = if matches!(step, Step::Stop(_)) {
                "stop"
            } else {
                "wait"
            };
            return Err(format!(
                "`{key}: {name}`: no process is started as `{name}`"
            ));
        }
    }
    session.shown = if started.contains(&first) {
        Shown::Process(first.to_string())
    } else {
        Shown::Command(first.to_string())
    };
    Ok(Annotation::Run(session))
}

/// `server`, `wiretap`, `teacher-2`: lower-case ASCII, digits and `-`.
fn is_name(word: &str) -> bool {
    !KEYS.contains(&word)
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------

/// The ports the commands name, and the ports the runs really got.
#[derive(Debug, Default)]
struct Ports {
    /// (port on the page, port of the run)
    pairs: Vec<(u16, u16)>,
}

impl Ports {
    fn actual(&self, page_port: u16) -> Option<u16> {
        self.pairs
            .iter()
            .find(|(p, _)| *p == page_port)
            .map(|(_, a)| *a)
    }

    /// The ports the page names, which are compared exactly.
    fn kept(&self) -> Vec<u16> {
        self.pairs.iter().map(|(p, _)| *p).collect()
    }

    /// A run's output line with the real ports written as the page's.
    fn to_page(&self, line: &str) -> String {
        let mut line = line.to_string();
        for (page, actual) in &self.pairs {
            line = replace_number(&line, *actual, *page);
        }
        line
    }
}

/// The port a command-line word names: `localhost:9999`, `[::1]:9999`,
/// `--addr=127.0.0.1:9999`, or a bare `9999` (the article's Python programs
/// take `HOST PORT`). Ports below 1024 in a bare word are not taken for one.
fn port_in_word(word: &str) -> Option<(u16, PortForm)> {
    if let Some((host, port)) = word.rsplit_once(':')
        && !host.is_empty()
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
    {
        return port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .map(|p| (p, PortForm::Suffix));
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        return word
            .parse()
            .ok()
            .filter(|p| *p >= 1024)
            .map(|p| (p, PortForm::Bare));
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortForm {
    Suffix,
    Bare,
}

fn with_port(word: &str, form: PortForm, port: u16) -> String {
    match (form, word.rsplit_once(':')) {
        (PortForm::Suffix, Some((host, _))) => format!("{host}:{port}"),
        _ => port.to_string(),
    }
}

/// `text` with each whole number `from` (not part of a longer number) replaced by `to`.
fn replace_number(text: &str, from: u16, to: u16) -> String {
    let from = from.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit()) {
            out.push_str(&from);
        } else {
            out.push_str(&to.to_string());
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// Running a session
// ---------------------------------------------------------------------------

/// What running a session gave.
#[derive(Debug)]
pub enum Ran {
    /// The shown output, written as the page would (ports, folders), and
    /// the ports the page names.
    Output { lines: Vec<String>, kept: Vec<u16> },
    /// Could not run here (a program not built, python3 missing): said, not failed.
    Skipped(String),
    /// Ran, and went wrong in a way no rewrite can fix.
    Failed(String),
}

/// Runs sessions with the built programs of one workspace.
pub struct Runner<'a> {
    pub repo: &'a Repo,
    pub workspace: &'a Workspace,
    pub programs: &'a Binaries,
    /// How long one step may take: a process's first line, a command's end.
    pub patience: Duration,
}

/// Why a step stopped the session.
enum Stop {
    Skip(String),
    Fail(String),
}

impl From<Stop> for Ran {
    fn from(stop: Stop) -> Ran {
        match stop {
            Stop::Skip(why) => Ran::Skipped(why),
            Stop::Fail(why) => Ran::Failed(why),
        }
    }
}

/// A background process of a session, with the lines it printed so far.
struct Background {
    name: String,
    running: Running,
    seen: Vec<String>,
}

impl Runner<'_> {
    /// How long `command` may take to end: one step, and for the workshop,
    /// which first builds the chapter programs it runs (`cargo build -p …
    /// --bins`, a build of its own the first time on a fresh target
    /// folder), that build's deadline too.
    fn patience_for(&self, command: &str) -> Duration {
        let words = crate::commands::shell_words(command).concat();
        let (packages, _) = crate::commands::cargo_options(&words);
        if packages.iter().any(|p| p == "workshop") {
            self.patience
                .saturating_add(process_runner::deadline::BUILD)
        } else {
            self.patience
        }
    }

    /// Runs `session`; `page` is the block's lines on the page (a background
    /// process is read until it has printed as many, and, where the page
    /// stands a `…` line for several, until its last line has come).
    pub fn run(&self, session: &Session, page: &[String]) -> Ran {
        let dir = match TempDir::new("docs-output") {
            Ok(dir) => dir,
            Err(e) => return Ran::Failed(format!("cannot make a temporary folder: {e}")),
        };
        match self.run_in(session, page, dir.path()) {
            Ok((lines, ports)) => {
                let tidy = |line: &String| {
                    ports.to_page(&self.tidy_paths(line, dir.path(), session.cwd.as_deref()))
                };
                Ran::Output {
                    lines: lines.iter().map(tidy).collect(),
                    kept: ports.kept(),
                }
            }
            Err(stop) => stop.into(),
        }
    }

    fn run_in(
        &self,
        session: &Session,
        page: &[String],
        dir: &Path,
    ) -> Result<(Vec<String>, Ports), Stop> {
        let expected_lines = page.iter().filter(|l| !is_any_lines(l)).count();
        let last_line = page
            .iter()
            .any(|l| is_any_lines(l))
            .then(|| page.last().cloned())
            .flatten();
        let mut ports = Ports::default();
        let mut background: Vec<Background> = Vec::new();
        // What the processes waited for printed, by name (stdout, then stderr).
        let mut ended: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for step in &session.steps {
            match step {
                Step::Start { name, command } => {
                    background.push(self.start(name, command, &mut ports, dir)?);
                }
                Step::Run(command) => {
                    let running = self.spawn(command, &ports, dir)?;
                    running
                        .wait(self.patience_for(command))
                        .map_err(|e| Stop::Fail(format!("`run: {command}`: {e:?}")))?;
                }
                Step::Stop(name) => background.retain(|b| &b.name != name),
                Step::Wait(name) => {
                    let Some(at) = background.iter().position(|b| &b.name == name) else {
                        continue; // 已经 stop 了
                    };
                    let process = background.remove(at);
                    let finished = process.running.wait(self.patience).map_err(|e| {
                        Stop::Fail(format!("`wait: {name}`: it did not exit by itself: {e:?}"))
                    })?;
                    let lines = [process.seen, finished.stdout, finished.stderr].concat();
                    ended.insert(name.clone(), lines);
                }
            }
        }
        let mut lines = match &session.shown {
            Shown::Command(command) => self.shown_command(command, session.exit, &ports, dir)?,
            Shown::Process(name) if ended.contains_key(name) => {
                ended.remove(name).unwrap_or_default()
            }
            Shown::Process(name) => {
                let process = background
                    .iter_mut()
                    .find(|b| &b.name == name)
                    .ok_or_else(|| {
                        Stop::Fail(format!("`{name}` was stopped before its output is shown"))
                    })?;
                let wanted = (expected_lines + session.skip).max(1);
                self.collect(process, wanted, last_line.as_deref(), &ports.kept())
            }
        };
        for command in &session.and {
            lines.extend(self.shown_command(command, session.exit, &ports, dir)?);
        }
        let mut lines: Vec<String> = lines
            .iter()
            .skip(session.skip)
            .map(|l| l.trim_end().to_string())
            .collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        Ok((lines, ports))
    }

    /// Runs a shown command to its end: its stdout, then its stderr.
    fn shown_command(
        &self,
        command: &str,
        exit: Option<i32>,
        ports: &Ports,
        dir: &Path,
    ) -> Result<Vec<String>, Stop> {
        let running = self.spawn(command, ports, dir)?;
        let finished = running
            .wait(self.patience_for(command))
            .map_err(|e| Stop::Fail(format!("`{command}` did not finish: {e:?}")))?;
        let lines: Vec<String> = [finished.stdout, finished.stderr]
            .concat()
            .into_iter()
            .filter(|line| line != TSHARK_AS_ROOT)
            .collect();
        if let Some(expected) = exit
            && finished.status.code() != Some(expected)
        {
            return Err(Stop::Fail(format!(
                "`{command}` ended with {}, the marker says `exit: {expected}`; it printed:\n    {}",
                finished.status,
                lines.join("\n    ")
            )));
        }
        Ok(lines)
    }

    /// Starts a background process on a port of the system's choosing and
    /// reads the address it prints at the end of its first line.
    fn start(
        &self,
        name: &str,
        command: &str,
        ports: &mut Ports,
        dir: &Path,
    ) -> Result<Background, Stop> {
        let words = self.words(command)?;
        let mut free: Vec<(usize, u16, PortForm)> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if let Some((port, form)) = port_in_word(word)
                && ports.actual(port).is_none()
            {
                free.push((i, port, form));
            }
        }
        if free.len() > 1 {
            let named: Vec<String> = free.iter().map(|(_, p, _)| p.to_string()).collect();
            return Err(Stop::Fail(format!(
                "`{name}: {command}` names several new ports ({}); which one does it listen on?",
                named.join(", ")
            )));
        }
        let mut zeroed = words.clone();
        if let Some((i, _, form)) = free.first() {
            zeroed[*i] = with_port(&words[*i], *form, 0);
        }
        let running = self.spawn_words(command, &zeroed, ports, dir)?;
        let mut seen = Vec::new();
        if let Some((_, page_port, _)) = free.first() {
            let first = running
                .next_line(Stream::Stdout, self.patience)
                .map_err(|e| {
                    Stop::Fail(format!("`{name}: {command}` printed no first line: {e:?}"))
                })?;
            let Some(first) = first else {
                let finished = running.wait(self.patience).ok();
                let said = finished
                    .map(|f| [f.stdout, f.stderr].concat().join("\n    "))
                    .unwrap_or_default();
                return Err(Stop::Fail(format!(
                    "`{name}: {command}` ended before printing its address:\n    {said}"
                )));
            };
            let address = address_in(&first).ok_or_else(|| {
                Stop::Fail(format!(
                    "`{name}: {command}`: no address at the end of its first line \"{first}\""
                ))
            })?;
            ports.pairs.push((*page_port, address.port()));
            seen.push(first);
        }
        Ok(Background {
            name: name.to_string(),
            running,
            seen,
        })
    }

    /// Reads a background process's lines (stdout, then stderr) until it
    /// has printed `wanted` of them, or the patience runs out.
    /// A background process's lines: at least `wanted` of them, and, if
    /// `last` is given, up to one that matches it (a `…` line on the page
    /// stands for an unknown number of lines before it).
    fn collect(
        &self,
        process: &mut Background,
        wanted: usize,
        last: Option<&str>,
        kept: &[u16],
    ) -> Vec<String> {
        let deadline = Instant::now() + self.patience;
        let mut out = std::mem::take(&mut process.seen);
        let mut err = Vec::new();
        loop {
            out.extend(process.running.lines_so_far(Stream::Stdout));
            err.extend(process.running.lines_so_far(Stream::Stderr));
            let left = deadline.saturating_duration_since(Instant::now());
            let last_seen = last.is_none_or(|last| {
                out.iter()
                    .chain(&err)
                    .any(|line| matching::line_matches(last, line, kept))
            });
            if (out.len() + err.len() >= wanted && last_seen) || left.is_zero() {
                break;
            }
            // Wait for the next stdout line, a tick at most, then look at both again.
            match process
                .running
                .next_line(Stream::Stdout, left.min(process_runner::TICK))
            {
                Ok(Some(line)) => out.push(line),
                Ok(None) => {
                    err.extend(process.running.lines_so_far(Stream::Stderr));
                    if !process.running.is_running() {
                        break;
                    }
                }
                Err(_) => {}
            }
        }
        [out, err].concat()
    }

    fn words(&self, command: &str) -> Result<Vec<String>, Stop> {
        let shell = ["$(", "`", ">", "<", "|", "&&", ";", "*"];
        if let Some(bad) = shell.iter().find(|s| command.contains(*s)) {
            return Err(Stop::Fail(format!(
                "`{command}` needs a shell (`{bad}`); the check runs programs directly: give the command without it, or mark the block `not-run (…)`"
            )));
        }
        let mut commands = shell_words(command);
        match commands.len() {
            1 => Ok(commands.remove(0)),
            0 => Err(Stop::Fail("an empty command".into())),
            _ => Err(Stop::Fail(format!("`{command}` is several commands"))),
        }
    }

    fn spawn(&self, command: &str, ports: &Ports, dir: &Path) -> Result<Running, Stop> {
        let words = self.words(command)?;
        self.spawn_words(command, &words, ports, dir)
    }

    /// Starts the program `words` name, with the page's ports replaced by
    /// the run's, in `dir`.
    fn spawn_words(
        &self,
        command: &str,
        words: &[String],
        ports: &Ports,
        dir: &Path,
    ) -> Result<Running, Stop> {
        let words: Vec<String> = words
            .iter()
            .map(|word| match port_in_word(word) {
                Some((port, form)) => match ports.actual(port) {
                    Some(actual) => with_port(word, form, actual),
                    None => word.clone(),
                },
                None => word.clone(),
            })
            .collect();
        let (env, words) = environment(&words);
        let (program, args) = self.program(words)?;
        let args: Vec<String> = args.iter().map(|a| self.repo_path(a)).collect();
        let mut process = Command::new(&program);
        process
            .envs(env)
            .args(&args)
            .current_dir(dir)
            // The article's Python programs must not write __pycache__ into the repository.
            .env("PYTHONDONTWRITEBYTECODE", "1");
        Running::start(&mut process, command, Output::Keep).map_err(|e| match e {
            RunError::Start { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                Stop::Skip(format!("{} is not on PATH", program.display()))
            }
            other => Stop::Fail(format!("cannot start `{command}`: {other:?}")),
        })
    }

    /// The program and its arguments: `cargo run -p X -- ARGS` is the built
    /// program X with ARGS; anything else is a program on the PATH.
    fn program(&self, words: &[String]) -> Result<(PathBuf, Vec<String>), Stop> {
        let Some(first) = words.first() else {
            return Err(Stop::Fail("an empty command".into()));
        };
        if first == "python3" {
            // The book writes `python3`; here it is whichever Python 3 the
            // machine has (`py -3` on Windows), as for the tests.
            let python = process_runner::python().ok_or_else(|| {
                Stop::Skip("no Python 3 here (python3, python, or py -3 on Windows)".into())
            })?;
            return Ok((python.executable().to_path_buf(), words[1..].to_vec()));
        }
        if first != "cargo" {
            return Ok((PathBuf::from(first), words[1..].to_vec()));
        }
        if words.get(1).map(String::as_str) != Some("run") {
            return Err(Stop::Fail(format!(
                "`{}`: only `cargo run` can show output here",
                words.join(" ")
            )));
        }
        let split = words.iter().position(|w| w == "--").unwrap_or(words.len());
        let (packages, example) = cargo_options(&words[2..split]);
        let [package] = packages.as_slice() else {
            return Err(Stop::Fail(format!(
                "`{}` must name one package with -p",
                words.join(" ")
            )));
        };
        let member = self
            .workspace
            .member(package)
            .ok_or_else(|| Stop::Fail(format!("-p {package} is not a workspace member")))?;
        let path = self
            .programs
            .program(member, example.as_deref())
            .map_err(|e| match e {
                Unreadable::NotBuilt(why) => Stop::Skip(why),
                Unreadable::Broken(why) => Stop::Fail(why),
            })?;
        Ok((path, words.get(split + 1..).unwrap_or(&[]).to_vec()))
    }

    /// A word naming a file of the repository (`article/tcp_server.py`)
    /// becomes its full path: the programs run in a folder of their own.
    fn repo_path(&self, word: &str) -> String {
        let looks_like_path =
            !word.starts_with('-') && (word.contains('/') || word.ends_with(".py"));
        if looks_like_path && self.repo.exists(word) {
            self.repo.path(word).display().to_string()
        } else {
            word.to_string()
        }
    }

    /// A line with the run's own folders written as the page shows them:
    /// the temporary folder and the repository as `cwd` (or as `.`-relative
    /// paths when the marker gives none).
    fn tidy_paths(&self, line: &str, dir: &Path, cwd: Option<&str>) -> String {
        let mut line = line.to_string();
        let mut roots: Vec<PathBuf> = vec![dir.to_path_buf(), self.repo.root().to_path_buf()];
        roots.extend(roots.clone().iter().filter_map(|p| p.canonicalize().ok()));
        roots.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        for root in roots {
            let root = root.display().to_string();
            if root.is_empty() || root == "/" {
                continue;
            }
            let (with_slash, bare) = match cwd {
                Some(cwd) => (format!("{}/", cwd.trim_end_matches('/')), cwd.to_string()),
                None => (String::new(), ".".to_string()),
            };
            line = line
                .replace(&format!("{root}/"), &with_slash)
                .replace(&root, &bare);
        }
        line
    }
}

/// The `NAME=value` words a command starts with, as a Unix shell reads
/// them (environment variables for that one command), and the rest.
fn environment(words: &[String]) -> (Vec<(String, String)>, &[String]) {
    let is_assignment = |word: &String| {
        word.split_once('=').is_some_and(|(name, _)| {
            name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
    };
    let count = words.iter().take_while(|w| is_assignment(w)).count();
    let env = words[..count]
        .iter()
        .filter_map(|w| w.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    (env, &words[count..])
}

// ---------------------------------------------------------------------------
// The pages
// ---------------------------------------------------------------------------

/// Whether a code block is a program's output: ```` ```text ````.
pub fn is_output_block(fence: &Fence) -> bool {
    fence.fenced && matches!(fence.language(), "text" | "console")
}

/// What the output check found on some pages.
#[derive(Debug, Default)]
pub struct Outputs {
    pub problems: Vec<Problem>,
    /// Blocks run and compared.
    pub ran: usize,
    /// Blocks marked `not-run`, by reason.
    pub not_run: BTreeMap<String, usize>,
    /// Output blocks with no marker, as `page:line`.
    pub unannotated: Vec<String>,
    /// Blocks that could not be run here, and why.
    pub skipped: Vec<String>,
}

impl Outputs {
    pub fn not_run_total(&self) -> usize {
        self.not_run.values().sum()
    }

    /// One line for the command line: how many ran, how many are marked.
    pub fn summary(&self) -> String {
        let reasons: Vec<String> = self
            .not_run
            .iter()
            .map(|(why, n)| format!("{why} {n}"))
            .collect();
        format!(
            "运行并比对了 {} 段程序输出；{} 段标记为不能自动运行（{}）；{} 段没有标注；{} 段在这里跑不了",
            self.ran,
            self.not_run_total(),
            if reasons.is_empty() {
                "无".to_string()
            } else {
                reasons.join("、")
            },
            self.unannotated.len(),
            self.skipped.len()
        )
    }
}

/// The blocks of one page with the lines each must have now, and what
/// cannot be fixed by rewriting.
pub fn expected_blocks(
    page: &str,
    text: &str,
    parsed: &Parsed,
    runner: &Runner,
    found: &mut Outputs,
) -> Vec<Expected> {
    let mut expected = Vec::new();
    let mut marked = Vec::new();
    for comment in &parsed.comments {
        let Some(annotation) = parse_annotation(&comment.text) else {
            continue;
        };
        let first_line = comment.text.lines().next().unwrap_or("").trim().to_string();
        let marker = format!("<!-- {first_line} … -->");
        let problem = |why: String| Problem::at(page, comment.line, format!("{marker}: {why}"));
        let fence = parsed.fences.iter().find(|f| f.line > comment.line);
        let follows = fence.filter(|f| {
            let before = text.lines().nth(f.line.saturating_sub(2)).unwrap_or("");
            before.trim_end().ends_with("-->") && is_output_block(f)
        });
        let Some(fence) = follows else {
            found.problems.push(problem(
                "must be followed at once by a ```text block".into(),
            ));
            continue;
        };
        marked.push(fence.line);
        let session = match annotation {
            Err(why) => {
                found.problems.push(problem(why));
                continue;
            }
            Ok(Annotation::NotRun { reason }) => {
                *found.not_run.entry(reason).or_insert(0) += 1;
                continue;
            }
            Ok(Annotation::Run(session)) => session,
        };
        let page_lines = fence.body.clone();
        match runner.run(&session, &page_lines) {
            Ran::Skipped(why) => found
                .skipped
                .push(format!("{page}:{}: {why}", comment.line)),
            Ran::Failed(why) => found.problems.push(problem(why)),
            Ran::Output { lines, kept } => {
                found.ran += 1;
                let lines = if session.any_order {
                    in_page_order(&page_lines, lines, &kept)
                } else {
                    lines
                };
                let merged = matching::merge(&page_lines, &lines, &kept);
                let source = match &session.shown {
                    Shown::Command(command) => format!("`{command}`"),
                    Shown::Process(name) => format!("`{name}`"),
                };
                expected.push(Expected {
                    page: page.to_string(),
                    line: comment.line,
                    marker: marker.clone(),
                    what: "what the command prints now".to_string(),
                    source,
                    lines: (1..).zip(merged).collect(),
                    fence: fence.clone(),
                });
            }
        }
    }
    for fence in parsed.fences.iter().filter(|f| is_output_block(f)) {
        if !marked.contains(&fence.line) {
            found.unannotated.push(format!("{page}:{}", fence.line));
        }
    }
    expected
}

/// The run's lines reordered to follow the page's where they match (for
/// `order: any`); lines the page does not have stay at the end.
fn in_page_order(page: &[String], run: Vec<String>, kept: &[u16]) -> Vec<String> {
    let mut left: Vec<Option<String>> = run.into_iter().map(Some).collect();
    let mut ordered = Vec::new();
    for page_line in page {
        let hit = left.iter().position(|l| {
            l.as_deref()
                .is_some_and(|l| matching::line_matches(page_line, l, kept))
        });
        if let Some(hit) = hit {
            ordered.extend(left[hit].take());
        }
    }
    ordered.extend(left.into_iter().flatten());
    ordered
}

/// Runs every output block of the book and compares.
pub fn check_book(repo: &Repo, runner: &Runner) -> Outputs {
    let mut found = Outputs::default();
    for page in repo.book_pages() {
        let text = repo.read(&page).unwrap_or_default();
        let parsed = markdown::parse(&text);
        let expected = expected_blocks(&page, &text, &parsed, runner, &mut found);
        found
            .problems
            .extend(expected.iter().filter_map(Expected::drift));
    }
    found
}

/// Rewrites every output block that no longer matches its run.
pub fn bless_book(repo: &Repo, runner: &Runner) -> io::Result<(Blessed, Outputs)> {
    let found = std::cell::RefCell::new(Outputs::default());
    let blessed = bless::bless(repo, &repo.book_pages(), |page, text| {
        let mut outputs = found.borrow_mut();
        let before = outputs.problems.len();
        let expected = expected_blocks(page, text, &markdown::parse(text), runner, &mut outputs);
        let problems = outputs.problems.split_off(before);
        (expected, problems)
    })?;
    Ok((blessed, found.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_name_a_command_a_process_or_a_reason() {
        assert_eq!(
            parse_annotation("output: cargo run -p tcp-client -- localhost:1"),
            Some(Ok(Annotation::Run(Session {
                shown: Shown::Command("cargo run -p tcp-client -- localhost:1".into()),
                ..Session::default()
            })))
        );
        assert_eq!(
            parse_annotation("output: not-run (LAN) 老师的电脑"),
            Some(Ok(Annotation::NotRun {
                reason: "LAN".into()
            }))
        );
        let session = parse_annotation(
            "output: server\n  server: cargo run -p tcp-server -- localhost:9999\n  run: cargo run -p tcp-client -- localhost:9999\n  stop: server\n  exit: 1\n  cwd: /home/me/x\n  order: any\n  and: b\n  skip: 1",
        );
        let Some(Ok(Annotation::Run(session))) = session else {
            panic!("{session:?}");
        };
        assert_eq!(session.shown, Shown::Process("server".into()));
        assert_eq!(session.steps.len(), 3);
        assert_eq!(
            (session.exit, session.cwd.as_deref(), session.any_order),
            (Some(1), Some("/home/me/x"), true)
        );
        assert_eq!(parse_annotation("code: a.rs:x"), None);
    }

    #[test]
    fn wrong_markers_say_what_is_wrong() {
        for (text, expected) in [
            ("output: not-run", "reason in brackets"),
            ("output:", "names no command"),
            ("output: x\n  Server: y", "neither a key"),
            ("output: x\n  exit: one", "not a number"),
            ("output: x\n  stop: server", "no process is started"),
            ("output: x\n  wait: server", "no process is started"),
            ("output: x\n  a: b\n  a: c", "started twice"),
            ("output: x\n  order: sorted", "only order"),
        ] {
            let why = parse_annotation(text).unwrap().unwrap_err();
            assert!(why.contains(expected), "{text}: {why}");
        }
    }

    #[test]
    fn ports_are_found_in_words_and_swapped_whole() {
        assert_eq!(
            port_in_word("localhost:9999"),
            Some((9999, PortForm::Suffix))
        );
        assert_eq!(port_in_word("[::1]:9999"), Some((9999, PortForm::Suffix)));
        assert_eq!(port_in_word("9999"), Some((9999, PortForm::Bare)));
        assert_eq!(port_in_word("127.0.0.1:0"), None);
        assert_eq!(port_in_word("12"), None);
        assert_eq!(port_in_word("--help"), None);
        assert_eq!(
            with_port("localhost:9999", PortForm::Suffix, 0),
            "localhost:0"
        );
        assert_eq!(
            replace_number("127.0.0.1:41022 和 410220、1410", 41022, 9999),
            "127.0.0.1:9999 和 410220、1410"
        );
    }

    #[test]
    fn only_text_blocks_are_output_blocks() {
        let parsed = markdown::parse("```text\na\n```\n\n```sh\nb\n```\n\n```console\nc\n```\n");
        let kinds: Vec<bool> = parsed.fences.iter().map(is_output_block).collect();
        assert_eq!(kinds, [true, false, true]);
    }

    #[test]
    fn leading_assignments_are_the_commands_environment() {
        let words: Vec<String> = ["SSLKEYLOGFILE=keys.txt", "A_1=", "cargo", "X=y"]
            .map(String::from)
            .to_vec();
        let (env, rest) = environment(&words);
        assert_eq!(
            env,
            [
                ("SSLKEYLOGFILE".to_string(), "keys.txt".to_string()),
                ("A_1".to_string(), String::new())
            ]
        );
        assert_eq!(rest, ["cargo", "X=y"]);
        let plain: Vec<String> = vec!["tshark".into(), "-o".into(), "a=b".into()];
        assert_eq!(environment(&plain).1.len(), 3);
    }

    #[test]
    fn wait_names_a_started_process() {
        let session = parse_annotation(
            "output: tshark -r x.pcap\n  tap: cargo run -p wiretap -- 127.0.0.1:9998 127.0.0.1:9999\n  wait: tap",
        );
        let Some(Ok(Annotation::Run(session))) = session else {
            panic!("{session:?}");
        };
        assert_eq!(session.steps[1], Step::Wait("tap".into()));
    }
}
