//! mistake: ex6.name-message
//! step: 4
//! Matches only CertificateError::NotValidForName: rustls 0.23 reports NotValidForNameContext.

fn explain(error: &io::Error, server: &HostPort, ca_file: &str) -> anyhow::Error {
    let why = match tls_error(error) {
        Some(rustls::Error::InvalidCertificate(CertificateError::NotValidForName)) => format!(
            "证书上没有 \"{}\" 这个名字：只有证书上列出的名字（和 IP）能通过验证",
            server.host
        ),
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => format!(
            "服务器的证书不是 {ca_file} 里的证书，也不是它签发的：请用 --ca 指向这台服务器的证书"
        ),
        Some(other) => other.to_string(),
        None => error.to_string(),
    };
    anyhow!("与 {server} 的 TLS 握手失败：{why}")
}
