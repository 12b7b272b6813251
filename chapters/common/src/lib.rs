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
//!   [`show_bytes`], received bytes shown safely on a terminal; [`say!`] and
//!   [`esay!`], `println!`/`eprintln!` that cannot panic.
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

/// `println!` for the programs' output, except that a line which cannot be
/// written is dropped instead of panicking.
///
/// `println!` panics when stdout has gone away: a server piped into `head`,
/// a closed terminal. A server must keep answering its clients even when
/// nobody reads its log, so every program prints through `say!`.
#[macro_export]
macro_rules! say {
    ($($line:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stdout(), $($line)*);
    }};
}

/// `eprintln!` the same way as [`say!`]: for the error log on stderr.
#[macro_export]
macro_rules! esay {
    ($($line:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($line)*);
    }};
}

use std::io;
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

/// Shows received bytes as text the way Python's `data.decode()` would, except
/// that invalid UTF-8 becomes `�` instead of raising `UnicodeDecodeError`, and
/// characters that would act on the terminal instead of showing are escaped:
/// the bytes come from whoever connected, and printed raw they could repaint
/// the learner's screen or forge log lines.
///
/// - line breaks as `\n` and `\r`: a received line break printed raw would
///   start a new log line that the sender wrote, `收到来自 …` included;
/// - other control characters except tabs: `\x1b`;
/// - bidirectional controls (U+202E turns the rest of a line around), line
///   and paragraph separators, and zero-width characters: `\u{202e}`.
pub fn show_bytes(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => shown += "\\n",
            '\r' => shown += "\\r",
            '\t' => shown.push(c),
            _ if c.is_control() => shown += &format!("\\x{:02x}", u32::from(c)),
            _ if is_invisible_format(c) => shown += &format!("\\u{{{:04x}}}", u32::from(c)),
            _ => shown.push(c),
        }
    }
    shown
}

/// Characters that change how the text around them is shown without being
/// seen themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'                       // Arabic letter mark
            | '\u{200b}'..='\u{200f}'     // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'     // line and paragraph separators
            | '\u{202a}'..='\u{202e}'     // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'     // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'     // bidi isolates
            | '\u{feff}' // zero-width no-break space (BOM)
    )
}

/// What a server does when `accept` fails: log it and wait for the next client.
///
/// Most such errors concern one client (it gave up while queued). Running
/// out of file descriptors does not: `accept` then fails again at once, so
/// without a pause the loop would spin at full CPU printing the same line.
pub fn accept_failed(error: &io::Error) {
    esay!("接受连接时出错: {}", errors::peer(error));
    if errors::is_out_of_files(error) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::show_bytes;

    #[test]
    fn received_bytes_are_shown_safely() {
        assert_eq!(show_bytes("你好，服务器！".as_bytes()), "你好，服务器！");
        assert_eq!(show_bytes(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(show_bytes(b"line\r\n\tnext"), "line\\r\\n\tnext");
        assert_eq!(show_bytes(b"ok\rforged"), "ok\\rforged");
        // A line break cannot start a log line of the sender's making.
        let forged = "hi\n收到来自 203.0.113.9:4444 的数据: 假的".as_bytes();
        assert!(!show_bytes(forged).contains('\n'));
        assert_eq!(show_bytes(b"\x1b[2Jgone\x07\x7f"), "\\x1b[2Jgone\\x07\\x7f");
        let tricks = "a\u{202e}b\u{2028}c\u{2066}d\u{200b}e\u{feff}";
        assert_eq!(
            show_bytes(tricks.as_bytes()),
            "a\\u{202e}b\\u{2028}c\\u{2066}d\\u{200b}e\\u{feff}"
        );
    }
}
