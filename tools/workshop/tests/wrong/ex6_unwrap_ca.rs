//! mistake: ex6.ca-panics
//! step: 6
//! unwrap on the --ca file.

fn load_roots(ca_file: &str) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    assert!(!roots.is_empty(), "no certificate");
    Ok(roots)
}
