//! The learner's program under check: started as a contained process,
//! waited for with deadlines, and every way it can go wrong turned into a
//! ✗ that says what was expected and what it did instead. A panic, an
//! abort, a signal or a non-zero exit is the learner's program's, and is
//! reported as such with its own last lines; everything it printed is kept
//! (up to [`OUTPUT_KEPT`] per output) for the ✗ block.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use process_runner::{Error, Output, Running, Stream, address_in, deadline, poll_until};

use super::exercises::Exercise;
use super::outcome::{Stop, failed};
use super::seed::Rng;
use super::step::{Record, Repeat};
use super::wire::Wire;

/// How long a step of the learner's program may take: the programs' own
/// longest limit (the clients' 10 s) plus a margin for a busy laptop. A
/// program that hangs is stopped after this, with the step it hung in.
pub const PATIENCE: Duration = deadline::STEP;

/// For what must already be there (a server prints a message before it
/// replies, so once the reply came the line was printed): only the time a
/// busy machine may take to pass it through the pipe.
pub const ALREADY: Duration = deadline::MARGIN;

/// At most this much of each of the learner's outputs (stdout, stderr) is
/// kept; the rest is read, counted and thrown away. A program printing a
/// gigabyte cannot fill the checker's memory, and the ✗ block shows the
/// last lines of what was kept.
pub const OUTPUT_KEPT: usize = 64 * 1024;

/// What the first line of every server exercise looks like.
pub const FIRST_LINE: &str = "第一行是 等待客户端连接... 127.0.0.1:端口（端口是系统挑的那个）";

/// What every check of one exercise shares, and the record of the step
/// that is running.
pub struct Ctx {
    pub exercise: &'static Exercise,
    /// The learner's program, as built (or `--program`).
    pub program: PathBuf,
    /// `python3` or `python`, if this machine has a Python 3.
    pub python: Option<String>,
    /// Everything the checks vary comes from this.
    pub seed: u64,
    step: Cell<usize>,
    record: RefCell<Record>,
    /// The learner's processes started so far, each leading its own group.
    groups: RefCell<Vec<u32>>,
}

impl Ctx {
    pub fn new(
        exercise: &'static Exercise,
        program: PathBuf,
        python: Option<String>,
        seed: u64,
    ) -> Ctx {
        Ctx {
            exercise,
            program,
            python,
            seed,
            step: Cell::new(0),
            record: RefCell::new(Record::default()),
            groups: RefCell::new(Vec::new()),
        }
    }

    /// The process groups the learner's programs have led (their ids).
    pub fn groups(&self) -> Vec<u32> {
        self.groups.borrow().clone()
    }

    /// `ex1`: how the learner's program is named in every line.
    pub fn label(&self) -> &'static str {
        self.exercise.bin
    }

    /// Starts step `step` with an empty record.
    pub fn begin(&self, step: usize) {
        self.step.set(step);
        *self.record.borrow_mut() = Record::default();
    }

    /// The record of the step that just ran.
    pub fn take_record(&self) -> Record {
        self.record.take()
    }

    /// This step's generator: the same seed and step give the same choices.
    pub fn rng(&self) -> Rng {
        Rng::new(self.seed, self.step.get())
    }

    /// This step's wire record.
    pub fn wire(&self) -> Arc<Wire> {
        Arc::clone(&self.record.borrow().wire)
    }

    /// How to repeat this step by hand.
    pub fn repeat(&self, repeat: Repeat) {
        self.record.borrow_mut().repeat = Some(repeat);
    }

    fn transcript(&self, label: &str) -> Rc<RefCell<Transcript>> {
        let transcript = Rc::new(RefCell::new(Transcript {
            label: label.to_string(),
            ..Transcript::default()
        }));
        self.record
            .borrow_mut()
            .outputs
            .push(Rc::clone(&transcript));
        transcript
    }
}

/// Everything one run of the learner's program printed (as far as kept).
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    pub label: String,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
    /// Bytes past [`OUTPUT_KEPT`], counted and thrown away.
    pub dropped: u64,
}

impl Transcript {
    /// Its last lines under a prefix of its own: `[ex2] …`, `[ex2 错误输出] …`.
    pub fn render(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{} 自己的输出（每个输出最多保留 {}）：",
            self.label,
            super::outcome::output_cap()
        )];
        if self.stdout.is_empty() && self.stderr.is_empty() {
            lines.push(format!("  （{} 什么也没有打印）", self.label));
        }
        for (stream, prefix) in [
            (&self.stdout, format!("[{}]", self.label)),
            (&self.stderr, format!("[{} 错误输出]", self.label)),
        ] {
            const SHOWN: usize = 8;
            if stream.len() > SHOWN {
                lines.push(format!(
                    "  {prefix} …（前面还有 {} 行）",
                    stream.len() - SHOWN
                ));
            }
            let start = stream.len().saturating_sub(SHOWN);
            for line in &stream[start..] {
                lines.push(format!("  {prefix} {}", shorten(line)));
            }
        }
        if self.dropped > 0 {
            lines.push(format!(
                "  （另有 {} 字节超过了保留的上限，只数了数，没有保留）",
                self.dropped
            ));
        }
        lines
    }
}

/// The learner's program, killed (with everything it started) when dropped.
pub struct Learner {
    running: Option<Running>,
    label: String,
    log: Rc<RefCell<Transcript>>,
    /// Stdout lines already matched by [`Learner::printed`].
    matched: Cell<usize>,
    /// When it was started (just before it could have run at all).
    started: Instant,
}

/// How a learner's client ended.
pub struct Ran {
    pub label: String,
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
    /// When it was started, and when its exit was seen (within a tick).
    pub started: Instant,
    pub ended: Instant,
}

impl Learner {
    pub fn start(ctx: &Ctx, args: &[&str]) -> Result<Learner, Stop> {
        Learner::start_as(ctx, args, ctx.label())
    }

    /// Another copy of the learner's program, named `label` in the ✗ block.
    pub fn start_as(ctx: &Ctx, args: &[&str], label: &str) -> Result<Learner, Stop> {
        let mut command = Command::new(&ctx.program);
        // A learner's RUST_BACKTRACE=1 would bury the panic message under a backtrace.
        command.args(args).env("RUST_BACKTRACE", "0");
        let started = Instant::now();
        let running = Running::start_contained(&mut command, label, Output::Capped(OUTPUT_KEPT))?;
        Ok(Learner {
            running: Some(running),
            label: label.to_string(),
            log: ctx.transcript(label),
            matched: Cell::new(0),
            started,
        })
    }

    /// A server exercise on a free port, with the address it printed.
    pub fn server(ctx: &Ctx, extra: &[&str]) -> Result<(Learner, String), Stop> {
        let args: Vec<&str> = ["127.0.0.1:0"].iter().chain(extra).copied().collect();
        let learner = Learner::start(ctx, &args)?;
        let addr = learner.address()?;
        Ok((learner, addr.to_string()))
    }

    /// `ex1`, or `ex1（第二个）`: how this copy is named in the ✗ block.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Moves what it printed so far into the transcript.
    fn pull(&self) {
        let Some(running) = &self.running else {
            return;
        };
        let mut log = self.log.borrow_mut();
        log.stdout.extend(running.lines_so_far(Stream::Stdout));
        log.stderr.extend(running.lines_so_far(Stream::Stderr));
        log.dropped = running.dropped(Stream::Stdout) + running.dropped(Stream::Stderr);
    }

    /// The next stdout line within `patience` (into the transcript too).
    fn next_stdout(&self, patience: Duration) -> Result<Option<String>, Error> {
        let Some(running) = &self.running else {
            return Ok(None);
        };
        let line = running.next_line(Stream::Stdout, patience)?;
        if let Some(line) = &line {
            self.log.borrow_mut().stdout.push(line.clone());
        }
        Ok(line)
    }

    /// The address at the end of its first line.
    pub fn address(&self) -> Result<SocketAddr, Stop> {
        match self.next_stdout(PATIENCE) {
            Ok(Some(line)) => {
                self.matched.set(1);
                address_in(&line).ok_or_else(|| {
                    failed(
                        FIRST_LINE,
                        format!("第一行是 {}（末尾不是地址）", shorten(&line)),
                    )
                })
            }
            Ok(None) => Err(failed(
                FIRST_LINE,
                self.why(&format!("{} 什么也没有打印就退出了", self.label)),
            )),
            Err(Error::TimedOut { .. }) => Err(failed(
                FIRST_LINE,
                self.why(&format!(
                    "{} 在 {} 秒内什么也没有打印：它卡在了启动的时候（绑定地址之后就该打印这一行）",
                    self.label,
                    PATIENCE.as_secs()
                )),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The next stdout line that contains `needle`, which should be there
    /// already; `expected` is what the ✗ says should have been printed.
    pub fn printed(&self, needle: &str, expected: &str) -> Result<String, Stop> {
        let deadline = Instant::now() + ALREADY;
        loop {
            self.pull();
            let found = {
                let log = self.log.borrow();
                let start = self.matched.get().min(log.stdout.len());
                log.stdout[start..]
                    .iter()
                    .position(|line| line.contains(needle))
                    .map(|at| (start + at, log.stdout[start + at].clone()))
            };
            if let Some((at, line)) = found {
                self.matched.set(at + 1);
                return Ok(line);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_stdout(left.min(process_runner::TICK)) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(failed(
                        format!("{} 打印 {expected}", self.label),
                        self.why(&format!("{} 没有打印这一行就退出了", self.label)),
                    ));
                }
                Err(Error::TimedOut { .. }) if left.is_zero() => {
                    let seen = self.log.borrow().stdout[self.matched.get()..].to_vec();
                    return Err(failed(
                        format!("{} 打印 {expected}", self.label),
                        self.also(&printed_instead(&self.label, &seen)),
                    ));
                }
                Err(Error::TimedOut { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// Waits until a stdout line containing each of `needles` has been
    /// printed, in any order (a pool serves clients in any order).
    pub fn printed_all(&self, needles: &[String], expected: &str) -> Result<(), Stop> {
        let deadline = Instant::now() + ALREADY;
        loop {
            self.pull();
            let missing: Vec<&String> = {
                let log = self.log.borrow();
                let printed = &log.stdout[self.matched.get().min(log.stdout.len())..];
                needles
                    .iter()
                    .filter(|needle| !printed.iter().any(|line| line.contains(needle.as_str())))
                    .collect()
            };
            let Some(first) = missing.first() else {
                return Ok(());
            };
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_stdout(left.min(process_runner::TICK)) {
                Ok(Some(_)) | Err(Error::TimedOut { .. }) if !left.is_zero() => {}
                Ok(_) | Err(Error::TimedOut { .. }) => {
                    return Err(failed(
                        format!("{} 打印 {expected}", self.label),
                        self.also(&format!(
                            "{} 行里少了 {} 行，例如含有“{first}”的那一行",
                            needles.len(),
                            missing.len()
                        )),
                    ));
                }
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// Everything printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        self.pull();
        self.log.borrow().stdout.clone()
    }

    /// What it printed on stdout after the last line [`Learner::printed`] matched.
    pub fn stdout_unmatched(&self) -> Vec<String> {
        self.pull();
        let log = self.log.borrow();
        log.stdout[self.matched.get().min(log.stdout.len())..].to_vec()
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.pull();
        self.log.borrow().stderr.clone()
    }

    /// Waits until a stderr line that `wanted` picks has been printed.
    pub fn logged(
        &self,
        wanted: impl Fn(&str) -> bool,
        patience: Duration,
    ) -> Result<Option<String>, Stop> {
        let found = poll_until(deadline::after(patience), || {
            Ok(self.stderr().into_iter().find(|line| wanted(line)))
        })?;
        Ok(found)
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.running.as_mut().is_some_and(Running::is_running)
    }

    /// A server must still be running after `after`, and no thread of it
    /// may have panicked.
    pub fn alive(&mut self, after: &str) -> Result<(), Stop> {
        let expected = format!("{after}之后，{} 还在运行，等着下一个客户端", self.label);
        if let Some(panic) = panic_in(&self.stderr()) {
            return Err(failed(expected, format!("{} {panic}", self.label)));
        }
        if self.is_running() {
            return Ok(());
        }
        Err(failed(
            expected,
            self.why(&format!("{} 退出了", self.label)),
        ))
    }

    /// Why a peer talking to this server failed: if the server has exited
    /// (or is exiting) or panicked, that is the reason; otherwise `seen`.
    pub fn blame(&mut self, seen: String) -> Result<String, Stop> {
        // A server that is ending has closed its sockets already, which is
        // what the peer saw: give its exit that moment to be seen too.
        let settled = deadline::after(Duration::from_secs(2));
        let exited = poll_until(settled, || Ok((!self.is_running()).then_some(())))?;
        if exited.is_some() {
            return Ok(self.why(&format!("{} 退出了", self.label)));
        }
        Ok(match panic_in(&self.stderr()) {
            Some(panic) => format!("{} {panic}", self.label),
            None => seen,
        })
    }

    /// Whether the server ended (exited or panicked): then that is the news.
    pub fn ended(&mut self) -> bool {
        !self.is_running() || panic_in(&self.stderr()).is_some()
    }

    /// A failed talk with this server, as a ✗: what went wrong on our
    /// side (`io`), unless the server's own end explains it.
    pub fn failed_talk(&mut self, expected: impl Into<String>, io: &std::io::Error) -> Stop {
        let seen = format!("和 {} 通信时出错：{}", self.label, common::errors::peer(io));
        match self.blame(seen) {
            Ok(seen) => failed(expected, seen),
            Err(stop) => stop,
        }
    }

    /// Waits for a client to end; `hung` says which step it was in if it does not.
    pub fn finish(mut self, hung: impl FnOnce() -> String) -> Result<Ran, Stop> {
        let Some(running) = self.running.take() else {
            return Err(Stop::Broken(anyhow::anyhow!("{} 已经结束了", self.label)));
        };
        let label = self.label.clone();
        match running.wait_for_exit(PATIENCE, ALREADY) {
            Ok(exited) => {
                let ended = Instant::now();
                let finished = exited.finished;
                {
                    let mut log = self.log.borrow_mut();
                    log.stdout.extend(finished.stdout);
                    log.stderr.extend(finished.stderr);
                    log.dropped = exited.dropped.iter().sum();
                }
                let log = self.log.borrow();
                if exited.held_open {
                    return Err(failed(
                        format!("{label} 做完就整个结束"),
                        format!(
                            "{label} 自己退出了（{}），可它启动的另一个程序还开着它的输出，{} 秒后还没有关；检查结束了那个程序。\
                             客户端做完就该整个结束，不要留下在后台运行的程序",
                            ended_how(finished.status.code()),
                            ALREADY.as_secs()
                        ),
                    ));
                }
                Ok(Ran {
                    label,
                    success: finished.status.success(),
                    code: finished.status.code(),
                    stdout: log.stdout.clone(),
                    stderr: log.stderr.clone(),
                    started: self.started,
                    ended,
                })
            }
            Err(Error::TimedOut { seen, .. }) => {
                let last = seen
                    .last()
                    .map_or("（什么也没有打印）".to_string(), |l| shorten(l));
                self.log.borrow_mut().stdout.extend(seen);
                Err(failed(
                    format!("{label} 在 {} 秒内做完并退出", PATIENCE.as_secs()),
                    format!(
                        "{label} 在 {} 秒内没有结束，检查停止了它。它卡在了：{}\n它打印的最后一行：{last}",
                        PATIENCE.as_secs(),
                        hung()
                    ),
                ))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The OS process id, for reading its memory use.
    pub fn id(&self) -> Option<u32> {
        self.running.as_ref().map(Running::id)
    }

    /// Why it ended, or stopped: the panic that explains it, or `what` with
    /// the last lines it printed on stderr (or that it said nothing).
    fn why(&self, what: &str) -> String {
        let stderr = self.stderr();
        if let Some(panic) = panic_in(&stderr) {
            return format!("{} {panic}", self.label);
        }
        with_stderr(what, &stderr).unwrap_or_else(|| format!("{what}，没有说为什么"))
    }

    /// `what`, and the panic or the stderr lines that may explain it.
    fn also(&self, what: &str) -> String {
        let stderr = self.stderr();
        if let Some(panic) = panic_in(&stderr) {
            return format!("{what}。{} {panic}", self.label);
        }
        with_stderr(what, &stderr).unwrap_or_else(|| what.to_string())
    }
}

impl Drop for Learner {
    fn drop(&mut self) {
        // Whatever it printed up to now belongs in the ✗ block; the
        // Running's own drop then kills its whole group.
        self.pull();
    }
}

fn ended_how(code: Option<i32>) -> String {
    match code {
        Some(0) => "正常退出".to_string(),
        Some(code) => format!("退出码 {code}"),
        None => "被信号结束".to_string(),
    }
}

impl Ran {
    /// It exited successfully, and its last line is `line`.
    pub fn expect_line(&self, line: &str) -> Result<(), Stop> {
        if self.success && self.stdout.last().map(String::as_str) == Some(line) {
            return Ok(());
        }
        Err(failed(
            format!("{} 打印 {line}，然后正常退出", self.label),
            self.describe(),
        ))
    }

    /// The line it printed that starts with `start`, if any.
    pub fn line_starting(&self, start: &str) -> Option<&str> {
        self.stdout
            .iter()
            .rev()
            .find(|l| l.starts_with(start))
            .map(String::as_str)
    }

    /// Its last non-empty stderr line.
    pub fn last_error(&self) -> Option<&str> {
        self.stderr
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(String::as_str)
    }

    /// What it printed and how it ended, for a ✗.
    pub fn describe(&self) -> String {
        if let Some(panic) = panic_in(&self.stderr) {
            return format!("{} {panic}", self.label);
        }
        let ended = ended_how(self.code);
        let lines: Vec<&String> = self.stdout.iter().chain(&self.stderr).collect();
        if lines.is_empty() {
            return format!("{} 什么也没有打印（{ended}）", self.label);
        }
        let shown = last_lines(&lines, 3);
        format!("{} 打印了（{ended}）：\n{}", self.label, shown.join("\n"))
    }

    /// Whether it crashed: a panic, an abort or a signal.
    pub fn crashed(&self) -> bool {
        panic_in(&self.stderr).is_some() || self.code.is_none() || self.code == Some(101)
    }
}

/// "It printed nothing" or the lines it printed instead.
fn printed_instead(label: &str, seen: &[String]) -> String {
    if seen.is_empty() {
        return format!("{label} 没有打印这一行");
    }
    let seen: Vec<&String> = seen.iter().collect();
    let shown = last_lines(&seen, 4);
    format!("{label} 打印的是：\n{}", shown.join("\n"))
}

/// `what` and the last lines on stderr; `None` if there are none.
fn with_stderr(what: &str, stderr: &[String]) -> Option<String> {
    let said: Vec<&String> = stderr.iter().filter(|l| !l.trim().is_empty()).collect();
    let said = last_lines(&said, 3);
    (!said.is_empty()).then(|| format!("{what}。它在错误输出上说：\n{}", said.join("\n")))
}

/// The last `count` of `lines`, each shortened.
pub fn last_lines(lines: &[&String], count: usize) -> Vec<String> {
    let start = lines.len().saturating_sub(count);
    lines[start..].iter().map(|l| shorten(l)).collect()
}

/// A long line (2000 x's) cut to something a terminal shows.
pub fn shorten(line: &str) -> String {
    const MOST: usize = 160;
    let count = line.chars().count();
    if count <= MOST {
        return line.to_string();
    }
    let start: String = line.chars().take(MOST).collect();
    format!("{start}…（共 {count} 个字符）")
}

/// A panic's message and place, from the lines a program printed on stderr:
/// `thread 'main' panicked at exercises/ex1_tcp_server.rs:40:10:` and the
/// message on the lines after it (before Rust 1.73: `panicked at 'message', place`).
pub fn panic_in(stderr: &[String]) -> Option<String> {
    let at = stderr
        .iter()
        .position(|line| line.contains("panicked at"))?;
    let after = stderr[at].split_once("panicked at ")?.1;
    let (place, message) = match after.strip_suffix(':') {
        Some(place) => {
            let message: Vec<&str> = stderr[at + 1..]
                .iter()
                .map(String::as_str)
                .take_while(|line| !line.starts_with("note:"))
                .collect();
            (place.to_string(), message.join(" "))
        }
        None => match after.rsplit_once(", ") {
            Some((message, place)) => (place.to_string(), message.trim_matches('\'').to_string()),
            None => (String::new(), after.to_string()),
        },
    };
    Some(format!("panic 了：{}（{place}）", shorten(&message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn a_panic_is_found_with_its_message_and_place() {
        let new = lines(
            "thread 'main' panicked at exercises/ex1_tcp_server.rs:40:10:\ncalled `Result::unwrap()` on an `Err` value: Os\nnote: run with `RUST_BACKTRACE=1`",
        );
        assert_eq!(
            panic_in(&new).unwrap(),
            "panic 了：called `Result::unwrap()` on an `Err` value: Os（exercises/ex1_tcp_server.rs:40:10）"
        );
        let old = lines("thread 'main' panicked at 'boom', src/main.rs:2:5");
        assert_eq!(panic_in(&old).unwrap(), "panic 了：boom（src/main.rs:2:5）");
        assert_eq!(panic_in(&lines("错误: 还没写")), None);
    }

    #[test]
    fn a_client_that_printed_the_wrong_thing_is_shown_with_how_it_ended() {
        let ran = Ran {
            label: "ex2".into(),
            success: true,
            code: Some(0),
            stdout: lines("收到服务器的响应: \u{fffd}"),
            stderr: Vec::new(),
            started: Instant::now(),
            ended: Instant::now(),
        };
        let Err(Stop::Failed(failed)) = ran.expect_line("收到服务器的响应: 数据已收到")
        else {
            panic!("expected a failure");
        };
        assert_eq!(
            failed.seen,
            "ex2 打印了（正常退出）：\n收到服务器的响应: \u{fffd}"
        );
        let silent = Ran {
            stdout: Vec::new(),
            code: Some(1),
            success: false,
            ..ran
        };
        assert_eq!(silent.describe(), "ex2 什么也没有打印（退出码 1）");
    }

    #[test]
    fn a_transcript_shows_its_last_lines_under_its_own_prefix() {
        let transcript = Transcript {
            label: "ex7".into(),
            stdout: (1..=10).map(|n| format!("第 {n} 行")).collect(),
            stderr: lines("错误: 坏了"),
            dropped: 5,
        };
        let shown = transcript.render();
        assert!(shown[0].starts_with("ex7 自己的输出（每个输出最多保留 64 KiB）"));
        assert!(
            shown.contains(&"  [ex7] …（前面还有 2 行）".to_string()),
            "{shown:?}"
        );
        assert!(shown.contains(&"  [ex7] 第 10 行".to_string()));
        assert!(shown.contains(&"  [ex7 错误输出] 错误: 坏了".to_string()));
        assert!(shown.last().unwrap().contains("另有 5 字节"));
    }
}
