//! The learner's program under check: started as a process, waited for with
//! deadlines, and every way it can go wrong turned into a ✗ that says what
//! was expected and what it did instead. A panic is found in what it
//! printed on stderr and shown as its message and place.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use process_runner::{Error, Output, Running, Stream, deadline, poll_until};

use super::exercises::Exercise;
use super::outcome::{Stop, failed};

/// How long a step of the learner's program may take: the programs' own
/// longest limit (the clients' 10 s) plus a margin for a busy laptop. A
/// program that hangs is stopped after this, with the step it hung in.
pub const PATIENCE: Duration = deadline::STEP;

/// For what must already be there (a server prints a message before it
/// replies, so once the reply came the line was printed): only the time a
/// busy machine may take to pass it through the pipe.
pub const ALREADY: Duration = deadline::MARGIN;

/// What the first line of every server exercise looks like.
pub const FIRST_LINE: &str = "第一行是 等待客户端连接... 127.0.0.1:端口（端口是系统挑的那个）";

/// What every check of one exercise shares.
pub struct Ctx {
    pub exercise: &'static Exercise,
    /// The learner's program, as built (or `--program`).
    pub program: PathBuf,
    /// `python3` or `python`, if this machine has a Python 3.
    pub python: Option<String>,
}

impl Ctx {
    /// `ex1`: how the learner's program is named in every line.
    pub fn label(&self) -> &'static str {
        self.exercise.bin
    }
}

/// The learner's program, killed when dropped.
pub struct Learner {
    running: Running,
    label: &'static str,
    /// Everything it printed on stderr so far: a panic is looked for here.
    stderr: RefCell<Vec<String>>,
}

/// How a learner's client ended.
pub struct Ran {
    pub label: &'static str,
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

impl Learner {
    pub fn start(ctx: &Ctx, args: &[&str]) -> Result<Learner, Stop> {
        let mut command = Command::new(&ctx.program);
        // A learner's RUST_BACKTRACE=1 would bury the panic message under a backtrace.
        command.args(args).env("RUST_BACKTRACE", "0");
        let running = Running::start(&mut command, ctx.label(), Output::Keep)?;
        Ok(Learner {
            running,
            label: ctx.label(),
            stderr: RefCell::new(Vec::new()),
        })
    }

    /// A server exercise on a free port, with the address it printed.
    pub fn server(ctx: &Ctx, extra: &[&str]) -> Result<(Learner, String), Stop> {
        let args: Vec<&str> = ["127.0.0.1:0"].iter().chain(extra).copied().collect();
        let learner = Learner::start(ctx, &args)?;
        let addr = learner.address()?;
        Ok((learner, addr.to_string()))
    }

    /// The address at the end of its first line.
    pub fn address(&self) -> Result<SocketAddr, Stop> {
        match self.running.address(PATIENCE) {
            Ok(addr) => Ok(addr),
            Err(Error::NoAddress { line, .. }) => Err(failed(
                FIRST_LINE,
                format!("第一行是 {line}（末尾不是地址）"),
            )),
            Err(Error::Closed { .. }) => Err(failed(
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
        match self.running.line(Stream::Stdout, needle, ALREADY) {
            Ok(line) => Ok(line),
            Err(Error::TimedOut { seen, .. }) => Err(failed(
                format!("{} 打印 {expected}", self.label),
                self.also(&printed_instead(self.label, &seen)),
            )),
            Err(Error::Closed { .. }) => Err(failed(
                format!("{} 打印 {expected}", self.label),
                self.why(&format!("{} 没有打印这一行就退出了", self.label)),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// Waits until a stdout line containing each of `needles` has been
    /// printed, in any order (a pool serves clients in any order).
    pub fn printed_all(&self, needles: &[String], expected: &str) -> Result<(), Stop> {
        let mut missing: Vec<&String> = needles.iter().collect();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + ALREADY;
        while !missing.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.running.next_line(Stream::Stdout, left) {
                Ok(Some(line)) => {
                    missing.retain(|needle| !line.contains(needle.as_str()));
                    seen.push(line);
                }
                Ok(None) | Err(Error::TimedOut { .. }) => {
                    let first = missing.first().map_or("", |m| m.as_str());
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
        Ok(())
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        let mut stderr = self.stderr.borrow_mut();
        stderr.extend(self.running.lines_so_far(Stream::Stderr));
        stderr.clone()
    }

    /// Waits until a stderr line containing `needle` has been printed.
    pub fn logged(&self, needle: &str, patience: Duration) -> Result<Option<String>, Stop> {
        let found = poll_until(deadline::after(patience), || {
            Ok(self.stderr().into_iter().find(|line| line.contains(needle)))
        })?;
        Ok(found)
    }

    /// A server must still be running after `after`, and no thread of it
    /// may have panicked.
    pub fn alive(&mut self, after: &str) -> Result<(), Stop> {
        let expected = format!("{after}之后，{} 还在运行，等着下一个客户端", self.label);
        if let Some(panic) = panic_in(&self.stderr()) {
            return Err(failed(expected, format!("{} {panic}", self.label)));
        }
        if self.running.is_running() {
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
        let exited = poll_until(settled, || Ok((!self.running.is_running()).then_some(())))?;
        if exited.is_some() {
            return Ok(self.why(&format!("{} 退出了", self.label)));
        }
        Ok(match panic_in(&self.stderr()) {
            Some(panic) => format!("{} {panic}", self.label),
            None => seen,
        })
    }

    /// Waits for a client to end; `hung` says which step it was in if it does not.
    pub fn finish(self, hung: impl FnOnce() -> String) -> Result<Ran, Stop> {
        let Learner {
            running,
            label,
            stderr,
        } = self;
        match running.wait(PATIENCE) {
            Ok(finished) => {
                let mut all = stderr.into_inner();
                all.extend(finished.stderr);
                Ok(Ran {
                    label,
                    success: finished.status.success(),
                    code: finished.status.code(),
                    stdout: finished.stdout,
                    stderr: all,
                })
            }
            Err(Error::TimedOut { seen, .. }) => {
                let last = seen
                    .last()
                    .map_or("（什么也没有打印）".to_string(), |l| shorten(l));
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

    /// What it printed and how it ended, for a ✗.
    pub fn describe(&self) -> String {
        if let Some(panic) = panic_in(&self.stderr) {
            return format!("{} {panic}", self.label);
        }
        let ended = match self.code {
            Some(0) => "正常退出".to_string(),
            Some(code) => format!("退出码 {code}"),
            None => "被信号结束".to_string(),
        };
        let lines: Vec<&String> = self.stdout.iter().chain(&self.stderr).collect();
        if lines.is_empty() {
            return format!("{} 什么也没有打印（{ended}）", self.label);
        }
        let shown = last_lines(&lines, 6);
        format!("{} 打印了（{ended}）：\n{}", self.label, shown.join("\n"))
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
            label: "ex2",
            success: true,
            code: Some(0),
            stdout: lines("收到服务器的响应: \u{fffd}"),
            stderr: Vec::new(),
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
}
