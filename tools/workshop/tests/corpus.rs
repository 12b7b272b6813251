//! Our own corpus of wrong programs (tests/wrong/), run through `workshop
//! check` as a learner's program would be: every one must fail, at the step
//! its file names, with a ✗ that names its mistake (`常见错误：…（ex2.read-once）`),
//! shows the learner's output and gives a command to repeat the step that
//! works in PowerShell too. And every mistake the checks know has at least
//! one wrong program here.
//!
//! Like rustlings' `dev check` and codecrafters' fixture logs: the answer
//! keys pass (tests/check.rs), the untouched exercises fail (tests/check.rs),
//! and every known mistake fails where it should (this file).
//!
//! Each run gets a seed of its own, printed with any failure: rerun with
//! `WORKSHOP_TEST_SEED=S cargo test -p workshop --test corpus`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::BTreeSet;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use process_runner::{Output, Running, deadline};
use testkit::{Outcome, TempDir};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");
const WRONG: &str = env!("CARGO_BIN_EXE_wrong-programs");

/// One check run of a wrong program: every step it passes before the one
/// meant for it, then that step, each bounded by the programs' own limits
/// plus a margin (see tests/check.rs).
const CHECK_RUN: Duration = deadline::BUILD.saturating_add(deadline::STEP.saturating_mul(40));

/// How many checks run at once: most of a check is waiting for time limits.
const AT_ONCE: usize = 6;

/// A wrong program, as its file's header describes it.
#[derive(Debug, Clone)]
struct Wrong {
    name: String,
    exercise: usize,
    /// Any of these ids is right (a pool of four is too many for
    /// `--threads 2` and too few for `--threads 6`).
    mistakes: Vec<String>,
    /// Any of these steps is right (a pool one worker short is one at a
    /// time for `--threads 2`, which step 3 sees first).
    steps: Vec<usize>,
    needs_python: bool,
    needs_two_localhost_addresses: bool,
}

fn corpus() -> Vec<Wrong> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wrong");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("ex") && name.contains('_') && name.ends_with(".rs")
        })
        .collect();
    files.sort();
    files.iter().map(|path| parse(path)).collect()
}

fn parse(path: &Path) -> Wrong {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let header = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("//! {key}: ")))
            .map(str::trim)
    };
    let mistakes: Vec<String> = header("mistake")
        .unwrap_or_else(|| panic!("{name}: no `//! mistake:` line"))
        .split('|')
        .map(|m| m.trim().to_string())
        .collect();
    let steps = header("step")
        .unwrap_or_else(|| panic!("{name}: no `//! step:` line"))
        .split('|')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let exercise = name[2..name.find('_').unwrap()].parse().unwrap();
    for mistake in &mistakes {
        assert!(
            mistake.starts_with(&format!("ex{exercise}.")),
            "{name}: {mistake} is not a mistake of exercise {exercise}"
        );
    }
    Wrong {
        name,
        exercise,
        mistakes,
        steps,
        needs_python: header("needs") == Some("python"),
        needs_two_localhost_addresses: header("only-if") == Some("localhost-has-two-addresses"),
    }
}

/// The seed for this test run: given, or new.
fn seed() -> u64 {
    std::env::var("WORKSHOP_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            u64::from(nanos % 1_000_000)
        })
}

fn check(wrong: &Wrong, seed: u64) -> Outcome {
    let dir = TempDir::new("check-wrong");
    let mut command = Command::new(WORKSHOP);
    command
        .args(["check", &wrong.exercise.to_string(), "--program", WRONG])
        .args(["--seed", &seed.to_string()])
        .env("WORKSHOP_PROGRESS", dir.join("progress"))
        .env("WORKSHOP_WRONG", &wrong.name);
    let running = Running::start(&mut command, &wrong.name, Output::Keep).unwrap();
    match running.wait(CHECK_RUN) {
        Ok(finished) => finished.into(),
        Err(e) => panic!("{}: {e}", wrong.name),
    }
}

/// The lines of the ✗ block, if the run has one at one of `steps`.
fn failed_block<'a>(stdout: &'a str, steps: &[usize]) -> Option<Vec<&'a str>> {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("✗ "));
    let head = lines.next()?;
    let number = head.split_whitespace().nth(1)?.split('/').next()?;
    if !steps.contains(&number.parse::<usize>().ok()?) {
        return None;
    }
    let mut block = vec![head];
    block.extend(lines.take_while(|l| l.starts_with("    ") || l.starts_with("  ")));
    Some(block)
}

fn localhost_has_two_addresses() -> bool {
    let addrs: BTreeSet<IpAddr> = ("localhost", 0)
        .to_socket_addrs()
        .map(|a| a.map(|a| a.ip()).collect())
        .unwrap_or_default();
    addrs.len() >= 2
}

/// What is wrong with one run, or nothing.
fn judge(wrong: &Wrong, run: &Outcome) -> Option<String> {
    if run.status.code() != Some(1) {
        return Some(format!("exit status {:?}, not 1", run.status.code()));
    }
    let Some(block) = failed_block(&run.stdout, &wrong.steps) else {
        return Some(format!("no ✗ at step {:?}", wrong.steps));
    };
    let named = block.iter().find_map(|l| {
        let rest = l.strip_prefix("    常见错误：")?;
        let id = rest.rsplit_once('（')?.1.trim_end_matches('）');
        Some(id.to_string())
    });
    match named {
        Some(id) if wrong.mistakes.contains(&id) => {}
        Some(id) => return Some(format!("the ✗ names {id}, not {:?}", wrong.mistakes)),
        None => {
            return Some(format!(
                "the ✗ names no mistake ({:?} expected)",
                wrong.mistakes
            ));
        }
    }
    if !block.iter().any(|l| l.starts_with("    提示：")) {
        return Some("the ✗ has no tip".into());
    }
    if !block.iter().any(|l| l.contains("自己的输出")) {
        return Some("the ✗ does not show the program's own output".into());
    }
    let Some(repeat) = block
        .iter()
        .find_map(|l| l.strip_prefix("    自己重复这一步："))
    else {
        return Some("the ✗ gives no command to repeat the step".into());
    };
    if let Some((construct, _)) = docs_tool::portable::unix_only(repeat) {
        return Some(format!(
            "`{repeat}` uses {construct}, which PowerShell lacks"
        ));
    }
    None
}

#[test]
fn every_wrong_program_fails_where_it_should_and_is_named() {
    let seed = seed();
    let python = testkit::python3().is_some();
    let two = localhost_has_two_addresses();
    let queue: Arc<Mutex<Vec<Wrong>>> = Arc::new(Mutex::new(corpus()));
    let problems = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (queue, problems) = (Arc::clone(&queue), Arc::clone(&problems));
            thread::spawn(move || {
                loop {
                    let Some(wrong) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    if wrong.needs_python && !python {
                        testkit::skip(&format!("{}: needs Python 3", wrong.name));
                        continue;
                    }
                    if wrong.needs_two_localhost_addresses && !two {
                        // Not a missing tool: this machine's localhost has one
                        // address, so trying only the first one is not wrong here.
                        eprintln!(
                            "NOTE: {} is not run: localhost has one address on this machine",
                            wrong.name
                        );
                        continue;
                    }
                    let run = check(&wrong, seed);
                    if let Some(problem) = judge(&wrong, &run) {
                        problems.lock().unwrap().push(format!(
                            "{} (seed {seed}): {problem}\n{}",
                            wrong.name, run.stdout
                        ));
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let problems = problems.lock().unwrap();
    assert!(
        problems.is_empty(),
        "{} wrong program(s) not caught as they should be (WORKSHOP_TEST_SEED={seed}):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// `check --mistakes` lists every mistake the checks recognise; each must
/// have a wrong program of its own here.
#[test]
fn every_known_mistake_has_a_wrong_program() {
    let run: Outcome = Running::start(
        Command::new(WORKSHOP).args(["check", "--mistakes"]),
        "workshop check --mistakes",
        Output::Keep,
    )
    .unwrap()
    .wait(deadline::STEP)
    .unwrap()
    .into();
    assert!(run.status.success(), "{run:#?}");
    let known: BTreeSet<String> = run
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("ex") && w.contains('.'))
        .map(String::from)
        .collect();
    assert!(known.len() >= 40, "{}", run.stdout);
    let covered: BTreeSet<String> = corpus().into_iter().flat_map(|w| w.mistakes).collect();
    let missing: Vec<&String> = known.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "mistakes with no wrong program: {missing:?}"
    );
    let unknown: Vec<&String> = covered.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "wrong programs naming no known mistake: {unknown:?}"
    );
}
