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
        "import sys; print(sys.stdout.encoding); print('等待客户端连接...')",
    ]);
    let finished = Running::start(&mut command, "python", Output::Keep)
        .unwrap()
        .wait(deadline::STEP)
        .unwrap();
    assert!(finished.status.success(), "{finished:?}");
    assert_eq!(finished.stdout, ["utf-8", "等待客户端连接..."]);
}
