//! mistake: ex6.name-message
//! step: 4
//! TODO 4 left out: the name error in rustls's own English.

fn explain(error: &io::Error, server: &HostPort, ca_file: &str) -> anyhow::Error {
    let why = match tls_error(error) {
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => format!(
            "服务器的证书不是 {ca_file} 里的证书，也不是它签发的：请用 --ca 指向这台服务器的证书"
        ),
        Some(other) => other.to_string(),
        None => error.to_string(),
    };
    anyhow!("与 {server} 的 TLS 握手失败：{why}")
}
