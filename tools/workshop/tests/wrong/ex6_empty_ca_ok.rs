//! mistake: ex6.empty-ca
//! step: 6
//! A file with no certificate in it gives an empty trust list, not an error.

fn load_roots(ca_file: &str) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| anyhow!("无法读取证书文件 {ca_file}：{e}"))?
    {
        let cert = cert.map_err(|e| anyhow!("证书文件 {ca_file} 读不懂：{e}"))?;
        roots.add(cert)?;
    }
    Ok(roots)
}
