//! Reading what `git archive --format=tar` writes: the repository's files
//! at one commit, exactly as committed.
//!
//! Only the parts of the tar format git writes (POSIX ustar, with pax
//! headers for long names): 512-byte headers, each file's bytes padded to
//! 512, and two empty blocks at the end. No tar program is needed, so the
//! kit can be made on a Windows laptop that has only git and Rust.

use anyhow::{Context, Result, bail};

const BLOCK: usize = 512;

/// One file of the archive.
#[derive(Debug)]
pub struct TarFile<'a> {
    /// Relative, with `/` between folders.
    pub path: String,
    /// 0o755 for a file git records as executable, else 0o644. (git
    /// archive writes them through its `tar.umask`, 0o775 or 0o664 by
    /// default; the kit's files are the user's own, as a clone's are.)
    pub mode: u32,
    pub data: &'a [u8],
}

/// The files in `tar`, in archive order. Folders are left out (writing a
/// file creates its folders); a symbolic link is refused, since the kit
/// must unpack the same on Windows.
pub fn files(tar: &[u8]) -> Result<Vec<TarFile<'_>>> {
    let mut files = Vec::new();
    let mut at = 0;
    // A pax "x" header names the entry that follows it (long paths).
    let mut long_path: Option<String> = None;
    while let Some(header) = tar.get(at..at + BLOCK) {
        if header.iter().all(|&b| b == 0) {
            return Ok(files); // the end blocks
        }
        let size = octal(&header[124..136]).context("git archive 的输出里有看不懂的文件大小")?;
        let start = at + BLOCK;
        let Some(data) = tar.get(start..start + size as usize) else {
            bail!(
                "git archive 的输出不完整（在第 {} 字节处截断了）",
                tar.len()
            );
        };
        at = start + (size as usize).div_ceil(BLOCK) * BLOCK;
        let path = long_path.take().unwrap_or_else(|| ustar_path(header));
        match header[156] {
            b'0' | 0 => {
                check_path(&path)?;
                let executable = octal(&header[100..108]).is_some_and(|m| m & 0o111 != 0);
                let mode = if executable { 0o755 } else { 0o644 };
                files.push(TarFile { path, mode, data });
            }
            b'5' | b'g' => {} // a folder; the global header with the commit id
            b'x' => long_path = pax_path(data),
            b'2' => bail!("仓库里有符号链接 {path}：离线包要在 Windows 上解开，不能含符号链接"),
            other => bail!(
                "git archive 的输出里有不认识的条目类型 {:?}（{path}）",
                other as char
            ),
        }
    }
    bail!("git archive 的输出没有正常结束（缺少结尾的空块）")
}

/// ustar keeps a long name as prefix + "/" + name.
fn ustar_path(header: &[u8]) -> String {
    let name = text(&header[0..100]);
    let prefix = text(&header[345..500]);
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// The `path=` record of a pax header: records are `LEN key=value\n`.
fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines().find_map(|record| {
        let (_, pair) = record.split_once(' ')?;
        pair.strip_prefix("path=").map(str::to_string)
    })
}

/// A NUL-terminated field.
fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// An octal number field (space- or NUL-terminated).
fn octal(field: &[u8]) -> Option<u64> {
    let digits: String = text(field).trim().to_string();
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(&digits, 8).ok()
}

/// A path inside the kit: relative, and never climbing out of it.
fn check_path(path: &str) -> Result<()> {
    let climbs = path.split('/').any(|part| part == "..");
    if path.is_empty() || path.starts_with('/') || path.contains('\\') || climbs {
        bail!("git archive 的输出里有不能放进离线包的路径 {path:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: usize, kind: u8, mode: &str) -> Vec<u8> {
        let mut block = vec![0u8; BLOCK];
        block[..name.len()].copy_from_slice(name.as_bytes());
        block[100..100 + mode.len()].copy_from_slice(mode.as_bytes());
        let size = format!("{size:011o}");
        block[124..135].copy_from_slice(size.as_bytes());
        block[156] = kind;
        block
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        out.resize(data.len().div_ceil(BLOCK) * BLOCK, 0);
        out
    }

    #[test]
    fn files_modes_and_long_names_are_read() {
        let long = format!("{}/main.rs", "a".repeat(120));
        // "LEN path=VALUE\n", LEN counting the whole record (its own 3 digits too).
        let pax = format!("{} path={long}\n", long.len() + 10);
        let mut tar = Vec::new();
        tar.extend(header("pax_global_header", 5, b'g', "0000666"));
        tar.extend(padded(b"x=y\n\n"));
        tar.extend(header("docs/", 0, b'5', "0000755"));
        tar.extend(header(".ci/run", 3, b'0', "0000755"));
        tar.extend(padded(b"sh\n"));
        tar.extend(header("x", pax.len(), b'x', "0000666"));
        tar.extend(padded(pax.as_bytes()));
        tar.extend(header("shortened", 2, b'0', "0000644"));
        tar.extend(padded(b"ok"));
        tar.extend(vec![0u8; 2 * BLOCK]);
        let files = files(&tar).unwrap();
        let seen: Vec<(&str, u32, &[u8])> = files
            .iter()
            .map(|f| (f.path.as_str(), f.mode, f.data))
            .collect();
        assert_eq!(
            seen,
            [
                (".ci/run", 0o755, b"sh\n".as_slice()),
                (long.as_str(), 0o644, b"ok".as_slice())
            ]
        );
    }

    #[test]
    fn links_escapes_and_truncation_are_refused() {
        let mut link = header("link", 0, b'2', "0000777");
        link.extend(vec![0u8; 2 * BLOCK]);
        assert!(files(&link).unwrap_err().to_string().contains("符号链接"));
        let mut climb = header("../evil", 0, b'0', "0000644");
        climb.extend(vec![0u8; 2 * BLOCK]);
        assert!(files(&climb).is_err());
        let cut = header("big", 4096, b'0', "0000644");
        assert!(files(&cut).unwrap_err().to_string().contains("不完整"));
    }

    #[test]
    fn this_repository_reads_whole() {
        let root = crate::programs::workspace_root();
        let Ok(out) = std::process::Command::new("git")
            .args(["archive", "--format=tar", "HEAD"])
            .current_dir(&root)
            .output()
        else {
            testkit::skip("git is not on PATH");
            return;
        };
        if !out.status.success() {
            testkit::skip("not a git checkout (an unpacked kit has no .git)");
            return;
        }
        let files = files(&out.stdout).unwrap();
        let run = files.iter().find(|f| f.path == ".ci/run").unwrap();
        assert_eq!(run.mode, 0o755);
        assert!(files.iter().any(|f| f.path == "Cargo.lock"));
    }
}
