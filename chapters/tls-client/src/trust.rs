//! 信任谁：从 `--ca` 文件读出客户端愿意相信的证书。
//!
//! A browser trusts a few hundred public certificate authorities. A learner's
//! server has a self-signed certificate that no authority signed, so this
//! client trusts exactly one file instead, the server's own `server.crt`,
//! and nothing else. That is the whole trust store: no system roots, and no
//! option to skip verification.
//!
//! PEM is read with `rustls::pki_types` (the parser that replaced the
//! archived `rustls-pemfile` crate; see `tools/certs`), after
//! `certs::files` has checked that `--ca` is a regular file of at most
//! 1 MiB: `/dev/zero` would fill memory, and a named pipe would block.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use certs::files::{FileProblem, read_small_file};
use rustls::RootCertStore;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// tls-server 生成的证书文件名：与服务器在同一个目录运行时，不用 `--ca` 也能找到。
pub const DEFAULT_CA: &str = "server.crt";

// ANCHOR: load_roots
/// Every certificate in the PEM file `path`, as the only roots to trust.
pub fn load_roots(path: &str) -> Result<RootCertStore> {
    // 先看清是什么文件再读：--ca /dev/zero 会读到内存耗尽，命名管道会让 open 一直等下去。
    let pem = read_small_file(Path::new(path)).map_err(|e| cannot_read(&e, path))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(&e, path))?;
    if certs.is_empty() {
        bail!(
            "CA 证书文件 {path} 里没有证书（找不到 -----BEGIN CERTIFICATE-----）{}：--ca 要指向 PEM 格式的服务器证书，例如 tls-server 生成的 server.crt",
            private_key_hint(&pem)
        );
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| {
            anyhow!("CA 证书文件 {path} 里的证书无法解析（{e}）：文件可能损坏了，请重新复制服务器的 server.crt")
        })?;
    }
    Ok(roots)
}
// ANCHOR_END: load_roots

fn cannot_read(problem: &FileProblem, path: &str) -> anyhow::Error {
    match problem {
        FileProblem::Missing => anyhow!(
            "找不到 CA 证书文件 {path}：请先启动一次 tls-server（它会在自己的工作目录生成 server.crt），或者用 --ca 指向服务器的证书文件"
        ),
        problem => anyhow!(problem.explain(
            "CA 证书",
            Path::new(path),
            "--ca 要指向 PEM 格式的证书文件，例如 tls-server 生成的 server.crt"
        )),
    }
}

fn not_pem(error: &pem::Error, path: &str) -> anyhow::Error {
    match error {
        pem::Error::Io(e) => anyhow!("无法读取 CA 证书文件 {path}：{e}"),
        // pem::Error 的原话会把 PEM 行打印成一串字节数字，对学习者没有帮助。
        _ => anyhow!(
            "CA 证书文件 {path} 不是有效的 PEM 文件（BEGIN/END 行或中间的 Base64 内容不完整）：文件可能损坏或被截断了，请重新复制服务器的 server.crt"
        ),
    }
}

/// Someone passing `server.key` as `--ca` deserves to be told, and warned:
/// a private key is the one file that must never leave the server.
fn private_key_hint(pem: &[u8]) -> &'static str {
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(_) => "（这是私钥文件！客户端只需要证书 server.crt，私钥应该只留在服务器上）",
        Err(_) => "",
    }
}
