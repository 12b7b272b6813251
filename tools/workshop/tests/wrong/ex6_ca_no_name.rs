//! mistake: ex6.ca-unclear
//! step: 6
//! An error that does not say which file.

fn load_roots(ca_file: &str) -> Result<RootCertStore> {
    let certs = CertificateDer::pem_file_iter(ca_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow!("无法读取证书：{e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert)?;
    }
    if roots.is_empty() {
        bail!("没有证书");
    }
    Ok(roots)
}
