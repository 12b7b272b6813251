//! The workshop tour, run as a user runs it: every chapter must succeed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use process_runner::deadline::{BUILD, TOUR};
use testkit::{run, run_within};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");

/// Runs the workshop with a tour's patience: it builds the chapters first,
/// then waits for each step with its own deadline (process_runner::deadline).
fn run_tour(args: &[&str]) -> testkit::Outcome {
    run_within(TOUR, WORKSHOP, args)
}

#[test]
fn the_whole_tour_succeeds_chapter_by_chapter() {
    let tour = run_tour(&[]);
    assert!(tour.status.success(), "{tour:#?}");
    for heading in [
        "===== tcp：",
        "===== udp：",
        "===== threaded：",
        "===== tls：",
        "===== event-loop：",
    ] {
        assert!(
            tour.stdout.contains(heading),
            "missing {heading}: {}",
            tour.stdout
        );
    }
    for label in [
        "[tcp-server]",
        "[tcp-client]",
        "[udp-server]",
        "[udp-client]",
    ] {
        assert!(tour.stdout.contains(label), "missing {label}");
    }
    assert!(
        tour.stdout
            .contains("[tcp-client] 收到服务器的响应: 数据已收到")
    );
    assert!(
        tour.stdout
            .contains("[udp-client] 收到 UDP 服务器的响应: UDP 数据已收到")
    );
    assert!(
        tour.stdout
            .contains("[tls-client] 收到服务器的响应: 数据已收到")
    );
    assert_eq!(tour.stdout.matches("[threaded-server] 收到来自").count(), 5);
    event_loop_served_five_beside_a_silent_client(&tour.stdout);
    for chapter in ["tcp", "udp", "threaded", "tls", "event-loop"] {
        assert!(
            tour.stdout.contains(&format!("✓ {chapter}（")),
            "{chapter} not ✓"
        );
    }
}

/// The event-loop chapter: five clients answered while the tour's own
/// silent connection was open, and the server's line about that one when
/// the tour hung up (or, on a machine so slow that the five took over 5 s,
/// about its deadline). Both name the silent client's address.
fn event_loop_served_five_beside_a_silent_client(stdout: &str) {
    assert!(
        stdout.contains("导览自己先连上 event-loop-server"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("[event-loop-server] 收到来自").count(), 5);
    for n in 1..=5 {
        let answered = format!("[tcp-client #{n}] 收到服务器的响应: 数据已收到");
        assert!(stdout.contains(&answered), "missing {answered}");
    }
    let silent = stdout.lines().find(|line| {
        line.starts_with("[event-loop-server] ")
            && (line.contains("没有发送数据就关闭了连接") || line.contains("通信时出错"))
    });
    assert!(
        silent.is_some(),
        "no line about the silent client: {stdout}"
    );
}

#[test]
fn the_event_loop_chapter_can_be_run_alone() {
    let tour = run_tour(&["event-loop"]);
    assert!(tour.status.success(), "{tour:#?}");
    assert!(tour.stdout.contains("✓ event-loop（"), "{}", tour.stdout);
    assert!(!tour.stdout.contains("===== threaded："));
    event_loop_served_five_beside_a_silent_client(&tour.stdout);
}

/// The tour builds its chapters with `cargo build --bins` (programs.rs),
/// which needs a package's normal and build dependencies only. tokio is
/// event-loop-server's dev-dependency, for the async example: it must not
/// be reachable that way, or every tour on a fresh clone would compile it.
#[test]
fn the_tour_does_not_need_tokio() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let manifest = manifest.display().to_string();
    let args = [
        "tree",
        "--offline",
        "--manifest-path",
        &manifest,
        "-p",
        "event-loop-server",
        "-e",
        "normal,build",
        "--prefix",
        "none",
    ];
    // cargo may wait for the package lock of a build another test started.
    let tree = run_within(BUILD, &cargo, &args);
    assert!(tree.status.success(), "{tree:#?}");
    let crates: Vec<&str> = tree
        .stdout
        .lines()
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert!(crates.contains(&"mio"), "{}", tree.stdout);
    assert!(!crates.contains(&"tokio"), "{}", tree.stdout);
}

#[test]
fn one_chapter_can_be_run_alone() {
    let tour = run_tour(&["udp"]);
    assert!(tour.status.success(), "{tour:#?}");
    assert!(tour.stdout.contains("✓ udp（"));
    assert!(!tour.stdout.contains("===== tcp："));
}

#[test]
fn a_server_that_cannot_start_fails_its_chapter_by_name() {
    // 192.0.2.1 is reserved for documentation: no machine owns it, so
    // binding there fails, and the server exits with its one-line error.
    let tour = run_tour(&["tcp", "--host", "192.0.2.1"]);
    assert!(!tour.status.success());
    let failure = tour
        .stdout
        .lines()
        .find(|l| l.starts_with("✗ tcp"))
        .unwrap_or_else(|| panic!("no failure line naming the chapter: {}", tour.stdout));
    assert!(failure.contains("tcp-server"), "{failure}");
    assert!(
        tour.stdout.contains("[tcp-server] 错误: 绑定地址时出错"),
        "{}",
        tour.stdout
    );
}

#[test]
fn unknown_chapters_and_help() {
    let typo = run(WORKSHOP, &["tpc"]);
    assert!(!typo.status.success());
    assert!(typo.stderr.contains("没有叫“tpc”的章节"), "{typo:?}");
    let help = run(WORKSHOP, &["--help"]);
    assert!(help.status.success());
    for word in [
        "tcp",
        "udp",
        "threaded",
        "tls",
        "event-loop",
        "bench",
        "load",
        "shapes",
        "starve",
    ] {
        assert!(help.stdout.contains(word), "--help lacks {word}");
    }
    let typo = run(WORKSHOP, &["bench", "shape"]);
    assert!(!typo.status.success());
    assert!(
        typo.stderr
            .contains("没有叫“shape”的基准测试；可选 threaded、tls、shapes、starve"),
        "{typo:?}"
    );
}

/// Ctrl-C in the middle of a chapter: the server it started must be gone and
/// the temporary certificate folder removed. The signal is sent to the
/// workshop alone (as an IDE's stop button does), not to its children, so
/// this checks the workshop's own clean-up.
#[cfg(unix)]
#[test]
fn ctrl_c_leaves_no_process_and_no_file_behind() {
    interrupt_leaves_nothing_behind("-INT");
}

/// `kill` (SIGTERM), which is what an IDE's stop button usually sends.
#[cfg(unix)]
#[test]
fn sigterm_leaves_no_process_and_no_file_behind() {
    interrupt_leaves_nothing_behind("-TERM");
}

#[cfg(unix)]
fn interrupt_leaves_nothing_behind(signal: &str) {
    use std::io::{BufRead, BufReader};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};

    // --step pauses after the server starts, waiting for Enter on stdin,
    // which this test holds open and never writes to.
    let mut workshop = Command::new(WORKSHOP)
        .args(["tls", "--step"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(workshop.stdout.take().unwrap());
    let mut server = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.starts_with("[tls-server] 等待") {
            server = testkit::address_in(&line);
        }
        if line.contains("按回车键") {
            break;
        }
    }
    let server = server.expect("the tour printed the TLS server's address");
    // process_runner::TempDir names its folders PREFIX-PID-XXXXXX.
    let own = format!("socket-workshop-{}-", workshop.id());
    let dir = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&own)
        })
        .expect("the tour's certificate folder");
    assert!(dir.join("server.crt").exists(), "certificate in {dir:?}");

    let interrupted = Command::new("kill")
        .args([signal, &workshop.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert_eq!(workshop.wait().unwrap().code(), Some(130));
    assert!(!dir.exists(), "{dir:?} was left behind");
    assert!(
        TcpStream::connect(server).is_err(),
        "tls-server still running"
    );
}
