//! The board's state on disk: read when it starts, written whole after
//! every change by a thread of its own, and the CSV export.
//!
//! A report is confirmed to the student only once the state that holds it
//! is on disk, so a board that crashes or is closed loses nothing: what it
//! did not confirm, the student's check still has and sends again. Each
//! write goes to a temporary name unique to this process and is then
//! renamed over the old file, which is whole or not there at all, never
//! half written (a full disk or a Ctrl-C in the middle leaves the last
//! good file). A write that fails is tried again every second, and the
//! board says so on the screen; meanwhile it confirms nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::render::{self, Refusals};
use super::table::{Current, Table};

/// How long to wait before writing again after a failed write.
const RETRY: Duration = Duration::from_secs(1);

/// Reads the state file; an empty table if there is none.
pub fn load(path: &Path, steps: Vec<usize>) -> Result<Table> {
    match fs::read_to_string(path) {
        Ok(text) => Table::from_text(&text, steps).map_err(|why| {
            anyhow::anyhow!(
                "{} 不是看板的状态文件（{why}）：换一个 --state FILE，或者把它移走",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Table::new(steps)),
        Err(e) => Err(e).with_context(|| format!("无法读取看板的状态文件 {}", path.display())),
    }
}

/// Writes `text` to `path` whole: a temporary file beside it (named after
/// this process, so two programs never write the same one), then renamed
/// over `path`. Not forced to the disk (`sync_all`) each time: on a laptop
/// busy building, that can take seconds, and a report must be confirmed
/// within its 5 seconds; the rename alone already means no program ever
/// reads a half-written file.
pub fn write_whole(path: &Path, text: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = fs::File::create(&temporary).and_then(|mut file| file.write_all(text));
    match written.and_then(|()| fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&temporary);
            Err(e)
        }
    }
}

/// What the writing thread tells the loop.
pub enum Saved {
    /// Everything up to this generation is on disk.
    Upto(u64),
    /// A write failed (it will be tried again).
    Failed(String),
}

#[derive(Default)]
struct Pending {
    next: Option<(u64, String)>,
    stop: bool,
}

/// The loop's handle on the writing thread.
pub struct Store {
    pending: Arc<(Mutex<Pending>, Condvar)>,
    saved: Arc<AtomicU64>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Store {
    /// Starts the thread; it reports on `report` and then calls `wake`.
    pub fn start(path: PathBuf, report: Sender<Saved>, wake: impl Fn() + Send + 'static) -> Store {
        let pending: Arc<(Mutex<Pending>, Condvar)> = Arc::default();
        let saved = Arc::new(AtomicU64::new(0));
        let (shared, upto) = (Arc::clone(&pending), Arc::clone(&saved));
        let thread = thread::spawn(move || {
            write_until_stopped(&path, &shared, &upto, &report, &wake);
        });
        Store {
            pending,
            saved,
            thread: Some(thread),
        }
    }

    /// Hands over the state of `generation`; replaces one not written yet.
    pub fn save(&self, generation: u64, text: String) {
        let (lock, changed) = &*self.pending;
        let mut pending = lock.lock().unwrap_or_else(PoisonError::into_inner);
        pending.next = Some((generation, text));
        changed.notify_one();
    }

    /// Waits (at most `patience`) for the last state handed over to be
    /// written, then stops the thread. Whether it was written.
    pub fn finish(mut self, generation: u64, patience: Duration) -> bool {
        let deadline = std::time::Instant::now() + patience;
        while self.saved.load(Ordering::Acquire) < generation {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let (lock, changed) = &*self.pending;
        lock.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
        changed.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        true
    }
}

fn write_until_stopped(
    path: &Path,
    pending: &(Mutex<Pending>, Condvar),
    saved: &AtomicU64,
    report: &Sender<Saved>,
    wake: &dyn Fn(),
) {
    let (lock, changed) = pending;
    let mut failed: Option<(u64, String)> = None;
    loop {
        let next = {
            let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            // Without a failed write to try again, only a new state or the
            // end wakes this thread; the hour is just a bound.
            let wait = if failed.is_some() {
                RETRY
            } else {
                Duration::from_secs(3600)
            };
            let (mut guard, _) = changed
                .wait_timeout_while(guard, wait, |p| p.next.is_none() && !p.stop)
                .unwrap_or_else(PoisonError::into_inner);
            if guard.stop && guard.next.is_none() {
                return;
            }
            guard.next.take().or_else(|| failed.take())
        };
        let Some((generation, text)) = next else {
            continue;
        };
        match write_whole(path, text.as_bytes()) {
            Ok(()) => {
                saved.fetch_max(generation, Ordering::AcqRel);
                let _ = report.send(Saved::Upto(generation));
            }
            Err(e) => {
                let _ = report.send(Saved::Failed(format!(
                    "无法保存看板的状态到 {}：{e}；报告先不确认，学生那边会留着，过一会儿再发",
                    path.display()
                )));
                failed = Some((generation, text));
            }
        }
        wake();
    }
}

// ---------------------------------------------------------------------------
// `board --export FILE.csv`

/// The table as CSV, for the teacher's records: one row per student,
/// every cell in words. UTF-8 with a byte-order mark, which Excel needs to
/// read Chinese correctly; every field quoted; a field that a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@` first) gets a `'` in front.
pub fn csv(table: &Table, now: u64) -> String {
    let mut head = vec!["学生".to_string(), "备注".into(), "地址".into()];
    head.extend((1..=table.exercises()).map(|n| format!("练习 {n}")));
    head.extend(["在做".to_string(), "分钟".into()]);
    let mut text = String::from("\u{feff}");
    text += &csv_line(&head);
    for row in &table.rows {
        let mut fields = vec![
            super::text::escape(&row.name),
            if row.twin {
                "这个名字先从别的电脑报告过".to_string()
            } else {
                String::new()
            },
            row.source.to_string(),
        ];
        fields.extend(row.cells.iter().map(render::cell_words));
        let (on, minutes) = match row.current {
            None => (String::new(), String::new()),
            Some(Current::AllPassed { .. }) => ("全部通过".to_string(), String::new()),
            Some(Current::Working { exercise, since }) => (
                format!("练习 {exercise}"),
                (now.saturating_sub(since) / 60).to_string(),
            ),
        };
        fields.extend([on, minutes]);
        text += &csv_line(&fields);
    }
    text
}

fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            let defused = if field.starts_with(['=', '+', '-', '@']) {
                format!("'{field}")
            } else {
                field.clone()
            };
            format!("\"{}\"", defused.replace('"', "\"\""))
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// `board --export FILE.csv`: reads the state file and writes the CSV whole.
pub fn export(state: &Path, to: &Path, steps: Vec<usize>, now: u64) -> Result<usize> {
    if !state.exists() {
        bail!(
            "还没有看板的状态文件 {}：看板收到第一份报告时才会写它（或者用 --state 指出它在哪里）",
            state.display()
        );
    }
    let table = load(state, steps)?;
    write_whole(to, csv(&table, now).as_bytes())
        .with_context(|| format!("无法写入 {}", to.display()))?;
    Ok(table.rows.len())
}

/// What the board refused from each address, most first, for the screen.
pub fn ranked(refusals: impl Iterator<Item = Refusals>) -> Vec<Refusals> {
    let mut all: Vec<Refusals> = refusals.filter(|r| r.total() > 0).collect();
    all.sort_by(|a, b| b.total().cmp(&a.total()).then(a.source.cmp(&b.source)));
    all.truncate(3);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::protocol::{Report, Verdict};

    #[test]
    fn the_csv_quotes_everything_and_defuses_formulas() {
        let mut table = Table::new(vec![2, 2]);
        let report = Report {
            seq: 1,
            exercise: 2,
            verdict: Verdict::Failed { step: 1 },
            // An id this registry does not know is shown as it is.
            mistake: Some("ex9.made-up".into()),
            attempts: 3,
            age: 120,
            token: None,
            name: "=HYPERLINK(\"x\")".into(),
        };
        table
            .store(&report, "192.0.2.24".parse().unwrap(), 1000)
            .unwrap();
        let text = csv(&table, 1000);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "\u{feff}\"学生\",\"备注\",\"地址\",\"练习 1\",\"练习 2\",\"在做\",\"分钟\""
        );
        assert_eq!(
            lines[1],
            "\"'=HYPERLINK(\"\"x\"\")\",\"\",\"192.0.2.24\",\"\",\"第 1 步没通过（检查了 3 次，ex9.made-up）\",\"练习 2\",\"2\""
        );
    }

    #[test]
    fn a_state_written_whole_reads_back() {
        let dir = process_runner::TempDir::new("board-store").unwrap();
        let path = dir.path().join("state");
        let mut table = Table::new(vec![1]);
        let report = Report {
            seq: 1,
            exercise: 1,
            verdict: Verdict::Passed,
            mistake: None,
            attempts: 1,
            age: 0,
            token: None,
            name: "小明".into(),
        };
        table
            .store(&report, "192.0.2.21".parse().unwrap(), 5)
            .unwrap();
        write_whole(&path, table.to_text().as_bytes()).unwrap();
        assert_eq!(load(&path, vec![1]).unwrap(), table);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "the temporary file is gone");
        fs::write(&path, "not a board").unwrap();
        let refused = load(&path, vec![1]).unwrap_err().to_string();
        assert!(refused.contains("不是看板的状态文件"), "{refused}");
    }
}
