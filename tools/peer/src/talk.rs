//! 一次 TCP 对话：连上服务器，边发送边在另一个线程里读，打印每一次收发和连接怎样结束。
//!
//! The reading runs in its own thread from the moment the connection is
//! up, so what the server sends is shown when it arrives, even while this
//! side is still trickling or waiting between messages. That matters on
//! Windows too, where a reset throws away received bytes nobody has read yet.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;
use common::addr::HostPort;
use common::{CLIENT_TIMEOUT, IO_TIMEOUT, errors, say, show_bytes};

/// Longer texts are shown by their start only.
const SHOWN_CHARS: usize = 60;

/// Connects like the chapters' clients do (each address in turn, a
/// 5-second limit) and says where to and from where.
pub fn connect(server: &HostPort) -> Result<TcpStream> {
    let stream = connect_each(server)?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    match (stream.peer_addr(), stream.local_addr()) {
        (Ok(remote), Ok(local)) => say!("已连接到 {remote}（本机地址 {local}）"),
        _ => say!("已连接到 {server}"),
    }
    Ok(stream)
}

/// Connects to each address the name stands for in turn, each with the
/// 5-second limit, and explains the last failure in one Chinese sentence.
fn connect_each(server: &HostPort) -> Result<TcpStream> {
    let mut last_error = None;
    for address in server.resolve()? {
        match TcpStream::connect_timeout(&address, IO_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((address, e)),
        }
    }
    match last_error {
        Some((tried, e)) => Err(errors::connect(server, tried, &e, IO_TIMEOUT)),
        // resolve() never returns an empty list; this is only a fallback.
        None => anyhow::bail!("找不到主机 \"{}\"", server.host),
    }
}

/// A connection with a thread that prints whatever the server sends.
pub struct Talk {
    stream: TcpStream,
    started: Instant,
    ended: Receiver<()>,
    closed: Arc<AtomicBool>,
}

impl Talk {
    pub fn start(stream: TcpStream) -> Result<Talk> {
        let started = Instant::now();
        let reader = stream.try_clone()?;
        let closed = Arc::new(AtomicBool::new(false));
        let (done, ended) = mpsc::channel();
        let seen_close = Arc::clone(&closed);
        thread::Builder::new().spawn(move || {
            listen(reader, started);
            seen_close.store(true, Ordering::SeqCst);
            let _ = done.send(());
        })?;
        Ok(Talk {
            stream,
            started,
            ended,
            closed,
        })
    }

    /// `+1.234s`: time since the connection was made.
    fn at(&self) -> String {
        stamp(self.started)
    }

    /// Sends `bytes` in one write and says so, `what` describing them.
    /// Returns false when they could not be sent (the caller stops there).
    pub fn send(&self, bytes: &[u8], what: &str) -> bool {
        let closed_before = self.closed.load(Ordering::SeqCst);
        // 先打印再写：回复可能在 write 返回之前就到了，读线程打印的“收到”应该排在后面。
        say!("{} 发送 {} 字节: {what}", self.at(), bytes.len());
        if let Err(e) = (&self.stream).write_all(bytes) {
            let why = if errors::is_timeout(&e) {
                let secs = CLIENT_TIMEOUT.as_secs();
                format!("{secs} 秒内没有发完：服务器没有读取发给它的数据")
            } else {
                errors::peer(&e)
            };
            say!("{} 发送失败: {why}", self.at());
            return false;
        }
        if closed_before {
            say!(
                "        （服务器已经发来 FIN，不会再回复：write 成功只说明字节交给了本机系统。服务器要么把它读出来扔掉（tcp-server 关闭前就这样做），要么已经关闭了 Socket，它的系统回一个 RST）"
            );
        }
        true
    }

    /// Waits up to `limit` for the server to close the connection, then
    /// gives up; either way the connection ends when this returns.
    pub fn finish(self, limit: Duration) {
        if self.ended.recv_timeout(limit).is_err() && !self.closed.load(Ordering::SeqCst) {
            say!(
                "{} 服务器 {} 秒内没有关闭连接，peer 不再等待，断开",
                self.at(),
                limit.as_secs()
            );
        }
    }
}

/// Reads until the server closes or resets, printing each read.
fn listen(mut stream: TcpStream, started: Instant) {
    let mut buffer = [0; 64 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => {
                say!("{} 服务器关闭了连接（FIN）", stamp(started));
                return;
            }
            Ok(size) => say!(
                "{} 收到 {size} 字节: {}",
                stamp(started),
                shorten(&show_bytes(&buffer[..size]))
            ),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if is_reset(&e) => {
                say!("{} 连接被服务器重置（RST）", stamp(started));
                return;
            }
            Err(e) => {
                say!("{} 读取时出错: {}", stamp(started), errors::peer(&e));
                return;
            }
        }
    }
}

pub fn is_reset(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
    )
}

pub fn stamp(started: Instant) -> String {
    format!("+{:.3}s", started.elapsed().as_secs_f64())
}

/// The text, or its start and how much more there is.
pub fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= SHOWN_CHARS {
        return text.to_string();
    }
    let start: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{start}…（共 {count} 个字符）")
}

/// How a message built with `--times` is described: `“好” × 400`.
pub fn describe(text: &str, times: usize) -> String {
    if times == 1 {
        shorten(&show_bytes(text.as_bytes()))
    } else {
        format!("“{}” × {times}", shorten(&show_bytes(text.as_bytes())))
    }
}
