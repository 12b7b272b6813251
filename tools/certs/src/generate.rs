//! 生成自签名证书和私钥，而且这一对文件要么完整、要么根本不在。
//!
//! Two files cannot appear on disk in one step, so "whole or absent" needs
//! rules that every tls-server follows:
//!
//! 1. **One generator at a time.** Whoever creates the lock file
//!    `.server.crt.lock` (with `create_new`, which fails if it exists)
//!    generates; everyone else waits for the lock to go away and then loads
//!    the pair the winner made. Under the lock the files are checked again:
//!    they may have appeared while we were taking it.
//! 2. **A file appears whole.** Key and certificate are written to hidden
//!    temporary files, flushed to disk, and then linked to their real names
//!    with `hard_link`, which, unlike `rename`, never replaces a file that is
//!    there. The key comes first, the certificate last: a reader who sees
//!    both files sees a finished pair, without looking at the lock.
//! 3. **Nothing half-made survives a failure.** On any error (a full disk,
//!    say) the temporary files, a key linked without its certificate, and the
//!    lock are removed before the one-line message is printed.
//! 4. **Ctrl-C and SIGTERM wait for the few milliseconds of generation.**
//!    std cannot catch a signal, so the `ctrlc` crate's handler is installed
//!    just before generating; it takes the same mutex the generation holds,
//!    so the process ends only once the pair is whole (or cleaned up).
//! 5. **A crash (SIGKILL, power cut) is cleaned up at the next start.**
//!    Nothing can run on SIGKILL, so it can leave the lock, temporary files,
//!    or a key without its certificate. Generation takes milliseconds, so a
//!    lock older than [`STALE`] belongs to a dead process: the next
//!    tls-server removes it with the files that process left (a key alone
//!    only if it has the same bytes as the dead process's temporary key),
//!    and generates.
//!
//! What is left: two servers that both judge the same stale lock in the
//! same microseconds could both clear it and both generate; the links that
//! never replace make one of them lose, and at worst the next start says
//! the pair does not match. That needs a crash first, and a race after.
//!
//! Every wait has a deadline; every message is one Chinese line.

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::files::read_small_file;
use anyhow::{Result, anyhow, bail};
use common::esay;
use common::show::show_path;
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// A lock that has stood this long belongs to a process that died while
/// generating: generating takes milliseconds, even on a slow laptop.
const STALE: Duration = Duration::from_secs(10);

/// How often a waiting server looks whether the pair is ready.
const POLL: Duration = Duration::from_millis(20);

/// The longest a server waits for other servers' generation, in all.
const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// After this long, a waiting server says what it is waiting for.
const SAY_WAITING_AFTER: Duration = Duration::from_secs(1);

/// How far back a generated certificate's validity starts.
const CLOCK_SKEW: Duration = Duration::from_secs(60 * 60);

/// How long a generated certificate is valid. Long enough not to get in the
/// way while learning; short enough that "expired" is a lesson, not a myth.
const VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Who made the pair that is now on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// This process, just now.
    Here,
    /// It was there already, or another tls-server made it while we waited.
    Found,
}

// ANCHOR: ensure_pair
/// Makes sure a whole pair is at `cert` and `key`, generating one for
/// `names` unless it is there or another server is making it.
pub fn ensure_pair(cert: &Path, key: &Path, names: &[String]) -> Result<Made> {
    let pair = Pair::new(cert, key);
    let started = Instant::now();
    let mut watch = Watch::default();
    loop {
        if pair.both_present() {
            // 两个文件都在，就是完整的一对（证书总是最后出现的）。
            pair.clear_crash_leftovers();
            return Ok(Made::Found);
        }
        match Lock::take(&pair) {
            Ok(Some(lock)) => match generate_under(&lock, names)? {
                Some(made) => return Ok(made),
                None => continue, // 撞车了：别的进程抢先放下了文件，回头等它那一对。
            },
            Ok(None) => wait_for_other(&pair, &mut watch, started)?,
            Err(_) if pair.one_present() => bail!(pair.half()),
            Err(e) => bail!(cannot_write(&e, &pair)),
        }
    }
}
// ANCHOR_END: ensure_pair

/// Someone else holds the lock: wait a little, or clear it if it is stale.
fn wait_for_other(pair: &Pair, watch: &mut Watch, started: Instant) -> Result<()> {
    let Some(seen) = LockSeen::read(&pair.lock) else {
        return Ok(()); // 锁刚刚消失：马上再看一次。
    };
    if watch.is_stale(&seen) {
        pair.clear_after_crash(&seen);
        return Ok(());
    }
    let waited = started.elapsed();
    if waited > WAIT_LIMIT {
        bail!(
            "等了 {} 秒，另一个 tls-server 还没有生成完 {} 和 {}（锁文件 {} 一直在）。如果没有别的 tls-server 在运行，请删掉这个锁文件再启动",
            WAIT_LIMIT.as_secs(),
            show_path(&pair.cert),
            show_path(&pair.key),
            show_path(&pair.lock)
        );
    }
    if waited > SAY_WAITING_AFTER && !watch.said_waiting {
        watch.said_waiting = true;
        esay!(
            "另一个 tls-server 正在生成 {} 和 {}，等它生成完（最多 {} 秒）……",
            show_path(&pair.cert),
            show_path(&pair.key),
            WAIT_LIMIT.as_secs()
        );
    }
    std::thread::sleep(POLL);
    Ok(())
}

/// With the lock held: generate if neither file is there. `None` means a
/// clash (a file appeared that we did not make): go back and wait.
fn generate_under(lock: &Lock, names: &[String]) -> Result<Option<Made>> {
    let pair = lock.pair;
    if pair.both_present() {
        return Ok(Some(Made::Found)); // 在我们拿锁之前，另一个进程刚刚生成完。
    }
    if pair.one_present() {
        bail!(pair.half());
    }
    let (cert_pem, key_pem) =
        self_signed(names).map_err(|e| anyhow!("生成自签名证书时出错：{e}"))?;
    match place_pair(pair, &cert_pem, &key_pem) {
        Ok(()) => Ok(Some(Made::Here)),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
        Err(e) => bail!(cannot_write(&e, pair)),
    }
}

// ANCHOR: place_pair
/// Writes both temporary files, then links key and certificate into place
/// without replacing anything. On failure, removes what it put down.
fn place_pair(pair: &Pair, cert_pem: &str, key_pem: &str) -> io::Result<()> {
    let key_temp = TempFile::write(&pair.key_temp, key_pem, Mode::OwnerOnly)?;
    let cert_temp = TempFile::write(&pair.cert_temp, cert_pem, Mode::Public)?;
    link_new(&key_temp.0, &pair.key)?;
    // 证书放不下时，刚放下的私钥也要删掉：不能留下“有私钥没证书”的半对。
    if let Err(e) = link_new(&cert_temp.0, &pair.cert) {
        let _ = fs::remove_file(&pair.key);
        return Err(e);
    }
    Ok(())
    // key_temp 和 cert_temp 在这里被 drop：临时文件名删掉，正式的文件名留下。
}
// ANCHOR_END: place_pair

/// `from` gets the name `to`, failing with `AlreadyExists` if `to` exists.
fn link_new(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
        // 有的文件系统（例如 U 盘常用的 FAT32）不支持硬链接。我们持有锁，
        // 而且刚确认过目标不存在，改名在这里一样安全。
        Err(_) => fs::rename(from, to),
    }
}

/// Whether a file is the secret key or the public certificate.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    OwnerOnly,
    Public,
}

/// A temporary file, removed when dropped (by then it has been linked to
/// its real name, or something failed).
struct TempFile(PathBuf);

impl TempFile {
    fn write(path: &Path, contents: &str, mode: Mode) -> io::Result<TempFile> {
        // 只有持锁的进程写这个名字；如果还在，是崩溃的进程留下的。
        let _ = fs::remove_file(path);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        owner_only_from_the_start(&mut options);
        let file = options.open(path)?;
        let temp = TempFile(path.to_path_buf()); // 从这里起，出错时 drop 会删掉它。
        (&file).write_all(contents.as_bytes())?;
        set_mode(&file, mode)?;
        // 先确保内容落到磁盘上再链接：别人看到正式文件名时，内容一定是完整的。
        file.sync_all()?;
        Ok(temp)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Both files are created readable and writable by their owner only (0600):
/// the key must never be readable by others, not even for an instant.
#[cfg(unix)]
fn owner_only_from_the_start(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(not(unix))]
fn owner_only_from_the_start(_options: &mut OpenOptions) {}

/// Sets the final mode whatever the umask: the key 0600, the certificate
/// 0644 (everyone may read it; under `umask 000` it would otherwise be
/// writable by everyone, who could then swap the certificate clients trust).
#[cfg(unix)]
fn set_mode(file: &fs::File, mode: Mode) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match mode {
        Mode::OwnerOnly => 0o600,
        Mode::Public => 0o644,
    };
    file.set_permissions(fs::Permissions::from_mode(bits))
}

/// Windows has no mode bits: a new file inherits the folder's access list,
/// which for a folder in the user's profile means that user and the admins.
#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: Mode) -> io::Result<()> {
    Ok(())
}

/// The four names one generation uses, and the lock's.
struct Pair {
    cert: PathBuf,
    key: PathBuf,
    cert_temp: PathBuf,
    key_temp: PathBuf,
    lock: PathBuf,
}

impl Pair {
    fn new(cert: &Path, key: &Path) -> Pair {
        Pair {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            cert_temp: hidden(cert, "tmp"),
            key_temp: hidden(key, "tmp"),
            lock: hidden(cert, "lock"),
        }
    }

    fn both_present(&self) -> bool {
        present(&self.cert) && present(&self.key)
    }

    fn one_present(&self) -> bool {
        present(&self.cert) != present(&self.key)
    }

    /// The message for a certificate without its key, or a key without its
    /// certificate, that no tls-server is making.
    fn half(&self) -> anyhow::Error {
        let (found, missing) = if present(&self.cert) {
            (&self.cert, &self.key)
        } else {
            (&self.key, &self.cert)
        };
        anyhow!(super::half_pair(found, missing))
    }

    /// A lock a dead process left after finishing the pair: remove it, and
    /// the temporary files it left, if it is old enough to be surely dead.
    fn clear_crash_leftovers(&self) {
        if let Some(seen) = LockSeen::read(&self.lock)
            && seen.is_old()
        {
            self.clear_after_crash(&seen);
        }
    }

    /// Removes what a process that died while generating left behind: its
    /// temporary files, a key (or certificate) it had linked without the
    /// other, then its lock. Only files from before the lock went stale are
    /// touched, so a new generator's files survive a late cleaner; and a file
    /// at a real name is removed only if it is provably the dead process's
    /// (the same bytes as its temporary file): never a key the user put there.
    fn clear_after_crash(&self, seen: &LockSeen) {
        let _signals = hold_signals();
        let made_by_the_dead = seen
            .modified
            .and_then(|modified| modified.checked_add(STALE / 2))
            .unwrap_or_else(SystemTime::now);
        let old = |path: &Path| {
            fs::symlink_metadata(path)
                .and_then(|metadata| metadata.modified())
                .is_ok_and(|modified| modified < made_by_the_dead)
        };
        if self.one_present() {
            for (file, temp) in [(&self.key, &self.key_temp), (&self.cert, &self.cert_temp)] {
                if old(file) && same_bytes(file, temp) {
                    let _ = fs::remove_file(file);
                }
            }
        }
        for temp in [&self.key_temp, &self.cert_temp] {
            if old(temp) {
                let _ = fs::remove_file(temp);
            }
        }
        // 锁还是我们判定过期的那一把时才删：别的进程可能刚删过它，又放了一把新的。
        if LockSeen::read(&self.lock).is_some_and(|now| now.token == seen.token) {
            let _ = fs::remove_file(&self.lock);
        }
    }
}

/// Whether two files both exist and hold the same bytes.
fn same_bytes(one: &Path, other: &Path) -> bool {
    match (read_small_file(one), read_small_file(other)) {
        (Ok(one), Ok(other)) => one == other,
        _ => false,
    }
}

/// `.server.crt.tmp` beside `server.crt`: hidden, in the same folder (a
/// link cannot cross file systems), named after the file it becomes.
fn hidden(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// Whether anything is at `path` (a dangling link counts: it is in the way).
fn present(path: &Path) -> bool {
    !matches!(fs::symlink_metadata(path), Err(e) if e.kind() == ErrorKind::NotFound)
}

/// The lock file, while this process holds it; removed when dropped.
struct Lock<'a> {
    pair: &'a Pair,
    token: String,
    // 最后一个字段最后 drop：锁文件删掉之后，信号才能结束进程。
    _signals: MutexGuard<'static, ()>,
}

impl<'a> Lock<'a> {
    /// Creates the lock file; `None` if another process holds it.
    fn take(pair: &'a Pair) -> io::Result<Option<Lock<'a>>> {
        let signals = hold_signals();
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&pair.lock)
        {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(e),
        };
        // 锁文件里写上“谁、什么时候”：清理过期的锁时，用它确认删的是同一把。
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let token = format!("tls-server {} {nanos}\n", std::process::id());
        if let Err(e) = file.write_all(token.as_bytes()) {
            let _ = fs::remove_file(&pair.lock); // 例如磁盘已满：锁也不能留下。
            return Err(e);
        }
        Ok(Some(Lock {
            pair,
            token,
            _signals: signals,
        }))
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        if LockSeen::read(&self.pair.lock).is_some_and(|seen| seen.token == self.token) {
            let _ = fs::remove_file(&self.pair.lock);
        }
    }
}

/// What a lock file said, and when it was written.
struct LockSeen {
    token: String,
    modified: Option<SystemTime>,
}

impl LockSeen {
    /// `None` when there is no lock (any more).
    fn read(lock: &Path) -> Option<LockSeen> {
        let metadata = fs::symlink_metadata(lock).ok()?;
        let token = read_small_file(lock)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        Some(LockSeen {
            token,
            modified: metadata.modified().ok(),
        })
    }

    /// Written more than [`STALE`] ago, by the file system's clock.
    fn is_old(&self) -> bool {
        self.modified
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > STALE)
    }
}

/// What a waiting server has seen of the lock so far.
#[derive(Default)]
struct Watch {
    /// The lock's text, and since when (by our own clock) it has not changed.
    same_since: Option<(String, Instant)>,
    said_waiting: bool,
}

impl Watch {
    /// Old by its time stamp, or unchanged for [`STALE`] by our clock (which
    /// also catches a time stamp from the future).
    fn is_stale(&mut self, seen: &LockSeen) -> bool {
        match &self.same_since {
            Some((token, since)) if *token == seen.token => {
                seen.is_old() || since.elapsed() > STALE
            }
            _ => {
                self.same_since = Some((seen.token.clone(), Instant::now()));
                seen.is_old()
            }
        }
    }
}

/// The mutex a signal handler waits for: held from taking the lock until
/// the pair is whole and the lock is gone (or everything is cleaned up).
static GENERATING: Mutex<()> = Mutex::new(());

// ANCHOR: signals
/// Makes Ctrl-C and SIGTERM wait until this process's files are whole or
/// gone. The handler is installed once, just before the first lock; a
/// signal that comes before it ends the process at once, with nothing of
/// ours on disk yet.
fn hold_signals() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // 装不上（极少见）也照常生成：那样信号会立刻结束进程，留下的锁文件由下次启动清理。
        let _ = ctrlc::set_handler(|| {
            let _wait = GENERATING.lock();
            // 130 = 128 + SIGINT：shell 里按 Ctrl-C 结束的程序通常就是这个退出码。
            std::process::exit(130);
        });
    });
    GENERATING.lock().unwrap_or_else(PoisonError::into_inner)
}
// ANCHOR_END: signals

/// Why the pair could not be written, with the fix for that cause.
fn cannot_write(error: &io::Error, pair: &Pair) -> String {
    let folder = pair
        .cert
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let folder = show_path(&folder);
    let why = match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            "磁盘已满（或用完了磁盘配额）。请删掉一些不用的文件，腾出一点空间（这两个文件只要几 KB），再启动 tls-server".to_string()
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => format!(
            "目录 {folder} 是只读的，或者你没有权限在里面写文件。请换到一个自己能写的目录（例如自己的主目录）里启动 tls-server，或者用 --cert/--key 指定已有的证书和私钥"
        ),
        ErrorKind::NotFound => {
            format!("目录 {folder} 不存在。请先创建它，或者换一个路径")
        }
        _ => error.to_string(),
    };
    format!(
        "无法生成证书 {} 和私钥 {}：{why}",
        show_path(&pair.cert),
        show_path(&pair.key)
    )
}

// ANCHOR: self_signed
/// A self-signed certificate for `names` (IP addresses become IP names in
/// the certificate, the rest DNS names) and its new key, both PEM.
fn self_signed(names: &[String]) -> Result<(String, String)> {
    let mut params = CertificateParams::new(names.to_vec())?;
    let now = SystemTime::now();
    let first = names.first().map_or("localhost", String::as_str);
    params.distinguished_name.push(DnType::CommonName, first);
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
// ANCHOR_END: self_signed
