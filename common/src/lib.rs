//! 各章程序共用的一小部分代码。
//!
//! What lives here is only what every chapter would otherwise write again:
//!
//! - the article's constants, byte for byte ([`DEFAULT_ADDR`], [`TCP_MESSAGE`], …);
//! - [`addr`]: parsing `host:port` and resolving it the way a client should;
//! - [`cli`]: the tiny command-line parser behind every `--help`;
//! - [`errors`]: turning an `io::Error` into one Chinese sentence with a fix.
//!
//! Each chapter's `main.rs` still reads on its own: it calls `TcpListener::bind`,
//! `accept`, `read`, `write_all` itself, and only borrows these helpers for the
//! parts that have nothing to do with the article's lesson.

pub mod addr;
pub mod cli;
pub mod errors;

use std::time::Duration;

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

/// How long a server waits for a silent client, and a client for a silent
/// server. The article waits forever; five seconds is long enough for a human
/// typing into `nc` and short enough that a stuck peer is noticed.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Shows received bytes as text the way Python's `data.decode()` would, except
/// that invalid UTF-8 becomes `�` instead of raising `UnicodeDecodeError`.
pub fn show_bytes(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
