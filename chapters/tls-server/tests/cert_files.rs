//! The certificate pair on disk is whole or absent, whatever happens: two
//! servers started at once, SIGTERM or SIGKILL during generation, a full or
//! read-only disk. Files are looked at before they are read, permissions
//! are set and checked, and `--name` makes and checks the names. Every
//! server is the real binary, started in a temporary folder on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use testkit::{PATIENCE, Process, Server, TempDir, address_in, run_in, skip};

const SERVER: &str = env!("CARGO_BIN_EXE_tls-server");

/// tls-server on a free port of 127.0.0.1, in `dir`.
fn start_in(dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start_in(SERVER, &args, Some(dir))
}

/// Runs tls-server in `dir`, expecting it to refuse to start: exit code 1,
/// nothing on stdout, exactly one line on stderr, which is returned.
fn refused(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["127.0.0.1:0"];
    all.extend_from_slice(args);
    let outcome = run_in(SERVER, &all, Some(dir));
    assert_eq!(outcome.status.code(), Some(1), "{args:?}: {outcome:?}");
    assert_eq!(outcome.stderr.lines().count(), 1, "{args:?}: {outcome:?}");
    assert!(outcome.stdout.is_empty(), "{args:?}: {outcome:?}");
    outcome.stderr
}

/// The names in `dir`, hidden ones included, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts that `server.crt` and `server.key` in `dir` belong together
/// (rustls compares the key's public half with the certificate's) and
/// returns the certificate, DER.
fn whole_pair_in(dir: &Path) -> Vec<u8> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.crt"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = rustls::crypto::ring::default_provider();
    let pair = rustls::sign::CertifiedKey::from_der(chain.clone(), key, &provider).unwrap();
    pair.keys_match().unwrap();
    chain[0].to_vec()
}

/// The article's exchange over TLS, trusting only `ca` and checking `name`;
/// returns the certificate the server presented, DER.
fn served_certificate(addr: SocketAddr, ca: &Path, name: &str) -> io::Result<Vec<u8>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let mut tls = ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect_timeout(&addr, PATIENCE)?;
    tcp.set_read_timeout(Some(PATIENCE))?;
    let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
    stream.write_all("你好，服务器！".as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    assert_eq!(String::from_utf8_lossy(&reply), "数据已收到");
    Ok(tls.peer_certificates().unwrap()[0].to_vec())
}

/// Sets a file's modification time, as if it had been written `ago`.
fn backdate(path: &Path, ago: Duration) {
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - ago).unwrap();
}

// ---------------------------------------------------------------------------
// Two servers at once

#[test]
fn two_servers_started_at_once_in_fifty_empty_folders_share_one_pair() {
    let folders: Vec<TempDir> = (0..50)
        .map(|i| TempDir::new(&format!("tls-server-race-{i}")))
        .collect();
    // Ten folders at a time: twenty servers starting together is contention
    // enough for a small machine, and keeps the test to a few seconds.
    for batch in folders.chunks(10) {
        std::thread::scope(|scope| {
            for dir in batch {
                scope.spawn(move || race_in(dir.path()));
            }
        });
    }
}

/// Starts two servers in the empty folder `dir` at once; exactly one of
/// them generates, and both serve the pair that is on disk.
fn race_in(dir: &Path) {
    let first = Process::start_in(SERVER, &["127.0.0.1:0"], Some(dir));
    let second = Process::start_in(SERVER, &["127.0.0.1:0"], Some(dir));
    let mut servers = Vec::new();
    let mut generated = 0;
    for process in [first, second] {
        let line = process.stdout_line("等待 TLS 客户端连接");
        let addr = address_in(&line).unwrap();
        let note = process.stdout_line("");
        if note.starts_with("已生成自签名证书") {
            generated += 1;
        } else {
            let used =
                "使用证书 server.crt 和私钥 server.key：证书适用于 localhost、127.0.0.1、::1，";
            assert!(note.starts_with(used), "{dir:?}: {note}");
        }
        servers.push((process, addr));
    }
    assert_eq!(generated, 1, "{dir:?}: both or neither generated");
    // No lock, no temporary file: just the pair, and it matches.
    assert_eq!(names_in(dir), ["server.crt", "server.key"], "{dir:?}");
    let on_disk = whole_pair_in(dir);
    for (process, addr) in &servers {
        let served = served_certificate(*addr, &dir.join("server.crt"), "localhost").unwrap();
        assert!(
            served == on_disk,
            "{dir:?}: a server serves another certificate"
        );
        process.stdout_line("的数据: 你好，服务器！");
    }
}

#[test]
fn a_server_that_finds_another_generating_waits_and_serves_that_pair() {
    let dir = TempDir::new("tls-server-wait");
    // The test plays the other tls-server: it holds the lock...
    let lock = dir.join(".server.crt.lock");
    fs::write(&lock, "tls-server 1 1\n").unwrap();
    let server = Process::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
    let waiting = server.stderr_line("另一个 tls-server 正在生成");
    assert!(waiting.contains("server.crt 和 server.key"), "{waiting}");
    // ...then puts down a pair, certificate last, and lets go of the lock.
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    fs::write(dir.join("server.key"), pair.signing_key.serialize_pem()).unwrap();
    fs::write(dir.join(".made.crt"), pair.cert.pem()).unwrap();
    fs::rename(dir.join(".made.crt"), dir.join("server.crt")).unwrap();
    fs::remove_file(&lock).unwrap();

    let first = server.stdout_line("等待 TLS 客户端连接");
    let addr = address_in(&first).unwrap();
    server.stdout_line("使用证书 server.crt 和私钥 server.key");
    let served = served_certificate(addr, &dir.join("server.crt"), "localhost").unwrap();
    assert!(
        served == pair.cert.der().to_vec(),
        "not the pair the other made"
    );
}

// ---------------------------------------------------------------------------
// Signals and crashes during generation

/// How long a start takes until the server has its pair and prints its
/// address: the window in which generation happens. (Signals are Unix's.)
#[cfg(unix)]
fn start_up_time() -> Duration {
    use testkit::timed;
    let dir = TempDir::new("tls-server-start-up");
    let (server, took) = timed(|| start_in(dir.path(), &[]));
    drop(server);
    took
}

#[cfg(unix)]
#[test]
fn a_sigterm_at_any_moment_of_start_up_leaves_nothing_or_a_whole_pair() {
    use std::collections::BTreeMap;
    use std::os::unix::process::ExitStatusExt;
    if Command::new("kill").arg("-l").output().is_err() {
        skip("kill is not on PATH");
        return;
    }
    let window = start_up_time();
    let mut outcomes = BTreeMap::new();
    for attempt in 0..100u32 {
        let dir = TempDir::new("tls-server-sigterm");
        let server = Process::start_in(SERVER, &["127.0.0.1:0"], Some(dir.path()));
        // Not a synchronisation: each attempt lets a different share of the
        // start-up pass, from before the handler exists to after the pair does.
        std::thread::sleep(window * attempt / 100);
        let pid = server.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let outcome = server.finish();
        let ended = match (outcome.status.signal(), outcome.status.code()) {
            (Some(15), _) => "ended by SIGTERM itself",
            (_, Some(130)) => "ended by the handler",
            _ => panic!("attempt {attempt}: unexpected end {outcome:?}"),
        };
        let left = names_in(dir.path());
        match left.as_slice() {
            [] => {}
            [cert, key] if cert == "server.crt" && key == "server.key" => {
                whole_pair_in(dir.path());
            }
            other => panic!("attempt {attempt}: SIGTERM left {other:?} ({ended})"),
        }
        *outcomes
            .entry(format!("{ended}, {} files left", left.len()))
            .or_insert(0) += 1;
    }
    // What the attempts hit, for whoever wonders whether they hit anything.
    let _ = writeln!(io::stderr(), "SIGTERM outcomes: {outcomes:?}");
}

/// Runs tls-server in `dir` with its files limited to `blocks` × 512 bytes
/// (`ulimit -f`): the write that crosses the limit kills it with SIGXFSZ,
/// which it does not handle, so, as with SIGKILL, nothing of it runs after.
/// The crash lands at the same write every time: a test that cannot miss,
/// unlike killing at varied moments and hoping one falls in generation.
#[cfg(unix)]
fn crash_at_file_size(dir: &Path, blocks: u32) -> Vec<String> {
    use std::os::unix::process::ExitStatusExt;
    let script = format!("ulimit -f {blocks}; exec \"$0\" \"$@\"");
    let server = Process::start_in("sh", &["-c", &script, SERVER, "127.0.0.1:0"], Some(dir));
    let outcome = server.finish();
    // 25 is SIGXFSZ on Linux and on macOS alike.
    assert_eq!(
        outcome.status.signal(),
        Some(25),
        "{blocks} blocks: {outcome:?}"
    );
    names_in(dir)
}

#[cfg(unix)]
#[test]
fn leftovers_of_a_killed_generation_are_cleaned_up_at_the_next_start() {
    // 0 blocks: killed writing the lock (an empty lock is all it leaves).
    // 1 block: the lock and the key's temporary file are whole, and the
    // certificate's (longer than 512 bytes) is cut off in the middle.
    for (blocks, leaves) in [
        (0, &[".server.crt.lock"][..]),
        (
            1,
            &[".server.crt.lock", ".server.crt.tmp", ".server.key.tmp"][..],
        ),
    ] {
        let dir = TempDir::new("tls-server-crash");
        let left = crash_at_file_size(dir.path(), blocks);
        assert_eq!(left, leaves, "{blocks} blocks");
        // A lock younger than a few seconds may belong to a live server;
        // this crash happened "an hour ago".
        for name in &left {
            backdate(&dir.join(name), Duration::from_secs(3600));
        }
        let server = start_in(dir.path(), &[]);
        server.process.stdout_line("已生成自签名证书");
        assert_eq!(
            names_in(dir.path()),
            ["server.crt", "server.key"],
            "after {left:?}"
        );
        let on_disk = whole_pair_in(dir.path());
        let served = served_certificate(server.addr, &dir.join("server.crt"), "localhost").unwrap();
        assert!(served == on_disk, "after {left:?}");
    }
}

#[test]
fn a_key_without_its_certificate_from_a_crash_is_replaced() {
    let dir = TempDir::new("tls-server-crash-half");
    // What a server killed between placing the key and the certificate
    // leaves: its lock, both temporary files, and the key alone (the same
    // file as the temporary key: it was linked from it).
    let old = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = old.signing_key.serialize_pem();
    fs::write(dir.join(".server.crt.lock"), "tls-server 1 1\n").unwrap();
    fs::write(dir.join(".server.crt.tmp"), old.cert.pem()).unwrap();
    fs::write(dir.join(".server.key.tmp"), &key).unwrap();
    fs::hard_link(dir.join(".server.key.tmp"), dir.join("server.key")).unwrap();
    for name in names_in(dir.path()) {
        backdate(&dir.join(&name), Duration::from_secs(3600));
    }
    let server = start_in(dir.path(), &[]);
    server.process.stdout_line("已生成自签名证书");
    assert_eq!(names_in(dir.path()), ["server.crt", "server.key"]);
    assert_ne!(fs::read_to_string(dir.join("server.key")).unwrap(), key);
    whole_pair_in(dir.path());

    // A key the user put beside a stale lock is not the dead server's (it
    // differs from the temporary key): it is kept, and the half pair named.
    drop(server);
    fs::remove_file(dir.join("server.crt")).unwrap();
    let users = fs::read(dir.join("server.key")).unwrap();
    fs::write(dir.join(".server.crt.lock"), "tls-server 2 2\n").unwrap();
    fs::write(dir.join(".server.key.tmp"), &key).unwrap();
    for name in [".server.crt.lock", ".server.key.tmp", "server.key"] {
        backdate(&dir.join(name), Duration::from_secs(3600));
    }
    let line = refused(dir.path(), &[]);
    assert!(line.contains("有 server.key，却没有 server.crt"), "{line}");
    assert_eq!(fs::read(dir.join("server.key")).unwrap(), users);
    assert_eq!(names_in(dir.path()), ["server.key"]);
    fs::remove_file(dir.join("server.key")).unwrap();
    let server = start_in(dir.path(), &[]);
    server.process.stdout_line("已生成自签名证书");

    // A stale lock beside a whole pair (a crash after the certificate was
    // placed) is removed too, and the pair is kept.
    drop(server);
    let cert = fs::read(dir.join("server.crt")).unwrap();
    fs::write(dir.join(".server.crt.lock"), "tls-server 1 1\n").unwrap();
    backdate(&dir.join(".server.crt.lock"), Duration::from_secs(3600));
    let server = start_in(dir.path(), &[]);
    server
        .process
        .stdout_line("使用证书 server.crt 和私钥 server.key");
    assert_eq!(names_in(dir.path()), ["server.crt", "server.key"]);
    assert_eq!(fs::read(dir.join("server.crt")).unwrap(), cert);
}

// ---------------------------------------------------------------------------
// A full disk, a read-only folder (Linux, as root: a small tmpfs)

/// A tmpfs mounted on a folder, unmounted when dropped.
#[cfg(unix)]
struct Mounted(std::path::PathBuf);

#[cfg(unix)]
impl Mounted {
    /// `mount -t tmpfs -o OPTIONS`, or a skip note where that is not allowed.
    fn tmpfs(at: &Path, options: &str) -> Option<Mounted> {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Mounted(at.to_path_buf())),
            Ok(out) => {
                let why = String::from_utf8_lossy(&out.stderr);
                skip(&format!(
                    "cannot mount a tmpfs (needs root): {}",
                    why.trim()
                ));
                None
            }
            Err(e) => {
                skip(&format!("cannot run mount: {e}"));
                None
            }
        }
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

#[cfg(unix)]
impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[cfg(unix)]
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = TempDir::new("tls-server-whoami");
    fs::write(probe.join("me"), "").unwrap();
    fs::metadata(probe.join("me")).unwrap().uid() == 0
}

#[cfg(unix)]
#[test]
fn a_full_disk_is_named_and_leaves_nothing_behind() {
    // 4 KiB: room for the lock, not for the key. 8 KiB: the key's temporary
    // file fits, the certificate's does not.
    for size in ["4k", "8k"] {
        let dir = TempDir::new("tls-server-full");
        let Some(_mounted) = Mounted::tmpfs(dir.path(), &format!("size={size}")) else {
            return;
        };
        let line = refused(dir.path(), &[]);
        assert!(
            line.contains("无法生成证书 server.crt 和私钥 server.key"),
            "{line}"
        );
        assert!(line.contains("磁盘已满"), "{size}: {line}");
        assert!(line.contains("腾出一点空间"), "{size}: {line}");
        assert_eq!(names_in(dir.path()), Vec::<String>::new(), "{size}");
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_named_with_its_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("tls-server-read-only");
    // Root ignores permission bits, so as root the folder is a read-only
    // tmpfs; as anyone else, a folder without write permission.
    let root = running_as_root();
    let mounted = if root {
        match Mounted::tmpfs(dir.path(), "size=64k") {
            Some(mounted) => Some(mounted),
            None => return,
        }
    } else {
        None
    };
    let read_only = || match &mounted {
        Some(mounted) => mounted.remount("ro"),
        None => fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap(),
    };
    let writable = || match &mounted {
        Some(mounted) => mounted.remount("rw"),
        None => fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap(),
    };
    read_only();
    let line = refused(dir.path(), &[]);
    assert!(
        line.contains("是只读的，或者你没有权限在里面写文件"),
        "{line}"
    );
    assert!(
        line.contains("可写的目录") || line.contains("自己能写的目录"),
        "{line}"
    );
    assert!(!line.contains("磁盘已满"), "{line}");
    assert_eq!(names_in(dir.path()), Vec::<String>::new());

    // A whole pair in a read-only folder is simply used: reading needs no lock.
    writable();
    drop(start_in(dir.path(), &[]));
    read_only();
    let server = start_in(dir.path(), &[]);
    server
        .process
        .stdout_line("使用证书 server.crt 和私钥 server.key");
    served_certificate(server.addr, &dir.join("server.crt"), "localhost").unwrap();
    drop(server);
    writable(); // so that the folder can be removed
}

// ---------------------------------------------------------------------------
// Files that are not small regular files

#[test]
fn files_that_are_not_small_regular_files_are_refused_in_one_line() {
    let dir = TempDir::new("tls-server-not-files");
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    fs::write(dir.join("good.crt"), pair.cert.pem()).unwrap();
    fs::write(dir.join("good.key"), pair.signing_key.serialize_pem()).unwrap();
    // Sparse: two mebibytes that take no room.
    let big = fs::File::create(dir.join("big.crt")).unwrap();
    big.set_len(2 * 1024 * 1024).unwrap();
    fs::create_dir(dir.join("folder.crt")).unwrap();

    let mut cases = vec![
        (
            ["--cert", "big.crt", "--key", "good.key"],
            "证书文件 big.crt 有 2.0 MiB，太大了",
        ),
        (
            ["--cert", "good.crt", "--key", "big.crt"],
            "私钥文件 big.crt 有 2.0 MiB",
        ),
        (
            ["--cert", "folder.crt", "--key", "good.key"],
            "证书文件 folder.crt 是一个目录，不是普通文件",
        ),
    ];
    if cfg!(unix) {
        cases.extend([
            (
                ["--cert", "/dev/zero", "--key", "good.key"],
                "证书文件 /dev/zero 是一个字符设备，不是普通文件：--cert 要指向 PEM 格式的证书文件",
            ),
            (
                ["--cert", "good.crt", "--key", "/dev/zero"],
                "私钥文件 /dev/zero 是一个字符设备，不是普通文件：--key 要指向 PEM 格式的私钥文件",
            ),
        ]);
        if make_fifo(&dir.join("pipe.crt")) {
            cases.push((
                ["--cert", "pipe.crt", "--key", "good.key"],
                "证书文件 pipe.crt 是一个命名管道（FIFO）",
            ));
        }
    }
    for (args, expected) in cases {
        // refused() waits at most the normal patience: a hang fails the test.
        let line = refused(dir.path(), &args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
}

/// `mkfifo path`, or a skip note and false.
fn make_fifo(path: &Path) -> bool {
    let made = Command::new("mkfifo").arg(path).status();
    let ok = made.is_ok_and(|status| status.success());
    if !ok {
        skip("mkfifo is not available: the named-pipe case is not checked");
    }
    ok
}

// ---------------------------------------------------------------------------
// Permissions (Unix)

#[cfg(unix)]
#[test]
fn generated_files_are_0644_and_0600_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    for umask in ["000", "077", "022"] {
        let dir = TempDir::new("tls-server-umask");
        let script = format!("umask {umask}; exec \"$0\" \"$@\"");
        let args = ["-c", &script, SERVER, "127.0.0.1:0"];
        let server = Server::start_in("sh", &args, Some(dir.path()));
        server.process.stdout_line("已生成自签名证书");
        let (cert, key) = (mode(&dir.join("server.crt")), mode(&dir.join("server.key")));
        assert_eq!(
            (cert, key),
            (0o644, 0o600),
            "umask {umask}: {cert:o} {key:o}"
        );
    }
}

#[cfg(unix)]
#[test]
fn files_others_can_read_or_change_are_used_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("tls-server-loose");
    drop(start_in(dir.path(), &[]));
    let chmod = |name: &str, mode: u32| {
        fs::set_permissions(dir.join(name), fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod("server.key", 0o640);
    chmod("server.crt", 0o666);
    let server = start_in(dir.path(), &[]);
    let key = server
        .process
        .stderr_line("私钥文件 server.key 的权限是 0640");
    assert!(key.contains("请运行 chmod 600 server.key"), "{key}");
    let cert = server
        .process
        .stderr_line("证书文件 server.crt 的权限是 0666");
    assert!(cert.contains("请运行 chmod 644 server.crt"), "{cert}");
    // A warning, not a refusal: the server serves.
    served_certificate(server.addr, &dir.join("server.crt"), "localhost").unwrap();
}

#[cfg(unix)]
#[test]
fn a_key_owned_by_another_user_is_used_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    if !running_as_root() {
        skip("only root can give a file to another user");
        return;
    }
    let dir = TempDir::new("tls-server-owner");
    drop(start_in(dir.path(), &[]));
    // 65534 is "nobody" on most systems; the key stays 0600.
    std::os::unix::fs::chown(dir.join("server.key"), Some(65534), Some(65534)).unwrap();
    let mode = fs::metadata(dir.join("server.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let server = start_in(dir.path(), &[]);
    let line = server.process.stderr_line("属于另一个用户");
    assert!(
        line.contains("私钥文件 server.key 属于另一个用户（uid 65534）"),
        "{line}"
    );
    assert!(line.contains("（uid 0）"), "{line}");
    served_certificate(server.addr, &dir.join("server.crt"), "localhost").unwrap();
}

// ---------------------------------------------------------------------------
// --name

#[test]
fn name_makes_a_certificate_for_exactly_those_names() {
    let dir = TempDir::new("tls-server-name");
    let args = ["--name", "192.0.2.10", "--name", "example.test"];
    let server = start_in(dir.path(), &args);
    let made = server.process.stdout_line("已生成自签名证书");
    assert!(
        made.contains("证书适用于 192.0.2.10、example.test，"),
        "{made}"
    );
    let hint = server.process.stdout_line("信任它");
    let port = server.addr.port();
    assert!(
        hint.contains(&format!("tls-client -- 192.0.2.10:{port} --ca ")),
        "{hint}"
    );

    let ca = dir.join("server.crt");
    let on_disk = whole_pair_in(dir.path());
    for name in ["192.0.2.10", "example.test"] {
        let served = served_certificate(server.addr, &ca, name).unwrap();
        assert!(served == on_disk, "{name}");
    }
    let rejected = served_certificate(server.addr, &ca, "localhost").unwrap_err();
    let why = rejected
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .unwrap();
    assert!(
        matches!(
            why,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{why:?}"
    );
}

#[test]
fn name_with_cert_and_key_generates_there_then_checks_the_names() {
    let dir = TempDir::new("tls-server-name-files");
    let files = ["--cert", "teacher.crt", "--key", "teacher.key"];
    let with = |names: &[&'static str]| [&files[..], names].concat();

    let server = start_in(dir.path(), &with(&["--name", "192.0.2.10"]));
    let made = server.process.stdout_line("已生成自签名证书");
    assert!(made.contains("teacher.crt"), "{made}");
    assert!(made.contains("证书适用于 192.0.2.10，"), "{made}");
    drop(server);
    assert_eq!(names_in(dir.path()), ["teacher.crt", "teacher.key"]);

    // Next time the files exist: they are checked, not made again.
    let server = start_in(dir.path(), &with(&["--name", "192.0.2.10"]));
    server
        .process
        .stdout_line("使用证书 teacher.crt 和私钥 teacher.key");
    drop(server);
    let line = refused(
        dir.path(),
        &with(&["--name", "192.0.2.10", "--name", "192.0.2.11"]),
    );
    assert!(
        line.contains("证书 teacher.crt 上没有 --name 要求的名字 192.0.2.11"),
        "{line}"
    );
    assert!(line.contains("删掉 teacher.crt 和 teacher.key"), "{line}");

    // The default pair, made for the default names, lacks a LAN address.
    drop(start_in(dir.path(), &[]));
    let line = refused(dir.path(), &["--name", "192.0.2.10"]);
    assert!(
        line.contains("证书 server.crt 上没有 --name 要求的名字 192.0.2.10"),
        "{line}"
    );

    // A name that cannot go into a certificate, and one with a port.
    let line = refused(dir.path(), &["--name", "two words"]);
    assert!(line.contains("既不是主机名"), "{line}");
    let line = refused(dir.path(), &["--name", "192.0.2.10:9999"]);
    assert!(line.contains("请写 --name 192.0.2.10"), "{line}");
}

#[test]
fn help_explains_name_and_the_file_checks() {
    let outcome = testkit::run(SERVER, &["--help"]);
    assert!(outcome.status.success());
    for needle in [
        "--name NAME",
        "可以写多次",
        "最大 1 MiB",
        "--name 192.0.2.10",
    ] {
        assert!(outcome.stdout.contains(needle), "{needle}: {outcome:?}");
    }
}
