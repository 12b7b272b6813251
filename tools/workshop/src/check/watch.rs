//! `check --watch`: check, wait for the file to be saved, check again; when
//! an exercise passes, go on to the next one.
//!
//! A save is noticed by polling the file's modification time, not by file
//! system events: those are missed on WSL and on network drives (rustlings'
//! users met exactly that, rustlings#417 and #444), and a look at one file's
//! time every 50 ms costs nothing.

use std::io::BufRead;
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::SystemTime;

use anyhow::{Context, Result};
use common::say;
use process_runner::poll_until;

use super::exercises::Exercise;
use super::progress::Progress;
use super::run::{self, Tools};
use super::{Request, command};
use crate::programs::workspace_root;

/// What ended a wait.
#[derive(Debug, PartialEq, Eq)]
enum Woken {
    Saved,
    Quit,
}

pub fn run(first: &'static Exercise, request: &Request, progress: &mut Progress) -> Result<bool> {
    let tools = run::prepare(request.program.as_deref())?;
    let typed = typed_lines();
    let mut exercise = first;
    loop {
        let path = workspace_root().join(exercise.file);
        let seen = modified(&path)?;
        if check(exercise, request, progress, &tools)? {
            match progress.next_unsolved(exercise.number) {
                Some(next) if !progress.all_passed() => {
                    exercise = next;
                    continue;
                }
                _ => return Ok(true),
            }
        }
        say!(
            "\n保存 {} 之后会自动重新检查。输入 h 回车看一条提示，q 回车退出（也可以按 Ctrl-C）。",
            exercise.file
        );
        // Quitting is the learner's choice, not a failure.
        if wait(exercise, &path, seen, &typed, progress)? == Woken::Quit {
            return Ok(true);
        }
    }
}

/// One check of `exercise`, with what to say after it.
fn check(
    exercise: &'static Exercise,
    request: &Request,
    progress: &mut Progress,
    tools: &Tools,
) -> Result<bool> {
    // A new seed each time: every save is checked against new messages.
    let seed = request.seed.unwrap_or_else(super::seed::fresh);
    let mut summary = run::check_exercise(exercise, None, tools, seed)?;
    run::remember(&mut summary, request, progress)?;
    let passed = summary.passed();
    if passed {
        run::after_pass(exercise, request, progress)?;
    } else {
        say!(
            "\n练习 {} 还没通过。卡住了就要一条提示：输入 h 回车，或者运行 {}",
            exercise.number,
            command(&format!("{} --hint", exercise.number))
        );
    }
    run::report(exercise, request, &summary);
    Ok(passed)
}

/// Waits until the file's modification time differs from `seen`, or `q`
/// is typed; `h` shows the next hint meanwhile. Ctrl-C ends the wait too.
fn wait(
    exercise: &Exercise,
    path: &Path,
    seen: SystemTime,
    typed: &Receiver<String>,
    progress: &mut Progress,
) -> Result<Woken> {
    let woken = poll_until(None, || {
        while let Ok(line) = typed.try_recv() {
            match line.as_str() {
                "q" | "quit" | "exit" => return Ok(Some(Woken::Quit)),
                "h" | "hint" => {
                    if let Err(e) = run::hint(exercise, progress) {
                        say!("{e:#}");
                    }
                }
                _ => say!("输入 h 回车看提示，q 回车退出。"),
            }
        }
        // A file being saved may be missing for a moment (some editors
        // write a new file and rename it): look again at the next tick.
        let changed = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .is_ok_and(|now| now != seen);
        Ok(changed.then_some(Woken::Saved))
    })?;
    Ok(woken.unwrap_or(Woken::Quit))
}

fn modified(path: &Path) -> Result<SystemTime> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .with_context(|| format!("找不到练习文件 {}", path.display()))
}

/// Lines typed on stdin, read on a thread of their own so that the wait
/// stays free to notice a save or a Ctrl-C. The thread ends with stdin.
fn typed_lines() -> Receiver<String> {
    let (sender, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if sender.send(line.trim().to_string()).is_err() {
                break;
            }
        }
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A save is noticed by its time alone, and `q` ends the wait.
    #[test]
    fn a_save_wakes_the_wait_and_q_ends_it() {
        let dir = process_runner::TempDir::new("watch-test").unwrap();
        let path = dir.path().join("ex.rs");
        std::fs::write(&path, "fn main() {}").unwrap();
        let seen = modified(&path).unwrap();
        let exercise = &super::super::exercises::EXERCISES[0];
        let mut progress = Progress::default();
        let (sender, typed) = mpsc::channel();
        let later = seen + Duration::from_secs(5);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(later).unwrap();
        let woken = wait(exercise, &path, seen, &typed, &mut progress).unwrap();
        assert_eq!(woken, Woken::Saved);
        sender.send("q".to_string()).unwrap();
        let woken = wait(exercise, &path, later, &typed, &mut progress).unwrap();
        assert_eq!(woken, Woken::Quit);
    }
}
