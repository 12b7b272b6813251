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
//! Every answer key passes under many seeds (everything a check varies comes
//! from its seed), not only under the one a run happens to pick.
//!
//! And what a learner meets: hints, the answer on request, the list, the
//! finishing message (reports to the teacher's board are in board.rs; a
//! report for a program built elsewhere is refused), and a clear ✗ (never a
//! stack of noise) for a program that prints nothing, prints the wrong line,
//! panics, hangs, floods its output or leaves programs behind; the checker's
//! own failures said to be the checker's; nothing left running, also after
//! Ctrl-C; the progress file kept whole by checks that run at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use process_runner::{Output, Running, deadline};
use testkit::{Outcome, TempDir};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");
const FIXTURE: &str = env!("CARGO_BIN_EXE_check-fixture");
const WRONG: &str = env!("CARGO_BIN_EXE_wrong-programs");

/// How many seeds each answer key is checked under.
const SEEDS: u64 = 20;

/// How many checks run at once in the seed test: most of a check is
/// waiting for time limits (a server's 5 s, a client's three 1 s tries).
const AT_ONCE: usize = 8;

/// How many exercises there are: the rows of `check --list`, so that this
/// file repeats no count (the exercise list is the one place that has it).
fn exercises() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let list = check(&["--list"]);
        assert!(list.status.success(), "{list:#?}");
        let rows = list
            .stdout
            .lines()
            .filter(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|w| w.parse::<usize>().is_ok())
            })
            .count();
        assert!(rows > 0, "{}", list.stdout);
        rows
    })
}

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
    let runs: Vec<_> = (1..=exercises())
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

/// The answer key of `n` checked with `seed`; what is wrong, if anything.
fn key_under_seed(n: usize, seed: u64) -> Option<String> {
    let run = check(&[
        &n.to_string(),
        "--program",
        solution(n).to_str().unwrap(),
        "--seed",
        &seed.to_string(),
    ]);
    let (passed, failed, skipped, total) = results(&run.stdout);
    let fine = run.status.success()
        && failed == 0
        && total > 0
        && passed + skipped == total
        && run.stdout.contains(&format!("练习 {n} 通过了！"))
        && run.stdout.contains(&format!("种子 {seed}："));
    if skipped > 0 {
        testkit::skip(&format!(
            "exercise {n}, seed {seed}: {skipped} check(s) need Python 3"
        ));
    }
    (!fine).then(|| format!("exercise {n}, seed {seed}:\n{}{}", run.stdout, run.stderr))
}

/// Every answer key passes every check under 20 seeds: the messages,
/// replies, lengths and thread counts the seeds pick are all fine for a
/// right program. The first seed is new each run (printed with any
/// failure); `WORKSHOP_TEST_SEED=S` starts from S instead.
#[test]
fn every_solution_passes_every_check_under_many_seeds() {
    let first: u64 = std::env::var("WORKSHOP_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            u64::from(nanos % 1_000_000)
        });
    let jobs: Vec<(usize, u64)> = (1..=exercises())
        .flat_map(|n| (0..SEEDS).map(move |k| (n, first + k)))
        .collect();
    let queue = Arc::new(Mutex::new(jobs));
    let problems = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (queue, problems) = (Arc::clone(&queue), Arc::clone(&problems));
            thread::spawn(move || {
                loop {
                    let Some((n, seed)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    if let Some(problem) = key_under_seed(n, seed) {
                        problems.lock().unwrap().push(problem);
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
        "{} run(s) of an answer key failed (seeds from {first}):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
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
        assert!(run.stdout.contains("✗ 1/5 启动"), "{mode}: {}", run.stdout);
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
/// tcp-server and is caught when the reply comes in pieces: every line the
/// workshop guide quotes for it (docs/src/workshop.md, seed 20), except
/// the ports and times, which differ from run to run.
#[test]
fn a_client_that_reads_once_is_caught_by_a_reply_in_pieces() {
    let run = check_in(
        &TempDir::new("check-read-once"),
        &["2", "--program", FIXTURE, "--seed", "20"],
        &[("WORKSHOP_FIXTURE", "read-once-client")],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/src/workshop.md"),
    )
    .unwrap();
    let quoted: Vec<&str> = guide
        .lines()
        .skip_while(|l| !l.contains("要先把练习 2 写成只读一次的样子"))
        .skip(2)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert!(quoted.len() > 10, "the guide's block is gone");
    let varies = |l: &&&str| l.contains("127.0.0.1:") && l.contains("新连接") || l.contains(" +0.");
    for line in quoted.iter().filter(|l| !varies(l)) {
        assert!(
            run.stdout.lines().any(|l| l == *line),
            "the guide quotes {line:?}, the check printed:\n{}",
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
            "实际：ex2 在 {seconds} 秒内没有结束，检查停止了它。它卡在了：连接"
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
    let n = exercises();
    let dir = TempDir::new("check-progress");
    let passed = check_in(
        &dir,
        &["1", "--program", solution(1).to_str().unwrap()],
        &[],
    );
    assert!(passed.status.success(), "{passed:#?}");
    // A program built elsewhere is not the learner's progress.
    let list = check_in(&dir, &["--list"], &[]);
    assert!(
        list.stdout.contains(&format!("通过了 0/{n} 个")),
        "{list:#?}"
    );
    let all: String = (1..=n).map(|k| format!("passed {k}\n")).collect();
    std::fs::write(dir.join("progress"), all).unwrap();
    let list = check_in(&dir, &["--list"], &[]);
    assert!(
        list.stdout.contains(&format!("通过了 {n}/{n} 个")),
        "{list:#?}"
    );
    assert_eq!(list.stdout.matches("✓ 通过了").count(), n);
    let done = check_in(&dir, &[], &[]);
    assert!(done.status.success(), "{done:#?}");
    assert!(
        done.stdout.contains(&format!("全部 {n} 个练习都通过了！")),
        "{done:#?}"
    );
}

/// Ten checks at once (two terminals, --watch beside a manual run) lose no
/// update of the progress file and never fail to write it.
#[test]
fn checks_at_once_keep_the_progress_file_whole() {
    let dir = Arc::new(TempDir::new("check-at-once"));
    let runs: Vec<_> = (0..10)
        .map(|_| {
            let dir = Arc::clone(&dir);
            thread::spawn(move || check_in(&dir, &["3", "--hint"], &[]))
        })
        .collect();
    for run in runs {
        let run = run.join().unwrap();
        assert!(run.status.success(), "{run:#?}");
    }
    let text = std::fs::read_to_string(dir.join("progress")).unwrap();
    assert_eq!(text, "hints 3 10\n", "every hint counted once");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "progress")
        .collect();
    assert!(left.is_empty(), "temporary or lock files left: {left:?}");
}

/// The learner's crash is the learner's: a server that panics on a long
/// line gets its panic and place, never "检查本身没能进行".
#[test]
fn a_learners_panic_is_reported_as_the_learners() {
    let run = check_in(
        &TempDir::new("check-panic"),
        &["7", "--program", WRONG],
        &[("WORKSHOP_WRONG", "ex7_panic_on_long_line")],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("ex7 panic 了：一行太长了（"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("检查本身没能进行"), "{}", run.stdout);
}

/// "检查本身没能进行" is for the checker's own peers: here the article's
/// Python client is a stand-in that crashes before it connects. The wire
/// shows the learner's server was never reached, so the ✗ says that the
/// checker failed, not the learner.
#[cfg(unix)]
#[test]
fn a_peer_that_fails_is_the_checkers_failure() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("check-broken-peer");
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("python3");
    std::fs::write(
        &fake,
        // It answers the checker's probe (`-c …`: its version, then its
        // path) as Python 3 does, and crashes when it is given a script.
        "#!/bin/sh\nif [ \"$1\" = -c ]; then echo 3; echo \"$0\"; exit 0; fi\necho 'Traceback (most recent call last):' >&2\necho 'RuntimeError: 测试用的坏 Python' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = check_in(
        &dir,
        &["1", "--program", solution(1).to_str().unwrap()],
        &[("PATH", &path)],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("✗ 5/5 原文的 Python 客户端"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("出错：检查本身没能进行（这不是你的程序的问题）"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("常见错误"), "{}", run.stdout);
}

/// Where there is no Python (Windows without it, the check under Wine), its
/// steps say they were skipped, and the rest passes.
#[cfg(unix)]
#[test]
fn without_python_its_steps_are_skipped_not_failed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("check-no-python");
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    // "python3" and "python" that are not Python 3 at all.
    for name in ["python3", "python"] {
        let fake = bin.join(name);
        std::fs::write(&fake, "#!/bin/sh\necho 'not here' >&2\nexit 127\n").unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = check_in(
        &dir,
        &["2", "--program", solution(2).to_str().unwrap()],
        &[("PATH", &path)],
    );
    assert!(run.status.success(), "{run:#?}");
    assert!(
        run.stdout
            .contains("和原文的 Python 程序对话的那几项检查会跳过"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().any(|l| {
            // The last step ("- N/N …"), whatever N is.
            let last = l
                .strip_prefix("- ")
                .and_then(|rest| rest.split_once(' '))
                .and_then(|(count, _)| count.split_once('/'))
                .is_some_and(|(step, steps)| step == steps);
            last && l.contains("连原文的 Python 服务器") && l.contains("跳过")
        }),
        "{}",
        run.stdout
    );
}

/// Nothing a learner's program starts outlives the check: copies of itself
/// in its own process group and one that left the group (Linux, where
/// /proc shows what runs).
#[cfg(target_os = "linux")]
#[test]
fn what_a_learners_program_starts_is_ended_with_it() {
    let dir = TempDir::new("check-spawner");
    let program = own_copy(FIXTURE, &dir);
    let run = check_in(
        &dir,
        &["1", "--program", program.to_str().unwrap()],
        &[("WORKSHOP_FIXTURE", "spawning-server")],
    );
    assert!(run.status.success(), "{run:#?}");
    assert!(run.stdout.contains("离开了它的进程组"), "{}", run.stdout);
    assert_eq!(copies_running(&program), 0, "{}", run.stdout);
    // A client that exits leaving a program that holds its output: said,
    // not reported as hanging, and that program ended too.
    let run = check_in(
        &dir,
        &["2", "--program", program.to_str().unwrap()],
        &[("WORKSHOP_FIXTURE", "held-output")],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("可它启动的另一个程序还开着它的输出"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("卡在了"), "{}", run.stdout);
    assert_eq!(copies_running(&program), 0, "{}", run.stdout);
}

/// A program that prints 50 MB: the check keeps 64 KiB of it, counts the
/// rest, and its own output stays short.
#[test]
fn a_flood_of_output_is_counted_not_kept() {
    let run = check_in(
        &TempDir::new("check-flood"),
        &["2", "--program", FIXTURE],
        &[("WORKSHOP_FIXTURE", "flood")],
    );
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    let start: String = run.stdout.chars().take(4000).collect();
    assert!(run.stdout.contains("字节超过了保留的上限"), "{start}");
    assert!(
        run.stdout.len() < 64 * 1024,
        "{} bytes printed",
        run.stdout.len()
    );
}

#[test]
fn mistakes_on_the_command_line_get_one_line_each() {
    for (args, said) in [
        (&["99"][..], "没有练习“99”：练习的编号是 1 到"),
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
        (&["2", "--seed", "abc"][..], "--seed 的值 \"abc\" 不对"),
        (
            &[
                "1",
                "--program",
                "x",
                "--report",
                "127.0.0.1:9",
                "--name",
                "小明",
            ][..],
            "--report 不能和 --program 一起用",
        ),
    ] {
        let run = check(args);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {run:#?}");
        assert!(run.stderr.contains(said), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
    }
}
