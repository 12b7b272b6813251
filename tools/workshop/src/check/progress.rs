//! What is remembered between runs: which exercises passed, how many
//! hints each has had and how many times each was checked. One small text
//! file, `exercises/.progress`, which git ignores; written whole or not at
//! all.
//!
//! ```text
//! passed 1
//! passed 2
//! hints 3 2
//! attempts 3 5
//! ```
//!
//! It is a convenience for the learner (where to go on, `--list`), not a
//! proof of anything: anyone can edit it. What the teacher is told comes
//! from a check of the learner's own file, run there and then (`--report`).
//!
//! Several checks may run at once (two terminals, `--watch` beside a manual
//! run): every change is a read-modify-write under a lock file, and each
//! process writes its own temporary file before the rename.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use common::say;

use super::exercises::{EXERCISES, Exercise};
use super::fingerprint;
use crate::programs::workspace_root;

/// Where the progress is kept; the tests point it elsewhere with this variable.
const PLACE: &str = "WORKSHOP_PROGRESS";

#[derive(Debug, Default)]
pub struct Progress {
    passed: BTreeSet<usize>,
    hints: BTreeMap<usize, usize>,
    attempts: BTreeMap<usize, u32>,
}

/// How long a change waits for another process's lock. A change holds it
/// for the few milliseconds of a read and a write.
const LOCK_PATIENCE: Duration = Duration::from_secs(10);

/// A lock file older than this was left by a process that was killed in
/// the middle of a change: it is taken over.
const STALE_LOCK: Duration = Duration::from_secs(30);

impl Progress {
    pub fn path() -> PathBuf {
        match std::env::var_os(PLACE) {
            Some(path) => PathBuf::from(path),
            None => workspace_root().join("exercises").join(".progress"),
        }
    }

    /// The remembered progress; none yet if there is no file.
    pub fn load() -> Result<Progress> {
        let path = Progress::path();
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Progress::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => Err(e).with_context(|| format!("无法读取进度文件 {}", path.display())),
        }
    }

    /// Reads the file's lines; a line it does not understand is left out
    /// (a file edited by hand must not stop the checker).
    fn parse(text: &str) -> Progress {
        let mut progress = Progress::default();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| words.get(i).and_then(|w| w.parse::<usize>().ok());
            match (words.first().copied(), number(1), number(2)) {
                (Some("passed"), Some(n), None) => {
                    progress.passed.insert(n);
                }
                (Some("hints"), Some(n), Some(given)) => {
                    progress.hints.insert(n, given);
                }
                (Some("attempts"), Some(n), Some(count)) => {
                    progress.attempts.insert(n, count as u32);
                }
                _ => {}
            }
        }
        progress
    }

    fn text(&self) -> String {
        let passed = self.passed.iter().map(|n| format!("passed {n}\n"));
        let hints = self
            .hints
            .iter()
            .map(|(n, given)| format!("hints {n} {given}\n"));
        let attempts = self
            .attempts
            .iter()
            .map(|(n, count)| format!("attempts {n} {count}\n"));
        passed.chain(hints).chain(attempts).collect()
    }

    /// Reads the file, lets `change` change it, and writes it back, all
    /// under the lock: a change another process made meanwhile is never
    /// lost. Returns the progress as written and what `change` returned.
    pub fn update<T>(change: impl FnOnce(&mut Progress) -> T) -> Result<(Progress, T)> {
        let path = Progress::path();
        let _lock = Lock::take(&path)?;
        let mut progress = Progress::load()?;
        let result = change(&mut progress);
        progress.save(&path)?;
        Ok((progress, result))
    }

    /// Writes the file: to a temporary name of this process's own first,
    /// then renamed over the old one, so it is never found half written.
    fn save(&self, path: &Path) -> Result<()> {
        let temporary = path.with_extension(format!("progress-{}.new", std::process::id()));
        let written =
            fs::write(&temporary, self.text()).and_then(|()| fs::rename(&temporary, path));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written.with_context(|| format!("无法保存进度文件 {}", path.display()))
    }

    pub fn has_passed(&self, number: usize) -> bool {
        self.passed.contains(&number)
    }

    pub fn pass(&mut self, number: usize) {
        self.passed.insert(number);
    }

    pub fn all_passed(&self) -> bool {
        EXERCISES.iter().all(|e| self.has_passed(e.number))
    }

    pub fn passed_count(&self) -> usize {
        EXERCISES
            .iter()
            .filter(|e| self.has_passed(e.number))
            .count()
    }

    /// The first exercise not passed yet.
    pub fn first_unsolved(&self) -> Option<&'static Exercise> {
        EXERCISES.iter().find(|e| !self.has_passed(e.number))
    }

    /// The next exercise not passed yet after `number`, or else the first.
    pub fn next_unsolved(&self, number: usize) -> Option<&'static Exercise> {
        let later = EXERCISES
            .iter()
            .find(|e| e.number > number && !self.has_passed(e.number));
        later.or_else(|| self.first_unsolved())
    }

    /// Counts one more check of exercise `number`; how many there have been.
    pub fn attempt(&mut self, number: usize) -> u32 {
        let count = self.attempts.entry(number).or_insert(0);
        *count = count.saturating_add(1);
        *count
    }

    /// How many hints exercise `number` has had; and counts one more.
    pub fn take_hint(&mut self, number: usize) -> usize {
        let given = self.hints.entry(number).or_insert(0);
        let before = *given;
        *given += 1;
        before
    }
}

/// The lock file beside the progress file, removed when dropped. Created
/// with `create_new`, which only one process can do.
struct Lock(PathBuf);

impl Lock {
    fn take(progress: &Path) -> Result<Lock> {
        let path = progress.with_extension("progress-lock");
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Lock(path)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if is_stale(&path) {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("无法创建进度文件的锁 {}", path.display()));
                }
            }
            if std::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "进度文件 {} 被别的检查占用了 {} 秒：如果没有别的检查在运行，删掉它再试",
                    path.display(),
                    LOCK_PATIENCE.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn is_stale(lock: &Path) -> bool {
    fs::metadata(lock)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .is_some_and(|age| age > STALE_LOCK)
}

/// What `--list` says about one exercise.
fn state(progress: &Progress, exercise: &Exercise) -> &'static str {
    if progress.has_passed(exercise.number) {
        return "✓ 通过了";
    }
    let file = workspace_root().join(exercise.file);
    match fingerprint::of_file(&file) {
        None => "找不到文件",
        Some(print) if print == exercise.untouched => "· 还没动",
        Some(_) => "✗ 改过了，还没通过",
    }
}

/// `check --list`: the progress table.
pub fn print_table(progress: &Progress) {
    say!("练习  状态                文件                             内容");
    for exercise in EXERCISES {
        let state = state(progress, exercise);
        say!(
            "{:<5} {state}{}  {:<31}  {}",
            exercise.number,
            padding(state, 18),
            exercise.file,
            exercise.title
        );
    }
    say!(
        "\n通过了 {}/{} 个（进度记在 {}）。",
        progress.passed_count(),
        EXERCISES.len(),
        Progress::path().display()
    );
    match progress.first_unsolved() {
        Some(next) => say!(
            "下一个：练习 {}（{}），运行 {}",
            next.number,
            next.title,
            super::command("")
        ),
        None => say!("全部通过了！"),
    }
}

/// Spaces that line up a text whose CJK characters take two columns each.
fn padding(text: &str, width: usize) -> String {
    let wide = |c: char| matches!(c, '\u{2e80}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}');
    let columns: usize = text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum();
    " ".repeat(width.saturating_sub(columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_read_back_as_written_and_noise_is_left_out() {
        let mut progress = Progress::parse("passed 2\nhints 3 1\nnonsense\npassed x\n");
        assert!(progress.has_passed(2) && !progress.has_passed(1));
        assert_eq!(progress.take_hint(3), 1);
        assert_eq!(progress.take_hint(4), 0);
        progress.pass(1);
        assert_eq!(progress.attempt(2), 1);
        assert_eq!(progress.attempt(2), 2);
        assert_eq!(
            progress.text(),
            "passed 1\npassed 2\nhints 3 2\nhints 4 1\nattempts 2 2\n"
        );
        assert_eq!(Progress::parse(&progress.text()).text(), progress.text());
        assert_eq!(progress.first_unsolved().map(|e| e.number), Some(3));
        assert_eq!(progress.next_unsolved(3).map(|e| e.number), Some(4));
    }
}
