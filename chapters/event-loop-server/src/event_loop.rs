//! 事件循环：一个线程等待“哪些 socket 就绪了”，然后只做能马上做完的事。
//!
//! The loop in [`EventLoop::run`] is Real Python's `selectors` server, with
//! three additions the other servers in this workspace also have:
//!
//! - **deadlines**: every connection must be done 5 seconds after `accept`.
//!   All deadlines are "accept time + 5 s", so the order of accepting is the
//!   order of expiring: a plain queue ([`VecDeque`]) keeps them sorted, its
//!   front is the nearest, and `poll` sleeps no longer than until then;
//! - **a cap**: at `max_connections` the listener is taken out of `poll`
//!   (`sel.unregister(server_socket)`): new clients wait in the system's
//!   connection queue, and each connection that ends lets the next one in.
//!   One line is logged when the cap is reached and one when everybody who
//!   queued meanwhile has been let in, not one per waiting client. The
//!   system's queue (the listen backlog: 128 with std) holds the first
//!   newcomers; beyond it their connection attempts are dropped and their
//!   systems retry after 1, 2, 4… seconds, so a flood past the cap is felt
//!   as slow connects, never as refusals;
//! - **a rest after a failed `accept`**: out of file descriptors, `accept`
//!   fails again at once for as long as the shortage lasts, so the listener
//!   is taken out of `poll` for 100 ms instead of being retried in a spin.

use std::collections::{HashMap, VecDeque};
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use common::{IO_TIMEOUT, errors, esay};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use crate::connection::{Connection, Next};

/// 监听 socket 的令牌；连接的令牌从 1 开始，每个新连接一个，不重复使用。
const LISTENER: Token = Token(0);
/// 每次 poll 最多取回多少个事件；更多的留到下一轮，不会丢。
const EVENTS_PER_POLL: usize = 1024;
/// accept 出错后，监听 socket 歇多久再试。
const ACCEPT_REST: Duration = Duration::from_millis(100);

/// Whether the listener is in `poll`, and if not, why: the second small
/// state machine in this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listening {
    /// 监听 socket 登记在 poll 里：有客户端来就接受。
    Open,
    /// 连接数到了上限：监听 socket 已注销，等有连接结束。
    Full,
    /// accept 出错了（例如文件描述符用完）：监听 socket 已注销，歇到这个时刻。
    Resting(Instant),
}

/// Everything the one thread owns: the poller, the listener, and every
/// connection, each under the token its events will carry.
pub struct EventLoop {
    poll: Poll,
    listener: TcpListener,
    listening: Listening,
    connections: HashMap<Token, Connection>,
    /// (deadline, token) in accept order, which is deadline order. Entries
    /// of connections that have already ended are dropped when they reach
    /// the front, so the queue holds at most 5 seconds' worth of accepts.
    deadlines: VecDeque<(Instant, Token)>,
    last_token: usize,
    max_connections: usize,
    /// 正处在“达到上限”的一段时间里：开始时记了一行；等排队的客户端都接受了（accept 返回
    /// WouldBlock）再记一行并清除。中间每关一个连接就接一个，但不再记日志。
    at_cap: bool,
}

impl EventLoop {
    /// Makes the listener non-blocking and registers it for `READABLE`.
    pub fn new(listener: std::net::TcpListener, max_connections: usize) -> Result<EventLoop> {
        // sel = selectors.DefaultSelector()
        let poll = Poll::new().context("无法创建事件循环（epoll/kqueue）")?;
        // server_socket.setblocking(False)：之后 accept 不会等待，没有客户端时立即返回 WouldBlock。
        listener
            .set_nonblocking(true)
            .context("无法把监听 socket 设为非阻塞")?;
        let mut listener = TcpListener::from_std(listener);
        // sel.register(server_socket, selectors.EVENT_READ, data=None)
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .context("无法把监听 socket 登记到事件循环里")?;
        Ok(EventLoop {
            poll,
            listener,
            listening: Listening::Open,
            connections: HashMap::new(),
            deadlines: VecDeque::new(),
            last_token: LISTENER.0,
            max_connections,
            at_cap: false,
        })
    }

    /// The address the listener is bound to (port 0 becomes the real port).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The listening socket, for the lines that say where others can reach it.
    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    // ANCHOR: event_loop
    /// Runs forever; returns only if waiting for events fails, which would
    /// leave the server deaf.
    pub fn run(mut self) -> Result<()> {
        let mut events = Events::with_capacity(EVENTS_PER_POLL);
        loop {
            // events = sel.select(timeout=...)：睡到有 socket 就绪，或者最近的期限到了。
            let timeout = self.time_to_next_wakeup();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue; // 被信号打断，再等就是了。
                }
                return Err(e).context("等待事件时出错（poll 失败），服务器无法继续");
            }
            // for key, mask in events:
            for event in events.iter() {
                match event.token() {
                    // if key.data is None: accept_wrapper(key.fileobj)
                    LISTENER => self.accept_waiting_clients(),
                    // else: service_connection(key, mask)
                    token => self.serve(token),
                }
            }
            let now = Instant::now();
            self.close_expired(now);
            self.end_rest_if_due(now);
        }
    }
    // ANCHOR_END: event_loop

    /// How long `poll` may sleep: until the nearest deadline, or the end of
    /// the listener's rest; `None` (until an event) if there is neither.
    fn time_to_next_wakeup(&mut self) -> Option<Duration> {
        // 队首如果是已经结束的连接，就丢掉，直到队首是一个还在的连接。
        while let Some(&(_, token)) = self.deadlines.front() {
            if self.connections.contains_key(&token) {
                break;
            }
            self.deadlines.pop_front();
        }
        let deadline = self.deadlines.front().map(|&(deadline, _)| deadline);
        let rest_end = match self.listening {
            Listening::Resting(until) => Some(until),
            _ => None,
        };
        let wake_at = deadline.into_iter().chain(rest_end).min()?;
        Some(wake_at.saturating_duration_since(Instant::now()))
    }

    // ANCHOR: accept
    /// `accept_wrapper`: takes every client waiting in the system's queue.
    ///
    /// Edge-triggered, one event may stand for many waiting clients, so this
    /// accepts until `WouldBlock`, or until the cap or an error stops it.
    fn accept_waiting_clients(&mut self) {
        while self.listening == Listening::Open {
            // conn, addr = sock.accept()（mio 接受的 socket 已经是非阻塞的：conn.setblocking(False)）
            match self.listener.accept() {
                Ok((socket, address)) => self.add(socket, address),
                // 队列空了：排队的客户端都接受了。
                Err(e) if e.kind() == ErrorKind::WouldBlock => return self.queue_emptied(),
                Err(e) => self.accept_failed(&e),
            }
        }
    }

    /// Registers a new client for `READABLE` and starts its deadline.
    fn add(&mut self, mut socket: TcpStream, address: SocketAddr) {
        self.last_token += 1;
        let token = Token(self.last_token);
        // sel.register(conn, selectors.EVENT_READ, data=...)
        let registered = self
            .poll
            .registry()
            .register(&mut socket, token, Interest::READABLE);
        if let Err(e) = registered {
            esay!("与客户端 {address} 通信时出错: {}", errors::peer(&e));
            return; // socket 在这里被 drop，连接随之关闭。
        }
        let deadline = Instant::now() + IO_TIMEOUT;
        self.deadlines.push_back((deadline, token));
        let connection = Connection::new(socket, address);
        self.connections.insert(token, connection);
        if self.connections.len() >= self.max_connections {
            if !self.at_cap {
                esay!(
                    "同时连接的客户端达到上限 {} 个（--max-connections）：暂停接受新连接，新来的客户端先在系统的连接队列里等候",
                    self.max_connections
                );
                self.at_cap = true;
            }
            self.stop_listening(Listening::Full);
        }
    }

    /// `accept` found nobody waiting: if the cap had been reached, every
    /// client that queued meanwhile is now in, and that is worth one line.
    fn queue_emptied(&mut self) {
        if self.at_cap {
            self.at_cap = false;
            esay!("排队等候的客户端都已接受，恢复正常");
        }
    }

    /// What an `accept` error means for the loop. Most concern one client
    /// that gave up while queued, and the next `accept` works. The others
    /// (out of file descriptors, out of memory) would fail again at once:
    /// then the listener rests, and the open connections go on being served.
    fn accept_failed(&mut self, error: &io::Error) {
        if error.kind() == ErrorKind::Interrupted {
            return; // 被信号打断，再 accept 一次就是了。
        }
        // 文件描述符用完时每秒最多记一行，带上这期间又失败了几次。
        common::log_accept_error(error);
        let one_client = matches!(
            error.kind(),
            ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
        );
        if !one_client {
            self.stop_listening(Listening::Resting(Instant::now() + ACCEPT_REST));
        }
    }
    // ANCHOR_END: accept

    /// `sel.unregister(server_socket)`: no more accept events until
    /// [`EventLoop::start_listening`]. Waiting clients stay in the system's queue.
    fn stop_listening(&mut self, why: Listening) {
        self.listening = why;
        if let Err(e) = self.poll.registry().deregister(&mut self.listener) {
            esay!("暂停接受新连接时出错: {e}");
        }
    }

    /// `sel.register(server_socket, EVENT_READ)` again, then accepts whoever
    /// queued meanwhile (they will not cause a new edge on their own).
    fn start_listening(&mut self) {
        let registry = self.poll.registry();
        if let Err(e) = registry.register(&mut self.listener, LISTENER, Interest::READABLE) {
            esay!("恢复接受新连接时出错: {e}；100 毫秒后再试");
            self.listening = Listening::Resting(Instant::now() + ACCEPT_REST);
            return;
        }
        self.listening = Listening::Open;
        self.accept_waiting_clients();
    }

    /// Ends the listener's rest after a failed `accept`, once it is over.
    fn end_rest_if_due(&mut self, now: Instant) {
        if matches!(self.listening, Listening::Resting(until) if until <= now) {
            self.start_listening();
        }
    }

    // ANCHOR: serve
    /// `service_connection(key, mask)`: lets one connection go on.
    fn serve(&mut self, token: Token) {
        // 同一批事件里，这个连接可能已经被关掉了。
        let Some(connection) = self.connections.get_mut(&token) else {
            return;
        };
        match connection.proceed() {
            Next::WaitFor(interest) if interest != connection.registered => {
                // sel.modify(conn, EVENT_WRITE, data)：换成等“可写”（或换回“可读”）。
                let registry = self.poll.registry();
                let changed = registry.reregister(&mut connection.socket, token, interest);
                match changed {
                    Ok(()) => connection.registered = interest,
                    Err(e) => {
                        esay!(
                            "与客户端 {} 通信时出错: {}",
                            connection.address,
                            errors::peer(&e)
                        );
                        self.close(token);
                    }
                }
            }
            Next::WaitFor(_) => {}
            Next::Close => self.close(token),
        }
    }
    // ANCHOR_END: serve

    /// Closes every connection whose deadline has passed.
    fn close_expired(&mut self, now: Instant) {
        while let Some(&(deadline, token)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            if let Some(connection) = self.connections.get(&token) {
                connection.expire();
                self.close(token);
            }
        }
    }

    /// `sel.unregister(conn); conn.close()`, and accepting again if the cap
    /// had stopped it: one connection out, the next waiting client in.
    fn close(&mut self, token: Token) {
        if let Some(mut connection) = self.connections.remove(&token) {
            // sel.unregister(conn)：关闭 socket 时系统也会把它从 epoll 里拿掉，但显式注销
            // 在 mio 支持的每个平台上都作数。出错也没关系：连接马上就关了。
            let _ = self.poll.registry().deregister(&mut connection.socket);
            // connection 在这里被 drop：socket 关闭。
        }
        if self.listening == Listening::Full && self.connections.len() < self.max_connections {
            self.start_listening();
        }
    }
}
