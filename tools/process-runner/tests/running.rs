//! The runner against a real child (the fixture binary beside these tests).

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use process_runner::{DISCARD_AFTER, Error, Output, Running, Stream, Waited, deadline};

const FIXTURE: &str = env!("CARGO_BIN_EXE_process-runner-fixture");

fn fixture(args: &[&str]) -> Command {
    let mut command = Command::new(FIXTURE);
    command.args(args);
    command
}

#[test]
fn lines_arrive_in_order_and_the_rest_come_with_the_exit() {
    let child = Running::start(&mut fixture(&["lines", "5"]), "five", Output::Keep).unwrap();
    assert_eq!(
        child.line(Stream::Stdout, "2", deadline::STEP).unwrap(),
        "line 2"
    );
    let finished = child.wait(deadline::STEP).unwrap();
    assert!(finished.status.success());
    assert_eq!(finished.stdout, ["line 3", "line 4", "line 5"]);
    assert!(finished.stderr.is_empty());
}

#[test]
fn a_failing_child_reports_its_status_and_stderr() {
    let child = Running::start(&mut fixture(&["fail", "出错了"]), "fail", Output::Keep).unwrap();
    let finished = child.wait(deadline::STEP).unwrap();
    assert_eq!(finished.status.code(), Some(3));
    assert_eq!(finished.stderr, ["出错了"]);
}

#[test]
fn waiting_for_a_line_that_never_comes_ends_when_the_child_does() {
    let child = Running::start(&mut fixture(&["lines", "2"]), "two", Output::Keep).unwrap();
    match child.line(Stream::Stdout, "line 9", deadline::STEP) {
        Err(Error::Closed { waited, seen, .. }) => {
            assert_eq!(waited, Waited::Line("line 9".into()));
            assert_eq!(seen, ["line 1", "line 2"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wait_past_its_deadline_says_what_it_waited_for() {
    let child = Running::start(&mut fixture(&["sleep"]), "睡着的程序", Output::Keep).unwrap();
    let error = child
        .line(Stream::Stdout, "醒了", Duration::from_millis(200))
        .unwrap_err();
    assert!(matches!(error, Error::TimedOut { .. }), "{error:?}");
    assert_eq!(error.to_string(), "睡着的程序 在 0 秒内没有打印“醒了”");
    let error = child.wait(Duration::from_millis(200)).unwrap_err();
    assert_eq!(error.to_string(), "睡着的程序 在 0 秒内没有结束");
}

#[test]
fn a_server_is_reached_at_its_address_and_gone_once_dropped() {
    let server = Running::start(&mut fixture(&["listen"]), "server", Output::Keep).unwrap();
    let addr = server.address(deadline::STEP).unwrap();
    TcpStream::connect(addr).unwrap();
    drop(server);
    assert!(TcpStream::connect(addr).is_err(), "still listening");
}

/// By the time a wait reports that the child exited, everything it printed
/// has been read (and echoed): the reason for the failure comes first.
#[test]
fn a_server_that_exits_has_said_why_by_the_time_its_failure_is_reported() {
    let child =
        Running::start(&mut fixture(&["fail-lines", "20000"]), "fail", Output::Keep).unwrap();
    let error = child.address(deadline::STEP).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Closed {
                waited: Waited::Address,
                ..
            }
        ),
        "{error:?}"
    );
    let said = child.lines_so_far(Stream::Stderr);
    assert_eq!(said.len(), 20000);
    assert_eq!(said[19999], "error 20000");
}

#[test]
fn a_first_line_without_an_address_is_an_error() {
    let child = Running::start(&mut fixture(&["lines", "1"]), "lines", Output::Keep).unwrap();
    let error = child.address(deadline::STEP).unwrap_err();
    assert!(
        matches!(&error, Error::NoAddress { line, .. } if line == "line 1"),
        "{error:?}"
    );
}

#[test]
fn discard_keeps_only_the_first_lines() {
    let child = Running::start(&mut fixture(&["lines", "1000"]), "many", Output::Discard).unwrap();
    let finished = child.wait(deadline::STEP).unwrap();
    assert!(finished.status.success());
    assert_eq!(finished.stdout.len(), DISCARD_AFTER);
    assert_eq!(finished.stdout[0], "line 1");
}

#[test]
fn input_is_written_and_closed() {
    let mut command = fixture(&["cat"]);
    let child = Running::start_with_input(&mut command, "cat", Output::Keep, "一\n二\n".as_bytes())
        .unwrap();
    assert_eq!(child.wait(deadline::STEP).unwrap().stdout, ["一", "二"]);
}

#[test]
fn bytes_that_are_not_utf8_do_not_stop_the_reading() {
    let child = Running::start(&mut fixture(&["not-utf8"]), "bytes", Output::Keep).unwrap();
    assert_eq!(
        child.wait(deadline::STEP).unwrap().stdout,
        ["ok \u{FFFD}\u{FFFD} end"]
    );
}

#[test]
fn a_program_that_cannot_start_is_named() {
    let error =
        Running::start(&mut Command::new("/no/such/program"), "幽灵", Output::Keep).unwrap_err();
    assert!(matches!(error, Error::Start { .. }));
    assert!(error.to_string().starts_with("无法启动 幽灵："), "{error}");
}

#[test]
fn is_running_follows_the_child() {
    let mut child = Running::start(&mut fixture(&["sleep"]), "sleep", Output::Keep).unwrap();
    assert!(child.is_running());
    let mut done = Running::start(&mut fixture(&["lines", "0"]), "done", Output::Keep).unwrap();
    assert_eq!(
        done.next_line(Stream::Stdout, deadline::STEP).unwrap(),
        None
    );
    process_runner::poll_until(deadline::after(deadline::STEP), || {
        Ok((!done.is_running()).then_some(()))
    })
    .unwrap()
    .expect("the child exited");
    child.stop_reading(Stream::Stdout);
    assert!(child.lines_so_far(Stream::Stdout).is_empty());
}

/// Dropping a group leader kills what it started, too.
#[cfg(target_os = "linux")]
#[test]
fn a_group_dies_with_its_leader() {
    let parent = Running::start_group(&mut fixture(&["parent"]), "parent", Output::Keep).unwrap();
    let line = parent
        .line(Stream::Stdout, "child ", deadline::STEP)
        .unwrap();
    let grandchild = line.trim_start_matches("child ").to_string();
    assert!(alive(&grandchild), "grandchild {grandchild} not running");
    drop(parent);
    let gone = process_runner::poll_until(deadline::after(deadline::STEP), || {
        Ok((!alive(&grandchild)).then_some(()))
    });
    assert!(
        gone.unwrap().is_some(),
        "grandchild {grandchild} outlived its group"
    );
}

/// Running, not a zombie waiting to be reaped by whoever adopted it.
#[cfg(target_os = "linux")]
fn alive(pid: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
}

/// A child that prints without end cannot grow our memory: what comes past
/// the limit is counted, and a line longer than the limit is cut.
#[test]
fn capped_output_keeps_at_most_the_limit_and_counts_the_rest() {
    let child = Running::start(
        &mut fixture(&["flood", "1000000"]),
        "flood",
        Output::Capped(1000),
    )
    .unwrap();
    let exited = child
        .wait_for_exit(deadline::STEP, deadline::MARGIN)
        .unwrap();
    let finished = exited.finished;
    assert!(finished.status.success());
    assert_eq!(finished.stdout, ["x".repeat(1000)]);
    assert!(!exited.held_open);
}

#[test]
fn capped_output_counts_what_it_threw_away() {
    let child = Running::start(
        &mut fixture(&["flood", "100000"]),
        "flood",
        Output::Capped(100),
    )
    .unwrap();
    let line = child.next_line(Stream::Stdout, deadline::STEP).unwrap();
    assert_eq!(line.as_deref(), Some("x".repeat(100).as_str()));
    assert_eq!(
        child.next_line(Stream::Stdout, deadline::STEP).unwrap(),
        None
    );
    // 100,000 x's, the line break and `end` with its line break, less the 100 kept.
    assert_eq!(child.dropped(Stream::Stdout), 100_000 + 1 + 4 - 100);
}

/// A child that exits while a process it started holds its output open is
/// reported as exited (not as hanging), and that process dies with the drop.
#[cfg(target_os = "linux")]
#[test]
fn a_child_whose_output_outlives_it_is_seen_to_exit() {
    let parent = Running::start_contained(&mut fixture(&["leave"]), "leave", Output::Keep).unwrap();
    let exited = parent
        .wait_for_exit(deadline::STEP, std::time::Duration::from_millis(300))
        .unwrap();
    assert!(exited.finished.status.success());
    assert!(exited.held_open);
    let grandchild = exited.finished.stdout[0]
        .trim_start_matches("child ")
        .to_string();
    // wait_for_exit consumed the Running, and its drop ended the group.
    let gone = process_runner::poll_until(deadline::after(deadline::STEP), || {
        Ok((!alive(&grandchild)).then_some(()))
    });
    assert!(
        gone.unwrap().is_some(),
        "grandchild {grandchild} outlived its contained group"
    );
}
