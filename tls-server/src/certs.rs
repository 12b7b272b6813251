//! 证书和私钥：原文的 `context.load_cert_chain(certfile='server.crt', keyfile='server.key')`。
//!
//! The article assumes both files exist and never says how to make them.
//! Here:
//!
//! - files named with `--cert`/`--key` are only read, never generated:
//!   quietly replacing a file the learner chose would hide their mistake;
//! - with no options, `server.crt` and `server.key` in the working directory
//!   are used; if neither exists, a self-signed pair is generated, and if only
//!   one exists the pair is broken and we say so;
//! - every problem with a file is one Chinese line naming the file and the fix.
//!
//! Older tutorials read PEM with the `rustls-pemfile` crate. It was archived
//! in 2025 and RustSec flags it unmaintained (RUSTSEC-2025-0134); its
//! maintainers moved the same parser into `rustls-pki-types`, which rustls
//! re-exports as `rustls::pki_types`. That is what is used here.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, anyhow, bail};
use common::say;
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// 原文的证书文件名。
pub const DEFAULT_CERT: &str = "server.crt";
/// 原文的私钥文件名。
pub const DEFAULT_KEY: &str = "server.key";

/// The names a generated certificate is valid for: what a learner types
/// to reach a server on their own machine.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How far back a generated certificate's validity starts.
const CLOCK_SKEW: Duration = Duration::from_secs(60 * 60);

/// How long a generated certificate is valid. Long enough not to get in the
/// way while learning; short enough that "expired" is a lesson, not a myth.
const VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The certificate and key files the server uses.
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Whether this run has just made them.
    pub generated: bool,
}

// ANCHOR: choose
/// Decides which files to use, generating the default pair when the
/// command line names none and neither default file exists.
pub fn choose(cert: Option<&str>, key: Option<&str>) -> Result<CertFiles> {
    let files = |generated| CertFiles {
        cert: PathBuf::from(cert.unwrap_or(DEFAULT_CERT)),
        key: PathBuf::from(key.unwrap_or(DEFAULT_KEY)),
        generated,
    };
    if cert.is_some() || key.is_some() {
        return Ok(files(false));
    }
    match (
        Path::new(DEFAULT_CERT).exists(),
        Path::new(DEFAULT_KEY).exists(),
    ) {
        (true, true) => Ok(files(false)),
        (false, false) => {
            generate(Path::new(DEFAULT_CERT), Path::new(DEFAULT_KEY))?;
            Ok(files(true))
        }
        (true, false) => bail!(half_pair(DEFAULT_CERT, DEFAULT_KEY)),
        (false, true) => bail!(half_pair(DEFAULT_KEY, DEFAULT_CERT)),
    }
}
// ANCHOR_END: choose

fn half_pair(found: &str, missing: &str) -> String {
    format!(
        "当前目录里有 {found}，却没有 {missing}：证书和私钥必须成对使用。请把 {missing} 放回来，或者删掉 {found}，让 tls-server 重新生成一对"
    )
}

// ANCHOR: load
/// Reads the certificate chain and the private key, both PEM.
pub fn load(files: &CertFiles) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let cert = &files.cert;
    // 读 PEM 用的是 rustls::pki_types 的 PemObject。老教程里的 rustls-pemfile 已在 2025 年
    // 归档（RustSec 标为无人维护：RUSTSEC-2025-0134），同一个解析器搬进了 rustls-pki-types。
    // 证书文件里可以有一串证书（服务器证书在前，中间 CA 在后），所以逐个读出来。
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| unreadable(&e, cert, "证书", "--cert"))?;
    if chain.is_empty() {
        bail!(
            "证书文件 {} 里没有证书（找不到 -----BEGIN CERTIFICATE-----）{}：--cert 要指向 PEM 格式的证书",
            cert.display(),
            mix_up(cert, Wanted::Cert)
        );
    }
    // 私钥可以是 PKCS#8（BEGIN PRIVATE KEY）、PKCS#1（BEGIN RSA PRIVATE KEY）
    // 或 SEC1（BEGIN EC PRIVATE KEY）：openssl 生成的这几种都能直接读。
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| match e {
        pem::Error::NoItemsFound => no_key(&files.key),
        e => unreadable(&e, &files.key, "私钥", "--key"),
    })?;
    Ok((chain, key))
}
// ANCHOR_END: load

/// A PEM file that could not be read at all, or is broken.
fn unreadable(error: &pem::Error, path: &Path, what: &str, option: &str) -> anyhow::Error {
    let path = path.display();
    match error {
        pem::Error::Io(e) if e.kind() == io::ErrorKind::NotFound => anyhow!(
            "找不到{what}文件 {path}：请检查 {option} 的路径（两个选项都不给时，tls-server 会在当前目录生成 server.crt 和 server.key）"
        ),
        pem::Error::Io(e) => anyhow!("无法读取{what}文件 {path}：{e}"),
        // pem::Error 的原话会把 PEM 行打印成一串字节数字，对学习者没有帮助。
        _ => anyhow!(
            "{what}文件 {path} 不是有效的 PEM 文件（BEGIN/END 行或中间的 Base64 内容不完整）：文件可能损坏或被截断了，请重新生成或复制一份"
        ),
    }
}

fn no_key(path: &Path) -> anyhow::Error {
    anyhow!(
        "私钥文件 {} 里没有可用的私钥（需要 BEGIN PRIVATE KEY、BEGIN RSA PRIVATE KEY 或 BEGIN EC PRIVATE KEY）{}：--key 要指向 PEM 格式的私钥",
        path.display(),
        mix_up(path, Wanted::Key)
    )
}

/// A hint for the two mix-ups worth naming: the files swapped, and a key
/// protected by a passphrase (which rustls does not decrypt).
fn mix_up(path: &Path, wanted: Wanted) -> &'static str {
    let text = fs::read_to_string(path).unwrap_or_default();
    let has_key = text.contains("PRIVATE KEY-----");
    let has_cert = text.contains("BEGIN CERTIFICATE");
    match wanted {
        Wanted::Key if text.contains("ENCRYPTED") => {
            "（这把私钥设了口令，不支持；先用 openssl pkey -in 原文件 -out 新文件 去掉口令）"
        }
        Wanted::Cert if has_key => "（这个文件里是私钥：是不是把 --cert 和 --key 弄反了？）",
        Wanted::Key if has_cert => "（这个文件里是证书：是不是把 --cert 和 --key 弄反了？）",
        _ => "",
    }
}

/// Which of the two files a message is about.
#[derive(Clone, Copy)]
enum Wanted {
    Cert,
    Key,
}

/// Explains why rustls refused the pair in `with_single_cert`.
pub fn unusable_pair(error: &rustls::Error, files: &CertFiles) -> anyhow::Error {
    let (cert, key) = (files.cert.display(), files.key.display());
    match error {
        rustls::Error::InconsistentKeys(_) => anyhow!(
            "证书 {cert} 和私钥 {key} 不是一对：证书里的公钥与这把私钥对不上。请用同一次生成的证书和私钥"
        ),
        rustls::Error::InvalidCertificate(e) => anyhow!(
            "证书文件 {cert} 里的证书无法解析（{e:?}）：文件可能损坏了，请重新生成或复制一份"
        ),
        e => anyhow!(
            "私钥文件 {key} 无法使用（{e}）：请确认它是 RSA、ECDSA 或 Ed25519 私钥，并且没有损坏"
        ),
    }
}

// ANCHOR: generate
/// Makes a self-signed certificate for [`NAMES`] and writes the pair as PEM.
fn generate(cert_path: &Path, key_path: &Path) -> Result<()> {
    let (cert_pem, key_pem) = self_signed().map_err(|e| anyhow!("生成自签名证书时出错：{e}"))?;
    // 先写私钥、后写证书：万一中途失败，留下的是“有私钥没证书”，下次启动会明确指出来。
    write_new_file(key_path, &key_pem, Secret::Yes)?;
    write_new_file(cert_path, &cert_pem, Secret::No)
}

fn self_signed() -> Result<(String, String)> {
    let mut params = CertificateParams::new(NAMES.map(String::from).to_vec())?;
    let now = SystemTime::now();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    // 每次生成的证书主体（subject）都不同：两张同名的自签名证书会让客户端把一张
    // 当成另一张的签发者，报出费解的“签名不对”，而不是“不认识签发者”。
    let made = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, format!("tls-server {made}"));
    // CA:FALSE：这是一张服务器证书，不能用来签发别的证书。客户端可以直接信任它，
    // 而 rustls（webpki）会拒绝把 CA 证书（CA:TRUE）当服务器证书用。
    params.is_ca = IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // 从一小时前开始生效：别的电脑的时钟稍慢一点，也不会说证书“还没到生效时间”。
    params.not_before = now.checked_sub(CLOCK_SKEW).unwrap_or(now).into();
    params.not_after = now
        .checked_add(VALIDITY)
        .ok_or_else(|| anyhow!("系统时间不对"))?
        .into();
    // ECDSA P-256：rustls、OpenSSL 和 Python 都支持，生成只要几毫秒。
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}
// ANCHOR_END: generate

/// Whether a file holds a secret (the private key).
#[derive(Clone, Copy, PartialEq)]
enum Secret {
    Yes,
    No,
}

// ANCHOR: write_new_file
/// Writes `contents` so that `path` is either absent or complete: the bytes
/// go to a temporary file in the same directory, which is then renamed.
fn write_new_file(path: &Path, contents: &str, secret: Secret) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = write_temp(&temp, contents, secret).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        bail!(
            "无法写入 {}：{e}。请在一个可写的目录里启动 tls-server，或用 --cert/--key 指定已有的文件",
            path.display()
        );
    }
    Ok(())
}

fn write_temp(temp: &Path, contents: &str, secret: Secret) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    if secret == Secret::Yes {
        owner_only(&mut options);
    }
    let mut file = options.open(temp)?;
    file.write_all(contents.as_bytes())?;
    // 先确保内容落到磁盘上再改名：改名之后，别人看到的一定是完整的文件。
    file.sync_all()
}

/// 私钥文件从创建的那一刻起就只有自己能读写（0600）。先创建再 chmod 的话，
/// 中间会有一小段时间别人也能读到它。
#[cfg(unix)]
fn owner_only(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

/// Windows has no mode bits: a new file inherits the folder's access list,
/// which for a folder in the user's profile means that user and the admins.
#[cfg(not(unix))]
fn owner_only(_options: &mut OpenOptions) {}
// ANCHOR_END: write_new_file

#[cfg(unix)]
const KEY_NOTE: &str = "权限 0600，只有你能读";
#[cfg(not(unix))]
const KEY_NOTE: &str = "不要把它发给别人";

/// Says which files are in use, and after generating them, how a client
/// trusts the new certificate. Printed after the first line, which the
/// tests (and learners) read for the address.
pub fn print_notes(files: &CertFiles, port: u16) {
    let (cert, key) = (files.cert.display(), files.key.display());
    if !files.generated {
        say!("使用证书 {cert} 和私钥 {key}");
        return;
    }
    let full = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    say!(
        "已生成自签名证书 {} 和私钥 {}（{KEY_NOTE}），证书适用于 {}，有效期一年",
        full(&files.cert).display(),
        full(&files.key).display(),
        NAMES.join("、")
    );
    // 绝对路径在哪个目录里都能用；带空格的路径要加引号，复制到终端里才是一个参数。
    let trusted = full(&files.cert).display().to_string();
    let ca = if trusted.contains(' ') {
        format!("\"{trusted}\"")
    } else {
        trusted
    };
    say!("客户端用 --ca {ca} 信任它：cargo run -p tls-client -- localhost:{port} --ca {ca}");
}
