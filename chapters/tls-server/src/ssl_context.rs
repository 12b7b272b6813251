//! 原文的 `ssl.SSLContext`：用哪些 TLS 版本，出示哪张证书。
//!
//! ```python
//! context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
//! context.load_cert_chain(certfile='server.crt', keyfile='server.key')
//! ```
//!
//! rustls calls it a `ServerConfig`. The certificate and key come from
//! `certs::load_or_make` (in `tools/certs`), which reads the two PEM files,
//! or makes a self-signed pair first when neither exists.

use std::sync::Arc;

use anyhow::Result;
use certs::{CertFiles, Pair};
use rustls::ServerConfig;

/// The TLS settings every connection uses, and what we know of our certificate.
pub struct Context {
    pub config: Arc<ServerConfig>,
    /// Our certificate is a CA certificate, which strict clients refuse.
    pub certificate_is_a_ca: bool,
    /// Where the certificate and key came from, for the notes at start.
    pub files: CertFiles,
}

// ANCHOR: tls_config
/// The article's `SSLContext`: which TLS versions, which certificate.
pub fn tls_config(pair: Pair) -> Result<Context> {
    // 明确指定 ring 作为加密实现：若依赖里同时开启了 ring 和 aws-lc-rs，
    // ServerConfig::builder() 会在运行时 panic，而这样写永远不会。
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
    // PROTOCOL_TLSv1_2 在 Python 里已弃用，而且只允许 TLS 1.2。rustls 的安全默认值
    // 是 TLS 1.3 和 1.2，更老的 TLS 1.0/1.1 和不安全的算法根本没有实现。
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        // context.load_cert_chain(...) 读到的那一对：证书链和私钥。
        .with_single_cert(pair.chain, pair.key)
        .map_err(|e| certs::unusable_pair(&e, &pair.files))?;
    // 设置了环境变量 SSLKEYLOGFILE 的话，rustls 把每次会话的密钥写进那个文件（NSS 格式），
    // Wireshark 有了它就能解密抓到的这次通信（见“用 Wireshark 看”）。没设置时什么也不写。
    if let Some(file) = std::env::var_os("SSLKEYLOGFILE").filter(|f| !f.is_empty()) {
        config.key_log = Arc::new(rustls::KeyLogFile::new());
        certs::key_log::announce(&file)?;
    }
    Ok(Context {
        config: Arc::new(config),
        certificate_is_a_ca: pair.is_a_ca,
        files: pair.files,
    })
}
// ANCHOR_END: tls_config
