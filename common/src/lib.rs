//! 各章程序共用的一小部分代码。
//!
//! What lives here is only what every chapter would otherwise write again:
//!
//! - the article's constants, byte for byte ([`DEFAULT_ADDR`], [`TCP_MESSAGE`], …);
//! - [`addr`]: parsing `host:port` and resolving it the way a client should;
//! - [`cli`]: the tiny command-line parser behind every `--help`;
//! - [`errors`]: turning an `io::Error` into one Chinese sentence with a fix;
//! - [`answer_once`]: the article's "recv once, print, sendall" step, which its
//!   TCP, threaded and TLS servers all repeat word for word;
//! - [`say!`] and [`esay!`]: `println!`/`eprintln!` that cannot panic.
//!
//! Each chapter's `main.rs` still reads on its own: a server binds and
//! accepts itself, a client connects, sends and receives itself. The one piece of the lesson kept here
//! is the article's own `handle_connection` (recv once, print, sendall,
//! close), which the article writes out for its TCP server and again for its
//! threaded one; here it is written once, and the TCP, threaded and TLS
//! servers call it. The docs quote it beside each of them.

pub mod addr;
pub mod cli;
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

use std::fmt::Display;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
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

/// How long a client waits for the reply: twice [`IO_TIMEOUT`]. `tcp-server`
/// serves one client at a time, so a client queued behind a silent one waits
/// up to `IO_TIMEOUT` before its turn even starts; with the same 5 seconds it
/// would give up just as the server got to it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Shows received bytes as text the way Python's `data.decode()` would, except
/// that invalid UTF-8 becomes `�` instead of raising `UnicodeDecodeError`, and
/// control characters other than line breaks and tabs are shown escaped
/// (`\x1b`): the bytes come from whoever connected, and an escape sequence
/// printed raw would repaint or scramble the learner's terminal.
pub fn show_bytes(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut shown = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // A lone \r would move the cursor back and let the sender overwrite
        // the start of the log line; \r\n (a line break from Windows or
        // telnet) is harmless.
        let line_break = c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
        if c.is_control() && !line_break && c != '\t' {
            shown += &format!("\\x{:02x}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    shown
}

// ANCHOR: handle_connection
/// 原文的 `handle_connection(connection, client_address)`：服务一个 TCP 客户端，
/// 从头到尾。
///
/// ```python
/// def handle_connection(connection, client_address):
///     try:
///         ...  # 读一次、打印、回复，见 answer_once
///     finally:
///         connection.close()
/// ```
///
/// `tcp-server` calls it from its accept loop, `threaded-server` from its
/// worker threads: the article writes this body twice, we write it once.
/// An error is the client's problem, not the server's: it is logged and the
/// caller goes on to the next client.
pub fn handle_connection(mut connection: TcpStream, client_address: SocketAddr) {
    // 原文没有超时：连上却不发数据的客户端会让 recv 永远等下去。
    let result = set_timeouts(&connection, IO_TIMEOUT)
        .and_then(|()| answer_once(&mut connection, &client_address));
    if let Err(e) = result {
        esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
    discard_unread(&mut connection);
    // finally: connection.close() —— connection 在这里离开作用域被 drop，连接随之关闭。
}
// ANCHOR_END: handle_connection

// ANCHOR: discard_unread
/// Reads and throws away what the client sent beyond the one `recv(1024)`.
///
/// A socket closed while received bytes are still unread does not end the
/// connection politely (FIN); it resets it (RST). On Windows the client then
/// loses even the reply it has not read yet. So before closing, whatever has
/// already arrived is read without waiting (a bounded amount: a client that
/// sends endlessly still gets its reset).
fn discard_unread(connection: &mut TcpStream) {
    if connection.set_nonblocking(true).is_err() {
        return;
    }
    let mut scratch = [0; BUFFER_SIZE];
    for _ in 0..64 {
        match connection.read(&mut scratch) {
            Ok(received) if received > 0 => continue,
            _ => break, // 0：对方已关闭；WouldBlock：暂时没有更多数据了。
        }
    }
}
// ANCHOR_END: discard_unread

// ANCHOR: answer_once
/// 原文服务器处理一个连接的核心：读一次、打印、回复“数据已收到”。
///
/// ```python
/// data = connection.recv(1024)
/// if data:
///     print(f'收到来自 {client_address} 的数据: {data.decode()}')
///     connection.sendall(b'数据已收到')
/// ```
///
/// The article writes these lines out again in its threaded section; here
/// the TCP, threaded and TLS servers share this one function, and each
/// chapter's `main.rs` shows only what that chapter changes around it. It
/// takes anything that reads and writes, so a plain `TcpStream` and a TLS
/// stream both fit. Timeouts are the caller's job: they are set on the socket.
/// Returns whether a reply was sent (false: the client sent nothing).
pub fn answer_once(
    connection: &mut impl ReadWrite,
    client_address: &impl Display,
) -> io::Result<bool> {
    // data = connection.recv(1024)
    // 和原文一样只读一次。TCP 是字节流，一次 read 拿到的可能只是消息的一部分；
    // 本章的消息很短，一次足够。更长的消息怎样读完整，见文档「小结与进阶」。
    let mut data = [0; BUFFER_SIZE];
    let received = match connection.read(&mut data) {
        Ok(received) => received,
        // TLS 连接被对方直接断开（没有 close_notify）时报告 UnexpectedEof：也是“什么都没发”。
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
        Err(e) => return Err(e),
    };

    // if data: —— 读到 0 字节表示客户端什么也没发就关闭了连接。
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(false);
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    // 不是合法 UTF-8 的字节显示成 �，而不是像 Python 那样抛出 UnicodeDecodeError。
    let text = show_bytes(&data[..received]);
    say!("收到来自 {client_address} 的数据: {text}");
    // connection.sendall(b'数据已收到') —— write_all 就是 sendall：写完每个字节才返回。
    connection.write_all(TCP_REPLY.as_bytes())?;
    Ok(true)
}
// ANCHOR_END: answer_once

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

/// 给连接设置读写超时（服务器用 [`IO_TIMEOUT`]，客户端用 [`CLIENT_TIMEOUT`]）。
/// 原文没有超时：连上却一言不发的对方，会让 `recv` 永远等下去。
pub fn set_timeouts(stream: &TcpStream, timeout: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))
}

// ANCHOR: read_reply
/// 客户端读取服务器的回复：一直读到服务器关闭连接，最多 1024 字节。
///
/// The article's single `recv(1024)` may return only the first part of the
/// reply. The servers here close the connection right after replying, so
/// the end of the stream marks the end of the reply. A reset or a timeout
/// that comes after part of the reply still leaves us that part to show;
/// so does `UnexpectedEof`, which is how a TLS stream reports a server that
/// closed without `close_notify` (the article's Python TLS server does).
pub fn read_reply(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    match stream.take(BUFFER_SIZE as u64).read_to_end(&mut data) {
        Ok(_) => Ok(data),
        Err(e) if !data.is_empty() && is_cut_short(&e) => Ok(data),
        Err(e) => Err(e),
    }
}
// ANCHOR_END: read_reply

fn is_cut_short(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        UnexpectedEof | ConnectionReset | TimedOut | WouldBlock
    )
}

/// Something a server can read a request from and write a reply to.
pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[cfg(test)]
mod tests {
    use super::show_bytes;

    #[test]
    fn received_bytes_are_shown_safely() {
        assert_eq!(show_bytes("你好，服务器！".as_bytes()), "你好，服务器！");
        assert_eq!(show_bytes(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(show_bytes(b"line\r\n\tnext"), "line\r\n\tnext");
        assert_eq!(show_bytes(b"ok\rforged"), "ok\\x0dforged");
        assert_eq!(show_bytes(b"\x1b[2Jgone\x07\x7f"), "\\x1b[2Jgone\\x07\\x7f");
    }
}
