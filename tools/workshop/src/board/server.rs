//! The board's network side: one thread, one event loop (the design of the
//! event-loop chapter, with mio), every connection non-blocking, so that no
//! client can hold up another.
//!
//! What a classroom can throw at it, and what stops it:
//! - **a flood of connections** from one computer: at most
//!   [`CONNECTIONS_PER_COMPUTER`] open at once per address; the rest are
//!   accepted and closed at once (and counted), so the system's queue of
//!   waiting connections keeps moving and other students get in. The loop
//!   accepts at most [`ACCEPTS_PER_ROUND`] per round before it serves the
//!   connections it has;
//! - **a slow sender**: every connection must be done
//!   [`EXCHANGE`] after it was accepted (one deadline for the whole
//!   exchange, not per read), then it is closed;
//! - **a flood of reports**: each computer may send [`REPORTS_BURST`] at
//!   once and one a second after that; past it the reply is `busy` (the
//!   student's check keeps the report and sends it later); at most
//!   [`LINES_PER_CONNECTION`] lines per connection;
//! - **made-up names**: a computer may add at most
//!   `table::NAMES_PER_COMPUTER` rows;
//! - **long or broken lines**: a line may be at most
//!   `protocol::LONGEST_LINE` bytes; anything that is not a report is
//!   refused, counted, and shown under the table as counts per address.
//!
//! Replies `ok` wait until the state holding the report is on disk (the
//! writer thread wakes the loop through a mio `Waker`); the screen is drawn
//! by a thread of its own. Neither can stop this loop.

use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use super::now_unix;
use super::protocol::{LONGEST_LINE, Reply, Report, Why};
use super::render::Refusals;
use super::screen::{Screen, Snapshot};
use super::store::{self, Saved, Store};
use super::table::Table;
use super::text::escape;
use super::web;

/// Connections one address may have open at once.
pub const CONNECTIONS_PER_COMPUTER: usize = 4;
/// Connections open at once in all.
const MOST_CONNECTIONS: usize = 512;
/// Reports one address may send at once…
pub const REPORTS_BURST: f64 = 40.0;
/// …and then per second.
pub const REPORTS_PER_SECOND: f64 = 1.0;
/// Lines one connection may send (the check sends its unconfirmed reports,
/// at most `report::MOST_KEPT`, and the new one).
pub const LINES_PER_CONNECTION: usize = 40;
/// Each connection must be done this long after it was accepted.
pub const EXCHANGE: Duration = common::IO_TIMEOUT;
/// Accepts per round of the loop before the open connections are served.
const ACCEPTS_PER_ROUND: usize = 64;
/// How often the loop looks at the Ctrl-C flag.
const TICK: Duration = Duration::from_millis(100);
/// How often, at most, the screen gets a new table while only the refusal
/// counts change (a flood changes them thousands of times a second).
const COUNTS_EVERY: Duration = Duration::from_millis(500);
/// Addresses remembered for their limits; past this, those with nothing
/// open are forgotten.
const MOST_SOURCES: usize = 4096;
/// After a failed accept (out of file descriptors), rest the listener this long.
const ACCEPT_REST: Duration = Duration::from_millis(100);

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

/// One address's limits and what was refused from it.
struct Source {
    open: usize,
    /// Reports it may still send now (refilled over time).
    allowance: f64,
    refilled: Instant,
    refused: Refusals,
}

impl Source {
    fn new(address: IpAddr, now: Instant) -> Source {
        Source {
            open: 0,
            allowance: REPORTS_BURST,
            refilled: now,
            refused: Refusals {
                source: address.to_string(),
                ..Refusals::default()
            },
        }
    }

    /// Takes one report from the allowance, if there is one.
    fn allow_report(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.allowance = (self.allowance + elapsed * REPORTS_PER_SECOND).min(REPORTS_BURST);
        self.refilled = now;
        if self.allowance >= 1.0 {
            self.allowance -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One student's connection.
struct Connection {
    stream: TcpStream,
    source: IpAddr,
    /// Bytes read that do not end in a line break yet.
    partial: Vec<u8>,
    lines: usize,
    /// Replies in order, each with the generation that must be on disk first.
    replies: VecDeque<(u64, String)>,
    /// Bytes being written.
    output: Vec<u8>,
    /// The student closed its sending side: no more lines.
    ended: bool,
    /// Stop reading: a line was too long, or there were too many.
    refusing: bool,
    /// A browser's request (`GET …`), not a student's check.
    browser: bool,
    /// Tokens given on this connection, by name: a check's first report
    /// goes with the ones it kept while it had no token yet, all without
    /// one; after the first, the others are the same sender's.
    given: HashMap<String, String>,
}

/// Everything the loop owns.
pub struct Server {
    poll: Poll,
    listener: TcpListener,
    connections: HashMap<Token, Connection>,
    /// (deadline, token) in accept order, which is deadline order.
    deadlines: VecDeque<(Instant, Token)>,
    last_token: usize,
    sources: HashMap<IpAddr, Source>,
    table: Table,
    /// Bumped by every change to the table.
    generation: u64,
    /// On disk up to here.
    saved: u64,
    store: Store,
    saved_news: Receiver<Saved>,
    screen: Screen,
    /// The table changed since the screen last got it.
    table_changed: bool,
    /// Only the counts changed; sent at most every COUNTS_EVERY.
    counts_changed: bool,
    counts_shown: Instant,
    /// The listener stopped before WouldBlock: accept more without sleeping.
    more_waiting: bool,
    resting_until: Option<Instant>,
    last_save_error: Option<String>,
}

impl Server {
    pub fn new(
        listener: std::net::TcpListener,
        table: Table,
        state: std::path::PathBuf,
        screen: Screen,
    ) -> Result<Server> {
        let poll = Poll::new().context("无法创建事件循环（epoll/kqueue）")?;
        listener
            .set_nonblocking(true)
            .context("无法把监听 socket 设为非阻塞")?;
        let mut listener = TcpListener::from_std(listener);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .context("无法把监听 socket 登记到事件循环里")?;
        let waker =
            Arc::new(Waker::new(poll.registry(), WAKER).context("无法创建事件循环的唤醒器")?);
        let (news, saved_news) = mpsc::channel();
        let store = Store::start(state, news, move || {
            let _ = waker.wake();
        });
        let mut server = Server {
            poll,
            listener,
            connections: HashMap::new(),
            deadlines: VecDeque::new(),
            last_token: WAKER.0,
            sources: HashMap::new(),
            table,
            generation: 0,
            saved: 0,
            store,
            saved_news,
            screen,
            table_changed: true,
            counts_changed: false,
            counts_shown: Instant::now(),
            more_waiting: false,
            resting_until: None,
            last_save_error: None,
        };
        server.show();
        Ok(server)
    }

    /// Serves until Ctrl-C; then writes the state a last time and stops.
    pub fn run(mut self, closing: impl FnOnce(bool) -> Vec<String>) -> Result<()> {
        let mut events = Events::with_capacity(1024);
        while !process_runner::is_cancelled() {
            let timeout = self.time_to_next_wakeup();
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(e).context("等待事件时出错（poll 失败），看板无法继续");
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_waiting(),
                    WAKER => {}
                    token => self.serve(token),
                }
            }
            if self.more_waiting {
                self.accept_waiting();
            }
            self.take_saved_news();
            let now = Instant::now();
            self.close_expired(now);
            self.end_rest_if_due(now);
            self.after_round(now);
        }
        // The counts may have changed since the screen last got them.
        self.show();
        let saved = self.store.finish(self.generation, Duration::from_secs(2));
        self.screen.finish(closing(saved), Duration::from_secs(2));
        Ok(())
    }

    /// Until the nearest deadline, at most a TICK; not at all if more
    /// clients are waiting to be accepted.
    fn time_to_next_wakeup(&mut self) -> Duration {
        if self.more_waiting {
            return Duration::ZERO;
        }
        while let Some(&(_, token)) = self.deadlines.front() {
            if self.connections.contains_key(&token) {
                break;
            }
            self.deadlines.pop_front();
        }
        let mut wake = Instant::now() + TICK;
        if let Some(&(deadline, _)) = self.deadlines.front() {
            wake = wake.min(deadline);
        }
        if let Some(until) = self.resting_until {
            wake = wake.min(until);
        }
        wake.saturating_duration_since(Instant::now())
    }

    fn source(&mut self, address: IpAddr, now: Instant) -> &mut Source {
        if self.sources.len() >= MOST_SOURCES && !self.sources.contains_key(&address) {
            self.sources.retain(|_, s| s.open > 0);
        }
        self.sources
            .entry(address)
            .or_insert_with(|| Source::new(address, now))
    }

    fn accept_waiting(&mut self) {
        self.more_waiting = false;
        if self.resting_until.is_some() {
            return;
        }
        for _ in 0..ACCEPTS_PER_ROUND {
            match self.listener.accept() {
                Ok((stream, address)) => self.admit(stream, address),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    self.rest(&e);
                    return;
                }
            }
        }
        // Edge-triggered: no new event comes for those still waiting.
        self.more_waiting = true;
    }

    /// Registers a new connection, or closes it at once if its address (or
    /// the board) has as many open as it may.
    fn admit(&mut self, mut stream: TcpStream, address: SocketAddr) {
        let now = Instant::now();
        let ip = plain_ip(address.ip());
        let total = self.connections.len();
        let source = self.source(ip, now);
        if source.open >= CONNECTIONS_PER_COMPUTER || total >= MOST_CONNECTIONS {
            source.refused.connections += 1;
            self.counts_changed = true;
            return; // dropping `stream` closes it
        }
        self.last_token += 1;
        let token = Token(self.last_token);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut stream, token, interest)
            .is_err()
        {
            return;
        }
        self.source(ip, now).open += 1;
        self.deadlines.push_back((now + EXCHANGE, token));
        self.connections.insert(
            token,
            Connection {
                stream,
                source: ip,
                partial: Vec::new(),
                lines: 0,
                replies: VecDeque::new(),
                output: Vec::new(),
                ended: false,
                refusing: false,
                browser: false,
                given: HashMap::new(),
            },
        );
    }

    /// accept failed (out of file descriptors, most likely): take the
    /// listener out of the loop for a moment instead of spinning on it.
    fn rest(&mut self, error: &std::io::Error) {
        let _ = self.poll.registry().deregister(&mut self.listener);
        self.resting_until = Some(Instant::now() + ACCEPT_REST);
        self.screen
            .event(format!("接受连接时出错：{}", common::errors::peer(error)));
    }

    fn end_rest_if_due(&mut self, now: Instant) {
        if self.resting_until.is_some_and(|until| now >= until) {
            self.resting_until = None;
            let registered =
                self.poll
                    .registry()
                    .register(&mut self.listener, LISTENER, Interest::READABLE);
            if registered.is_ok() {
                self.more_waiting = true;
            }
        }
    }

    /// Reads what arrived, answers every whole line, writes what it can.
    fn serve(&mut self, token: Token) {
        let Some(mut connection) = self.connections.remove(&token) else {
            return;
        };
        let open = self.read_lines(&mut connection) && self.flush(&mut connection);
        let done =
            connection.ended && connection.replies.is_empty() && connection.output.is_empty();
        if open && !done {
            self.connections.insert(token, connection);
        } else {
            self.close(connection);
        }
    }

    /// Reads until the socket has nothing more; false if it must be closed.
    fn read_lines(&mut self, connection: &mut Connection) -> bool {
        let mut buffer = [0u8; 1024];
        while !connection.ended && !connection.refusing {
            match connection.stream.read(&mut buffer) {
                Ok(0) => connection.ended = true,
                Ok(n) => {
                    connection.partial.extend_from_slice(&buffer[..n]);
                    self.take_lines(connection);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }

    /// Answers each whole line in `partial`; refuses a line that grows too
    /// long before its line break, and the lines past the limit.
    fn take_lines(&mut self, connection: &mut Connection) {
        if connection.lines == 0 && web::is_http(&connection.partial) {
            connection.browser = true;
        }
        if connection.browser {
            self.take_request(connection);
            return;
        }
        while let Some(end) = connection.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = connection.partial.drain(..=end).collect();
            connection.lines += 1;
            if connection.lines > LINES_PER_CONNECTION {
                self.refuse_rest(connection, Why::Malformed);
                return;
            }
            let reply = self.answer(&line[..end], connection);
            connection.replies.push_back(reply);
        }
        if connection.partial.len() > LONGEST_LINE {
            self.refuse_rest(connection, Why::TooLong);
        }
    }

    /// A browser's request, once its head is complete: the page (or, past
    /// the address's allowance, a "come back in a second").
    fn take_request(&mut self, connection: &mut Connection) {
        let head = &connection.partial;
        let complete =
            head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n");
        if !complete {
            if head.len() > web::LONGEST_REQUEST {
                self.source(connection.source, Instant::now())
                    .refused
                    .malformed += 1;
                connection.refusing = true;
                connection.ended = true;
            }
            return;
        }
        let now = Instant::now();
        let response = if self.source(connection.source, now).allow_report(now) {
            let refused = store::ranked(self.sources.values().map(|s| s.refused.clone()));
            web::respond(head, &self.table, &refused, now_unix())
        } else {
            self.source(connection.source, now).refused.too_fast += 1;
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        };
        connection.output.extend_from_slice(&response);
        connection.partial.clear();
        connection.refusing = true;
        connection.ended = true;
    }

    /// One refusal, then nothing more is read from this connection.
    fn refuse_rest(&mut self, connection: &mut Connection, why: Why) {
        let now = Instant::now();
        self.source(connection.source, now).refused.malformed += 1;
        self.counts_changed = true;
        let reply = Reply::Refused { seq: None, why };
        connection.replies.push_back((0, reply.to_string()));
        connection.partial.clear();
        connection.refusing = true;
        connection.ended = true;
    }

    /// The reply to one line, and the generation that must be saved before
    /// it is sent (0: at once).
    fn answer(&mut self, line: &[u8], connection: &mut Connection) -> (u64, String) {
        let now = Instant::now();
        let address = connection.source;
        let mut report = match Report::parse(line) {
            Ok(report) => report,
            Err((seq, why)) => {
                self.source(address, now).refused.malformed += 1;
                self.counts_changed = true;
                return (0, Reply::Refused { seq, why }.to_string());
            }
        };
        if !self.source(address, now).allow_report(now) {
            self.source(address, now).refused.too_fast += 1;
            self.counts_changed = true;
            return (0, Reply::Busy { seq: report.seq }.to_string());
        }
        if report.token.is_none() {
            report.token = connection.given.get(&report.name).cloned();
        }
        match self.table.store(&report, address, now_unix()) {
            Ok(stored) => {
                connection
                    .given
                    .insert(report.name.clone(), stored.token.clone());
                if !stored.again {
                    self.generation += 1;
                    self.table_changed = true;
                }
                if stored.added {
                    self.tell_new_row(stored.row, address);
                }
                let reply = Reply::Ok {
                    seq: report.seq,
                    token: stored.token,
                };
                (self.generation, reply.to_string())
            }
            Err(why) => {
                if matches!(why, Why::TooManyNames | Why::Full) {
                    self.source(address, now).refused.names += 1;
                } else {
                    self.source(address, now).refused.malformed += 1;
                }
                self.counts_changed = true;
                let reply = Reply::Refused {
                    seq: Some(report.seq),
                    why,
                };
                (0, reply.to_string())
            }
        }
    }

    fn tell_new_row(&mut self, row: usize, address: IpAddr) {
        let row = &self.table.rows[row];
        let name = escape(&row.name);
        let text = if row.twin {
            format!("“{name}”又从 {address} 报告，却没有这个名字的令牌：另起一行，标为（另一台）")
        } else {
            format!("新的名字：“{name}”（{address}）")
        };
        self.screen.event(text);
    }

    /// Moves the replies whose state is on disk to the output and writes
    /// what the socket takes; false if the connection failed.
    fn flush(&mut self, connection: &mut Connection) -> bool {
        while let Some((needs, _)) = connection.replies.front() {
            if *needs > self.saved {
                break;
            }
            if let Some((_, reply)) = connection.replies.pop_front() {
                connection.output.extend_from_slice(reply.as_bytes());
                connection.output.push(b'\n');
            }
        }
        while !connection.output.is_empty() {
            match connection.stream.write(&connection.output) {
                Ok(0) => return false,
                Ok(n) => {
                    connection.output.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }

    fn close(&mut self, mut connection: Connection) {
        let _ = self.poll.registry().deregister(&mut connection.stream);
        if let Some(source) = self.sources.get_mut(&connection.source) {
            source.open = source.open.saturating_sub(1);
        }
    }

    /// The writer thread's news: more is on disk (send the replies that
    /// waited for it), or a write failed (say so, once per reason).
    fn take_saved_news(&mut self) {
        let mut saved_more = false;
        while let Ok(news) = self.saved_news.try_recv() {
            match news {
                Saved::Upto(generation) => {
                    self.saved = self.saved.max(generation);
                    saved_more = true;
                    if self.last_save_error.take().is_some() {
                        self.screen.event("看板的状态又能保存了".to_string());
                    }
                }
                Saved::Failed(error) => {
                    if self.last_save_error.as_ref() != Some(&error) {
                        self.screen.event(error.clone());
                        self.last_save_error = Some(error);
                    }
                }
            }
        }
        if saved_more {
            let waiting: Vec<Token> = self.connections.keys().copied().collect();
            for token in waiting {
                self.serve(token);
            }
        }
    }

    fn close_expired(&mut self, now: Instant) {
        while let Some(&(deadline, token)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            if let Some(connection) = self.connections.remove(&token) {
                let source = self.source(connection.source, now);
                source.refused.timed_out += 1;
                self.counts_changed = true;
                self.close(connection);
            }
        }
    }

    /// Hands the writer and the screen what changed in this round.
    fn after_round(&mut self, now: Instant) {
        if self.table_changed {
            self.store.save(self.generation, self.table.to_text());
        }
        let counts_due =
            self.counts_changed && now.saturating_duration_since(self.counts_shown) >= COUNTS_EVERY;
        if self.table_changed || counts_due {
            self.show();
            self.counts_shown = now;
            self.counts_changed = false;
        }
        self.table_changed = false;
    }

    fn show(&mut self) {
        let refused = store::ranked(self.sources.values().map(|s| s.refused.clone()));
        self.screen.show(Snapshot {
            table: self.table.clone(),
            refused,
        });
    }
}

/// An IPv4 client of a dual-stack socket arrives as `::ffff:a.b.c.d`:
/// count it as `a.b.c.d`.
fn plain_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}
