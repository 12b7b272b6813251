//! 一个连接的状态机：读 → 回复 → 关闭。
//!
//! A thread serving one client keeps its place in the exchange on its stack:
//! it is "in `recv`" or "in `sendall`". One thread serving thousands cannot,
//! so each connection writes its place down, as a [`State`], and every time
//! the event loop says "this socket is ready" the connection goes on from
//! there as far as it can without waiting ([`Connection::proceed`]).
//!
//! ```text
//!   Reading ──read once──▶ Replying ──all 15 bytes sent──▶ Closing ──client closed──▶ (closed)
//!      │                      │                             │
//!      └── 0 bytes / error ───┴──────── error ──────────────┴── error / 64 KiB / deadline ──▶ (closed)
//! ```
//!
//! Python's `selectors` programs keep the same record in `key.data`
//! (`types.SimpleNamespace(addr=addr, inb=b"", outb=b"")`); here it is a
//! struct, and the place in the exchange is an enum instead of "whatever
//! `outb` happens to hold".

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};

use common::{BUFFER_SIZE, TCP_REPLY, errors, esay, say, show_bytes};
use mio::Interest;
use mio::net::TcpStream;

/// How much a client may send after the reply before the server stops
/// reading and simply closes: the same 64 KiB the other servers drain. A
/// client that keeps sending then gets a reset, as it would from them.
const DRAIN_LIMIT: usize = 64 * BUFFER_SIZE;

// ANCHOR: state
/// Where a connection is in the article's exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// 等客户端的数据：原文的 `data = connection.recv(1024)`，只读一次。
    Reading,
    /// 回复还没写完：`sent` 是“数据已收到”已经交给系统的字节数。
    Replying { sent: usize },
    /// 回复已写完，写的方向已关闭（FIN）：读掉客户端多发的字节，等它关闭连接。
    Closing { drained: usize },
}
// ANCHOR_END: state

/// What the connection needs next from the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// 没法不等待地继续了：等这个 socket 变得可读（或可写）时再叫我。
    WaitFor(Interest),
    /// 交换结束（或出错已记下）：注销并关闭这个连接。
    Close,
}

/// One client: its socket, who it is, and its place in the exchange. (Its
/// deadline is kept by the event loop, which wakes up for it.)
pub struct Connection {
    pub socket: TcpStream,
    pub address: SocketAddr,
    /// 当前在 poll 里登记的兴趣（可读或可写），只在变化时才重新登记。
    pub registered: Interest,
    state: State,
}

impl Connection {
    /// A connection just accepted, registered for `READABLE`.
    pub fn new(socket: TcpStream, address: SocketAddr) -> Connection {
        Connection {
            socket,
            address,
            registered: Interest::READABLE,
            state: State::Reading,
        }
    }

    // ANCHOR: proceed
    /// Goes on with the exchange as far as the socket allows without waiting.
    ///
    /// Called whenever the event loop reports this socket ready. `mio`
    /// reports a change only once (edge-triggered), so this never stops at
    /// "there may be more": it stops at `WouldBlock` (the OS has nothing for
    /// us yet; wait for the next event) or at the end of the exchange.
    pub fn proceed(&mut self) -> Next {
        loop {
            let step = match self.state {
                State::Reading => self.read_once(),
                State::Replying { sent } => self.write_reply(sent),
                State::Closing { drained } => self.drain(drained),
            };
            match step {
                Ok(Step::To(state)) => self.state = state,
                Ok(Step::Wait(interest)) => return Next::WaitFor(interest),
                Ok(Step::Done) => return Next::Close,
                // 被信号打断：什么也没发生，再试一次。
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.log_error(&e);
                    return Next::Close;
                }
            }
        }
    }
    // ANCHOR_END: proceed

    /// Called when the deadline has passed: says so, unless the exchange was
    /// already over (the reply is sent, and the client simply has not closed yet).
    pub fn expire(&self) {
        if !matches!(self.state, State::Closing { .. }) {
            self.log_error(&io::Error::from(ErrorKind::TimedOut));
        }
    }

    /// `data = connection.recv(1024)`, then what the article does with it.
    fn read_once(&mut self) -> io::Result<Step> {
        let mut data = [0; BUFFER_SIZE];
        // data = connection.recv(1024)：和原文一样只读一次。
        let received = match self.socket.read(&mut data) {
            Ok(received) => received,
            // 还没有数据（事件可能是假的，或者只是连接建立了）：等它变得可读。
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Ok(Step::Wait(Interest::READABLE));
            }
            Err(e) => return Err(e),
        };
        // if data: —— 读到 0 字节表示客户端什么也没发就关闭了连接。
        if received == 0 {
            esay!("客户端 {} 没有发送数据就关闭了连接", self.address);
            return Ok(Step::Done);
        }
        // print(f'收到来自 {client_address} 的数据: {data.decode()}')
        let text = show_bytes(&data[..received]);
        say!("收到来自 {} 的数据: {text}", self.address);
        Ok(Step::To(State::Replying { sent: 0 }))
    }

    /// `connection.sendall(b'数据已收到')`, one non-blocking `send` at a time.
    ///
    /// A blocking `sendall` waits until the system has taken every byte. A
    /// non-blocking `write` takes what fits and says how much; the rest waits
    /// in `State::Replying { sent }` until the socket is writable again.
    fn write_reply(&mut self, sent: usize) -> io::Result<Step> {
        let reply = TCP_REPLY.as_bytes();
        // sent = sock.send(data.outb)（selectors 版的写法）：交出还没写的部分，系统收下多少算多少。
        match self.socket.write(&reply[sent..]) {
            Ok(0) => Err(ErrorKind::WriteZero.into()),
            Ok(n) if sent + n < reply.len() => Ok(Step::To(State::Replying { sent: sent + n })),
            Ok(_) => {
                // 回复写完了：关闭写的方向（发出 FIN），客户端读到回复后就会读到结尾。
                self.socket.shutdown(Shutdown::Write)?;
                Ok(Step::To(State::Closing { drained: 0 }))
            }
            // 系统的发送缓冲区满了：sel.modify(conn, EVENT_WRITE)，等它变得可写。
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Step::Wait(Interest::WRITABLE)),
            Err(e) => Err(e),
        }
    }

    /// Reads and throws away what the client sent beyond the one `recv(1024)`,
    /// until it closes its side.
    ///
    /// Closing a socket with received bytes still unread does not end the
    /// connection politely (FIN); it resets it (RST), and a reset can destroy
    /// the reply before the client has read it (always on Windows). The
    /// blocking servers read what has already arrived and close; here the
    /// connection can simply wait for the client's own close, bounded by the
    /// deadline and by [`DRAIN_LIMIT`].
    fn drain(&mut self, drained: usize) -> io::Result<Step> {
        let mut scratch = [0; BUFFER_SIZE];
        match self.socket.read(&mut scratch) {
            // 客户端关闭了连接：现在关闭是干净的 FIN。
            Ok(0) => Ok(Step::Done),
            // 多发的字节太多：不再读，直接关闭（对方会收到 RST，和其他服务器一样）。
            Ok(n) if drained + n > DRAIN_LIMIT => Ok(Step::Done),
            Ok(n) => Ok(Step::To(State::Closing {
                drained: drained + n,
            })),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(Step::Wait(Interest::READABLE)),
            // 回复已经送出，之后的错误（比如对方重置）不算问题，关闭就是了。
            Err(e) if e.kind() != ErrorKind::Interrupted => Ok(Step::Done),
            Err(e) => Err(e),
        }
    }

    fn log_error(&self, error: &io::Error) {
        esay!(
            "与客户端 {} 通信时出错: {}",
            self.address,
            errors::peer(error)
        );
    }
}

/// One step of [`Connection::proceed`].
enum Step {
    /// 进入下一个状态，马上接着做。
    To(State),
    /// 要等 socket 就绪才能继续。
    Wait(Interest),
    /// 交换结束。
    Done,
}
