//! Is our own certificate a CA certificate? Strict clients refuse one as a
//! server's certificate, and the fix is on the server's side.
//!
//! A certificate made with a bare `openssl req -x509` is a CA certificate
//! (CA:TRUE), which Python and OpenSSL clients accept and rustls and
//! browsers refuse (`CaUsedAsEndEntity`). The server checks its own
//! certificate the way a strict client will and says so at start; its log
//! names the same fix whenever a client refuses it for that reason.

use std::path::Path;
use std::sync::Arc;

use common::esay;
use common::show::show_path;
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// How to make a certificate that is not a CA.
pub const CA_FIX: &str = "用 openssl 重新生成时加上 -addext basicConstraints=critical,CA:FALSE，或者让 tls-server 自己生成一张（tls-server --name 你的地址）";

/// Verifies our own certificate as a client that trusts it would, and
/// reports whether it fails for being a CA certificate. Any other failure
/// (a name, an issuer) depends on the client and is not judged here.
pub fn is_a_ca_certificate(chain: &[CertificateDer<'static>]) -> bool {
    let Some((ours, intermediates)) = chain.split_first() else {
        return false;
    };
    let mut roots = RootCertStore::empty();
    if roots.add(ours.clone()).is_err() {
        return false;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let Ok(verifier) =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build()
    else {
        return false;
    };
    let name = ServerName::from(std::net::Ipv4Addr::LOCALHOST);
    let verdict = verifier.verify_server_cert(ours, intermediates, &name, &[], UnixTime::now());
    // webpki's CaUsedAsEndEntity has no variant of its own in rustls 0.23
    // (it arrives as CertificateError::Other), so it is recognised by name,
    // as tls-client does.
    matches!(verdict, Err(e) if format!("{e:?}").contains("CaUsedAsEndEntity"))
}

/// The server's side of the CaUsedAsEndEntity story, said once at start.
pub fn warn(cert: &Path) {
    esay!(
        "注意：证书 {} 是一张 CA 证书（CA:TRUE）。Python 和 OpenSSL 的客户端接受它，rustls（包括 tls-client）和浏览器会拒绝（CaUsedAsEndEntity）。要改的是服务器这边的证书：{CA_FIX}",
        show_path(cert)
    );
}
