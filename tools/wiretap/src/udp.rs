//! UDP（--udp）：每个数据报原样转发，边界不变；每个客户端有自己的上游 Socket。
//!
//! UDP has no connections, so wiretap keeps one thing per client instead: a
//! socket of its own towards the server. The server's replies arrive on that
//! socket, and so wiretap knows which client each reply belongs to. A
//! client's socket is closed after `--idle` seconds without datagrams.
//!
//! Each datagram is read whole (up to 65,535 bytes, the most UDP carries)
//! and sent on whole: one datagram in, one datagram out, or none when
//! `--drop` drops it.
//!
//! A datagram's source address is whatever its sender wrote, so it can be
//! forged. One that claims to come from wiretap's own listening socket, or
//! from one of the sockets it uses towards the server, is never relayed:
//! wiretap would send the server's reply to itself and relay it again, for
//! ever (see `own`).

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, Scope};
use std::time::{Duration, Instant};

use anyhow::Result;
use common::{errors, esay, say};

use crate::display;
use crate::faults::Dropper;
use crate::own::{self, OwnPort, OwnSockets};
use crate::report::{Event, Side, Tap, Trace};

/// The largest UDP datagram.
const DATAGRAM: usize = 65_536;

/// With `--exit-after`, how often the receiving loop looks whether the last
/// client is done.
const POLL: Duration = Duration::from_millis(200);

/// The `--drop` streams every client draws from: 2 for its datagrams, 3 for
/// the replies. These are the streams the first client always had, so a
/// seed keeps the meaning the book and the exercise checker give it
/// (`--seed 2` drops the first request, `--seed 1` the first reply).
const DROP_STREAMS: u64 = 2;

/// Refused datagrams are logged at most once in this time, with a count:
/// a flood of forged ones must not flood the log.
const REFUSALS_EVERY: Duration = Duration::from_secs(1);

/// Listens, then relays datagrams until the end.
pub fn run(tap: Arc<Tap>) -> Result<()> {
    let settings = &tap.settings;
    // UDP 一次只发给一个地址：和各章的服务器绑定时一样，名字优先取 IPv4 地址。
    let server = settings.server.bind_address()?;
    let socket = UdpSocket::bind(settings.listen.bind_address()?)
        .map_err(|e| errors::bind(&settings.listen, &e))?;
    let local = socket.local_addr()?;
    own::refuse_own_address(local, &[server])?;
    tap.start_files()?;
    say!("wiretap 把数据报转发到 {server}，等待数据报... {local}");
    common::addr::print_lan_addresses(&socket);
    if settings.drops_at_random() {
        let seed = settings.faults.seed;
        say!("丢包用的随机种子是 {seed}；加上 --seed {seed}，下一次会丢同样的数据报");
    }
    let relay = Relay {
        socket,
        server,
        tap: Arc::clone(&tap),
        clients: Mutex::new(HashMap::new()),
        own: OwnSockets::new(local),
        refusals: Mutex::new(Refusals::default()),
        refused: Default::default(),
        numbered: Default::default(),
    };
    let count = thread::scope(|scope| relay.serve(scope))?;
    tap.save_diagram();
    tap.finish_capture();
    let not_counted = match relay.refused.load(std::sync::atomic::Ordering::SeqCst) {
        0 => String::new(),
        n => format!("；因为达到上限被拒绝的 {n} 个不算在内"),
    };
    say!("已处理 {count} 个客户端（--exit-after {count}），wiretap 退出{not_counted}");
    Ok(())
}

struct Relay {
    socket: UdpSocket,
    server: SocketAddr,
    tap: Arc<Tap>,
    clients: Mutex<HashMap<SocketAddr, Arc<Client>>>,
    own: Arc<OwnSockets>,
    refusals: Mutex<Refusals>,
    /// Clients turned away at the cap, which `--exit-after` does not count.
    refused: std::sync::atomic::AtomicUsize,
    /// New clients so far, relayed or refused: their numbers.
    numbered: std::sync::atomic::AtomicUsize,
}

/// Datagrams refused since the last line about them.
#[derive(Default)]
struct Refusals {
    last_line: Option<Instant>,
    unsaid: u64,
}

/// One client: its address, wiretap's socket towards the server for it, and
/// when it was last heard of.
struct Client {
    addr: SocketAddr,
    upstream: UdpSocket,
    /// The upstream socket's port, wiretap's own while the client is known.
    _own_port: OwnPort,
    trace: Trace,
    last: Mutex<Instant>,
    /// `--drop` decisions: [client → server, server → client].
    droppers: [Mutex<Dropper>; 2],
}

impl Client {
    fn touch(&self) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn quiet(&self) -> Duration {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
    }
}

impl Relay {
    /// Receives from clients until `--exit-after` clients are done (or for
    /// ever); returns how many clients there were.
    fn serve<'s>(&'s self, scope: &'s Scope<'s, '_>) -> Result<usize> {
        let exit_after = self.tap.settings.exit_after;
        if exit_after.is_some() {
            self.socket.set_read_timeout(Some(POLL))?;
        }
        let mut buffer = vec![0; DATAGRAM];
        let mut count = 0;
        loop {
            if exit_after.is_some_and(|most| count >= most) && self.lock().is_empty() {
                return Ok(count);
            }
            match self.socket.recv_from(&mut buffer) {
                Ok((size, from)) => self.client_sent(scope, &buffer[..size], from, &mut count),
                Err(e) if errors::is_timeout(&e) => {}
                // 例如 Windows 把上一次发给某个客户端时的“端口不可达”报告在这里。记下来，继续收。
                Err(e) => esay!("接收数据报时出错: {}", errors::peer(&e)),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SocketAddr, Arc<Client>>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn client_sent<'s>(
        &'s self,
        scope: &'s Scope<'s, '_>,
        data: &[u8],
        from: SocketAddr,
        count: &mut usize,
    ) {
        if own::canonical(from) == own::canonical(self.server) {
            // 服务器的数据报只应该来到 wiretap 替客户端开的 Socket 上；转发它会让两边互相转发个没完。
            self.refuse(from, "服务器地址");
            return;
        }
        let known = self.lock().get(&from).cloned();
        let client = match known {
            Some(client) => client,
            None if self.own.sent_by_us(from) => {
                // 源地址是 wiretap 自己的 Socket（多半是伪造的）：回复会发给自己，再被转发，没完没了。
                self.refuse(from, "wiretap 自己的 Socket");
                return;
            }
            None => match self.new_client(scope, from, count) {
                Some(client) => client,
                None => return,
            },
        };
        client.touch();
        self.pass(Side::Client, data, &client);
    }

    /// Says that a datagram from `from` (`who` it is) was not relayed: the
    /// first at once, then at most one line a second with how many more.
    fn refuse(&self, from: SocketAddr, who: &str) {
        let mut refusals = self.refusals.lock().unwrap_or_else(PoisonError::into_inner);
        if refusals
            .last_line
            .is_some_and(|last| last.elapsed() < REFUSALS_EVERY)
        {
            refusals.unsaid += 1;
            return;
        }
        let more = match std::mem::take(&mut refusals.unsaid) {
            0 => String::new(),
            n => format!("（上一行之后还有 {n} 个这样的数据报，也没有转发）"),
        };
        refusals.last_line = Some(Instant::now());
        esay!(
            "收到来自{who} {from} 的数据报，不转发：转发它会让 wiretap 自己给自己转发个没完{more}"
        );
    }

    /// Opens the socket for a new client and starts the thread that carries
    /// the server's replies back to it. Only clients that get one count
    /// for `--exit-after`.
    fn new_client<'s>(
        &'s self,
        scope: &'s Scope<'s, '_>,
        from: SocketAddr,
        count: &mut usize,
    ) -> Option<Arc<Client>> {
        let settings = &self.tap.settings;
        if settings.exit_after.is_some_and(|most| *count >= most) {
            esay!("已经转发了 {count} 个客户端（--exit-after），不再接受新客户端 {from}");
            return None;
        }
        // 每个新客户端都有编号（#N），被拒绝的也有；--exit-after 只数转发了的（count）。
        let id = self
            .numbered
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let trace = Trace::new(id, Arc::clone(&self.tap));
        let limit = settings.max_connections;
        if self.lock().len() >= limit {
            let (client, udp) = (from, true);
            trace.note(&Event::Refused { client, limit, udp });
            self.tap.save_diagram();
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return None;
        }
        let (upstream, own_port) = match self.upstream() {
            Ok(upstream) => upstream,
            Err(e) => {
                let why = errors::peer(&e);
                trace.note(&Event::Failed {
                    from: Side::Server,
                    why,
                });
                return None;
            }
        };
        *count += 1;
        let via = upstream.local_addr().unwrap_or(self.server);
        trace.note(&Event::NewClient {
            client: from,
            via,
            server: self.server,
        });
        // 每个客户端都从自己那一串抽签的开头抽起，两个方向各一串：丢哪些数据报只取决于种子和
        // 这是这个客户端的第几个数据报，和别的客户端谁先到、发了多少无关。
        let stream = |side: Side| settings.faults.dropper(DROP_STREAMS + side as u64);
        let client = Arc::new(Client {
            addr: from,
            upstream,
            _own_port: own_port,
            trace,
            last: Mutex::new(Instant::now()),
            droppers: [Side::Client, Side::Server].map(|side| Mutex::new(stream(side))),
        });
        self.lock().insert(from, Arc::clone(&client));
        let replies = Arc::clone(&client);
        let spawned = thread::Builder::new().spawn_scoped(scope, move || self.replies(&replies));
        if let Err(e) = spawned {
            esay!("无法为客户端 {from} 创建线程（{e}），丢弃它的数据报");
            self.lock().remove(&from);
            return None;
        }
        Some(client)
    }

    /// A socket of the server's address family, "connected" to the server:
    /// it then receives only the server's datagrams, and an ICMP "port
    /// unreachable" is reported on it as ConnectionRefused.
    /// Its port is wiretap's own from before the first datagram leaves.
    fn upstream(&self) -> std::io::Result<(UdpSocket, OwnPort)> {
        let any = if self.server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let upstream = UdpSocket::bind(any)?;
        let own_port = self.own.register(upstream.local_addr()?.port());
        upstream.connect(self.server)?;
        Ok((upstream, own_port))
    }

    /// Carries the server's datagrams back to one client until it has been
    /// quiet for `--idle`.
    fn replies(&self, client: &Client) {
        let idle = self.tap.settings.idle;
        let mut buffer = vec![0; DATAGRAM];
        loop {
            let quiet = client.quiet();
            if quiet >= idle && self.forget_if_quiet(client, idle) {
                break;
            }
            let wait = idle.saturating_sub(quiet).max(Duration::from_millis(1));
            let _ = client.upstream.set_read_timeout(Some(wait));
            match client.upstream.recv(&mut buffer) {
                Ok(size) => {
                    client.touch();
                    self.pass(Side::Server, &buffer[..size], client);
                }
                Err(e) if errors::is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {}
                Err(e) if is_unreachable(&e) => self.unreachable(client),
                Err(e) => {
                    let why = errors::peer(&e);
                    let from = Side::Server;
                    client.trace.note(&Event::Failed { from, why });
                    self.forget_if_quiet(client, Duration::ZERO);
                    break;
                }
            }
        }
        client.trace.note(&Event::ClientDone { idle });
        self.tap.save_diagram();
    }

    /// Removes the client if it is still quiet, under the same lock the
    /// receiving loop looks clients up with: a datagram that arrives just now
    /// either finds the client still there or starts a new one, never one
    /// whose reply thread has ended.
    fn forget_if_quiet(&self, client: &Client, idle: Duration) -> bool {
        let mut clients = self.lock();
        if client.quiet() < idle {
            return false;
        }
        clients.remove(&client.addr);
        true
    }

    fn unreachable(&self, client: &Client) {
        client.trace.note(&Event::Unreachable {
            server: self.server,
        });
        self.tap.save_diagram();
    }

    /// Shows one datagram and forwards it, unless `--drop` drops it.
    fn pass(&self, from: Side, data: &[u8], client: &Client) {
        let faults = &self.tap.settings.faults;
        let dropped = client.droppers[from as usize]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drops();
        let shown = display::show_datagram(data);
        let (plan, short_plan) = if dropped {
            (String::new(), String::new())
        } else {
            (faults.plan(data.len()), faults.short_plan(data.len()))
        };
        client.trace.note(&Event::Data {
            from,
            size: data.len(),
            shown: &shown,
            plan,
            short_plan,
            datagram: Some((client.addr, self.server, dropped)),
        });
        self.tap.save_diagram();
        if dropped {
            return;
        }
        if !faults.delay.is_zero() {
            thread::sleep(faults.delay);
        }
        let (source, target) = match from {
            Side::Client => (client.addr, self.server),
            Side::Server => (self.server, client.addr),
        };
        let sending = self.tap.capture().map(|capture| capture.now());
        let sent = match from {
            Side::Client => client.upstream.send(data),
            Side::Server => self.socket.send_to(data, client.addr),
        };
        match sent {
            // 抓包文件里只有真正转发出去的数据报：丢弃的和没发出去的都不在。
            Ok(_) => {
                if let (Some(capture), Some(at)) = (self.tap.capture(), sending) {
                    capture.datagram(at, source, target, data);
                }
            }
            Err(e) if from == Side::Client && is_unreachable(&e) => self.unreachable(client),
            Err(e) => {
                let why = errors::peer(&e);
                let from = from.other(); // 出错的是收数据报的那一方
                client.trace.note(&Event::Failed { from, why });
            }
        }
    }
}

/// How "port unreachable" comes back: Linux and macOS say ConnectionRefused,
/// Windows ConnectionReset.
fn is_unreachable(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
