//! 期限：整个对话共用一个截止时间，而不是每次读写各有一个超时。
//!
//! `set_read_timeout(Some(5 s))` limits ONE read. A peer that sends a byte
//! every 4 seconds never lets a single read time out, and anything that reads
//! more than once (a TLS handshake, a client reading a reply to the end) can
//! then be held open for as long as the peer likes. A deadline fixes the end
//! of the whole exchange once, at its start; before each read or write the
//! socket's timeout is set to what is left of it, so the last read gets only
//! the last few milliseconds.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The moment by which a whole exchange must be over.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    end: Instant,
    limit: Duration,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + limit,
            limit,
        }
    }

    /// The whole time this exchange was given, for messages ("5 秒内…").
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// What is left, as a socket timeout; a `TimedOut` error once the
    /// deadline has passed, so that `?` ends the exchange.
    ///
    /// A timeout of zero is not allowed by `set_read_timeout` (it would mean
    /// "wait forever" on some systems), so less than a millisecond counts as
    /// "passed" too.
    pub fn left(&self) -> io::Result<Duration> {
        let left = self.end.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(1) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(left)
    }

    /// Sets both of `stream`'s timeouts to what is left: for a program that
    /// reads or writes a few times itself and can call this before each.
    pub fn apply(&self, stream: &TcpStream) -> io::Result<()> {
        let left = self.left()?;
        stream.set_read_timeout(Some(left))?;
        stream.set_write_timeout(Some(left))
    }

    /// `stream`, with the deadline applied before every read and write: for
    /// code that does the reading for us, such as rustls's `complete_io`,
    /// which reads as often as the handshake needs.
    pub fn guard<'a>(&self, stream: &'a TcpStream) -> Guarded<'a> {
        Guarded {
            stream,
            deadline: *self,
        }
    }
}

/// A `TcpStream` whose every read and write ends at the same deadline.
pub struct Guarded<'a> {
    stream: &'a TcpStream,
    deadline: Deadline,
}

impl Read for Guarded<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.deadline.apply(self.stream)?;
        self.stream.read(buffer)
    }
}

impl Write for Guarded<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.deadline.apply(self.stream)?;
        self.stream.write(bytes)
    }

    /// rustls hands over several records at once (its last-gasp alert after a
    /// failed handshake comes second): pass them on in one `writev`, as
    /// `TcpStream` does, or the default would write only the first.
    fn write_vectored(&mut self, buffers: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.deadline.apply(self.stream)?;
        self.stream.write_vectored(buffers)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_deadline_is_a_timeout_not_a_zero_wait() {
        let deadline = Deadline::after(Duration::ZERO);
        let error = deadline.left().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        let later = Deadline::after(Duration::from_secs(60));
        assert!(later.left().unwrap() > Duration::from_secs(59));
        assert_eq!(later.limit(), Duration::from_secs(60));
    }
}
