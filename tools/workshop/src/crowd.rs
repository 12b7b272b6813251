//! 一群一言不发的客户端：连上服务器之后什么也不发；被断开时，按需要立刻重连。
//!
//! The benchmarks need thousands of such clients at once: 10,000 idle
//! connections to see what holding them costs a server, and a growing number
//! of "silent, reconnecting" clients to see when a good client stops being
//! served. A thread per client would make the benchmark itself the thing
//! measured, so this is one thread watching every socket with readiness
//! events, through the same `mio` that `event-loop-server` uses: the bench is
//! built the way that chapter teaches.
//!
//! New connections are started [`BATCH`] per millisecond, so that a crowd of
//! 10,000 arrives over about half a second rather than in one instant. All
//! at once, they would overflow the server's accept queue (128 with std):
//! the system would then drop handshakes, and those clients would come in
//! one, three, seven seconds later, after the measurement. Reconnections go
//! through the same queue, so a client the server drops is back a moment
//! later.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use process_runner::{Error, deadline};

/// New connections started per millisecond: 16,000 a second, faster than a
/// class and slower than a server on one core accepts them.
const BATCH: usize = 16;
/// The pace of the batches.
const BATCH_EVERY: Duration = Duration::from_millis(1);
/// After a failed `connect` (out of ports or file descriptors), the crowd
/// waits this long before starting more, instead of failing in a spin.
const CONNECT_REST: Duration = Duration::from_millis(100);
/// How long `poll` may sleep: the stop flag is looked at this often.
const LOOK_AT_STOP: Duration = Duration::from_millis(50);

/// What the crowd does when the server closes one of its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenDropped {
    /// Connect again at once: the client that will not go away.
    Reconnect,
    /// Stay away: the crowd shrinks.
    Leave,
}

/// The crowd's running totals, shared with its thread.
#[derive(Debug, Default)]
struct Counts {
    /// Connections established now (the client's side: the server may not
    /// have accepted them yet).
    connected: AtomicUsize,
    /// Connections the server closed that were opened again.
    reconnects: AtomicU64,
    /// `connect` calls that failed or were refused.
    failures: AtomicU64,
    /// Set when the thread stopped on its own: `poll` itself failed.
    broken: AtomicBool,
}

/// Silent clients of one server, on a thread of their own until dropped.
pub struct Crowd {
    size: usize,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What a crowd did, read when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub reconnects: u64,
    pub failures: u64,
    /// The thread stopped early because waiting for events failed.
    pub broken: bool,
}

impl Crowd {
    /// Starts `size` silent clients of `server`.
    pub fn start(server: SocketAddr, size: usize, when_dropped: WhenDropped) -> io::Result<Crowd> {
        let poll = Poll::new()?;
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let members = Members {
            poll,
            server,
            when_dropped,
            sockets: HashMap::new(),
            last_token: 0,
            to_open: size,
            next_batch: Instant::now(),
            counts: Arc::clone(&counts),
        };
        let flag = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("silent-crowd".into())
            .spawn(move || members.run(&flag))?;
        Ok(Crowd {
            size,
            counts,
            stop,
            thread: Some(thread),
        })
    }

    /// How many of the clients are connected right now.
    pub fn connected(&self) -> usize {
        self.counts.connected.load(Ordering::Relaxed)
    }

    /// Waits until every client has connected once, or `patience` has
    /// passed; returns how many are connected. Ctrl-C ends the wait.
    pub fn wait_until_connected(&self, patience: Duration) -> Result<usize, Error> {
        let all = || Ok((self.connected() >= self.size).then_some(()));
        process_runner::poll_until(deadline::after(patience), all)?;
        Ok(self.connected())
    }

    /// Closes every connection and says what the crowd did.
    pub fn stop(mut self) -> Summary {
        self.finish();
        Summary {
            reconnects: self.counts.reconnects.load(Ordering::Relaxed),
            failures: self.counts.failures.load(Ordering::Relaxed),
            broken: self.counts.broken.load(Ordering::Relaxed),
        }
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread only counts; if it panicked, its counts are what they are.
            let _ = thread.join();
        }
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Everything the crowd's thread owns. Its sockets close when it ends.
struct Members {
    poll: Poll,
    server: SocketAddr,
    when_dropped: WhenDropped,
    sockets: HashMap<Token, Member>,
    last_token: usize,
    /// Clients waiting to (re)connect.
    to_open: usize,
    /// When the next batch of connections may start.
    next_batch: Instant,
    counts: Arc<Counts>,
}

struct Member {
    socket: TcpStream,
    connected: bool,
}

/// Where a non-blocking `connect` has got to.
enum Connecting {
    Pending,
    Connected,
    Failed,
}

impl Members {
    fn run(mut self, stop: &AtomicBool) {
        let mut events = Events::with_capacity(1024);
        while !stop.load(Ordering::Relaxed) {
            self.open_some();
            let wait = if self.to_open > 0 {
                self.next_batch.saturating_duration_since(Instant::now())
            } else {
                LOOK_AT_STOP
            };
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                self.counts.broken.store(true, Ordering::Relaxed);
                return;
            }
            for event in events.iter() {
                self.handle(event.token());
            }
        }
    }

    /// Starts up to [`BATCH`] of the waiting connections, if it is time.
    fn open_some(&mut self) {
        let now = Instant::now();
        if self.to_open == 0 || now < self.next_batch {
            return;
        }
        self.next_batch = now + BATCH_EVERY;
        for _ in 0..BATCH.min(self.to_open) {
            if self.open_one().is_err() {
                self.counts.failures.fetch_add(1, Ordering::Relaxed);
                self.next_batch = now + CONNECT_REST;
                return;
            }
            self.to_open -= 1;
        }
    }

    /// A non-blocking `connect`, registered for the event that says how it went.
    fn open_one(&mut self) -> io::Result<()> {
        let mut socket = TcpStream::connect(self.server)?;
        self.last_token += 1;
        let token = Token(self.last_token);
        let interest = Interest::READABLE | Interest::WRITABLE;
        self.poll
            .registry()
            .register(&mut socket, token, interest)?;
        let member = Member {
            socket,
            connected: false,
        };
        self.sockets.insert(token, member);
        Ok(())
    }

    /// One socket is ready: its `connect` has finished, or the server closed it.
    fn handle(&mut self, token: Token) {
        let Some(member) = self.sockets.get_mut(&token) else {
            return;
        };
        if !member.connected {
            match connecting(&member.socket) {
                Connecting::Pending => return,
                Connecting::Failed => return self.drop_member(token),
                Connecting::Connected => {
                    member.connected = true;
                    self.counts.connected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        // Silent clients never send; what they read is the server's close
        // (0 bytes, or a reset). Anything else the server says is ignored.
        let mut scratch = [0; 256];
        loop {
            match member.socket.read(&mut scratch) {
                Ok(0) => return self.drop_member(token),
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return self.drop_member(token),
            }
        }
    }

    /// The server closed this connection, or refused it: close our end, and
    /// queue a new one if the crowd reconnects.
    fn drop_member(&mut self, token: Token) {
        let Some(mut member) = self.sockets.remove(&token) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut member.socket);
        if member.connected {
            self.counts.connected.fetch_sub(1, Ordering::Relaxed);
            if self.when_dropped == WhenDropped::Reconnect {
                self.counts.reconnects.fetch_add(1, Ordering::Relaxed);
            }
        } else {
            self.counts.failures.fetch_add(1, Ordering::Relaxed);
        }
        if self.when_dropped == WhenDropped::Reconnect {
            self.to_open += 1;
        }
    }
}

/// The steps mio's documentation gives for a non-blocking connect: an error
/// stored on the socket means it failed; a peer address means it is done;
/// no peer address yet (`NotConnected`, or "in progress" on some systems)
/// means it is still going, and a failure will come as an event of its own.
fn connecting(socket: &TcpStream) -> Connecting {
    match socket.take_error() {
        Ok(None) => {}
        Ok(Some(_)) | Err(_) => return Connecting::Failed,
    }
    match socket.peer_addr() {
        Ok(_) => Connecting::Connected,
        Err(_) => Connecting::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream as StdStream};

    /// The next connection, waited for with a deadline instead of for ever.
    fn accept(listener: &TcpListener) -> StdStream {
        listener.set_nonblocking(true).unwrap();
        let next = process_runner::poll_until(deadline::after(deadline::STEP), || {
            Ok(listener.accept().ok())
        });
        let (connection, _) = next.unwrap().expect("the crowd connected in time");
        connection.set_nonblocking(false).unwrap();
        connection
    }

    /// A listener that accepts and keeps every connection: the whole crowd
    /// connects, and stopping it closes them all.
    #[test]
    fn a_crowd_connects_and_says_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let crowd = Crowd::start(listener.local_addr().unwrap(), 20, WhenDropped::Leave).unwrap();
        let mut accepted = Vec::new();
        for _ in 0..20 {
            accepted.push(accept(&listener));
        }
        assert_eq!(crowd.wait_until_connected(deadline::STEP).unwrap(), 20);
        // Not one byte arrives from a silent client; the first read sees the close.
        drop(crowd);
        for mut connection in accepted {
            connection.set_read_timeout(Some(deadline::STEP)).unwrap();
            let mut byte = [0; 1];
            assert_eq!(connection.read(&mut byte).unwrap(), 0);
        }
    }

    /// Each connection the server closes comes back.
    #[test]
    fn a_reconnecting_crowd_comes_back() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let crowd =
            Crowd::start(listener.local_addr().unwrap(), 3, WhenDropped::Reconnect).unwrap();
        // Three arrive; the server closes each as it comes; three more arrive.
        for _ in 0..6 {
            drop(accept(&listener));
        }
        let summary = crowd.stop();
        assert!(summary.reconnects >= 3, "{summary:?}");
        assert!(!summary.broken);
    }
}
