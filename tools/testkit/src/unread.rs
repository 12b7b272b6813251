//! A server whose log nobody reads for a while (issue 21, finding 1).
//!
//! A pipe holds about 64 KiB; once it is full, a `write` to it waits until
//! somebody reads. That is what a paused terminal (Ctrl-S), a Windows
//! console with a mouse selection (QuickEdit) or a pipe into a stalled
//! program does to a server. [`Unread`] starts a server with both outputs
//! piped, reads only its first line (the address), and then reads nothing
//! until [`Unread::resume`]. [`keeps_serving_while_nobody_reads`] is the
//! whole check, the same for every server:
//!
//! 1. while nobody reads, the server answers `requests` requests, one after
//!    another, each within the usual patience;
//! 2. still nobody reading, a silent client is dropped at the server's
//!    5-second deadline (for servers that have one);
//! 3. once the reader resumes, the log has every request's line except the
//!    ones counted as dropped (`省略了 N 行日志`), in order, and each count
//!    stands exactly where its lines are missing.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::{PATIENCE, address_in, deadline};

/// A server started with both outputs piped and, after its first line, unread.
pub struct Unread {
    child: Child,
    pub addr: SocketAddr,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    resume: Vec<Sender<()>>,
}

impl Unread {
    /// Starts `program` in `dir` (if given) and reads its first stdout line.
    pub fn start(program: &Path, args: &[&str], dir: Option<&Path>) -> Unread {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().unwrap();
        let (out_resume, stdout) = paused_reader(child.stdout.take().unwrap(), 1);
        let (err_resume, stderr) = paused_reader(child.stderr.take().unwrap(), 0);
        let mut unread = Unread {
            child,
            addr: "0.0.0.0:0".parse().unwrap(),
            stdout,
            stderr,
            resume: vec![out_resume, err_resume],
        };
        let first = unread.next_stdout_line();
        unread.addr = address_in(&first).unwrap_or_else(|| panic!("no address in {first:?}"));
        unread
    }

    /// Both outputs are read again from here on.
    pub fn resume(&mut self) {
        for resume in self.resume.drain(..) {
            let _ = resume.send(());
        }
    }

    /// The next stdout line, waiting at most [`PATIENCE`].
    pub fn next_stdout_line(&self) -> String {
        match self.stdout.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(e) => panic!("no stdout line within {PATIENCE:?} ({e}); stderr: {:#?}", {
                self.stderr.try_iter().collect::<Vec<_>>()
            }),
        }
    }
}

impl Drop for Unread {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A thread that reads `before_pause` lines, then waits to be resumed
/// (reading nothing meanwhile), then reads the rest.
fn paused_reader(
    output: impl Read + Send + 'static,
    before_pause: usize,
) -> (Sender<()>, Receiver<String>) {
    let (resume, resumed) = mpsc::channel::<()>();
    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(output);
        let mut line = String::new();
        for read in 0.. {
            if read == before_pause && resumed.recv().is_err() {
                return; // never resumed: the test is over.
            }
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if send.send(line.trim_end().to_string()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    (resume, lines)
}

/// How one server is spoken to, and what its log says about a request.
pub struct Exchange<'a> {
    /// Sends `request` and returns the whole reply.
    pub ask: &'a dyn Fn(SocketAddr, &str) -> std::io::Result<Vec<u8>>,
    pub reply: &'static [u8],
    /// What comes just before the request's text in its log line:
    /// `的数据: ` (`收到来自 … 的数据: 请求 00042`).
    pub data_marker: &'static str,
    /// Lines on stdout per request (tls-server also logs each handshake).
    pub lines_per_request: usize,
    /// Whether the server has a deadline for a silent client (UDP has none).
    pub drops_silent_clients: bool,
    /// Lines the server prints after its address and before any request
    /// (tls-server: which certificate it uses); they fit in the pipe.
    pub startup_lines: usize,
}

/// The check in the [module](self) header.
pub fn keeps_serving_while_nobody_reads(
    program: &Path,
    args: &[&str],
    dir: Option<&Path>,
    exchange: &Exchange<'_>,
    requests: usize,
) {
    let mut server = Unread::start(program, args, dir);
    for number in 0..requests {
        let request = format!("请求 {number:05}");
        let reply = (exchange.ask)(server.addr, &request);
        match reply {
            Ok(reply) => assert_eq!(reply, exchange.reply, "request {number}"),
            Err(e) => panic!("request {number} of {requests}, log unread: no reply ({e})"),
        }
    }
    if exchange.drops_silent_clients {
        a_silent_client_is_dropped_at_the_deadline(server.addr);
    }
    server.resume();
    let dropped = every_line_is_there_or_counted(&server, exchange, requests);
    // Shown with --nocapture (and on failure): how much the bound dropped.
    eprintln!("{requests} requests, log unread: {dropped} lines dropped and counted");
    // The log was far larger than a pipe and the queue: some lines must
    // have been dropped, or this test did not test the dropping.
    assert!(
        dropped > 0,
        "no line was dropped: too few requests for the check"
    );
}

/// Connects and says nothing: the server closes within its deadline (plus
/// the margin a loaded machine needs), and not before it (load can only
/// make the close later).
fn a_silent_client_is_dropped_at_the_deadline(addr: SocketAddr) {
    let mut silent = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
    let started = Instant::now();
    let limit = deadline::SERVER_LIMIT + deadline::MARGIN;
    silent.set_read_timeout(Some(limit)).unwrap();
    let mut byte = [0; 1];
    let read = silent.read(&mut byte);
    let waited = started.elapsed();
    let closed = match &read {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    assert!(
        closed,
        "a silent client still held after {waited:?}: {read:?}"
    );
    let early = deadline::SERVER_LIMIT - Duration::from_millis(500);
    assert!(waited >= early, "dropped after only {waited:?}");
}

/// Reads the resumed log until every request is accounted for, either by
/// its own line or by a count of dropped lines standing in its place.
/// Returns how many lines were dropped.
fn every_line_is_there_or_counted(
    server: &Unread,
    exchange: &Exchange<'_>,
    requests: usize,
) -> u64 {
    let per = exchange.lines_per_request as u64;
    let total = requests as u64 * per;
    // The position in the full log as it would be with nothing dropped.
    let mut position: u64 = 0;
    let mut dropped: u64 = 0;
    for _ in 0..exchange.startup_lines {
        let line = server.next_stdout_line();
        assert!(dropped_count(&line).is_none(), "dropped at startup: {line}");
    }
    while position < total {
        let line = server.next_stdout_line();
        if let Some(count) = dropped_count(&line) {
            position += count;
            dropped += count;
        } else if let Some(number) = request_number(&line, exchange.data_marker) {
            // Request n's line is the last of its `per` lines.
            let expected = number * per + per - 1;
            assert_eq!(position, expected, "{line:?} out of place");
            position += 1;
        } else {
            position += 1; // another line of a request (a handshake)
        }
    }
    assert_eq!(position, total, "more lines counted than there were");
    dropped
}

fn dropped_count(line: &str) -> Option<u64> {
    let rest = line.split_once("省略了 ")?.1;
    rest.split_once(" 行日志")?.0.parse().ok()
}

fn request_number(line: &str, marker: &str) -> Option<u64> {
    let rest = line.split_once(marker)?.1;
    rest.strip_prefix("请求 ")?.parse().ok()
}

/// A plain TCP exchange for [`Exchange::ask`]: the article's client.
pub fn tcp_ask(addr: SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    crate::tcp_exchange(addr, request.as_bytes())
}

/// A UDP exchange for [`Exchange::ask`]: one datagram, one reply.
pub fn udp_ask(addr: SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(PATIENCE))?;
    socket.send_to(request.as_bytes(), addr)?;
    let mut reply = [0; 1024];
    let (size, _) = socket.recv_from(&mut reply)?;
    Ok(reply[..size].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_read_as_counts_and_numbers() {
        let notice = "（省略了 12 行日志：输出没有被及时读走，服务器没有停下来等它）";
        assert_eq!(dropped_count(notice), Some(12));
        let line = "收到来自 127.0.0.1:5 的数据: 请求 00042";
        assert_eq!(request_number(line, "的数据: "), Some(42));
        assert_eq!(request_number("收到来自 x 的数据: 你好", "的数据: "), None);
    }
}
