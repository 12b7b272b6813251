//! Cancelling: in a test binary of its own, because the flag is process-wide
//! and would cancel every other test running beside it.

use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use process_runner::{Error, Output, Running, TempDir, deadline};

const FIXTURE: &str = env!("CARGO_BIN_EXE_process-runner-fixture");

#[test]
fn a_cancel_ends_every_wait_and_the_drops_clean_up() {
    let dir = TempDir::new("process-runner-cancel").unwrap();
    let folder = dir.path().to_path_buf();
    let server =
        Running::start(Command::new(FIXTURE).arg("listen"), "server", Output::Keep).unwrap();
    let addr = server.address(deadline::STEP).unwrap();

    let started = Instant::now();
    let canceller = thread::spawn(|| {
        thread::sleep(Duration::from_millis(300));
        process_runner::cancel();
    });
    // A wait with no deadline at all: only the cancel can end it.
    let waited = (|| -> Result<(), Error> {
        let _dir = dir;
        server.wait(deadline::FOREVER)?;
        Ok(())
    })();
    canceller.join().unwrap();

    assert!(matches!(waited, Err(Error::Cancelled)), "{waited:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!folder.exists(), "{folder:?} left behind");
    assert!(TcpStream::connect(addr).is_err(), "server still running");
    let refused = Running::start(Command::new(FIXTURE).arg("sleep"), "late", Output::Keep);
    assert!(
        matches!(refused, Err(Error::Cancelled)),
        "started after the cancel"
    );
}
