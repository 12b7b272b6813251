//! The exercise checker on Windows: `workshop.exe check N --program FILE`
//! under Wine, with the Windows chapter programs beside it as the peers
//! (there is no cargo under Wine, so it uses the ones built there).
//!
//! - every answer key, built for Windows, passes;
//! - every exercise still as shipped, built for Windows, fails;
//! - Python cannot be started from Wine, so the steps that talk to the
//!   article's Python programs are reported as skipped, not failed.
//!
//! The assertions lean on exit codes and the ✓/✗ marks, not on the
//! checker's sentences, which change with the checker.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::time::Duration;

use on_windows::{Os, Outcome, Process, Programs, TempDir, programs, unavailable, windows_path};

const EXERCISES: usize = 7;

/// One checking run: at most a few steps per check, each bounded by the
/// programs' own limits plus a margin; only a hang waits this long.
const CHECK_RUN: Duration = testkit::deadline::STEP.saturating_mul(40);

/// `workshop.exe check ARGS` under Wine, its progress kept in `dir`.
fn check(programs: &Programs, dir: &TempDir, args: &[&str]) -> Outcome {
    let mut command = programs.command(Os::Windows, "workshop");
    command
        .arg("check")
        .args(args)
        .env("WORKSHOP_PROGRESS", windows_path(&dir.join("progress")))
        .current_dir(dir.path());
    let name = format!("workshop.exe check {}", args.join(" "));
    Process::start_command(&mut command, &name).finish_within(CHECK_RUN)
}

/// The lines that start with a mark: `✓ 2/4 …`, `✗ …`, `- …` (skipped).
fn marked<'a>(outcome: &'a Outcome, mark: &str) -> Vec<&'a str> {
    let mark = format!("{mark} ");
    outcome
        .stdout
        .lines()
        .filter(|line| line.starts_with(&mark))
        .collect()
}

#[test]
fn every_answer_key_exe_passes_with_windows_peers() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-check-keys");
    let mut skipped_for_python = 0;
    for n in 1..=EXERCISES {
        let key = windows_path(&programs.exe(&format!("solution-ex{n}")));
        let run = check(programs, &dir, &[&n.to_string(), "--program", &key]);
        assert_eq!(run.status.code(), Some(0), "exercise {n}: {run:#?}");
        assert!(marked(&run, "✗").is_empty(), "exercise {n}: {}", run.stdout);
        assert!(
            !marked(&run, "✓").is_empty(),
            "exercise {n}: {}",
            run.stdout
        );
        // A skipped step is one that needs Python, and says so.
        for line in marked(&run, "-") {
            assert!(line.contains("Python"), "exercise {n}: {line}");
            skipped_for_python += 1;
        }
    }
    // Exercises 1, 2, 3 and 6 each talk to one of the article's programs.
    assert!(
        skipped_for_python >= 4,
        "{skipped_for_python} Python steps skipped"
    );
}

#[test]
fn every_untouched_exercise_exe_fails() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-check-untouched");
    // Which exercises are still as shipped: the checker's own list, read
    // on Windows (a learner's edited exercise is left out, as on Linux).
    let list = check(programs, &dir, &["--list"]);
    assert_eq!(list.status.code(), Some(0), "{list:#?}");
    let untouched: Vec<usize> = (1..=EXERCISES)
        .filter(|n| {
            let row = format!("{n} ");
            list.stdout
                .lines()
                .any(|line| line.starts_with(&row) && line.contains("还没动"))
        })
        .collect();
    if untouched.is_empty() {
        unavailable(
            "every exercise has been edited here, so none can show that an untouched one fails",
        );
        return;
    }
    for n in untouched {
        let exe = windows_path(&programs.exe(&format!("ex{n}")));
        let run = check(programs, &dir, &[&n.to_string(), "--program", &exe]);
        assert_eq!(run.status.code(), Some(1), "exercise {n}: {run:#?}");
        assert_eq!(marked(&run, "✗").len(), 1, "exercise {n}: {}", run.stdout);
    }
}
