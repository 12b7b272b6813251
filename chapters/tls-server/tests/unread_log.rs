//! Issue 21, finding 1: a log nobody reads must not stop the server. The
//! server's stdout and stderr are pipes that the test stops reading after
//! the first line (a paused terminal does the same), then resumes.
//! tls-server logs two lines per client (the handshake, the data).
//!
//! On the code before the fix this failed: the pipe filled after a few
//! hundred clients, `say!` waited for a reader, and the next client's
//! handshake got no answer within the test's patience.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use testkit::unread::{Exchange, keeps_serving_while_nobody_reads};
use testkit::{PATIENCE, TempDir};

const SERVER: &str = env!("CARGO_BIN_EXE_tls-server");

/// Clients, one after another. Fewer than the other servers' 10,000: each
/// is a full TLS handshake in a debug build, and at two lines per client
/// the log outgrows the pipe and the queue after about 2,500 of them.
const CLIENTS: usize = 4_000;

#[test]
fn serves_four_thousand_tls_clients_and_drops_a_silent_client_while_nobody_reads_its_log() {
    let dir = TempDir::new("tls-server-unread");
    // The first start generates the pair; the test then trusts its certificate.
    let config: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let ask = |addr: SocketAddr, request: &str| {
        let config = config.get_or_init(|| client_config(&dir.join("server.crt")));
        tls_ask(config, addr, request)
    };
    let exchange = Exchange {
        ask: &ask,
        reply: "数据已收到".as_bytes(),
        data_marker: "的数据: ",
        lines_per_request: 2,
        drops_silent_clients: true,
        // 已生成自签名证书…, and how a client trusts it.
        startup_lines: 2,
    };
    let server = Path::new(SERVER);
    keeps_serving_while_nobody_reads(
        server,
        &["127.0.0.1:0"],
        Some(dir.path()),
        &exchange,
        CLIENTS,
    );
}

fn client_config(ca: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn tls_ask(config: &Arc<ClientConfig>, addr: SocketAddr, request: &str) -> io::Result<Vec<u8>> {
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = ClientConnection::new(Arc::clone(config), name).unwrap();
    let mut tcp = TcpStream::connect_timeout(&addr, PATIENCE)?;
    tcp.set_read_timeout(Some(PATIENCE))?;
    let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
    stream.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}
