//! 读小文件（证书、私钥）之前先看一眼它是什么：必须是普通文件，而且不大。
//!
//! `fs::read` trusts the name it is given. Given `/dev/zero` it reads until
//! memory runs out and the program aborts; given a named pipe (FIFO) it
//! blocks in `open` until some other program writes to it, which may be
//! never. A certificate or a key is a regular file of a few kilobytes, so
//! [`read_small_file`] looks at the file's metadata *before* opening it
//! (`stat` never blocks), opens it only if it is a regular file of at most
//! [`MAX_SIZE`] bytes, checks the opened file again, and reads at most
//! `MAX_SIZE + 1` bytes whatever the metadata said.
//!
//! One gap is left on purpose: a file swapped for a FIFO between the check
//! and the `open` still blocks. Closing it needs `O_NONBLOCK`, which std
//! cannot ask for without platform constants, and only someone who can
//! already write to the learner's folder could exploit it.

use common::show::show_path;
use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, ErrorKind, Read};
use std::path::Path;

/// 证书、私钥文件的大小上限：1 MiB。真实的证书链只有几 KB。
pub const MAX_SIZE: u64 = 1024 * 1024;

/// Why a file could not be read whole.
#[derive(Debug)]
pub enum FileProblem {
    /// Nothing at that path.
    Missing,
    /// Something other than a regular file: its kind, in Chinese
    /// (`一个目录`, `一个字符设备（例如 /dev/zero）` …).
    NotAFile(&'static str),
    /// A regular file larger than [`MAX_SIZE`]; at least this many bytes.
    TooLarge(u64),
    /// Any other error from the system, e.g. permission denied.
    Unreadable(io::Error),
}

// ANCHOR: read_small_file
/// Reads the whole of a regular file of at most [`MAX_SIZE`] bytes, looking
/// at what `path` is before opening it.
pub fn read_small_file(path: &Path) -> Result<Vec<u8>, FileProblem> {
    // 先 stat 再 open：打开命名管道来读会一直阻塞，而 stat 不会。
    let before = fs::metadata(path).map_err(FileProblem::from)?;
    check(&before)?;
    let mut file = File::open(path).map_err(FileProblem::from)?;
    // 再看一次打开的这个文件：检查的和读到的是同一个文件。
    let opened = file.metadata().map_err(FileProblem::from)?;
    check(&opened)?;
    // 即使文件在检查之后变大了，也最多读 MAX_SIZE + 1 个字节。
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.by_ref()
        .take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(FileProblem::from)?;
    let read = bytes.len() as u64;
    if read > MAX_SIZE {
        return Err(FileProblem::TooLarge(read));
    }
    Ok(bytes)
}
// ANCHOR_END: read_small_file

/// A regular file of sane size, or the reason it is not.
fn check(metadata: &Metadata) -> Result<(), FileProblem> {
    if !metadata.is_file() {
        return Err(FileProblem::NotAFile(kind(metadata)));
    }
    if metadata.len() > MAX_SIZE {
        return Err(FileProblem::TooLarge(metadata.len()));
    }
    Ok(())
}

/// What something that is not a regular file is, for a learner.
#[cfg(unix)]
fn kind(metadata: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    if kind.is_dir() {
        "一个目录"
    } else if kind.is_char_device() {
        "一个字符设备"
    } else if kind.is_block_device() {
        "一个块设备（磁盘）"
    } else if kind.is_fifo() {
        "一个命名管道（FIFO）"
    } else if kind.is_socket() {
        "一个 Unix 套接字"
    } else {
        "一个特殊文件"
    }
}

/// Windows knows directories and files; anything else (a device such as
/// `NUL`) is a special file.
#[cfg(not(unix))]
fn kind(metadata: &Metadata) -> &'static str {
    if metadata.is_dir() {
        "一个目录"
    } else {
        "一个特殊文件"
    }
}

impl From<io::Error> for FileProblem {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            ErrorKind::NotFound => FileProblem::Missing,
            // 打开目录来读，Linux 上 open 成功、read 才报 EISDIR；Windows 上 open 就失败。
            ErrorKind::IsADirectory => FileProblem::NotAFile("一个目录"),
            _ => FileProblem::Unreadable(error),
        }
    }
}

impl FileProblem {
    /// One Chinese sentence: `what` is the kind of file (`证书`, `私钥`,
    /// `CA 证书`), `fix` says what the file should be, e.g. `--cert 要指向
    /// PEM 格式的证书文件`. [`FileProblem::Missing`] usually deserves a
    /// caller's own sentence; this one is generic.
    pub fn explain(&self, what: &str, path: &Path, fix: &str) -> String {
        let path = show_path(path);
        match self {
            FileProblem::Missing => format!("找不到{what}文件 {path}：{fix}"),
            FileProblem::NotAFile(kind) => {
                format!("{what}文件 {path} 是{kind}，不是普通文件：{fix}")
            }
            FileProblem::TooLarge(size) => format!(
                "{what}文件 {path} 有 {}，太大了（上限 1 MiB；证书和私钥通常只有几 KB）：{fix}",
                Size(*size)
            ),
            FileProblem::Unreadable(e) if e.kind() == ErrorKind::PermissionDenied => format!(
                "没有权限读取{what}文件 {path}：请用 {} 检查它的权限和属主，或者换一个自己能读的文件",
                permission_command(&path)
            ),
            FileProblem::Unreadable(e) => format!("无法读取{what}文件 {path}（{e}）：{fix}"),
        }
    }
}

/// A byte count as a learner reads it: `2.0 MiB`, `300 KiB`, `12 字节`.
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KIB: u64 = 1024;
        match self.0 {
            n if n >= KIB * KIB => write!(f, "{:.1} MiB", n as f64 / (KIB * KIB) as f64),
            n if n >= KIB => write!(f, "{} KiB", n / KIB),
            n => write!(f, "{n} 字节"),
        }
    }
}

/// The command that shows who may read `path`: `ls -l` has no PowerShell
/// form, so Windows gets `icacls` (which both PowerShell and cmd have).
fn permission_command(path: &impl std::fmt::Display) -> String {
    if cfg!(windows) {
        format!("icacls {path}")
    } else {
        format!("ls -l {path}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test
    use super::*;
    use testkit::TempDir;

    #[test]
    fn a_small_regular_file_is_read_whole() {
        let dir = TempDir::new("certs-files-small");
        let path = dir.join("server.crt");
        fs::write(&path, "-----BEGIN CERTIFICATE-----\n").unwrap();
        assert_eq!(
            read_small_file(&path).unwrap(),
            b"-----BEGIN CERTIFICATE-----\n"
        );
        // Exactly the limit is still fine; one byte more is not.
        let file = File::create(&path).unwrap();
        file.set_len(MAX_SIZE).unwrap();
        assert_eq!(read_small_file(&path).unwrap().len() as u64, MAX_SIZE);
    }

    #[test]
    fn missing_large_and_directory_are_told_apart() {
        let dir = TempDir::new("certs-files-problems");
        let missing = dir.join("nope.crt");
        assert!(matches!(
            read_small_file(&missing),
            Err(FileProblem::Missing)
        ));
        let big = dir.join("big.crt");
        // A sparse 2 MiB file: nothing is written, the size is what counts.
        File::create(&big).unwrap().set_len(2 * MAX_SIZE).unwrap();
        let problem = read_small_file(&big).unwrap_err();
        assert!(matches!(problem, FileProblem::TooLarge(n) if n == 2 * MAX_SIZE));
        let line = problem.explain("证书", &big, "--cert 要指向 PEM 格式的证书文件");
        assert!(line.contains("有 2.0 MiB，太大了"), "{line}");
        assert!(
            line.ends_with("：--cert 要指向 PEM 格式的证书文件"),
            "{line}"
        );

        let problem = read_small_file(dir.path()).unwrap_err();
        assert!(
            matches!(problem, FileProblem::NotAFile("一个目录")),
            "{problem:?}"
        );
        let line = problem.explain("CA 证书", dir.path(), "--ca 要指向证书文件");
        assert!(line.contains("是一个目录，不是普通文件"), "{line}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_without_reading_them() {
        // /dev/zero never ends: reading it whole would exhaust memory.
        let problem = read_small_file(Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(problem, FileProblem::NotAFile(kind) if kind.contains("字符设备")),
            "{problem:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_refused_without_opening_it() {
        let dir = TempDir::new("certs-files-fifo");
        let fifo = dir.join("ca.crt");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|status| status.success()) {
            testkit::skip("mkfifo is not available (apt-get install coreutils)");
            return;
        }
        // Opening a FIFO with no writer blocks: had it been opened, this
        // test would hang instead of failing.
        let problem = read_small_file(&fifo).unwrap_err();
        assert!(
            matches!(problem, FileProblem::NotAFile("一个命名管道（FIFO）")),
            "{problem:?}"
        );
    }

    #[test]
    fn an_unreadable_file_names_the_permissions() {
        let problem = FileProblem::from(io::Error::from(ErrorKind::PermissionDenied));
        let line = problem.explain("私钥", Path::new("server.key"), "unused");
        assert!(
            line.starts_with("没有权限读取私钥文件 server.key"),
            "{line}"
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(Size(12).to_string(), "12 字节");
        assert_eq!(Size(300 * 1024).to_string(), "300 KiB");
        assert_eq!(Size(2 * MAX_SIZE).to_string(), "2.0 MiB");
    }
}
