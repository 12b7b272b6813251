//! Issue 21, tls-server `--name`: what it refuses before making anything,
//! and what it says about the certificate it uses (names, expiry). Each
//! test runs the real binary in a temporary folder. Every test here failed
//! on the code before the fix, as each comment says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use testkit::{Server, TempDir, run_in};

const SERVER: &str = env!("CARGO_BIN_EXE_tls-server");

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs tls-server in `dir` expecting a refusal: exit code 1, nothing on
/// stdout, one line on stderr (returned), and no file left in `dir`.
fn refused(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["127.0.0.1:0"];
    all.extend_from_slice(args);
    let outcome = run_in(SERVER, &all, Some(dir));
    let shown = || format!("{:?}: {outcome:?}", &args[..args.len().min(4)]);
    assert_eq!(outcome.status.code(), Some(1), "{}", shown());
    assert_eq!(outcome.stderr.lines().count(), 1, "{}", shown());
    assert!(outcome.stdout.is_empty(), "{}", shown());
    let left: Vec<_> = fs::read_dir(dir).unwrap().collect();
    assert!(left.is_empty(), "files made before refusing: {left:?}");
    outcome.stderr
}

/// A self-signed pair for `names`, valid from `not_before` to `not_after`
/// (durations from now: negative = in the past), written as server.crt and
/// server.key in `dir` (the key readable only by us, so no other warning).
fn write_pair(dir: &Path, names: &[&str], not_before: i64, not_after: i64) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    params.not_before = moment(not_before);
    params.not_after = moment(not_after);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    fs::write(dir.join("server.crt"), cert.pem()).unwrap();
    fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = fs::Permissions::from_mode(0o600);
        fs::set_permissions(dir.join("server.key"), private).unwrap();
    }
}

/// Now plus `seconds` (which may be negative), as rcgen takes a moment.
fn moment(seconds: i64) -> time::OffsetDateTime {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let shift = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        epoch + now + shift
    } else {
        epoch + now - shift
    }
}

fn days(count: i64) -> i64 {
    count * DAY.as_secs() as i64
}

/// Before the fix, `--name 0.0.0.0` and `--name ::` made a certificate for
/// addresses no client can connect to, and `例子.中国` was called "neither a
/// host name nor an IP address" without its `xn--` form.
#[test]
fn unspecified_addresses_and_chinese_names_are_refused_with_what_to_write() {
    let dir = TempDir::new("tls-server-name-refused");
    for any in ["0.0.0.0", "::", "[::]"] {
        let line = refused(dir.path(), &["--name", any]);
        assert!(line.contains("本机的所有地址"), "{line}");
        assert!(line.contains("例如 --name 192.0.2.10"), "{line}");
    }
    let line = refused(dir.path(), &["--name", "例子.中国"]);
    assert!(
        line.contains("请写 --name xn--fsqu00a.xn--fiqs8s"),
        "{line}"
    );
}

/// Before the fix, 8,000 names made a 129 KB certificate which tls-server
/// then called corrupted (`BadEncoding … 文件可能损坏了`). The limit is in
/// `--help` and checked before anything is generated.
#[test]
fn too_many_names_are_refused_before_generating_and_the_limit_is_in_help() {
    let dir = TempDir::new("tls-server-name-limit");
    let many: Vec<String> = (0..8000).map(|n| format!("h{n}.test")).collect();
    let mut args = Vec::new();
    for name in &many {
        args.extend(["--name", name.as_str()]);
    }
    let line = refused(dir.path(), &args);
    let limit = format!("最多 {} 个名字", certs::MAX_NAMES);
    assert!(
        line.contains("8000 个不同的名字") && line.contains(&limit),
        "{line}"
    );

    let help = testkit::run(SERVER, &["--help"]);
    assert!(
        help.stdout
            .contains(&format!("最多 {} 个", certs::MAX_NAMES)),
        "{help:?}"
    );
    // At the limit, the certificate is made and served.
    let hundred = &args[..2 * certs::MAX_NAMES];
    let mut with_address = vec!["127.0.0.1:0"];
    with_address.extend_from_slice(hundred);
    let server = Server::start_in(SERVER, &with_address, Some(dir.path()));
    let made = server.process.stdout_line("已生成自签名证书");
    assert!(made.contains("h99.test"), "{made}");
}

/// A certificate larger than rustls takes (made elsewhere, here with 8,000
/// names) is named as too big, not as a corrupted file.
#[test]
fn a_certificate_too_big_for_rustls_is_named_as_such() {
    let dir = TempDir::new("tls-server-name-huge");
    let many: Vec<String> = (0..8000).map(|n| format!("h{n}.test")).collect();
    let names: Vec<&str> = many.iter().map(String::as_str).collect();
    write_pair(dir.path(), &names, days(-1), days(300));
    let outcome = run_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    assert!(outcome.stderr.contains("太大了"), "{outcome:?}");
    assert!(!outcome.stderr.contains("损坏"), "{outcome:?}");
}

/// Before the fix, a certificate made for other names was used with only
/// "使用证书 server.crt 和私钥 server.key", and a generated one did not say
/// until when it is valid.
#[test]
fn the_certificate_in_use_is_named_with_its_names_and_expiry() {
    let dir = TempDir::new("tls-server-name-summary");
    write_pair(
        dir.path(),
        &["other.test", "192.0.2.7"],
        days(-1),
        days(200),
    );
    let expiry = moment(days(200)).date();
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let line = server.process.stdout_line("使用证书");
    let expected = format!(
        "使用证书 server.crt 和私钥 server.key：证书适用于 other.test、192.0.2.7，{expiry} 到期"
    );
    assert_eq!(line, expected);
    drop(server);

    let fresh = TempDir::new("tls-server-name-generated");
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(fresh.path()));
    let made = server.process.stdout_line("已生成自签名证书");
    let year_on = moment(days(365)).date();
    assert!(
        made.contains(&format!("有效期一年（到 {year_on} 为止）")),
        "{made}"
    );
}

/// Before the fix, an expired certificate was loaded without a word.
#[test]
fn an_expired_or_soon_expiring_certificate_gets_a_warning() {
    let dir = TempDir::new("tls-server-expired");
    write_pair(dir.path(), &["localhost"], days(-30), days(-1));
    let yesterday = moment(days(-1)).date();
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let warning = server.process.stderr_line("过期");
    assert!(
        warning.contains(&format!("证书 server.crt 已在 {yesterday} 过期")),
        "{warning}"
    );
    assert!(
        warning.contains("删掉 server.crt 和 server.key"),
        "{warning}"
    );
    drop(server);

    // Ten days and an hour left: "10 天后", below the 30-day threshold.
    write_pair(dir.path(), &["localhost"], days(-30), days(10) + 3600);
    let server = Server::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let warning = server.process.stderr_line("过期");
    assert!(warning.contains("将在 10 天后"), "{warning}");
    assert_eq!(certs::EXPIRY_WARNING_DAYS, 30);
}
