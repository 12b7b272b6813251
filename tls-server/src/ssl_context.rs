//! 原文的 `ssl.SSLContext`：用哪些 TLS 版本，出示哪张证书。
//!
//! ```python
//! context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
//! context.load_cert_chain(certfile='server.crt', keyfile='server.key')
//! ```
//!
//! Besides building rustls's `ServerConfig`, it checks our own certificate
//! the way a strict client will: a certificate made with a bare
//! `openssl req -x509` is a CA certificate (CA:TRUE), which Python and
//! OpenSSL clients accept and rustls and browsers refuse
//! (`CaUsedAsEndEntity`). The fix is on the server's side, so the server
//! says so, at start and whenever a client refuses it for that reason.

use std::sync::Arc;

use anyhow::Result;
use common::esay;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{RootCertStore, ServerConfig};

use crate::certs::{self, CertFiles};

/// The TLS settings every connection uses, and what we know of our certificate.
pub struct Context {
    pub config: Arc<ServerConfig>,
    /// Our certificate is a CA certificate, which strict clients refuse.
    pub certificate_is_a_ca: bool,
}

// ANCHOR: tls_config
/// The article's `SSLContext`: which TLS versions, which certificate.
pub fn tls_config(files: &CertFiles) -> Result<Context> {
    let (chain, key) = certs::load(files)?;
    // 明确指定 ring 作为加密实现：若依赖里同时开启了 ring 和 aws-lc-rs，
    // ServerConfig::builder() 会在运行时 panic，而这样写永远不会。
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certificate_is_a_ca = is_a_ca_certificate(&chain, &provider);
    // context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
    // PROTOCOL_TLSv1_2 在 Python 里已弃用，而且只允许 TLS 1.2。rustls 的安全默认值
    // 是 TLS 1.3 和 1.2，更老的 TLS 1.0/1.1 和不安全的算法根本没有实现。
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| certs::unusable_pair(&e, files))?;
    Ok(Context {
        config: Arc::new(config),
        certificate_is_a_ca,
    })
}
// ANCHOR_END: tls_config

/// Verifies our own certificate as a client that trusts it would, and
/// reports whether it fails for being a CA certificate. Any other failure
/// (a name, an issuer) depends on the client and is not judged here.
fn is_a_ca_certificate(chain: &[CertificateDer<'static>], provider: &Arc<CryptoProvider>) -> bool {
    let Some((ours, intermediates)) = chain.split_first() else {
        return false;
    };
    let mut roots = RootCertStore::empty();
    if roots.add(ours.clone()).is_err() {
        return false;
    }
    let Ok(verifier) =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider)).build()
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
pub fn warn_if_a_ca(context: &Context, files: &CertFiles) {
    if context.certificate_is_a_ca {
        esay!(
            "注意：证书 {} 是一张 CA 证书（CA:TRUE）。Python 和 OpenSSL 的客户端接受它，rustls（包括 tls-client）和浏览器会拒绝（CaUsedAsEndEntity）。要改的是服务器这边的证书：{CA_FIX}",
            files.cert.display()
        );
    }
}

/// How to make a certificate that is not a CA.
pub const CA_FIX: &str = "用 openssl 重新生成时加上 -addext basicConstraints=critical,CA:FALSE，或者让 tls-server 自己生成一张（tls-server --name 你的地址）";
