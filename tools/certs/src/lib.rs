//! 证书和私钥文件：原文的 `context.load_cert_chain(certfile='server.crt', keyfile='server.key')`
//! 背后的那部分工作，不是 TLS 这一课本身。
//!
//! `tls-server` makes one call, [`load_or_make`], and gets back a
//! certificate chain and a private key ready for rustls's `ServerConfig`.
//! Everything the article leaves out about those two files lives here, so
//! that the chapter reads like the article's sixteen lines:
//!
//! - with no options, `server.crt` and `server.key` in the working directory
//!   are used; if neither exists, a self-signed pair is generated (see
//!   [`generate`](crate::generate) for how two servers started at once,
//!   Ctrl-C or a full disk still leave one whole pair or none), and if only
//!   one exists the pair is broken and we say so;
//! - `--name` (repeatable) says which names the certificate must carry:
//!   files that do not exist yet are generated for those names (also at
//!   `--cert`/`--key` paths), files that exist are checked for them;
//! - files named with `--cert`/`--key` and no `--name` are only read, never
//!   generated: quietly creating a file the learner meant to point at
//!   would hide their typo;
//! - a file is looked at before it is read ([`files`]): `/dev/zero`
//!   or a named pipe gets a sentence, not an abort or a hang;
//! - an existing key that others can read, or that belongs to another
//!   user, gets a warning (Unix);
//! - a CA certificate (what a bare `openssl req -x509` makes), which strict
//!   clients refuse, is named at start ([`authority`]);
//! - every problem with a file is one Chinese line naming the file and the fix.
//!
//! `tls-client` uses [`files`] too, to read the certificate it is told to
//! trust, and both chapters use [`key_log`] to say what `SSLKEYLOGFILE` does.
//!
//! Older tutorials read PEM with the `rustls-pemfile` crate. It was archived
//! in 2025 and RustSec flags it unmaintained (RUSTSEC-2025-0134); its
//! maintainers moved the same parser into `rustls-pki-types`, which rustls
//! re-exports as `rustls::pki_types`. That is what is used here.

pub mod authority;
pub mod files;
mod generate;
mod idn;
pub mod inspect;
pub mod key_log;

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Result, anyhow, bail};
use common::addr::HostPort;
use common::show::{show_path, show_text};
use common::{esay, say};
use rustls::client::verify_server_name;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, Error as TlsError};

use crate::files::{FileProblem, read_small_file};

/// 原文的证书文件名。
pub const DEFAULT_CERT: &str = "server.crt";
/// 原文的私钥文件名。
pub const DEFAULT_KEY: &str = "server.key";

/// The names a generated certificate is valid for when no `--name` is
/// given: what a learner types to reach a server on their own machine.
const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// At most this many `--name`s. Each name adds up to 260 bytes to the
/// certificate (a host name has at most 253), so 100 names stay far below
/// the 64 KiB that rustls (webpki) and many other TLS programs accept for a
/// whole certificate; 8,000 names made 129 KB, which every client refuses.
/// A classroom needs a handful.
pub const MAX_NAMES: usize = 100;

/// The largest certificate rustls takes: webpki reads a certificate's
/// length in at most two bytes.
const MAX_CERTIFICATE: usize = 65_535;

/// A certificate that expires within this many days gets a warning at start.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The certificate and key files the server uses.
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Whether this run has just made them.
    pub generated: bool,
    /// The names the certificate is made for (when generated) or must
    /// carry (when `check_names`).
    pub names: Vec<String>,
    /// Whether `--name` was given, so existing files must carry `names`.
    pub check_names: bool,
    /// What the certificate says about itself, once it is read (`None` if
    /// [`inspect`] cannot follow it).
    pub summary: Option<inspect::Summary>,
}

/// A certificate chain and its private key, read and checked, with what we
/// know of where they came from.
pub struct Pair {
    pub files: CertFiles,
    /// The certificate first, then any intermediate certificates.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The certificate is a CA certificate, which strict clients refuse
    /// (see [`authority`]).
    pub is_a_ca: bool,
}

// ANCHOR: load_or_make
/// `load_cert_chain`, plus what the article leaves out: the files named by
/// `--cert`/`--key` (default `server.crt`/`server.key`), generated first
/// when they do not exist (see [`choose`]), then read and checked.
pub fn load_or_make<'a>(
    cert: Option<&str>,
    key: Option<&str>,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Pair> {
    let mut files = choose(cert, key, names)?;
    let (chain, key) = load(&files)?;
    let is_a_ca = authority::is_a_ca_certificate(&chain);
    files.summary = chain.first().and_then(|cert| inspect::summarize(cert));
    Ok(Pair {
        files,
        chain,
        key,
        is_a_ca,
    })
}
// ANCHOR_END: load_or_make

// ANCHOR: choose
/// Decides which files to use, generating them when they do not exist and
/// either the command line names no files or `--name` says what to make.
pub fn choose<'a>(
    cert: Option<&str>,
    key: Option<&str>,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<CertFiles> {
    let given: Vec<&str> = names.into_iter().collect();
    let mut files = CertFiles {
        cert: PathBuf::from(cert.unwrap_or(DEFAULT_CERT)),
        key: PathBuf::from(key.unwrap_or(DEFAULT_KEY)),
        generated: false,
        names: certificate_names(&given)?,
        check_names: !given.is_empty(),
        summary: None,
    };
    // 用 --cert/--key 指定、又没有 --name 的文件只读不生成：悄悄生成一个，会掩盖写错的路径。
    if (cert.is_some() || key.is_some()) && given.is_empty() {
        return Ok(files);
    }
    if files.cert == files.key {
        // 证书和私钥放在同一个 PEM 文件里也能用（load 会从中各取所需），只是没法这样生成。
        if fs::symlink_metadata(&files.cert).is_ok() {
            return Ok(files);
        }
        bail!(
            "--cert 和 --key 都是 {}：生成的证书和私钥要放在两个文件里，请给它们不同的名字",
            show_path(&files.cert)
        );
    }
    let made = generate::ensure_pair(&files.cert, &files.key, &files.names)?;
    files.generated = made == generate::Made::Here;
    Ok(files)
}
// ANCHOR_END: choose

/// The names from `--name`, checked and without repeats; the defaults
/// when there are none.
fn certificate_names(given: &[&str]) -> Result<Vec<String>> {
    if given.is_empty() {
        return Ok(DEFAULT_NAMES.map(String::from).to_vec());
    }
    let mut names = Vec::new();
    for raw in given {
        let name = certificate_name(raw)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    // 在生成之前就检查：名字太多的证书太大，rustls 和许多客户端会拒绝它。
    if names.len() > MAX_NAMES {
        bail!(
            "--name 给了 {} 个不同的名字，太多了：一张证书最多 {MAX_NAMES} 个名字（证书太大时 rustls 和许多 TLS 客户端会拒绝它）。只写客户端真正会用来连接的名字",
            names.len()
        );
    }
    Ok(names)
}

/// One `--name`: an IP address (`192.0.2.10`, `::1`, `[::1]`) or a host
/// name (`teacher.local`), written as a client will check it. An address
/// no client can connect to is refused, and so is a name in Chinese (or
/// any non-ASCII script), with the ASCII form that certificates and
/// clients use for it.
fn certificate_name(raw: &str) -> Result<String> {
    let bare = raw
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(raw);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return certificate_ip(raw, ip);
    }
    if let Ok(ServerName::DnsName(name)) = ServerName::try_from(bare) {
        return Ok(name.as_ref().to_ascii_lowercase());
    }
    let shown = show_text(raw);
    // 192.0.2.10:9999 这样带端口的写法：指出来，给出去掉端口的写法。
    if let Some((host, port)) = raw.rsplit_once(':')
        && port.parse::<u16>().is_ok()
        && let Ok(host) = certificate_name(host)
    {
        bail!("--name 的值 \"{shown}\" 带了端口：证书上的名字不含端口，请写 --name {host}");
    }
    // 例子.中国 这样的国际化域名：证书里、DNS 里用的都是它的 ASCII 写法（xn--……）。
    if !bare.is_ascii()
        && let Some(ascii) = idn::to_ascii(bare)
        && ServerName::try_from(ascii.as_str()).is_ok()
    {
        bail!(
            "--name 的值 \"{shown}\" 是国际化域名：证书上和客户端连接时用的都是它的 ASCII 写法，请写 --name {ascii}（客户端也连接 {ascii}）"
        );
    }
    bail!(
        "--name 的值 \"{shown}\" 不能写进证书：它既不是主机名（例如 teacher.local），也不是 IP 地址（例如 192.0.2.10）"
    )
}

/// An IP address for the certificate: one a client can connect to.
fn certificate_ip(raw: &str, ip: IpAddr) -> Result<String> {
    let shown = show_text(raw);
    if ip.is_unspecified() {
        bail!(
            "--name {shown} 不能写进证书：{ip} 的意思是“本机的所有地址”，只能用来监听，客户端没法连接它。请写客户端连接时用的地址：服务器监听 0.0.0.0 时会列出“其他电脑可以连接”的地址，照着写 --name，例如 --name 192.0.2.10；只在本机用的话不必写 --name（默认 localhost、127.0.0.1 和 ::1）"
        );
    }
    if let IpAddr::V6(v6) = ip
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        bail!(
            "--name {shown} 是写成 IPv6 形式的 IPv4 地址：客户端连接的是 {v4}，核对的也是它，请写 --name {v4}"
        );
    }
    let group = match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => v6.is_multicast(),
    };
    if group {
        bail!(
            "--name {shown} 不能写进证书：这是广播或组播地址，不是一台电脑的地址，TCP 客户端没法连接它。请写服务器所在电脑的地址"
        );
    }
    Ok(ip.to_string())
}

/// A certificate without its key or a key without its certificate.
fn half_pair(found: &Path, missing: &Path) -> String {
    let (found, missing) = (show_path(found), show_path(missing));
    let place = if missing == DEFAULT_CERT || missing == DEFAULT_KEY {
        "当前目录里"
    } else {
        ""
    };
    format!(
        "{place}有 {found}，却没有 {missing}：证书和私钥必须成对使用。请把 {missing} 放回来，或者删掉 {found}，让 tls-server 重新生成一对"
    )
}

// ANCHOR: load
/// Reads the certificate chain and the private key, both PEM, after looking
/// at each file: a regular file of at most 1 MiB.
pub fn load(files: &CertFiles) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let cert = &files.cert;
    // 先看清是什么文件再读：/dev/zero 会读到内存耗尽，命名管道会让 open 一直等下去。
    let cert_pem = read_small_file(cert).map_err(|e| cannot_read(&e, cert, Wanted::Cert))?;
    // 读 PEM 用的是 rustls::pki_types 的 PemObject。老教程里的 rustls-pemfile 已在 2025 年
    // 归档（RustSec 标为无人维护：RUSTSEC-2025-0134），同一个解析器搬进了 rustls-pki-types。
    // 证书文件里可以有一串证书（服务器证书在前，中间 CA 在后），所以逐个读出来。
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(&e, cert, Wanted::Cert))?;
    let Some(server_cert) = chain.first() else {
        bail!(
            "证书文件 {} 里没有证书（找不到 -----BEGIN CERTIFICATE-----）{}：--cert 要指向 PEM 格式的证书",
            show_path(cert),
            mix_up(&cert_pem, Wanted::Cert)
        );
    };
    // rustls（webpki）只接受 64 KiB 以内的证书；更大的它只会说“编码错误”，像是文件坏了。
    if server_cert.len() > MAX_CERTIFICATE {
        bail!(
            "证书文件 {} 里的证书有 {} 字节，太大了：rustls 和许多 TLS 客户端只接受 {MAX_CERTIFICATE} 字节以内的证书（名字太多？）。请用 tls-server --name 只写需要的名字，重新生成一张",
            show_path(cert),
            server_cert.len()
        );
    }
    if files.check_names && !files.generated {
        check_names(server_cert, files)?;
    }
    // 私钥可以是 PKCS#8（BEGIN PRIVATE KEY）、PKCS#1（BEGIN RSA PRIVATE KEY）
    // 或 SEC1（BEGIN EC PRIVATE KEY）：openssl 生成的这几种都能直接读。
    let key = &files.key;
    let key_pem = read_small_file(key).map_err(|e| cannot_read(&e, key, Wanted::Key))?;
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => no_key(key, &key_pem),
        e => not_pem(&e, key, Wanted::Key),
    })?;
    Ok((chain, private_key))
}
// ANCHOR_END: load

/// A file that could not be read at all.
fn cannot_read(problem: &FileProblem, path: &Path, wanted: Wanted) -> anyhow::Error {
    let (what, option) = wanted.words();
    match problem {
        FileProblem::Missing => anyhow!(
            "找不到{what}文件 {}：请检查 {option} 的路径（两个选项都不给时，tls-server 会在当前目录生成 server.crt 和 server.key）",
            show_path(path)
        ),
        problem => {
            anyhow!(problem.explain(what, path, &format!("{option} 要指向 PEM 格式的{what}文件")))
        }
    }
}

/// A file that was read but is not valid PEM.
fn not_pem(error: &pem::Error, path: &Path, wanted: Wanted) -> anyhow::Error {
    let (what, _) = wanted.words();
    let path = show_path(path);
    match error {
        pem::Error::Io(e) => anyhow!("无法读取{what}文件 {path}：{e}"),
        // pem::Error 的原话会把 PEM 行打印成一串字节数字，对学习者没有帮助。
        _ => anyhow!(
            "{what}文件 {path} 不是有效的 PEM 文件（BEGIN/END 行或中间的 Base64 内容不完整）：文件可能损坏或被截断了，请重新生成或复制一份"
        ),
    }
}

fn no_key(path: &Path, pem: &[u8]) -> anyhow::Error {
    anyhow!(
        "私钥文件 {} 里没有可用的私钥（需要 BEGIN PRIVATE KEY、BEGIN RSA PRIVATE KEY 或 BEGIN EC PRIVATE KEY）{}：--key 要指向 PEM 格式的私钥",
        show_path(path),
        mix_up(pem, Wanted::Key)
    )
}

/// How to take the passphrase off, in a form the learner's shell runs:
/// PowerShell has no `openssl` on its PATH even with Git for Windows,
/// which brings one under its install folder.
#[cfg(windows)]
const PASSPHRASE_HINT: &str = "（这把私钥设了口令，不支持；先去掉口令，PowerShell 里用 Git 带的 openssl：& \"$env:ProgramFiles\\Git\\usr\\bin\\openssl.exe\" pkey -in 原文件 -out 新文件）";
#[cfg(not(windows))]
const PASSPHRASE_HINT: &str =
    "（这把私钥设了口令，不支持；先用 openssl pkey -in 原文件 -out 新文件 去掉口令）";

/// A hint for the two mix-ups worth naming: the files swapped, and a key
/// protected by a passphrase (which rustls does not decrypt).
fn mix_up(pem: &[u8], wanted: Wanted) -> &'static str {
    let text = String::from_utf8_lossy(pem);
    let has_key = text.contains("PRIVATE KEY-----");
    let has_cert = text.contains("BEGIN CERTIFICATE");
    match wanted {
        Wanted::Key if text.contains("ENCRYPTED") => PASSPHRASE_HINT,
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

impl Wanted {
    /// The file's name in a sentence, and the option that names it.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Wanted::Cert => ("证书", "--cert"),
            Wanted::Key => ("私钥", "--key"),
        }
    }
}

// ANCHOR: check_names
/// An existing certificate must name everything `--name` asked for: the
/// same check a client makes, done before a class of clients fails on it.
fn check_names(server_cert: &CertificateDer<'_>, files: &CertFiles) -> Result<()> {
    let (cert, key) = (show_path(&files.cert), show_path(&files.key));
    let parsed = ParsedCertificate::try_from(server_cert).map_err(|e| {
        anyhow!("证书文件 {cert} 里的证书无法解析（{e}）：文件可能损坏了，请重新生成或复制一份")
    })?;
    for name in &files.names {
        // invariant: certificate_name() accepted every name as a DNS name or an IP address.
        let Ok(server_name) = ServerName::try_from(name.as_str()) else {
            continue;
        };
        match verify_server_name(&parsed, &server_name) {
            Ok(()) => {}
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => bail!(
                "证书 {cert} 上没有 --name 要求的名字 {name}，客户端连 {name} 时会验证失败。请删掉 {cert} 和 {key}（如果它们是 tls-server 生成的），再用同样的 --name 启动，tls-server 会生成包含这些名字的新的一对；或者用 --cert/--key 换一对新的文件名"
            ),
            Err(e) => bail!("无法核对证书 {cert} 上的名字 {name}（{e}）"),
        }
    }
    Ok(())
}
// ANCHOR_END: check_names

/// Explains why rustls refused the pair in `with_single_cert`.
pub fn unusable_pair(error: &rustls::Error, files: &CertFiles) -> anyhow::Error {
    let (cert, key) = (show_path(&files.cert), show_path(&files.key));
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

#[cfg(unix)]
const KEY_NOTE: &str = "权限 0600，只有你能读";
#[cfg(not(unix))]
const KEY_NOTE: &str = "不要把它发给别人";

/// Says which files are in use, and after generating them, how a client
/// trusts the new certificate. Printed after the first line, which the
/// tests (and learners) read for the address.
pub fn print_notes(files: &CertFiles, is_a_ca: bool, port: u16) {
    print_file_notes(files, port);
    if is_a_ca {
        authority::warn(&files.cert);
    }
}

fn print_file_notes(files: &CertFiles, port: u16) {
    let (cert, key) = (show_path(&files.cert), show_path(&files.key));
    if !files.generated {
        // 一行说清证书适用于哪些名字、哪天到期：为别的名字做的旧证书，在这里就能看出来。
        say!(
            "使用证书 {cert} 和私钥 {key}{}",
            covers(files.summary.as_ref())
        );
        for warning in loose_permissions(files) {
            esay!("{warning}");
        }
        for warning in expiry_warnings(files, SystemTime::now()) {
            esay!("{warning}");
        }
        return;
    }
    let full = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let until = files
        .summary
        .as_ref()
        .map(|summary| format!("（到 {} 为止）", summary.not_after.date()))
        .unwrap_or_default();
    say!(
        "已生成自签名证书 {} 和私钥 {}（{KEY_NOTE}），证书适用于 {}，有效期一年{until}",
        show_path(full(&files.cert)),
        show_path(full(&files.key)),
        files.names.join("、")
    );
    // 绝对路径在哪个目录里都能用；带空格的路径要加引号，复制到终端里才是一个参数。
    let trusted = show_path(full(&files.cert));
    let ca = if trusted.contains(' ') {
        format!("\"{trusted}\"")
    } else {
        trusted
    };
    // 用证书上的第一个名字连接：它一定能通过验证。IPv6 地址写成 [::1]:9999。
    let host = files.names.first().map_or("localhost", String::as_str);
    let server = HostPort {
        host: host.to_string(),
        port,
    };
    say!("客户端用 --ca {ca} 信任它：cargo run -p tls-client -- {server} --ca {ca}");
}

/// `：证书适用于 localhost、127.0.0.1，2027-12-01 到期`, from the certificate itself.
fn covers(summary: Option<&inspect::Summary>) -> String {
    let Some(summary) = summary else {
        return "（读不出证书上的名字和有效期）".to_string();
    };
    let date = summary.not_after.date();
    if summary.names.is_empty() {
        return format!("：证书上没有写名字（subjectAltName），{date} 到期");
    }
    // 名字来自证书文件，而证书可能是别人做的：照样转义。
    let names: Vec<String> = summary.names.iter().map(|name| show_text(name)).collect();
    format!("：证书适用于 {}，{date} 到期", names.join("、"))
}

/// Warnings about a certificate that clients refuse now or will soon: one
/// that has expired or expires within [`EXPIRY_WARNING_DAYS`], or one that
/// names nothing.
fn expiry_warnings(files: &CertFiles, now: SystemTime) -> Vec<String> {
    let Some(summary) = &files.summary else {
        return Vec::new();
    };
    let (cert, key) = (show_path(&files.cert), show_path(&files.key));
    let renew = format!(
        "如果这一对是 tls-server 生成的，删掉 {cert} 和 {key} 再启动，它会生成新的一对（有效期一年）；否则请换一张新证书"
    );
    let date = summary.not_after.date();
    let days = summary.not_after.days_left(now);
    let mut warnings = Vec::new();
    if days < 0 {
        warnings.push(format!(
            "注意：证书 {cert} 已在 {date} 过期，客户端会拒绝它（证书过期）。{renew}"
        ));
    } else if days < EXPIRY_WARNING_DAYS {
        let when = match days {
            0 => "一天之内".to_string(),
            days => format!(" {days} 天后"),
        };
        warnings.push(format!(
            "注意：证书 {cert} 将在{when}（{date}）过期，过期后客户端会拒绝它。{renew}"
        ));
    }
    if summary.names.is_empty() {
        warnings.push(format!(
            "注意：证书 {cert} 上没有名字（没有 subjectAltName），现在的客户端只核对那里的名字，会拒绝它。请用 tls-server --name 你的地址 生成一张"
        ));
    }
    warnings
}

// ANCHOR: loose_permissions
/// Warnings about files other users could read or change (Unix only).
#[cfg(unix)]
fn loose_permissions(files: &CertFiles) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let (cert, key) = (show_path(&files.cert), show_path(&files.key));
    let mut warnings = Vec::new();
    if let Ok(metadata) = fs::metadata(&files.key) {
        let mode = metadata.mode() & 0o777;
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "注意：私钥文件 {key} 的权限是 {mode:04o}，同组或其他用户也能读到它，而私钥只应该让自己能读。请运行 chmod 600 {key}"
            ));
        }
        if let Some(me) = own_uid()
            && metadata.uid() != me
        {
            warnings.push(format!(
                "注意：私钥文件 {key} 属于另一个用户（uid {}），不是运行 tls-server 的你（uid {me}）：那个用户能读到、也能换掉这把私钥。请用自己生成的证书和私钥，或者把这两个文件改成自己的（chown）",
                metadata.uid()
            ));
        }
    }
    if let Ok(metadata) = fs::metadata(&files.cert) {
        let mode = metadata.mode() & 0o777;
        if mode & 0o002 != 0 {
            warnings.push(format!(
                "注意：证书文件 {cert} 的权限是 {mode:04o}，任何用户都能改写它，换成自己的证书。请运行 chmod 644 {cert}"
            ));
        }
    }
    warnings
}

/// The user this process runs as. std has no `getuid`, and unsafe code is
/// forbidden here; but a pipe belongs to whoever made it, so the owner of a
/// new pipe is our user id, found without touching the disk (the current
/// folder may be read-only) and without Linux's `/proc` (macOS has none).
#[cfg(unix)]
fn own_uid() -> Option<u32> {
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::MetadataExt;
    let (reader, _writer) = std::io::pipe().ok()?;
    let pipe = fs::File::from(OwnedFd::from(reader));
    pipe.metadata().ok().map(|metadata| metadata.uid())
}

/// Windows has no mode bits or uids to compare: a file's access list is
/// inherited from its folder, which in the user's profile is private.
#[cfg(not(unix))]
fn loose_permissions(_files: &CertFiles) -> Vec<String> {
    Vec::new()
}
// ANCHOR_END: loose_permissions

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test
    use super::*;

    #[test]
    fn names_are_checked_and_written_as_a_client_checks_them() {
        let names = |given: &[&str]| certificate_names(given).map_err(|e| e.to_string());
        assert_eq!(
            names(&[]).as_deref(),
            Ok(&["localhost", "127.0.0.1", "::1"].map(String::from)[..])
        );
        assert_eq!(
            names(&["192.0.2.10", "Teacher.Local", "[::1]", "192.0.2.10"]).as_deref(),
            Ok(&["192.0.2.10", "teacher.local", "::1"].map(String::from)[..])
        );
        let port = names(&["192.0.2.10:9999"]).unwrap_err();
        assert!(port.contains("带了端口"), "{port}");
        assert!(port.ends_with("请写 --name 192.0.2.10"), "{port}");
        for bad in ["", "two words", "a/b", "*.example.test"] {
            let why = names(&[bad]).unwrap_err();
            assert!(why.contains("既不是主机名"), "{bad}: {why}");
        }
    }

    /// Issue 21: `--name 0.0.0.0` and `--name ::` were accepted and offered
    /// to clients; `例子.中国` was "neither a host name nor an IP address".
    #[test]
    fn addresses_nobody_connects_to_and_non_ascii_names_are_refused_with_the_fix() {
        let why = |given: &str| certificate_names(&[given]).unwrap_err().to_string();
        for any in ["0.0.0.0", "::", "[::]"] {
            let line = why(any);
            assert!(line.contains("本机的所有地址"), "{any}: {line}");
            assert!(line.contains("其他电脑可以连接"), "{any}: {line}");
        }
        assert!(why("::ffff:192.0.2.10").ends_with("请写 --name 192.0.2.10"));
        for group in ["224.0.0.1", "255.255.255.255", "ff02::1"] {
            assert!(why(group).contains("广播或组播"), "{group}");
        }
        let idn = why("例子.中国");
        assert!(idn.contains("请写 --name xn--fsqu00a.xn--fiqs8s"), "{idn}");
        // A name with a control character is shown escaped, not raw.
        let odd = why("a\u{1b}[2J");
        assert!(
            odd.contains("a\\x1b[2J") && !odd.contains('\u{1b}'),
            "{odd}"
        );
    }

    /// Issue 21: 8,000 names made a 129 KB certificate that was then called
    /// corrupted. The limit is checked before anything is generated.
    #[test]
    fn more_than_the_limit_of_names_is_refused_before_generating() {
        let many: Vec<String> = (0..=MAX_NAMES).map(|n| format!("host{n}.test")).collect();
        let given: Vec<&str> = many.iter().map(String::as_str).collect();
        let why = certificate_names(&given).unwrap_err().to_string();
        assert!(why.contains(&format!("最多 {MAX_NAMES} 个名字")), "{why}");
        assert_eq!(
            certificate_names(&given[..MAX_NAMES]).unwrap().len(),
            MAX_NAMES
        );
        // The same name twice counts once.
        let twice = vec!["a.test"; MAX_NAMES * 2];
        assert_eq!(certificate_names(&twice).unwrap(), ["a.test"]);
    }

    /// The limit is chosen so that even the longest names fit: 100 names of
    /// 253 characters make a certificate rustls still reads.
    #[test]
    fn the_most_and_longest_names_still_make_a_certificate_rustls_takes() {
        let label = "a".repeat(63);
        let longest: Vec<String> = (0..MAX_NAMES)
            .map(|n| format!("{n:0>61}.{label}.{label}.{label}"))
            .collect();
        assert!(longest.iter().all(|name| name.len() == 253));
        let given: Vec<&str> = longest.iter().map(String::as_str).collect();
        let names = certificate_names(&given).unwrap();
        let params = rcgen::CertificateParams::new(names).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert!(
            cert.der().len() < MAX_CERTIFICATE,
            "{} bytes",
            cert.der().len()
        );
        let der = cert.der().clone();
        ParsedCertificate::try_from(&der).unwrap();
    }

    #[test]
    fn expiry_is_warned_about_within_thirty_days_and_after() {
        let now = SystemTime::now();
        let unix = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let files = |days_left: i64, names: &[&str]| CertFiles {
            cert: PathBuf::from("server.crt"),
            key: PathBuf::from("server.key"),
            generated: false,
            names: Vec::new(),
            check_names: false,
            summary: Some(inspect::Summary {
                names: names.iter().map(|n| n.to_string()).collect(),
                not_after: inspect::Expiry {
                    year: 2030,
                    month: 1,
                    day: 1,
                    unix: unix + days_left * 86_400 + 60,
                },
            }),
        };
        let warnings = |days_left, names: &[&str]| expiry_warnings(&files(days_left, names), now);
        assert!(warnings(200, &["localhost"]).is_empty());
        assert!(warnings(EXPIRY_WARNING_DAYS, &["localhost"]).is_empty());
        let soon = warnings(EXPIRY_WARNING_DAYS - 1, &["localhost"]);
        assert!(
            soon[0].contains("将在 29 天后（2030-01-01）过期"),
            "{soon:?}"
        );
        let today = warnings(0, &["localhost"]);
        assert!(
            today[0].contains("将在一天之内（2030-01-01）过期"),
            "{today:?}"
        );
        let gone = warnings(-2, &["localhost"]);
        assert!(gone[0].contains("已在 2030-01-01 过期"), "{gone:?}");
        let nameless = warnings(200, &[]);
        assert!(nameless[0].contains("没有 subjectAltName"), "{nameless:?}");
        assert!(covers(None).contains("读不出"));
        let shown = covers(files(200, &["a\u{1b}]0;x\u{7}"]).summary.as_ref());
        assert_eq!(shown, "：证书适用于 a\\x1b]0;x\\x07，2030-01-01 到期");
    }

    #[test]
    fn a_half_pair_names_both_files() {
        let line = half_pair(Path::new("server.key"), Path::new("server.crt"));
        assert!(
            line.starts_with("当前目录里有 server.key，却没有 server.crt"),
            "{line}"
        );
        let line = half_pair(Path::new("a/t.crt"), Path::new("a/t.key"));
        assert!(line.starts_with("有 a/t.crt，却没有 a/t.key"), "{line}");
    }

    #[cfg(unix)]
    #[test]
    fn our_own_uid_is_the_owner_of_what_we_create() {
        use std::os::unix::fs::MetadataExt;
        let path = std::env::temp_dir().join(format!("tls-server-uid-{}", std::process::id()));
        fs::write(&path, "").unwrap();
        let owner = fs::metadata(&path).unwrap().uid();
        fs::remove_file(&path).unwrap();
        assert_eq!(own_uid(), Some(owner));
    }
}
