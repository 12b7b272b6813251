//! Child processes and temporary folders that clean up after themselves.
//!
//! The workshop (which runs the chapter programs in front of a class) and
//! testkit (which runs them for the tests) both start programs, read what
//! they print, wait for a line or an exit with a deadline, and make
//! temporary folders. This crate does that once, for both:
//!
//! - [`Running`]: a child whose stdout and stderr are read line by line on
//!   two threads (and, if asked, echoed as `[label] line`). It can wait for a
//!   line containing some text, for the address a server prints on its first
//!   line, or for its exit, each with a deadline. Dropping it kills and reaps
//!   the child (with [`Running::start_group`], every process the child
//!   started, too).
//! - [`TempDir`]: a folder that is removed when dropped.
//! - [`cancel`]: one process-wide flag. A Ctrl-C handler sets it; every wait
//!   in this crate looks at it every [`TICK`] and returns
//!   [`Error::Cancelled`]. The waiting thread then unwinds like on any other
//!   error, and the `Drop`s above do the cleaning. There is no global list of
//!   children and no lock held until the process exits.
//! - [`deadline`]: every deadline the workshop and the tests wait with,
//!   derived in one place from the programs' own time limits.
//! - [`python()`]: which Python 3 runs the article's programs here
//!   (`python3`, `python`, or `py -3` on Windows).
//!
//! Cancellation is cooperative: a thread that blocks somewhere else (reading
//! stdin, joining worker threads) should wait through [`receive`] or
//! [`poll_until`], which look at the flag too.
//!
//! ```no_run
//! use std::process::Command;
//! use process_runner::{Output, Running, Stream, deadline};
//!
//! # fn main() -> Result<(), process_runner::Error> {
//! let server = Running::start(Command::new("tcp-server").arg("127.0.0.1:0"), "tcp-server", Output::Show)?;
//! let addr = server.address(deadline::STEP)?;
//! let client = Running::start(Command::new("tcp-client").arg(addr.to_string()), "tcp-client", Output::Show)?;
//! assert!(client.wait(deadline::STEP)?.status.success());
//! server.line(Stream::Stdout, "收到来自", deadline::STEP)?;
//! # Ok(())
//! # }
//! // Both children are killed and reaped here, whatever happened above.
//! ```

mod cancel;
mod cargo;
pub mod deadline;
mod error;
mod python;
mod running;
mod temp_dir;

pub use cancel::{Received, TICK, cancel, check, is_cancelled, poll_until, receive};
pub use cargo::{cargo_build_into, cargo_command};
pub use error::{Error, Waited};
pub use python::{Python, python};
pub use running::{DISCARD_AFTER, Exited, Finished, Output, Running, Stream, address_in};
pub use temp_dir::TempDir;
