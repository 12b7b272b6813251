//! The checker's own TLS server, for the replies tls-server never sends:
//! a reply in several TLS records with pauses between them, and a reply
//! cut off by a reset in the middle. It serves with a certificate that
//! tls-server made, and records every TCP read and write into the wire
//! (wiretap shows them as TLS records), with a note of the plain text.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{Context, Result};
use common::{IO_TIMEOUT, show_bytes};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection};

use super::taps::{is_reset, is_wait};
use super::wire::{Side, Wire};

/// How the server answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Each piece in a TLS record of its own, `gap` apart, then close_notify and FIN.
    Pieces { pieces: Vec<Vec<u8>>, gap: Duration },
    /// `part` in one record, then nothing: neither the rest nor a close,
    /// until the client gives up (a server that hangs in mid-reply).
    StallAfter { part: Vec<u8> },
}

/// A TLS server on a free port of 127.0.0.1, stopped when dropped.
pub struct TlsServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    pub fn start(cert: &Path, key: &Path, answer: Answer, wire: Arc<Wire>) -> Result<TlsServer> {
        let config = Arc::new(config(cert, key)?);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || serve(&listener, &config, &answer, &wire, &stop))
        };
        Ok(TlsServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn config(cert: &Path, key: &Path) -> Result<ServerConfig> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("无法读取 {}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("无法读取 {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?)
}

fn serve(
    listener: &TcpListener,
    config: &Arc<ServerConfig>,
    answer: &Answer,
    wire: &Wire,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::SeqCst) {
        let (stream, client) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(_) => {
                thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        let local = stream.local_addr().unwrap_or(client);
        let conn = wire.opened(client, local);
        if let Err(e) = answer_one(stream, conn, config, answer, wire, stop) {
            wire.note(conn, format!("检查的 TLS 服务器：{e}"));
        }
    }
}

/// The TCP connection, recording every read and write.
struct Recorded<'a> {
    stream: &'a TcpStream,
    wire: &'a Wire,
    conn: usize,
}

impl Read for Recorded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.stream.read(buf)?;
        if size == 0 {
            self.wire.fin(self.conn, Side::Client);
        } else {
            self.wire.data(self.conn, Side::Client, &buf[..size]);
        }
        Ok(size)
    }
}

impl Write for Recorded<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let size = self.stream.write(buf)?;
        self.wire.data(self.conn, Side::Server, &buf[..size]);
        Ok(size)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

fn answer_one(
    stream: TcpStream,
    conn: usize,
    config: &Arc<ServerConfig>,
    answer: &Answer,
    wire: &Wire,
    stop: &AtomicBool,
) -> Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut tcp = Recorded {
        stream: &stream,
        wire,
        conn,
    };
    let mut tls = ServerConnection::new(Arc::clone(config))?;
    while tls.is_handshaking() {
        if tls.complete_io(&mut tcp)? == (0, 0) {
            anyhow::bail!("客户端在握手时关闭了连接");
        }
    }
    let mut request = vec![0; 64 * 1024];
    let size = rustls::Stream::new(&mut tls, &mut tcp).read(&mut request)?;
    wire.note(
        conn,
        format!(
            "（解密后）客户端发来 {size} 字节: {}",
            show_bytes(&request[..size])
        ),
    );
    match answer {
        Answer::Pieces { pieces, gap } => {
            for (index, piece) in pieces.iter().enumerate() {
                if index > 0 {
                    thread::sleep(*gap);
                }
                let mut tls_stream = rustls::Stream::new(&mut tls, &mut tcp);
                tls_stream.write_all(piece)?;
                tls_stream.flush()?;
                wire.note(
                    conn,
                    format!(
                        "（加密之前）服务器发出 {} 字节: {}",
                        piece.len(),
                        show_bytes(piece)
                    ),
                );
            }
            tls.send_close_notify();
            tls.complete_io(&mut tcp)?;
            let _ = stream.shutdown(std::net::Shutdown::Write);
            wire.fin(conn, Side::Server);
        }
        Answer::StallAfter { part } => {
            let mut tls_stream = rustls::Stream::new(&mut tls, &mut tcp);
            tls_stream.write_all(part)?;
            tls_stream.flush()?;
            wire.note(
                conn,
                format!(
                    "（加密之前）服务器发出 {} 字节: {}，然后停住了：回复的其余部分不来，连接也不关闭",
                    part.len(),
                    show_bytes(part)
                ),
            );
            wait_for_the_client(&stream, conn, wire, stop);
        }
    }
    Ok(())
}

/// Holds the connection until the client closes it (at its own time
/// limit) or the server is stopped, recording how the client ended it.
fn wait_for_the_client(stream: &TcpStream, conn: usize, wire: &Wire, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(process_runner::TICK));
    let mut scratch = [0; 4096];
    while !stop.load(Ordering::SeqCst) {
        match (&*stream).read(&mut scratch) {
            Ok(0) => {
                wire.fin(conn, Side::Client);
                return;
            }
            Ok(size) => wire.data(conn, Side::Client, &scratch[..size]),
            Err(e) if is_wait(&e) => {}
            Err(e) if is_reset(&e) => {
                wire.reset(conn, Side::Client);
                return;
            }
            Err(_) => return,
        }
    }
}
