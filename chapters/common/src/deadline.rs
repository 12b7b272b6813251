//! 期限：整个对话共用一个截止时间，而不是每次读写各有一个超时。
//!
//! `set_read_timeout(Some(5 s))` limits ONE read. A peer that sends a byte
//! every 4 seconds never lets a single read time out, and anything that reads
//! more than once (a TLS handshake, a client reading a reply to the end) can
//! then be held open for as long as the peer likes. A deadline fixes the end
//! of the whole exchange once, at its start; before each read the socket's
//! read timeout, and before each write its write timeout, is set to what is
//! left of it, so the last read gets only the last few milliseconds.

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

    /// Sets `stream`'s read timeout to what is left: call it right before
    /// a read. Only the read timeout, because the read is the only call it
    /// is for; each setting is a system call, paid on every request.
    pub fn before_read(&self, stream: &TcpStream) -> io::Result<()> {
        stream.set_read_timeout(Some(self.left()?))
    }

    /// Sets `stream`'s write timeout to what is left: call it right before
    /// a write (`write_all` too).
    pub fn before_write(&self, stream: &TcpStream) -> io::Result<()> {
        stream.set_write_timeout(Some(self.left()?))
    }

    /// Sets both timeouts to what is left, for code that does not know
    /// which comes next (the exercises' first version). Where it is known,
    /// [`Deadline::before_read`] or [`Deadline::before_write`] costs one
    /// system call instead of two.
    pub fn apply(&self, stream: &TcpStream) -> io::Result<()> {
        self.before_read(stream)?;
        self.before_write(stream)
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
        self.deadline.before_read(self.stream)?;
        self.stream.read(buffer)
    }
}

impl Write for Guarded<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.deadline.before_write(self.stream)?;
        self.stream.write(bytes)
    }

    /// rustls hands over several records at once (its last-gasp alert after a
    /// failed handshake comes second): pass them on in one `writev`, as
    /// `TcpStream` does, or the default would write only the first.
    fn write_vectored(&mut self, buffers: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.deadline.before_write(self.stream)?;
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
