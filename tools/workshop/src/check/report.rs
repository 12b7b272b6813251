//! `--report ADDR --name 小明`: every check run, passed or not, is told to
//! the teacher's board (`workshop board`), one line of text per run (the
//! protocol is in `board/protocol.rs`): the exercise, passed or the step
//! that failed, the known mistake if the check recognised one, how many
//! times this exercise was checked. Never any code.
//!
//! Nothing is lost when the board cannot be reached (not started yet,
//! restarted, busy, Wi-Fi gone): the report is kept in `exercises/.board`,
//! beside the progress file, and sent again, oldest first, with the next
//! one, until the board confirms it. The same file keeps the token the
//! board gave this name at its first report; later reports carry it, so
//! that another computer using the same name shows as another row.
//!
//! ```text
//! # workshop check --report: …
//! token 5f0c… 小明
//! next 8
//! attempts 2 3
//! kept 7 1767000000 2 fail 2 ex2.read-once 3
//! ```
//!
//! Two checks may run at once (`--watch` in one terminal, a manual check in
//! another): the file is read, changed and written whole under a lock file,
//! each writer with a temporary name of its own.

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, anyhow, bail};
use common::addr::HostPort;
use common::deadline::Deadline;
use common::{CLIENT_TIMEOUT, IO_TIMEOUT, errors, say, show_bytes};

use super::progress::Progress;
use crate::board::protocol::{LONGEST_LINE, Reply, Report, Verdict, Why};
use crate::board::text;

/// A name wider than this (in screen columns: a Chinese character takes
/// two) would be cut on the board.
const LONGEST_NAME: usize = 16;

/// Reports kept while the board cannot be reached; the oldest go first.
/// (The board takes at most 40 lines per connection.)
pub const MOST_KEPT: usize = 30;

/// Longest reply read: one line per report sent.
const LONGEST_REPLY: u64 = (MOST_KEPT as u64 + 1) * 80;

/// A known mistake the check recognised.
#[derive(Debug, Clone)]
pub struct Mistake {
    /// Stable and ASCII, e.g. `ex2.read-once`: what goes on the wire.
    pub id: String,
}

/// What one check run found, as the board is told it.
#[derive(Debug, Clone)]
pub struct CheckRun {
    pub exercise: usize,
    pub verdict: Verdict,
    pub mistake: Option<Mistake>,
    /// How many times this exercise has been checked, if the checker
    /// counts; otherwise the reports to the board are counted here.
    pub attempts: Option<u32>,
}

/// Where to report, and as whom.
#[derive(Debug)]
pub struct Reporter {
    addr: HostPort,
    name: String,
}

impl Reporter {
    pub fn new(addr: HostPort, name: &str) -> Result<Reporter> {
        let name = name.trim();
        if name.is_empty() {
            bail!("--name 是空的：请写上你的名字，例如 --name 小明");
        }
        if name.chars().any(char::is_control) {
            bail!("--name 里有换行或别的控制字符：请只写名字");
        }
        if text::escape(name) != name {
            bail!("--name 里有看板显示不了的字符（表情、符号之类）：请只用汉字、字母和数字");
        }
        if text::width(name) > LONGEST_NAME {
            bail!("--name 太长了：最多 8 个汉字或 16 个字母");
        }
        Ok(Reporter {
            addr,
            name: name.to_string(),
        })
    }

    /// Keeps `run`, sends everything kept, and says in one line what came
    /// of it. The check's own result does not depend on it.
    pub fn send(&self, run: &CheckRun) {
        let path = kept_path();
        match self.try_send(&path, run) {
            Ok(said) => say!("{said}"),
            Err(e) => say!("没能告诉老师的看板（{e:#}）；检查的结果不受影响"),
        }
    }

    fn try_send(&self, path: &Path, run: &CheckRun) -> Result<String> {
        let (seq, lines) = with_lock(path, |kept| {
            let seq = kept.keep(run);
            Ok((seq, kept.lines(&self.name)))
        })?;
        let sent = exchange(&self.addr, &lines);
        let replies = match sent {
            Ok(replies) => replies,
            Err(e) => {
                let count = with_lock(path, |kept| Ok(kept.reports.len()))?;
                return Ok(format!(
                    "没能告诉老师的看板（{e:#}）。这次的结果记下了（还有 {count} 份没送到），下次检查时一起发送；检查的结果不受影响"
                ));
            }
        };
        let outcome = with_lock(path, |kept| Ok(kept.settle(&self.name, &replies)))?;
        Ok(outcome.sentence(&self.addr, seq, run))
    }
}

/// `exercises/.board`, beside the progress file (which the tests move).
fn kept_path() -> PathBuf {
    Progress::path().with_file_name(".board")
}

/// One report waiting for the board's `ok`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    seq: u64,
    /// When the check ran (Unix seconds, this machine's clock).
    at: u64,
    exercise: usize,
    verdict: Verdict,
    mistake: Option<String>,
    attempts: u32,
}

/// The file's contents.
#[derive(Debug, Default, PartialEq, Eq)]
struct KeptFile {
    /// The board's token for each name used on this machine.
    tokens: BTreeMap<String, String>,
    next: u64,
    /// Checks counted per exercise (when the checker does not count them).
    attempts: BTreeMap<usize, u32>,
    reports: Vec<Kept>,
}

/// What the board said to this round.
struct Settled {
    confirmed: Vec<u64>,
    busy: Vec<u64>,
    refused: Vec<(u64, Why)>,
    still_kept: usize,
}

impl KeptFile {
    /// Adds `run` as the next report; its number.
    fn keep(&mut self, run: &CheckRun) -> u64 {
        let counted = self.attempts.entry(run.exercise).or_insert(0);
        *counted = counted.saturating_add(1);
        let seq = self.next.max(1);
        self.next = seq + 1;
        self.reports.push(Kept {
            seq,
            at: now_unix(),
            exercise: run.exercise,
            verdict: run.verdict,
            mistake: run.mistake.as_ref().map(|m| m.id.clone()),
            attempts: run.attempts.unwrap_or(*counted).max(1),
        });
        let extra = self.reports.len().saturating_sub(MOST_KEPT);
        self.reports.drain(..extra);
        seq
    }

    /// The lines to send under `name`, oldest first.
    fn lines(&self, name: &str) -> Vec<String> {
        let now = now_unix();
        self.reports
            .iter()
            .map(|kept| {
                Report {
                    seq: kept.seq,
                    exercise: kept.exercise,
                    verdict: kept.verdict,
                    mistake: kept.mistake.clone(),
                    attempts: kept.attempts,
                    age: now.saturating_sub(kept.at),
                    token: self.tokens.get(name).cloned(),
                    name: name.to_string(),
                }
                .line()
            })
            .collect()
    }

    /// Forgets what the board confirmed or refused for good, keeps the
    /// token it gave, and keeps the rest.
    fn settle(&mut self, name: &str, replies: &[Reply]) -> Settled {
        let mut settled = Settled {
            confirmed: Vec::new(),
            busy: Vec::new(),
            refused: Vec::new(),
            still_kept: 0,
        };
        for reply in replies {
            match reply {
                Reply::Ok { seq, token } => {
                    self.tokens.insert(name.to_string(), token.clone());
                    settled.confirmed.push(*seq);
                }
                Reply::Busy { seq } => settled.busy.push(*seq),
                Reply::Refused {
                    seq: Some(seq),
                    why,
                } => settled.refused.push((*seq, *why)),
                Reply::Refused { seq: None, .. } => {}
            }
        }
        let done = |seq: &u64| {
            settled.confirmed.contains(seq) || settled.refused.iter().any(|(s, _)| s == seq)
        };
        self.reports.retain(|kept| !done(&kept.seq));
        settled.still_kept = self.reports.len();
        settled
    }

    fn text(&self) -> String {
        let mut text = String::from(
            "# workshop check --report：老师看板的令牌和还没送到的报告（检查程序自动写的，不要改）\n",
        );
        for (name, token) in &self.tokens {
            text += &format!("token {token} {name}\n");
        }
        text += &format!("next {}\n", self.next);
        for (exercise, count) in &self.attempts {
            text += &format!("attempts {exercise} {count}\n");
        }
        for kept in &self.reports {
            let (result, step) = match kept.verdict {
                Verdict::Passed => ("pass", "-".to_string()),
                Verdict::Failed { step } => ("fail", step.to_string()),
                Verdict::Unwritten { step } => ("todo", step.to_string()),
            };
            text += &format!(
                "kept {} {} {} {result} {step} {} {}\n",
                kept.seq,
                kept.at,
                kept.exercise,
                kept.mistake.as_deref().unwrap_or("-"),
                kept.attempts
            );
        }
        text
    }

    /// Reads the file; a line it does not understand is left out.
    fn parse(text: &str) -> KeptFile {
        let mut file = KeptFile::default();
        for line in text.lines() {
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["token", token, ..] if crate::board::protocol::is_token(token) => {
                    let name = line.splitn(3, ' ').nth(2).unwrap_or_default();
                    file.tokens.insert(name.to_string(), token.to_string());
                }
                ["next", next] => file.next = next.parse().unwrap_or(0),
                ["attempts", exercise, count] => {
                    if let (Ok(exercise), Ok(count)) = (exercise.parse(), count.parse()) {
                        file.attempts.insert(exercise, count);
                    }
                }
                ["kept", ..] => {
                    if let Some(kept) = parse_kept(&words[1..]) {
                        file.reports.push(kept);
                    }
                }
                _ => {}
            }
        }
        // Never number a report below one already kept.
        let highest = file.reports.iter().map(|k| k.seq).max().unwrap_or(0);
        file.next = file.next.max(highest + 1);
        file
    }
}

fn parse_kept(words: &[&str]) -> Option<Kept> {
    let [seq, at, exercise, result, step, mistake, attempts] = words else {
        return None;
    };
    let verdict = match *result {
        "pass" => Verdict::Passed,
        "fail" => Verdict::Failed {
            step: step.parse().ok()?,
        },
        "todo" => Verdict::Unwritten {
            step: step.parse().ok()?,
        },
        _ => return None,
    };
    Some(Kept {
        seq: seq.parse().ok()?,
        at: at.parse().ok()?,
        exercise: exercise.parse().ok()?,
        verdict,
        mistake: (*mistake != "-").then(|| mistake.to_string()),
        attempts: attempts.parse().ok()?,
    })
}

impl Settled {
    /// The line the student reads about report `seq` (this run's).
    fn sentence(&self, addr: &HostPort, seq: u64, run: &CheckRun) -> String {
        let what = describe(run);
        let earlier = self.confirmed.iter().filter(|s| **s != seq).count();
        let earlier = if earlier > 0 {
            format!("；之前没送到的 {earlier} 份也送到了")
        } else {
            String::new()
        };
        let kept = if self.still_kept > 0 {
            format!("（还有 {} 份没送到，下次检查时再发）", self.still_kept)
        } else {
            String::new()
        };
        if self.confirmed.contains(&seq) {
            return format!("已经告诉老师的看板（{addr}）：{what}{earlier}{kept}");
        }
        if let Some((_, why)) = self.refused.iter().find(|(s, _)| *s == seq) {
            return format!("看板没有收下这份报告：{}{kept}", why.explain());
        }
        if self.busy.contains(&seq) {
            return format!(
                "老师的看板这会儿太忙，没有收下这份报告：记下了，下次检查时再发{earlier}{kept}"
            );
        }
        format!("老师的看板没有确认这份报告：记下了，下次检查时再发{earlier}{kept}")
    }
}

/// "练习 2 第 2 步没通过（第 3 次检查）" / "练习 1 通过了".
fn describe(run: &CheckRun) -> String {
    match run.verdict {
        Verdict::Passed => format!("练习 {} 通过了", run.exercise),
        Verdict::Failed { step: 0 } => format!("练习 {} 没编译过", run.exercise),
        Verdict::Failed { step } => format!("练习 {} 第 {step} 步没通过", run.exercise),
        Verdict::Unwritten { step } => {
            format!("练习 {} 第 {step} 步的 TODO 还没写", run.exercise)
        }
    }
}

/// Sends `lines` to the board and reads one reply per line, all within
/// one deadline; an error if the board cannot be reached or does not
/// answer as a board does.
fn exchange(addr: &HostPort, lines: &[String]) -> Result<Vec<Reply>> {
    let stream = connect_each(addr)?;
    let deadline = Deadline::after(CLIENT_TIMEOUT);
    let mut request = String::new();
    for line in lines {
        debug_assert!(line.len() <= LONGEST_LINE);
        request += line;
        request.push('\n');
    }
    let timed_out = |e: std::io::Error| errors::exchange(addr, &e, deadline.limit());
    deadline
        .guard(&stream)
        .write_all(request.as_bytes())
        .map_err(timed_out)?;
    let _ = stream.shutdown(Shutdown::Write);
    let mut reply = Vec::new();
    let read = deadline
        .guard(&stream)
        .take(LONGEST_REPLY)
        .read_to_end(&mut reply);
    // The board closes after its replies; a reset after some of them still
    // leaves those replies good.
    if let Err(e) = read
        && reply.is_empty()
    {
        return Err(timed_out(e));
    }
    let text = String::from_utf8_lossy(&reply);
    let replies: Vec<Reply> = text.lines().filter_map(Reply::parse).collect();
    if replies.is_empty() {
        let shown = show_bytes(&reply);
        let shown: String = shown.chars().take(40).collect();
        return Err(anyhow!(
            "{addr} 的回复不是看板的回复（收到“{shown}”）：它是老师运行的 cargo run -p workshop -- board 吗"
        ));
    }
    Ok(replies)
}

/// Connects to each address the name stands for in turn, each with the
/// 5-second limit, and explains the last failure in one Chinese sentence.
fn connect_each(server: &HostPort) -> Result<TcpStream> {
    let mut last_error = None;
    for address in server.resolve()? {
        match TcpStream::connect_timeout(&address, IO_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((address, e)),
        }
    }
    match last_error {
        Some((tried, e)) => Err(errors::connect(server, tried, &e, IO_TIMEOUT)),
        // resolve() never returns an empty list; this is only a fallback.
        None => bail!("找不到主机 \"{}\"", server.host),
    }
}

// ---------------------------------------------------------------------------
// The file, read and written whole under a lock.

/// A lock file older than this was left by a check that crashed.
const STALE_LOCK: Duration = Duration::from_secs(10);
/// How long to wait for another check to let go of the file.
const LOCK_PATIENCE: Duration = Duration::from_secs(5);

/// Runs `change` on the file's contents and writes them back whole, with
/// the lock held for only that long (never across the network exchange).
fn with_lock<T>(path: &Path, change: impl FnOnce(&mut KeptFile) -> Result<T>) -> Result<T> {
    let lock = Lock::take(path)?;
    let mut kept = match fs::read_to_string(path) {
        Ok(text) => KeptFile::parse(&text),
        Err(e) if e.kind() == ErrorKind::NotFound => KeptFile::default(),
        Err(e) => return Err(anyhow!("无法读取 {}：{e}", path.display())),
    };
    let before = kept.text();
    let result = change(&mut kept)?;
    let after = kept.text();
    if after != before {
        crate::board::write_whole(path, after.as_bytes())
            .map_err(|e| anyhow!("无法保存 {}：{e}", path.display()))?;
    }
    drop(lock);
    Ok(result)
}

/// `exercises/.board.lock`, there while one check reads and writes the file.
struct Lock {
    path: PathBuf,
}

impl Lock {
    fn take(file: &Path) -> Result<Lock> {
        let path = file.with_file_name(".board.lock");
        let started = Instant::now();
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Lock { path }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if is_stale(&path) {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if started.elapsed() > LOCK_PATIENCE {
                        bail!(
                            "{} 被另一个检查占着超过 {} 秒了：它还在运行吗？没有的话删掉这个文件再试",
                            path.display(),
                            LOCK_PATIENCE.as_secs()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => bail!("无法创建 {}：{e}", path.display()),
            }
        }
    }
}

fn is_stale(path: &Path) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|made| SystemTime::now().duration_since(made).ok())
        .is_some_and(|age| age > STALE_LOCK)
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn now_unix() -> u64 {
    crate::board::now_unix()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exercise: usize, verdict: Verdict) -> CheckRun {
        CheckRun {
            exercise,
            verdict,
            mistake: None,
            attempts: None,
        }
    }

    #[test]
    fn names_are_checked_before_anything_is_sent() {
        let addr: HostPort = "127.0.0.1:7878".parse().unwrap();
        assert_eq!(Reporter::new(addr.clone(), " 小明 ").unwrap().name, "小明");
        for bad in ["", "  ", "a\nb", "小明🎉", &"长".repeat(9), &"x".repeat(17)] {
            assert!(Reporter::new(addr.clone(), bad).is_err(), "{bad:?}");
        }
        assert!(Reporter::new(addr.clone(), &"长".repeat(8)).is_ok());
        assert!(Reporter::new(addr, "Zoë Ünal").is_ok());
    }

    #[test]
    fn kept_reports_go_oldest_first_and_only_confirmed_ones_are_forgotten() {
        let mut file = KeptFile::default();
        let first = file.keep(&run(1, Verdict::Passed));
        let second = file.keep(&run(2, Verdict::Failed { step: 2 }));
        let third = file.keep(&run(2, Verdict::Failed { step: 2 }));
        assert_eq!((first, second, third), (1, 2, 3));
        let lines = file.lines("小明");
        assert!(lines[0].starts_with("report v=1 seq=1 ex=1 result=pass attempts=1 "));
        assert!(lines[2].contains("ex=2 result=fail step=2 attempts=2 "));
        assert!(lines.iter().all(|l| l.ends_with(" token=- name=小明")));
        let token = "0123456789abcdef0123456789abcdef".to_string();
        let settled = file.settle(
            "小明",
            &[
                Reply::Ok {
                    seq: 1,
                    token: token.clone(),
                },
                Reply::Busy { seq: 2 },
                Reply::Refused {
                    seq: Some(3),
                    why: Why::Exercise,
                },
            ],
        );
        assert_eq!(settled.still_kept, 1);
        assert_eq!(file.reports[0].seq, 2);
        assert!(file.lines("小明")[0].ends_with(&format!("token={token} name=小明")));
        // The file reads back as written.
        assert_eq!(KeptFile::parse(&file.text()), file);
    }

    #[test]
    fn at_most_so_many_reports_are_kept() {
        let mut file = KeptFile::default();
        for _ in 0..MOST_KEPT + 5 {
            file.keep(&run(1, Verdict::Failed { step: 1 }));
        }
        assert_eq!(file.reports.len(), MOST_KEPT);
        assert_eq!(file.reports[0].seq, 6);
        let lines = file.lines("长".repeat(8).as_str());
        assert!(lines.len() < crate::board::protocol::LONGEST_LINE);
        assert!(lines.iter().all(|l| l.len() <= LONGEST_LINE));
    }

    #[test]
    fn the_file_is_changed_under_a_lock_and_written_whole() {
        let dir = process_runner::TempDir::new("board-kept").unwrap();
        let path = dir.path().join(".board");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    with_lock(&path, |kept| Ok(kept.keep(&run(1, Verdict::Passed)))).unwrap()
                })
            })
            .collect();
        let mut seqs: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no lock or temporary file is left");
    }
}
