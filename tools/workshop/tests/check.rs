//! `workshop check`, run as a learner runs it.
//!
//! The two proofs the exercises rest on:
//! - every answer key passes every check of its exercise;
//! - every untouched exercise fails at least one check, so no check passes
//!   without the learner's work.
//!
//! The second one reads the learner's files, which a learner edits: that is
//! the point of them. So it proves only what it can prove honestly. An
//! exercise whose file is still the shipped text (`check --list` says
//! “还没动”, by its fingerprint) is built and checked, and must fail. An
//! exercise the learner has changed is left out with a note: their own
//! `cargo test --workspace` keeps passing after they solve exercises. In CI
//! (`CI` set, as `.ci/run` and hosted CI do) nobody has edited anything, so
//! a changed file there means the shipped text and its fingerprint in
//! `tools/workshop/src/check/exercises.rs` disagree: that fails, naming the
//! fingerprint to write down.
//!
//! And what a learner meets: hints, the answer on request, the list, the
//! finishing message (reports to the teacher's board are in board.rs), and a clear
//! ✗ (never a stack of noise) for a program that prints nothing, prints the
//! wrong line, panics or hangs; nothing left running, also after Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use process_runner::{Output, Running, deadline};
use testkit::{Outcome, TempDir};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");
const FIXTURE: &str = env!("CARGO_BIN_EXE_check-fixture");
const EXERCISES: usize = 7;

/// One whole `check` run: building the chapter programs and the exercise
/// (in tests nothing is downloaded, so process_runner's BUILD covers it),
/// then at most a few steps per check, each bounded by the programs' own
/// limits plus a margin: 300 s + 40 × 30 s. Only a hang ever waits this long.
const CHECK_RUN: Duration = deadline::BUILD.saturating_add(deadline::STEP.saturating_mul(40));

fn solution(number: usize) -> PathBuf {
    // Cargo builds every binary of this package for its tests, the answer keys too.
    Path::new(WORKSHOP).with_file_name(format!(
        "solution-ex{number}{}",
        std::env::consts::EXE_SUFFIX
    ))
}

/// `workshop check ARGS` with its progress kept in `dir`, and `env` set.
fn check_in(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut command = Command::new(WORKSHOP);
    command
        .arg("check")
        .args(args)
        .env("WORKSHOP_PROGRESS", dir.join("progress"));
    for (name, value) in env {
        command.env(name, value);
    }
    let running = Running::start(&mut command, "workshop check", Output::Keep).unwrap();
    match running.wait(CHECK_RUN) {
        Ok(finished) => finished.into(),
        Err(e) => panic!("workshop check {args:?}: {e}"),
    }
}

fn check(args: &[&str]) -> Outcome {
    check_in(&TempDir::new("check"), args, &[])
}

/// Runs `run(n)` for every exercise at once, and returns what each gave.
fn each_exercise<T: Send + 'static>(run: fn(usize) -> T) -> Vec<(usize, T)> {
    let runs: Vec<_> = (1..=EXERCISES)
        .map(|n| (n, thread::spawn(move || run(n))))
        .collect();
    runs.into_iter()
        .map(|(n, run)| (n, run.join().expect("the run's thread ended normally")))
        .collect()
}

/// The ✓, ✗ and skipped lines of a run: `✓ 2/4 …`.
fn results(stdout: &str) -> (usize, usize, usize, usize) {
    let count = |mark: &str| stdout.lines().filter(|l| l.starts_with(mark)).count();
    let total = stdout
        .lines()
        .find_map(|l| l.split_whitespace().nth(1)?.split_once('/')?.1.parse().ok())
        .unwrap_or(0);
    (count("✓ "), count("✗ "), count("- "), total)
}

#[test]
fn every_solution_passes_every_check() {
    for (n, run) in
        each_exercise(|n| check(&[&n.to_string(), "--program", solution(n).to_str().unwrap()]))
    {
        let (passed, failed, skipped, total) = results(&run.stdout);
        assert!(run.status.success(), "exercise {n}: {run:#?}");
        assert_eq!(failed, 0, "exercise {n}: {}", run.stdout);
        assert!(
            total > 0 && passed + skipped == total,
            "exercise {n}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!("练习 {n} 通过了！")),
            "{}",
            run.stdout
        );
        if skipped > 0 {
            testkit::skip(&format!("exercise {n}: {skipped} check(s) need Python 3"));
        }
    }
}

#[test]
fn every_untouched_exercise_fails_a_check() {
    let list = check(&["--list"]);
    assert!(list.status.success(), "{list:#?}");
    for (n, run) in each_exercise(untouched_run) {
        let Some(run) = run else { continue };
        let (passed, failed, _, total) = results(&run.stdout);
        assert_eq!(run.status.code(), Some(1), "exercise {n}: {run:#?}");
        assert!(
            !run.stdout.contains("编译失败"),
            "exercise {n} must compile: {}",
            run.stdout
        );
        assert!(
            failed == 1 && passed < total,
            "exercise {n}: {}",
            run.stdout
        );
    }
}

/// `check N` on the learner's own file, if it is still the shipped text.
fn untouched_run(n: usize) -> Option<Outcome> {
    let list = check(&["--list"]);
    let row = list
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{n} ")))
        .unwrap_or_else(|| panic!("no row for exercise {n}: {}", list.stdout));
    if row.contains("还没动") {
        return Some(check(&[&n.to_string()]));
    }
    let file = row
        .split_whitespace()
        .find(|w| w.starts_with("exercises/"))
        .unwrap();
    let why = format!(
        "exercise {n}: {file} is not the shipped text (fingerprint {:#018x}), so the proof that it fails untouched is left out",
        fingerprint(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(file)
        )
    );
    if testkit::in_ci() {
        panic!(
            "{why}. In CI nobody edits exercises: if the change is meant, write this fingerprint into tools/workshop/src/check/exercises.rs"
        );
    }
    testkit::skip(&format!("{why} (a learner has worked on it)"));
    None
}

/// FNV-1a over the text with `\r\n` read as `\n`, as the checker computes it.
fn fingerprint(path: &Path) -> u64 {
    let text = std::fs::read(path).unwrap();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, &byte) in text.iter().enumerate() {
        if byte == b'\r' && text.get(i + 1) == Some(&b'\n') {
            continue;
        }
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[test]
fn silence_a_wrong_first_line_and_a_panic_each_get_a_clear_line() {
    let cases = [
        ("silent", "实际：ex1 什么也没有打印就退出了"),
        ("wrong-line", "实际：第一行是 你好，世界（末尾不是地址）"),
        ("panic", "实际：ex1 panic 了：测试用的 panic（"),
    ];
    for (mode, seen) in cases {
        let run = check_in(
            &TempDir::new("check"),
            &["1", "--program", FIXTURE],
            &[("WORKSHOP_FIXTURE", mode)],
        );
        assert_eq!(run.status.code(), Some(1), "{mode}: {run:#?}");
        assert!(run.stdout.contains("✗ 1/4 启动"), "{mode}: {}", run.stdout);
        assert!(
            run.stdout
                .contains("应该：第一行是 等待客户端连接... 127.0.0.1:端口"),
            "{mode}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(seen), "{mode}: {}", run.stdout);
        assert!(!run.stdout.contains("stack backtrace"), "{}", run.stdout);
    }
}

/// Exercise 2's usual first attempt, one `read`, passes against a plain
/// tcp-server and is caught when the reply comes one byte at a time: the
/// lines the workshop guide quotes.
#[test]
fn a_client_that_reads_once_is_caught_by_one_byte_chunks() {
    let run = check_in(
        &TempDir::new("check-read-once"),
        &["2", "--program", FIXTURE],
        &[("WORKSHOP_FIXTURE", "read-once-client")],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    let expected = [
        "✓ 1/3 连 tcp-server（地址写 localhost:端口）：打印 收到服务器的响应: 数据已收到",
        "✗ 2/3 回复一个字节一个字节地到达（wiretap --chunk 1）：仍然打印完整的回复",
        "    应该：ex2 打印 收到服务器的响应: 数据已收到，然后正常退出",
        "    实际：ex2 打印了（正常退出）：",
        "          收到服务器的响应: �",
    ];
    for line in expected {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "{line:?} in {}",
            run.stdout
        );
    }
}

/// A client that never ends is stopped after the stated time, with the
/// step it was in, and is not left running.
#[test]
fn a_program_that_hangs_is_stopped_with_the_step_it_hung_in() {
    let dir = TempDir::new("check-hang");
    let program = own_copy(FIXTURE, &dir);
    let run = check_in(
        &dir,
        &["2", "--program", program.to_str().unwrap()],
        &[("WORKSHOP_FIXTURE", "hang")],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    let seconds = deadline::STEP.as_secs();
    assert!(
        run.stdout.contains(&format!(
            "实际：ex2 在 {seconds} 秒内没有结束，检查停止了它。它卡在了：连接或发送"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        copies_running(&program),
        0,
        "the hung program was left running"
    );
}

/// Linux only: which processes run a program is read from /proc.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_leaves_no_program_running() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = TempDir::new("check-ctrl-c");
    let program = own_copy(&solution(4).to_string_lossy(), &dir);
    let mut workshop = Command::new(WORKSHOP)
        .args(["check", "4", "--program", program.to_str().unwrap()])
        .env("WORKSHOP_PROGRESS", dir.join("progress"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The last check waits for the server's 5-second limit: interrupt it there.
    let stdout = BufReader::new(workshop.stdout.take().unwrap());
    let waiting = stdout
        .lines()
        .map(|line| line.unwrap())
        .any(|line| line.contains("这一项要等服务器的 5 秒期限"));
    assert!(waiting, "the check never reached its slow step");
    // The note is printed as the step begins; its server starts just after.
    let started = process_runner::poll_until(deadline::after(testkit::PATIENCE), || {
        Ok((copies_running(&program) > 0).then_some(()))
    });
    assert!(
        matches!(started, Ok(Some(()))),
        "the server under check never started"
    );
    let interrupted = Command::new("kill")
        .args(["-INT", &workshop.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert_eq!(workshop.wait().unwrap().code(), Some(130));
    assert_eq!(
        copies_running(&program),
        0,
        "the server under check was left running"
    );
}

/// A copy of `program` under a name of its own, so that the processes this
/// test leaves (or not) can be told apart from other tests' processes.
fn own_copy(program: &str, dir: &TempDir) -> PathBuf {
    let copy = dir.join(&format!("under-check{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(program, &copy).unwrap();
    copy
}

/// How many processes run `program` (Linux reads /proc; elsewhere 0).
fn copies_running(program: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|entry| {
            std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == program)
        })
        .count()
}

#[test]
fn hints_come_one_more_at_a_time_and_the_answer_only_on_request() {
    let dir = TempDir::new("check-hints");
    let first = check_in(&dir, &["1", "--hint"], &[]);
    assert!(
        first.stdout.contains("练习 1（TCP 服务器）的提示 1/3："),
        "{first:#?}"
    );
    assert!(
        first
            .stdout
            .contains("再运行一次 cargo run -p workshop -- check 1 --hint")
    );
    let second = check_in(&dir, &["1", "--hint"], &[]);
    assert!(second.stdout.contains("的提示 2/3："), "{second:#?}");
    let third = check_in(&dir, &["1", "--hint"], &[]);
    assert!(third.stdout.contains("这是最后一条提示"), "{third:#?}");
    // The first hint is still the first for another exercise.
    let other = check_in(&dir, &["2", "--hint"], &[]);
    assert!(
        other
            .stdout
            .contains("练习 2（TCP 客户端：读完整个回复）的提示 1/3"),
        "{other:#?}"
    );
    let answer = check_in(&dir, &["1", "--solution"], &[]);
    assert!(answer.stdout.contains("你还没有通过练习 1"), "{answer:#?}");
    assert!(answer.stdout.contains("TcpListener::bind(server_address)"));
}

#[test]
fn passing_is_remembered_listed_and_celebrated() {
    let dir = TempDir::new("check-progress");
    let passed = check_in(
        &dir,
        &["1", "--program", solution(1).to_str().unwrap()],
        &[],
    );
    assert!(passed.status.success(), "{passed:#?}");
    // A program built elsewhere is not the learner's progress.
    let list = check_in(&dir, &["--list"], &[]);
    assert!(list.stdout.contains("通过了 0/7 个"), "{list:#?}");
    let all: String = (1..=EXERCISES).map(|n| format!("passed {n}\n")).collect();
    std::fs::write(dir.join("progress"), all).unwrap();
    let list = check_in(&dir, &["--list"], &[]);
    assert!(list.stdout.contains("通过了 7/7 个"), "{list:#?}");
    assert_eq!(list.stdout.matches("✓ 通过了").count(), EXERCISES);
    let done = check_in(&dir, &[], &[]);
    assert!(done.status.success(), "{done:#?}");
    assert!(done.stdout.contains("全部 7 个练习都通过了！"), "{done:#?}");
}

#[test]
fn mistakes_on_the_command_line_get_one_line_each() {
    for (args, said) in [
        (&["9"][..], "没有练习“9”：练习的编号是 1 到 7"),
        (
            &["--report", "127.0.0.1:9999"][..],
            "--report 要和 --name 一起用",
        ),
        (&["--name", "小明"][..], "--name 是给 --report 用的"),
        (&["--hint", "--solution"][..], "一次只能用一个"),
        (&["--program", "x"][..], "--program 要和练习编号一起用"),
        (
            &["--frob"][..],
            "不认识的选项 --frob（运行 workshop check --help 查看用法）",
        ),
        (&["1", "2"][..], "多余的参数 \"2\""),
    ] {
        let run = check(args);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {run:#?}");
        assert!(run.stderr.contains(said), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
    }
}
