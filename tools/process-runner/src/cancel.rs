//! Cancellation: one flag that every wait in this crate looks at.
//!
//! A signal handler must not clean up itself: it runs on another thread
//! while the main thread may be starting a child or making a folder at that
//! very moment. It sets the flag instead; the main thread's next wait sees it
//! within a [`TICK`], returns [`Error::Cancelled`], and the error unwinds the
//! main thread through the `Drop`s that kill the children and remove the
//! folders.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::Error;

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// How often a wait looks at the flag: a Ctrl-C is noticed within this,
/// and looking costs nothing measurable.
pub const TICK: Duration = Duration::from_millis(50);

/// Makes every wait in this process return [`Error::Cancelled`], now and
/// from now on, and every [`Running::start`](crate::Running::start) refuse to
/// start another child. Only stores a flag, so a signal handler may call it.
pub fn cancel() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Whether [`cancel`] has been called.
pub fn is_cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// `Err(Error::Cancelled)` once [`cancel`] has been called.
pub fn check() -> Result<(), Error> {
    if is_cancelled() {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// What [`receive`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<T> {
    Value(T),
    /// Every sender is gone (for a child's output: the pipe closed).
    Closed,
    /// The deadline came first.
    TimedOut,
}

/// Waits for the next value on `rx` until `deadline` (`None`: no deadline),
/// looking at the cancel flag every [`TICK`].
pub fn receive<T>(rx: &Receiver<T>, deadline: Option<Instant>) -> Result<Received<T>, Error> {
    loop {
        check()?;
        // Zero once the deadline has passed: a value already waiting is
        // still taken, and then the wait ends.
        let tick = next_tick(deadline);
        match rx.recv_timeout(tick.unwrap_or(Duration::ZERO)) {
            Ok(value) => return Ok(Received::Value(value)),
            Err(RecvTimeoutError::Disconnected) => return Ok(Received::Closed),
            Err(RecvTimeoutError::Timeout) if tick.is_none() => return Ok(Received::TimedOut),
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Calls `step` every [`TICK`] until it gives a value, the `deadline` passes
/// (`Ok(None)`), or the run is cancelled.
pub fn poll_until<T>(
    deadline: Option<Instant>,
    mut step: impl FnMut() -> Result<Option<T>, Error>,
) -> Result<Option<T>, Error> {
    loop {
        check()?;
        if let Some(value) = step()? {
            return Ok(Some(value));
        }
        let Some(tick) = next_tick(deadline) else {
            return Ok(None);
        };
        thread::sleep(tick);
    }
}

/// How long to sleep before looking again: a [`TICK`], or what is left
/// before the deadline if that is shorter; `None` once it has passed.
fn next_tick(deadline: Option<Instant>) -> Option<Duration> {
    let Some(deadline) = deadline else {
        return Some(TICK);
    };
    let left = deadline.saturating_duration_since(Instant::now());
    (!left.is_zero()).then(|| left.min(TICK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_waiting_value_is_taken_even_at_the_deadline() {
        let (tx, rx) = mpsc::channel();
        tx.send(7).unwrap();
        assert_eq!(
            receive(&rx, Some(Instant::now())).unwrap(),
            Received::Value(7)
        );
        assert_eq!(
            receive(&rx, Some(Instant::now())).unwrap(),
            Received::TimedOut
        );
        drop(tx);
        assert_eq!(receive(&rx, None).unwrap(), Received::Closed);
    }

    #[test]
    fn polling_stops_at_the_deadline() {
        let mut calls = 0;
        let deadline = Instant::now() + TICK * 3;
        let got: Option<()> = poll_until(Some(deadline), || {
            calls += 1;
            Ok(None)
        })
        .unwrap();
        assert_eq!(got, None);
        assert!(Instant::now() >= deadline);
        assert!(calls >= 2, "{calls}");
    }
}
