//! The Python that `process_runner::python` finds, run for real. Here, and
//! not beside the code, so that a missing Python is a skip by the one rule
//! every test follows (`testkit::python3`: a note, or a failure under CI).

use process_runner::{Output, Running, deadline};

#[test]
fn the_python_found_here_runs_with_utf_8_output() {
    let Some(python) = testkit::python3() else {
        return;
    };
    let mut command = python.command();
    command.args([
        "-c",
        "import sys; print(sys.flags.utf8_mode); print(sys.stdout.encoding); print('等待客户端连接...')",
    ]);
    // On Linux a pipe is UTF-8 anyway, so the encoding alone could not show
    // that Running sets PYTHONUTF8=1 (which Windows needs). UTF-8 mode
    // (sys.flags.utf8_mode) shows it: in a UTF-8 locale Python does not
    // turn it on by itself (only in the C locale, PEP 540), and no
    // PYTHONUTF8 of this test's own environment is passed on.
    command.env("LC_ALL", "C.UTF-8").env_remove("PYTHONUTF8");
    let finished = Running::start(&mut command, "python", Output::Keep)
        .unwrap()
        .wait(deadline::STEP)
        .unwrap();
    assert!(finished.status.success(), "{finished:?}");
    assert_eq!(finished.stdout, ["1", "utf-8", "等待客户端连接..."]);
}
