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
use crate::report::{Event, Side, Tap, Trace};

/// The largest UDP datagram.
const DATAGRAM: usize = 65_536;

/// With `--exit-after`, how often the receiving loop looks whether the last
/// client is done.
const POLL: Duration = Duration::from_millis(200);

/// Listens, then relays datagrams until the end.
pub fn run(tap: Arc<Tap>) -> Result<()> {
    let settings = &tap.settings;
    // UDP 一次只发给一个地址：和各章的服务器绑定时一样，名字优先取 IPv4 地址。
    let server = settings.server.bind_address()?;
    let socket = UdpSocket::bind(settings.listen.bind_address()?)
        .map_err(|e| errors::bind(&settings.listen, &e))?;
    let local = socket.local_addr()?;
    crate::refuse_own_address(local, &[server])?;
    tap.start_diagram()?;
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
    };
    let count = thread::scope(|scope| relay.serve(scope))?;
    tap.save_diagram();
    say!("已处理 {count} 个客户端（--exit-after {count}），wiretap 退出");
    Ok(())
}

struct Relay {
    socket: UdpSocket,
    server: SocketAddr,
    tap: Arc<Tap>,
    clients: Mutex<HashMap<SocketAddr, Arc<Client>>>,
}

/// One client: its address, wiretap's socket towards the server for it, and
/// when it was last heard of.
struct Client {
    addr: SocketAddr,
    upstream: UdpSocket,
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
        if from == self.server {
            // 服务器的数据报只应该来到 wiretap 替客户端开的 Socket 上；转发它会让两边互相转发个没完。
            esay!("收到来自服务器地址 {from} 的数据报，不转发");
            return;
        }
        let known = self.lock().get(&from).cloned();
        let client = match known {
            Some(client) => client,
            None => match self.new_client(scope, from, count) {
                Some(client) => client,
                None => return,
            },
        };
        client.touch();
        self.pass(Side::Client, data, &client);
    }

    /// Opens the socket for a new client and starts the thread that carries
    /// the server's replies back to it.
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
        *count += 1;
        let trace = Trace::new(*count, Arc::clone(&self.tap));
        let limit = settings.max_connections;
        if self.lock().len() >= limit {
            let (client, udp) = (from, true);
            trace.note(&Event::Refused { client, limit, udp });
            self.tap.save_diagram();
            return None;
        }
        let upstream = match self.upstream() {
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
        let via = upstream.local_addr().unwrap_or(self.server);
        trace.note(&Event::NewClient {
            client: from,
            via,
            server: self.server,
        });
        let stream = |side: Side| settings.faults.dropper(2 * *count as u64 + side as u64);
        let client = Arc::new(Client {
            addr: from,
            upstream,
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
    fn upstream(&self) -> std::io::Result<UdpSocket> {
        let any = if self.server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let upstream = UdpSocket::bind(any)?;
        upstream.connect(self.server)?;
        Ok(upstream)
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
        let sent = match from {
            Side::Client => client.upstream.send(data),
            Side::Server => self.socket.send_to(data, client.addr),
        };
        match sent {
            Ok(_) => {}
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
