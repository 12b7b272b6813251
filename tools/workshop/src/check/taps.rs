//! The checker's own relays: like wiretap, they sit between the learner's
//! program and its peer, pass everything on, and record every read, FIN
//! and RST (and, for UDP, every datagram) into the step's [`Wire`]. Unlike
//! wiretap they run inside the checker, so a ✗ can show exactly what
//! crossed, and the UDP one drops the datagrams a step asks it to.
//!
//! A relay thread never blocks for long: every read and write waits at most
//! a [`TICK`] and then looks at the stop flag, which dropping the relay sets.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use process_runner::TICK;
use socket2::SockRef;

use super::learner::PATIENCE;
use super::wire::{Fate, Side, Wire};

/// A TCP relay from its own address to `target`.
pub struct TcpTap {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
    /// Two per connection, one for each direction.
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// For each connection, the address the target sees it come from.
    outbound: Arc<Mutex<Vec<SocketAddr>>>,
}

impl TcpTap {
    /// Listens on `listen` (port 0: any) and relays each connection to `target`.
    pub fn start(
        listen: SocketAddr,
        target: SocketAddr,
        wire: Arc<Wire>,
    ) -> std::io::Result<TcpTap> {
        let listener = TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let outbound = Arc::new(Mutex::new(Vec::new()));
        let accepting = {
            let (stop, threads, outbound) = (
                Arc::clone(&stop),
                Arc::clone(&threads),
                Arc::clone(&outbound),
            );
            thread::spawn(move || accept(&listener, target, &wire, &stop, &threads, &outbound))
        };
        Ok(TcpTap {
            addr,
            stop,
            accepting: Some(accepting),
            threads,
            outbound,
        })
    }

    /// Waits until `count` connections have come and everything on them
    /// has been passed on (each of their pumps has ended): what a client
    /// that already exited sent reaches the target before the relay is
    /// dropped. True if so within `patience`.
    pub fn settle(&self, count: usize, patience: Duration) -> Result<bool, process_runner::Error> {
        let done = process_runner::poll_until(process_runner::deadline::after(patience), || {
            let pumps = lock(&self.threads);
            let all_came = lock(&self.outbound).len() >= count && pumps.len() >= 2 * count;
            Ok((all_came && pumps.iter().all(JoinHandle::is_finished)).then_some(()))
        })?;
        Ok(done.is_some())
    }

    /// The address the target saw each connection come from, in order.
    pub fn outbound(&self) -> Vec<SocketAddr> {
        lock(&self.outbound).clone()
    }
}

impl Drop for TcpTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The accepting thread adds no more pumps once it has ended; every
        // thread ends within a tick or two of the flag.
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
        loop {
            let Some(handle) = lock(&self.threads).pop() else {
                break;
            };
            let _ = handle.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept(
    listener: &TcpListener,
    target: SocketAddr,
    wire: &Arc<Wire>,
    stop: &Arc<AtomicBool>,
    threads: &Mutex<Vec<JoinHandle<()>>>,
    outbound: &Mutex<Vec<SocketAddr>>,
) {
    while !stop.load(Ordering::SeqCst) {
        let (client, client_addr) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(TICK.min(Duration::from_millis(5)));
                continue;
            }
            Err(_) => continue,
        };
        let server = match TcpStream::connect_timeout(&target, PATIENCE) {
            Ok(server) => server,
            Err(e) => {
                wire.note(
                    0,
                    format!("客户端 {client_addr} 连上了，可连不上 {target}：{e}"),
                );
                reset(&client);
                continue;
            }
        };
        let local = server.local_addr().unwrap_or(target);
        lock(outbound).push(local);
        let conn = wire.opened(local, target);
        // Set when one side resets: the other pump then ends without
        // calling the close it sees a FIN.
        let resetting = Arc::new(AtomicBool::new(false));
        for (from, to, side) in [
            (client.try_clone(), server.try_clone(), Side::Client),
            (server.try_clone(), client.try_clone(), Side::Server),
        ] {
            let (Ok(from), Ok(to)) = (from, to) else {
                continue;
            };
            let (wire, stop, resetting) =
                (Arc::clone(wire), Arc::clone(stop), Arc::clone(&resetting));
            let pump = thread::spawn(move || {
                pump(&from, &to, side, conn, &wire, &stop, &resetting);
            });
            lock(threads).push(pump);
        }
    }
}

/// Passes what `side` sends on `from` to `to`, recording each read. A RST
/// from `side` is passed on as a RST: `to` gets linger 0 and its reading is
/// shut down, so the other pump ends and the last close sends the RST.
fn pump(
    from: &TcpStream,
    to: &TcpStream,
    side: Side,
    conn: usize,
    wire: &Wire,
    stop: &AtomicBool,
    resetting: &AtomicBool,
) {
    let _ = from.set_read_timeout(Some(TICK));
    let _ = to.set_write_timeout(Some(TICK));
    let mut buffer = vec![0; 64 * 1024];
    while !stop.load(Ordering::SeqCst) {
        match (&*from).read(&mut buffer) {
            Ok(0) if resetting.load(Ordering::SeqCst) => return,
            Ok(0) => {
                wire.fin(conn, side);
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(size) => {
                wire.data(conn, side, &buffer[..size]);
                if !write_all(to, &buffer[..size], stop) {
                    // The other side is gone; it has been recorded by its own pump.
                    return;
                }
            }
            Err(e) if is_wait(&e) => {}
            Err(e) if is_reset(&e) => {
                wire.reset(conn, side);
                resetting.store(true, Ordering::SeqCst);
                reset(to);
                return;
            }
            Err(_) => return,
        }
    }
}

/// `write_all` that gives up when the relay is stopped.
fn write_all(to: &TcpStream, mut bytes: &[u8], stop: &AtomicBool) -> bool {
    while !bytes.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        match (&*to).write(bytes) {
            Ok(0) => return false,
            Ok(written) => bytes = &bytes[written..],
            Err(e) if is_wait(&e) => {}
            Err(_) => return false,
        }
    }
    true
}

/// Makes `stream` end with a RST, as the side we relay for did: linger 0,
/// so that the close of its last handle sends RST instead of FIN, and its
/// reading shut down (which sends nothing), so the thread reading it ends
/// and lets go of its handle.
pub fn reset(stream: &TcpStream) {
    let _ = SockRef::from(stream).set_linger(Some(Duration::ZERO));
    let _ = stream.shutdown(Shutdown::Read);
}

pub fn is_wait(error: &std::io::Error) -> bool {
    common::errors::is_timeout(error) || error.kind() == ErrorKind::Interrupted
}

pub fn is_reset(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// What a UDP relay does with the datagrams it passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Drops {
    /// Drop the client's first this-many datagrams.
    pub requests: usize,
    /// Drop the server's first this-many replies.
    pub replies: usize,
    /// Drop everything.
    pub all: bool,
}

/// A UDP relay from its own address to `target`: the client's datagrams
/// go to the server from one socket, the server's replies come back to
/// the client from the relay's address, and a datagram from any other
/// address reaches the client from a third socket, so it stays foreign.
pub struct UdpTap {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    requests: Arc<Mutex<Vec<(Duration, SocketAddr)>>>,
    rounds: Arc<Rounds>,
}

/// How far the relay's loop has come: the number of the round it is in,
/// and the last round in which it found no datagram from the client.
#[derive(Default)]
struct Rounds {
    started: std::sync::atomic::AtomicU64,
    drained: std::sync::atomic::AtomicU64,
}

impl UdpTap {
    pub fn start(target: SocketAddr, drops: Drops, wire: Arc<Wire>) -> std::io::Result<UdpTap> {
        let ip = target.ip();
        let facing_client = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let facing_server = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let foreign = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        for socket in [&facing_client, &facing_server] {
            socket.set_read_timeout(Some(Duration::from_millis(5)))?;
        }
        let addr = facing_client.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let rounds = Arc::new(Rounds::default());
        let relay = UdpRelay {
            rounds: Arc::clone(&rounds),
            facing_client,
            facing_server,
            foreign,
            target,
            drops,
            wire,
            requests: Arc::clone(&requests),
        };
        let thread = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || relay.run(&stop))
        };
        Ok(UdpTap {
            addr,
            stop,
            thread: Some(thread),
            requests,
            rounds,
        })
    }

    /// Waits (at most `patience`) until every datagram the client sent
    /// before this call has been seen: a round that began after the call
    /// found the client's side empty. A client that sends and exits at once
    /// is otherwise counted before its last datagram is read.
    pub fn settle(&self, patience: Duration) -> Result<bool, process_runner::Error> {
        let now = self.rounds.started.load(Ordering::SeqCst);
        let drained =
            process_runner::poll_until(process_runner::deadline::after(patience), || {
                Ok((self.rounds.drained.load(Ordering::SeqCst) > now).then_some(()))
            })?;
        Ok(drained.is_some())
    }

    /// When each datagram from the client came, and from where.
    pub fn requests(&self) -> Vec<(Duration, SocketAddr)> {
        lock(&self.requests).clone()
    }
}

impl Drop for UdpTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct UdpRelay {
    facing_client: UdpSocket,
    facing_server: UdpSocket,
    foreign: UdpSocket,
    target: SocketAddr,
    drops: Drops,
    wire: Arc<Wire>,
    requests: Arc<Mutex<Vec<(Duration, SocketAddr)>>>,
    rounds: Arc<Rounds>,
}

impl UdpRelay {
    fn run(&self, stop: &AtomicBool) {
        let started = std::time::Instant::now();
        let conn = self.wire.exchange();
        let mut client = None;
        let (mut requests, mut replies) = (0, 0);
        let mut buffer = vec![0; 65_536];
        while !stop.load(Ordering::SeqCst) {
            let round = self.rounds.started.fetch_add(1, Ordering::SeqCst) + 1;
            let received = self.facing_client.recv_from(&mut buffer);
            if received.is_err() {
                self.rounds.drained.store(round, Ordering::SeqCst);
            }
            if let Ok((size, from)) = received {
                client = Some(from);
                requests += 1;
                lock(&self.requests).push((started.elapsed(), from));
                let dropped = self.drops.all || requests <= self.drops.requests;
                let bytes = &buffer[..size];
                let fate = if dropped { Fate::Dropped } else { Fate::Passed };
                self.wire
                    .datagram(conn, Side::Client, (from, self.target), bytes, fate);
                if !dropped {
                    let _ = self.facing_server.send_to(bytes, self.target);
                }
            }
            let Ok((size, from)) = self.facing_server.recv_from(&mut buffer) else {
                continue;
            };
            let Some(client) = client else {
                continue;
            };
            let bytes = &buffer[..size];
            if from != self.target {
                // Someone else wrote to the address the server knows the client by.
                let source = self.foreign.local_addr().unwrap_or(from);
                self.wire
                    .datagram(conn, Side::Server, (source, client), bytes, Fate::Foreign);
                let _ = self.foreign.send_to(bytes, client);
                continue;
            }
            replies += 1;
            let dropped = self.drops.all || replies <= self.drops.replies;
            let fate = if dropped { Fate::Dropped } else { Fate::Passed };
            self.wire
                .datagram(conn, Side::Server, (self.target, client), bytes, fate);
            if !dropped {
                let _ = self.facing_client.send_to(bytes, client);
            }
        }
    }
}
