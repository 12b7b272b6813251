//! `workshop board`, run as a teacher runs it, on loopback, with real
//! `workshop check --report` runs as its students: the line a report puts
//! on the wire (as wiretap shows it), a report kept while the board is
//! away and delivered with the next one, a board restarted from its state
//! file, the CSV export, and a board whose screen nobody reads.
//!
//! The classroom test (`classroom.rs`) does the same across network
//! namespaces, with several students and a hostile one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use process_runner::{Output, Running, deadline};
use testkit::{Outcome, Server, TempDir};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");

/// One `check` run: building (a no-op here) and a few steps.
const CHECK_RUN: Duration = deadline::BUILD.saturating_add(deadline::STEP.saturating_mul(10));

/// `workshop check ARGS`, its progress (and board file) kept in `dir`.
fn check(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Outcome {
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

/// A board on a free loopback port, printing plain lines, its state in `state`.
fn board(state: &str) -> Server {
    Server::start(
        WORKSHOP,
        &["board", "127.0.0.1:0", "--plain", "--state", state],
    )
}

/// The line the check printed about its report.
fn report_line(run: &Outcome) -> &str {
    run.stdout
        .lines()
        .find(|l| l.contains("看板"))
        .unwrap_or_else(|| panic!("no line about the board: {run:#?}"))
}

/// Sends report lines as a student's check does and returns the replies.
fn send(addr: SocketAddr, lines: &[String]) -> Vec<String> {
    let mut stream = TcpStream::connect_timeout(&addr, testkit::PATIENCE).unwrap();
    stream.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    let mut bytes = lines.join("\n");
    bytes.push('\n');
    stream.write_all(bytes.as_bytes()).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply.lines().map(String::from).collect()
}

/// The last table a board printed (plain mode), between its `=====` lines.
#[cfg(unix)]
fn last_table(stdout: &str) -> Vec<String> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("===== 看板"))
        .unwrap_or_else(|| panic!("no table in {stdout}"));
    lines[start + 1..]
        .iter()
        .take_while(|l| **l != "=====")
        .map(|l| l.to_string())
        .collect()
}

/// The table row of `name` (the name, then the cells), split on spaces.
#[cfg(unix)]
fn row(table: &[String], name: &str) -> Vec<String> {
    let line = table
        .iter()
        .find(|l| l.split("  ").next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name:?} in {table:#?}"));
    line.split_whitespace().map(String::from).collect()
}

/// Ctrl-C, as the teacher ends the board.
#[cfg(unix)]
fn interrupt(server: &Server) {
    let sent = Command::new("kill")
        .args(["-INT", &server.process.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// What the check's own output says about how the run ended, as the
/// report's `result=…` words: `pass`, `fail step=N` or `todo step=N` (the
/// step's TODO still returns “还没写”).
fn result_words(run: &Outcome) -> String {
    if run.status.success() {
        return "result=pass".to_string();
    }
    let step: usize = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("✗ ")?.split('/').next()?.parse().ok())
        .unwrap_or(0);
    let unwritten = run.stdout.contains("还没写");
    let kind = if unwritten && step > 0 {
        "todo"
    } else {
        "fail"
    };
    format!("result={kind} step={step}")
}

/// The learner's own exercise 1, whatever state it is in (untouched in CI,
/// solved on a learner's laptop): the report says what the check found.
#[test]
fn a_report_is_one_line_that_wiretap_shows_and_the_board_confirms() {
    let wiretap = testkit::program("wiretap");
    let dir = TempDir::new("board-wire");
    let teacher = board(&dir.file("state"));
    let tap = Server::start(&wiretap, &["127.0.0.1:0", &teacher.arg()]);
    let run = check(&dir, &["1", "--report", &tap.arg(), "--name", "小明"], &[]);
    assert!(
        report_line(&run).starts_with(&format!("已经告诉老师的看板（{}）：练习 1 ", tap.arg())),
        "{run:#?}"
    );
    // The text column of wiretap's dump, 16 bytes a line.
    let sent = tap.process.stdout_until("小明\\n");
    let text: String = sent
        .iter()
        .filter(|l| l.starts_with("    "))
        .map(|l| l.get(53..).unwrap_or_default())
        .collect();
    assert_eq!(
        text,
        format!(
            "report v=1 seq=1 ex=1 {} attempts=1 age=0 token=- name=小明\\n",
            result_words(&run)
        )
    );
    let replied = tap.process.stdout_until("服务器 → 客户端  FIN");
    assert!(
        replied.iter().any(|l| l.contains("  ok seq=1 token=")),
        "{replied:#?}"
    );
    let kept = std::fs::read_to_string(dir.join(".board")).unwrap();
    assert!(kept.contains(" 小明\n"), "the token is kept: {kept}");
    assert!(!kept.contains("\nkept "), "nothing left to send: {kept}");
}

#[test]
fn a_report_the_board_never_got_is_kept_and_goes_with_the_next() {
    let threaded = testkit::program("threaded-server");
    let dir = TempDir::new("board-kept");
    // Not the board: the concurrency chapter's server answers anything with 数据已收到.
    let wrong = Server::start(&threaded, &["127.0.0.1:0"]);
    let first = check(
        &dir,
        &["1", "--report", &wrong.arg(), "--name", "小刚"],
        &[],
    );
    assert_eq!(
        report_line(&first),
        format!(
            "没能告诉老师的看板（{} 的回复不是看板的回复（收到“数据已收到”）：它是老师运行的 cargo run -p workshop -- board 吗）。这次的结果记下了（还有 1 份没送到），下次检查时一起发送；检查的结果不受影响",
            wrong.arg()
        )
    );
    let teacher = board(&dir.file("state"));
    let second = check(
        &dir,
        &["1", "--report", &teacher.arg(), "--name", "小刚"],
        &[],
    );
    let line = report_line(&second);
    assert!(
        line.starts_with(&format!("已经告诉老师的看板（{}）：练习 1 ", teacher.arg())),
        "{line}"
    );
    assert!(line.ends_with("；之前没送到的 1 份也送到了"), "{line}");
    // The state file holds the second report (its attempt count is 2):
    // both arrived, oldest first.
    let state = std::fs::read_to_string(dir.join("state")).unwrap();
    let cell = state
        .lines()
        .find(|l| l.starts_with("cell 0 1 "))
        .unwrap_or_else(|| panic!("{state}"));
    let words: Vec<&str> = cell.split(' ').collect();
    let attempts = if words[3] == "pass" {
        words[4]
    } else {
        words[5]
    };
    assert_eq!(attempts, "2", "{cell}");
    assert!(
        state.contains(" first 2 "),
        "the row's last report is number 2: {state}"
    );
}

/// A board stopped with Ctrl-C and started again from its state file
/// keeps its rows and its tokens; `--export` writes the same table as CSV.
#[cfg(unix)]
#[test]
fn a_restarted_board_keeps_its_table_and_its_tokens() {
    let dir = TempDir::new("board-restart");
    let state = dir.file("state");
    let first = board(&state);
    let pass = report(1, "小明", None).replace("result=fail step=1", "result=pass");
    let replies = send(first.addr, &[pass]);
    let token = replies[0]
        .strip_prefix("ok seq=1 token=")
        .unwrap_or_else(|| panic!("{replies:?}"))
        .to_string();
    interrupt(&first);
    let stopped = first.process.finish();
    assert_eq!(stopped.status.code(), Some(0), "{stopped:#?}");
    assert!(
        stopped.stdout.ends_with(&format!(
            "看板停止了。状态保存在 {state}，再运行一次 board 会接着用。"
        )),
        "{}",
        stopped.stdout
    );
    assert_eq!(row(&last_table(&stopped.stdout), "小明")[1], "✓");

    let second = board(&state);
    second.process.stdout_line("（接着上次的 1 行）");
    let fail = report(2, "小明", Some(&token))
        .replace("ex=1 result=fail step=1", "ex=2 result=fail step=2");
    assert_eq!(
        send(second.addr, &[fail]),
        [format!("ok seq=2 token={token}")]
    );
    interrupt(&second);
    let stopped = second.process.finish();
    let table = last_table(&stopped.stdout);
    // One row: the token from the first board was good on the second.
    assert_eq!(
        table.iter().filter(|l| l.contains("小明")).count(),
        1,
        "{table:#?}"
    );
    // As many columns as the checker has exercises (counted from the titles).
    let titles = table.iter().find(|l| l.starts_with("学生  ")).unwrap();
    let exercises = titles
        .split_whitespace()
        .filter(|w| w.parse::<usize>().is_ok())
        .count();
    let mut expected = vec!["小明", "✓", "✗2·2"];
    expected.extend(vec!["·"; exercises - 2]);
    expected.extend(["2", "0分"]);
    assert_eq!(row(&table, "小明"), expected);

    let csv = dir.join("成绩.csv");
    let exported = Command::new(WORKSHOP)
        .args([
            "board",
            "--export",
            csv.to_str().unwrap(),
            "--state",
            &state,
        ])
        .output()
        .unwrap();
    assert!(exported.status.success(), "{exported:?}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with("\u{feff}\"学生\",\"备注\",\"地址\",\"练习 1\""));
    assert!(
        lines[1].starts_with(
            "\"小明\",\"\",\"127.0.0.1\",\"通过（检查了 1 次）\",\"第 2 步没通过（检查了 2 次）\",\"\""
        ),
        "{text}"
    );
}

/// A terminal that stops reading (Ctrl-S, a click into a Windows console,
/// a pipe nobody drains) blocks the board's writes. Here its stdout is a
/// pipe the test fills and does not read: the drawing thread blocks in
/// the kernel (Linux shows where in /proc), and reports are still
/// confirmed and written to the state file. Once the pipe is read again,
/// the latest table appears.
#[cfg(target_os = "linux")]
#[test]
fn reports_are_confirmed_while_nobody_reads_the_boards_screen() {
    use std::io::BufRead;
    use std::process::Stdio;

    use std::sync::mpsc;
    use std::thread;

    let dir = TempDir::new("board-paused");
    let state = dir.file("state");
    let (reader, writer) = std::io::pipe().unwrap();
    let child = Command::new(WORKSHOP)
        .args(["board", "127.0.0.1:0", "--plain", "--state", &state])
        .stdout(writer.try_clone().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let board = KillOnDrop(child);
    // Lines read from the pipe: the first at once, the rest only after `go`.
    let (lines, received) = mpsc::channel::<String>();
    let (go, gone) = mpsc::channel::<()>();
    thread::spawn(move || {
        let mut reader = std::io::BufReader::new(reader);
        let mut line = Vec::new();
        let mut first = true;
        while let Ok(n) = reader.read_until(b'\n', &mut line) {
            if n == 0
                || lines
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
            {
                break;
            }
            line.clear();
            if std::mem::take(&mut first) && gone.recv().is_err() {
                break;
            }
        }
    });
    let first = received.recv_timeout(testkit::PATIENCE).unwrap();
    let addr = testkit::address_in(first.trim_end()).unwrap();
    // Fill the pipe from this side: a megabyte, more than it holds, so
    // this thread blocks and so does the board's next write.
    let filler = thread::spawn(move || {
        let mut writer = writer;
        let chunk = [b'#'; 4096];
        for _ in 0..256 {
            if writer.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let token = {
        let replies = send(addr, &[report(1, "小明", None)]);
        let ok = replies[0].strip_prefix("ok seq=1 token=").unwrap();
        ok.to_string()
    };
    // Change the table until the drawing thread is stuck in a pipe write.
    let mut seq = 1;
    let stuck = process_runner::poll_until(deadline::after(testkit::PATIENCE), || {
        seq += 1;
        let replies = send(addr, &[report(seq, "小明", Some(&token))]);
        assert_eq!(replies, [format!("ok seq={seq} token={token}")]);
        Ok(blocked_in_pipe_write(board.0.id()).then_some(()))
    });
    if !matches!(stuck, Ok(Some(()))) {
        let why = "this kernel does not show in /proc where a thread waits (wchan)";
        assert!(std::env::var_os("CI").is_none(), "CI: {why}");
        testkit::skip(why);
        return;
    }
    // Stuck: and yet every report is confirmed, promptly, and saved.
    for n in 1..=2 {
        seq += 1;
        let name = format!("同学{n}");
        let (replies, took) = testkit::timed(|| send(addr, &[report(seq, &name, None)]));
        assert!(
            replies[0].starts_with(&format!("ok seq={seq} token=")),
            "{replies:?}"
        );
        assert!(
            took < Duration::from_secs(5),
            "confirmed only after {took:?}"
        );
    }
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains(" 同学2\n"), "{saved}");
    assert!(
        blocked_in_pipe_write(board.0.id()),
        "the screen was still stuck"
    );
    // Read the screen again: the newest table shows all three rows.
    go.send(()).unwrap();
    let shown = loop {
        match received.recv_timeout(testkit::PATIENCE) {
            Ok(line) if line.contains("===== 看板（3 行）=====") => break line,
            Ok(_) => {}
            Err(e) => panic!("the board's table never came: {e}"),
        }
    };
    assert!(shown.ends_with("=====\n"));
    drop(filler);
}

/// Whether a thread of process `pid` is waiting to write into a full pipe.
#[cfg(target_os = "linux")]
fn blocked_in_pipe_write(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("wchan")).is_ok_and(|w| w.contains("pipe_write"))
    })
}

fn report(seq: u64, name: &str, token: Option<&str>) -> String {
    format!(
        "report v=1 seq={seq} ex=1 result=fail step=1 attempts={seq} age=0 token={} name={name}",
        token.unwrap_or("-")
    )
}

/// A child killed when the test is done with it, however it ends.
#[cfg(target_os = "linux")]
struct KillOnDrop(std::process::Child);

#[cfg(target_os = "linux")]
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The board's port also answers a browser: the same table as a web page,
/// which a real Chromium loads and shows, every name escaped.
#[test]
fn a_browser_gets_the_same_table_as_a_web_page() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = TempDir::new("board-web");
    let teacher = board(&dir.file("state"));
    let addr = teacher.addr;
    let pass = report(1, "小明", None).replace("result=fail step=1", "result=pass");
    for (line, name) in [
        (pass, "小明"),
        (
            report(1, "<img src=x onerror=1>", None),
            "<img src=x onerror=1>",
        ),
    ] {
        let replies = send(addr, &[line]);
        assert!(
            replies[0].starts_with("ok seq=1 token="),
            "{name}: {replies:?}"
        );
    }
    let profile = TempDir::new("board-web-chromium");
    let mut command = Command::new(&chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        &format!("--user-data-dir={}", profile.path().display()),
        "--dump-dom",
        &format!("http://{addr}/"),
    ]);
    let running = Running::start(&mut command, "chromium", Output::Keep).unwrap();
    let finished = running.wait(testkit::PATIENCE.saturating_mul(2)).unwrap();
    assert!(finished.status.success(), "{:?}", finished.stderr);
    let dom = finished.stdout.join("\n");
    assert!(dom.contains(
        "<tr><td>小明</td><td class=\"passed\" title=\"通过（检查了 1 次）\">✓</td><td class=\"untouched\" title=\"\">·</td>"
    ), "{dom}");
    assert!(
        dom.contains("<tr><td>&lt;img src=x onerror=1&gt;</td><td class=\"failed\""),
        "{dom}"
    );
    assert!(!dom.contains("<img"), "a name became markup: {dom}");
    assert!(
        dom.contains("<p class=\"stuck\">卡住的：练习 1 第 1 步（"),
        "{dom}"
    );
}

/// The first of the usual names of Chromium that runs here.
fn chromium() -> Option<String> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(String::from);
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: Chromium is not installed"
        );
        testkit::skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)");
    }
    found
}
