//! 各章程序共用的一小部分代码：管道和接线，不是课文本身。
//!
//! What belongs here, and what does not:
//!
//! - **Here**: what every chapter needs and no chapter teaches. The
//!   article's constants, byte for byte ([`DEFAULT_ADDR`], [`TCP_MESSAGE`], …);
//!   [`addr`], parsing `host:port` and resolving a name to its addresses;
//!   [`cli`], the tiny command-line parser behind every `--help`;
//!   [`errors`], turning an `io::Error` into one Chinese sentence with a fix;
//!   [`deadline`], one time limit for a whole exchange, not one per read;
//!   [`show`], the one rule for showing what others control (received
//!   bytes, names) safely on a terminal; [`say!`] and [`esay!`],
//!   `println!`/`eprintln!` that cannot panic, and [`log`], which lets a
//!   server's log wait in a queue instead of the server waiting for the log.
//! - **Not here**: any socket call. Each chapter's `main.rs` binds, accepts,
//!   connects, reads, writes and closes itself, even where that repeats
//!   another chapter's lines, so that every file reads alone beside its
//!   article section (`tests/no_socket_calls.rs` keeps it that way).
//! - **Not here either**: what only the TLS programs need. Reading and
//!   making certificate files is in `tools/certs`; the two TLS programs
//!   write their few TLS helpers themselves, so the other chapters never
//!   build rustls.

pub mod addr;
pub mod cli;
pub mod deadline;
pub mod errors;
pub mod log;
pub mod show;

pub use show::{show_bytes, show_text};

/// `println!` for the programs' output, except that it never panics and,
/// in a server, never waits for the terminal.
///
/// `println!` panics when stdout has gone away (a server piped into `head`,
/// a closed terminal), and waits when nobody reads it (a paused terminal, a
/// full pipe). A server must keep answering its clients in both cases, so
/// every program prints through `say!`: a line that cannot be written is
/// dropped, and once a server has called [`log::write_in_background`], a
/// line waits in a bounded queue while a thread of its own writes it out.
#[macro_export]
macro_rules! say {
    () => {
        $crate::log::line($crate::log::Stream::Out, ::std::format_args!(""))
    };
    ($($line:tt)+) => {
        $crate::log::line($crate::log::Stream::Out, ::std::format_args!($($line)+))
    };
}

/// `eprintln!` the same way as [`say!`]: for the error log on stderr.
#[macro_export]
macro_rules! esay {
    () => {
        $crate::log::line($crate::log::Stream::Err, ::std::format_args!(""))
    };
    ($($line:tt)+) => {
        $crate::log::line($crate::log::Stream::Err, ::std::format_args!($($line)+))
    };
}

use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// 原文中的服务器地址 `('localhost', 9999)`。
pub const DEFAULT_ADDR: &str = "localhost:9999";

/// 原文 TCP 客户端发送的消息：`message = b'你好，服务器！'`。
pub const TCP_MESSAGE: &str = "你好，服务器！";

/// 原文 TCP 服务器的回复：`connection.sendall(b'数据已收到')`。
pub const TCP_REPLY: &str = "数据已收到";

/// 原文 UDP 客户端发送的消息：`message = b'你好，UDP 服务器！'`。
pub const UDP_MESSAGE: &str = "你好，UDP 服务器！";

/// 原文 UDP 服务器的回复：`sendto(b'UDP 数据已收到', client_address)`。
pub const UDP_REPLY: &str = "UDP 数据已收到";

/// 原文每次 `recv(1024)` / `recvfrom(1024)` 使用的缓冲区大小。
pub const BUFFER_SIZE: usize = 1024;

/// How long a server gives one client for the whole exchange, from accept
/// to reply (for TLS, the handshake too), and how long a client waits to
/// connect. The article waits forever; five seconds is long enough for a
/// human typing into a terminal and short enough that a stuck peer is noticed.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client gives the whole exchange once connected (for TLS, the
/// handshake too): twice [`IO_TIMEOUT`]. `tcp-server` serves one client at
/// a time, so a client queued behind a silent one waits up to `IO_TIMEOUT`
/// before its turn even starts; with the same 5 seconds it would give up
/// just as the server got to it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a server does when `accept` fails: log it and wait for the next client.
///
/// Most such errors concern one client (it gave up while queued). Running
/// out of file descriptors does not: `accept` then fails again at once, so
/// without a pause the loop would spin at full CPU printing the same line.
pub fn accept_failed(error: &io::Error) {
    log_accept_error(error);
    if errors::is_out_of_files(error) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Logs a failed `accept`. Running out of file descriptors lasts until a
/// connection closes and fails every `accept` meanwhile: that is logged at
/// most once per second, each line saying how many more failures there were
/// since the one before, so the log shows the shortage without drowning in it.
pub fn log_accept_error(error: &io::Error) {
    if !errors::is_out_of_files(error) {
        esay!("接受连接时出错: {}", errors::peer(error));
        return;
    }
    static OUT_OF_FILES: Mutex<Throttle> = Mutex::new(Throttle::new(Duration::from_secs(1)));
    let allowed = OUT_OF_FILES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .allow(Instant::now());
    match allowed {
        None => {}
        Some(0) => esay!("接受连接时出错: {}", errors::peer(error)),
        Some(more) => esay!(
            "接受连接时出错: {}（上一行之后又出现 {more} 次，每秒最多记一行）",
            errors::peer(error)
        ),
    }
}

/// At most one line per `period`; the lines held back are counted.
#[derive(Debug)]
pub struct Throttle {
    period: Duration,
    last: Option<Instant>,
    held_back: u64,
}

impl Throttle {
    pub const fn new(period: Duration) -> Throttle {
        Throttle {
            period,
            last: None,
            held_back: 0,
        }
    }

    /// `Some(n)` if a line may be written at `now`, `n` being how many were
    /// held back since the last one; `None` (and counted) if not yet.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        let due = self
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.period);
        if due {
            self.last = Some(now);
            Some(std::mem::take(&mut self.held_back))
        } else {
            self.held_back += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_lets_one_line_a_period_through_and_counts_the_rest() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut throttle = Throttle::new(Duration::from_secs(1));
        assert_eq!(throttle.allow(at(0)), Some(0));
        for ms in (100..1000).step_by(100) {
            assert_eq!(throttle.allow(at(ms)), None);
        }
        assert_eq!(throttle.allow(at(1000)), Some(9));
        assert_eq!(throttle.allow(at(1500)), None);
        assert_eq!(throttle.allow(at(5000)), Some(1));
    }
}
