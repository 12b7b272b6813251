//! Every deadline the workshop and the tests wait with, in one place.
//!
//! A deadline here is never a guess at how fast a machine is. Each one is
//! the time limit of the thing waited for, which the chapter programs set
//! themselves, plus a [`MARGIN`] for a machine busy with other work. So a
//! program that works always finishes before the deadline, even on a loaded
//! laptop, and a program that hangs still fails in bounded time.
//!
//! The programs' own limits (in `common`):
//! - a server drops a peer that is silent for `IO_TIMEOUT` = 5 s;
//! - a client gives up on a reply after `CLIENT_TIMEOUT` = 10 s.
//!
//! ```text
//! STEP  = max(5 s, 10 s) + MARGIN 20 s                     =  30 s
//! TOUR  = BUILD 300 s + 5 chapters × 3 steps × 30 s + 20 s = 770 s
//! ```

use std::time::{Duration, Instant};

/// A server's own limit: it drops a peer that is silent this long.
pub const SERVER_LIMIT: Duration = common::IO_TIMEOUT;

/// A client's own limit: it gives up on a reply after this long.
pub const CLIENT_LIMIT: Duration = common::CLIENT_TIMEOUT;

/// What a busy machine may add to one step: starting a process (exec,
/// loading, first page faults of a debug build) and getting a core for it
/// while other builds hold both. Measured on the 2-core test machine with a
/// `cargo build --release` looping beside it (load average 8 to 10): in 40
/// starts, `tls-server` printed its address within 0.11 s; in 20 runs, a
/// whole one-chapter tour (`workshop udp`, cargo's no-op build included)
/// ended within 1.6 s. 20 s is more than ten times the worst of those.
pub const MARGIN: Duration = Duration::from_secs(20);

/// One step of a chapter program: it starts and prints its first line, or
/// a client finishes its exchange, or a server prints the line about a
/// request. Each ends at the latest when the program's own longest limit
/// fires (the client's 10 s; the server's 5 s is shorter), so:
/// 10 s + 20 s = 30 s.
pub const STEP: Duration = longer(SERVER_LIMIT, CLIENT_LIMIT).saturating_add(MARGIN);

/// The tour's build of the chapter programs, in tests (no downloads: cargo
/// fetched every crate when it built the workshop). A clean debug build of
/// every chapter took 11 s on the idle 2-core test machine (ring's C code,
/// rustls, rcgen). With the cores shared three ways by another build, ×3;
/// on a laptop three times slower, ×3 again: about 100 s. The tests start
/// several tours at once, and each cargo waits for the one holding the
/// target folder's lock: that can double it. 300 s covers the 200 s.
pub const BUILD: Duration = Duration::from_secs(300);

/// Chapters in the tour (the workshop checks its list against this).
pub const TOUR_CHAPTERS: u32 = 5;

/// Steps in one tour chapter: the server starts, its client finishes (the
/// threaded chapter's five clients run at once and share one deadline), the
/// server prints its line about it (all five share one deadline too).
pub const STEPS_PER_CHAPTER: u32 = 3;

/// A whole tour, from the workshop's start to its exit: its build, every
/// chapter's steps, and one margin for starting and ending the workshop
/// itself: 300 s + 5 × 3 × 30 s + 20 s = 770 s.
pub const TOUR: Duration = BUILD
    .saturating_add(STEP.saturating_mul(TOUR_CHAPTERS * STEPS_PER_CHAPTER))
    .saturating_add(MARGIN);

/// After a Ctrl-C, how long the workshop's signal handler lets the main
/// thread clean up before ending the process itself. The main thread sees
/// the cancel within a [`TICK`](crate::TICK) (50 ms) of any wait; killing
/// its children and removing its folders takes milliseconds. 5 s is a
/// hundred times that, and still short enough for someone pressing Ctrl-C.
pub const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// Patience for a wait with no deadline: only the end of what is waited for,
/// or a cancel, ends it (a build that may be downloading over slow Wi-Fi).
pub const FOREVER: Duration = Duration::MAX;

/// The instant `patience` from now; `None` (no deadline) for [`FOREVER`].
pub fn after(patience: Duration) -> Option<Instant> {
    Instant::now().checked_add(patience)
}

const fn longer(a: Duration, b: Duration) -> Duration {
    if a.as_nanos() > b.as_nanos() { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arithmetic_in_the_comments() {
        assert_eq!(STEP, Duration::from_secs(30));
        assert_eq!(TOUR, Duration::from_secs(770));
        assert!(STEP > CLIENT_LIMIT && STEP > SERVER_LIMIT);
        assert_eq!(after(FOREVER), None);
    }
}
