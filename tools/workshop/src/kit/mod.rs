//! 离线包：`workshop kit DIR`，老师在有网络的地方做一次，拷到 U 盘上，教室里不需要网络。
//!
//! The kit is two things in DIR, for one commit:
//! - `socket-kit-COMMIT/`: the repository's files at that commit (`git
//!   archive`: what is committed, nothing else), `vendor/` with the source
//!   of every crate in Cargo.lock for every platform (`cargo vendor`), a
//!   `.cargo/config.toml` that tells cargo to take the crates from there,
//!   and `先看我.txt` for the students;
//! - `socket-kit-COMMIT.zip`: the same folder as one file, which Windows
//!   Explorer opens without extra tools.
//!
//! Each appears whole or not at all: everything is written under a
//! temporary name in DIR and renamed at the end; an error or a Ctrl-C on
//! the way removes the temporary files (see [`Partial`]).
//!
//! ```text
//! cargo run -p workshop -- kit E:\
//! ```

mod tar;
mod zip;

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use common::cli::{Args, Usage};
use common::{esay, say};
use process_runner::{Output, Running, Stream, deadline};

use crate::programs;

/// What a kit is called: `socket-kit-60dc2fb`.
const PREFIX: &str = "socket-kit";
/// The students' first file.
const README: &str = "先看我.txt";

/// `workshop kit …`.
pub const USAGE: Usage = Usage {
    program: "workshop kit",
    about: "离线包：把仓库、所有依赖的源代码和配置写进 DIR（一个文件夹和一个 zip），拷到 U 盘上，没有网络的教室也能编译",
    arguments: &[("DIR", "离线包写在这个目录里，例如 U 盘 E:\\")],
    options: &[],
    notes: &[
        "要在有网络的地方做（本机 cargo 的缓存里已有全部依赖时不联网）。文件夹和 zip 都是写完才改成正式的名字，中途出错或按 Ctrl-C 不会留下半个离线包。",
    ],
    examples: &["cargo run -p workshop -- kit E:\\"],
};

/// `workshop kit DIR`.
pub fn main(args: &Args) -> Result<bool> {
    let dir = parse(args.rest())?;
    let root = programs::workspace_root();
    let commit = Commit::of(&root)?;
    let kit = Kit::in_folder(&dir, &commit)?;
    if commit.changed > 0 {
        say!("{}", commit.changed_note());
    }
    let made = kit.make(&root, &commit)?;
    made.report(&kit, &commit);
    Ok(true)
}

/// Where the kit's two parts go.
struct Kit {
    dir: PathBuf,
    /// `socket-kit-60dc2fb`.
    name: String,
}

/// What was made.
struct Made {
    size: Size,
    crates: usize,
}

impl Kit {
    /// The kit for `commit` in `dir` (created if missing); refused if that
    /// commit's kit is there already, which it would not overwrite.
    fn in_folder(dir: &Path, commit: &Commit) -> Result<Kit> {
        fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
        let kit = Kit {
            dir: dir.to_path_buf(),
            name: format!("{PREFIX}-{}", commit.short()),
        };
        for path in [kit.folder(), kit.zip()] {
            if path.exists() {
                bail!(
                    "{} 已经有了（同一个提交的离线包）：要重新做，先把它删掉",
                    path.display()
                );
            }
        }
        Ok(kit)
    }

    fn folder(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    fn zip(&self) -> PathBuf {
        self.dir.join(format!("{}.zip", self.name))
    }

    /// A temporary name beside the real one: hidden, and this process's own.
    fn partial(&self, real: &Path) -> Partial {
        let name = real.file_name().unwrap_or_default().to_string_lossy();
        Partial::new(
            self.dir
                .join(format!(".{name}.partial-{}", std::process::id())),
        )
    }

    /// Writes both parts under temporary names, then renames them.
    fn make(&self, root: &Path, commit: &Commit) -> Result<Made> {
        let staging = self.partial(&self.folder());
        fs::create_dir(staging.path())
            .with_context(|| format!("无法在 {} 里创建临时目录", self.dir.display()))?;
        let files = unpack(root, commit, staging.path())?;
        say!("已取出提交 {} 的 {files} 个文件。", commit.short());
        let crates = vendor(staging.path())?;
        fs::write(staging.path().join(README), readme(commit, crates))
            .with_context(|| format!("无法写入 {README}"))?;
        say!("正在压缩成 zip（一两分钟）……");
        let zip_staging = self.partial(&self.zip());
        let size = write_zip(staging.path(), &self.name, zip_staging.path(), commit)?;
        staging.publish(&self.folder())?;
        zip_staging.publish(&self.zip())?;
        Ok(Made { size, crates })
    }
}

impl Made {
    fn report(&self, kit: &Kit, commit: &Commit) {
        let zip_size = fs::metadata(kit.zip()).map_or(0, |m| m.len());
        say!("\n离线包做好了（提交 {}）：", commit.id);
        say!(
            "  {}    {}，{} 个文件",
            kit.folder().display(),
            megabytes(self.size.bytes),
            self.size.files
        );
        say!("  {}    {}", kit.zip().display(), megabytes(zip_size));
        say!(
            "里面有仓库、{} 个依赖 crate 的源代码（vendor/，所有平台的）和让 cargo 用它们的 .cargo/config.toml。",
            self.crates
        );
        say!("学生拷走文件夹或 zip，先看 {README}；之后编译、运行都不需要网络。");
        if commit.changed > 0 {
            say!("{}", commit.changed_note());
        }
    }
}

/// The folder, which common::cli leaves in `rest` (it refuses a second one
/// and unknown options itself).
fn parse(words: &[String]) -> Result<PathBuf> {
    match words.first() {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => {
            bail!("kit 要一个目录，离线包写在那里，例如 cargo run -p workshop -- kit E:\\（U 盘）")
        }
    }
}

/// The commit the kit holds.
struct Commit {
    id: String,
    /// Seconds since 1970: the time every zip entry carries.
    time: u64,
    /// Tracked files changed since that commit: they are not in the kit.
    changed: usize,
}

impl Commit {
    fn of(root: &Path) -> Result<Commit> {
        let id = git(root, &["rev-parse", "HEAD"])?
            .into_iter()
            .next()
            .unwrap_or_default();
        let time = git(root, &["log", "-1", "--format=%ct", "HEAD"])?
            .first()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        let changed = git(root, &["status", "--porcelain", "--untracked-files=no"])?.len();
        if id.len() < 7 {
            bail!("git 没有给出当前提交的编号（git rev-parse HEAD 打印了“{id}”）");
        }
        Ok(Commit { id, time, changed })
    }

    fn short(&self) -> &str {
        &self.id[..7]
    }

    fn changed_note(&self) -> String {
        format!(
            "注意：工作区里有 {} 个文件改过了还没有提交，离线包里没有这些改动（它是提交 {} 的样子）；要带上它们，先提交再做离线包。",
            self.changed,
            self.short()
        )
    }
}

/// `git ARGS` in `root`: its stdout lines, or the error a teacher can act on.
fn git(root: &Path, args: &[&str]) -> Result<Vec<String>> {
    let mut command = Command::new("git");
    command.args(args).current_dir(root);
    let running = Running::start(&mut command, "git", Output::Keep).map_err(|e| match e {
        process_runner::Error::Start { .. } => anyhow!(
            "找不到 git：离线包是从 git 仓库里取出当前提交做成的，请先安装 git（https://git-scm.com）"
        ),
        other => other.into(),
    })?;
    let finished = running.wait(deadline::STEP)?;
    if !finished.status.success() {
        bail!(
            "git {} 失败：{}（离线包要在 git clone 下来的仓库里做；离线包里的仓库没有 .git，不能再用来做离线包）",
            args.join(" "),
            finished.stderr.join(" ")
        );
    }
    Ok(finished.stdout)
}

/// Writes the commit's files into `to`; returns how many.
fn unpack(root: &Path, commit: &Commit, to: &Path) -> Result<usize> {
    let out = Command::new("git")
        .args(["archive", "--format=tar", &commit.id])
        .current_dir(root)
        .output()
        .context("无法运行 git archive")?;
    if !out.status.success() {
        bail!(
            "git archive 失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let files = tar::files(&out.stdout)?;
    for file in &files {
        process_runner::check()?;
        let path = to.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("无法创建目录 {}", parent.display()))?;
        }
        fs::write(&path, file.data).with_context(|| format!("无法写入 {}", path.display()))?;
        set_mode(&path, file.mode)?;
    }
    Ok(files.len())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o777))
        .with_context(|| format!("无法设置 {} 的权限", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(()) // Windows has no executable bit; the zip records the mode anyway
}

/// `cargo vendor` into `kit/vendor`, and `kit/.cargo/config.toml` with the
/// lines cargo prints for it; returns how many crates were vendored.
///
/// `--versioned-dirs`: every folder is named `NAME-VERSION`, so a teacher
/// can see which version is there, and a folder's name does not change when
/// a second version of the same crate joins the lock file. `--locked`: the
/// kit holds exactly the versions the commit's Cargo.lock names.
fn vendor(kit: &Path) -> Result<usize> {
    say!("正在复制所有平台的依赖的源代码（cargo vendor；本机 cargo 的缓存里没有的要联网下载）……");
    let mut command = process_runner::cargo_command();
    command
        .current_dir(kit)
        .args(["vendor", "--locked", "--versioned-dirs", "vendor"]);
    // A group of its own, so a Ctrl-C ends cargo's downloads too.
    let cargo = Running::start_group(&mut command, "cargo", Output::Keep)
        .context("无法运行 cargo vendor；请确认 cargo 在 PATH 里")?;
    // No deadline: downloads over slow Wi-Fi take what they take; Ctrl-C
    // still ends the wait. Downloads are shown, "Vendoring" lines are not
    // (one per crate, about eighty).
    let mut said = Vec::new();
    while let Some(line) = cargo.next_line(Stream::Stderr, deadline::FOREVER)? {
        if line.trim_start().starts_with("Download") {
            say!("[cargo] {}", line.trim_start());
        }
        said.push(line);
    }
    let finished = cargo.wait(deadline::FOREVER)?;
    if !finished.status.success() {
        for line in said
            .iter()
            .filter(|l| !l.trim_start().starts_with("Vendoring"))
        {
            esay!("[cargo] {line}");
        }
        bail!(
            "cargo vendor 失败（见上面 cargo 的输出）：本机 cargo 的缓存里没有的依赖要从 crates.io 下载，请在有网络的地方再运行一次"
        );
    }
    let config = finished.stdout.join("\n");
    if !config.contains("replace-with") || !config.contains("directory") {
        bail!("cargo vendor 打印的配置和预想的不一样，没有 replace-with 和 directory：\n{config}");
    }
    let dot_cargo = kit.join(".cargo");
    fs::create_dir_all(&dot_cargo).context("无法创建 .cargo 目录")?;
    let text = format!(
        "# 离线包：cargo 从 vendor/ 目录取依赖，不连 crates.io（workshop kit 写的，是 cargo vendor 打印的配置）。\n\
         # Offline kit: cargo takes every crate from vendor/ (the lines `cargo vendor` printed).\n\n{config}\n"
    );
    fs::write(dot_cargo.join("config.toml"), text).context("无法写入 .cargo/config.toml")?;
    let crates = fs::read_dir(kit.join("vendor"))
        .context("cargo vendor 没有建立 vendor 目录")?
        .count();
    Ok(crates)
}

/// The students' note: Windows line endings and a byte-order mark, so that
/// every Notepad since Windows 7 shows the Chinese right.
fn readme(commit: &Commit, crates: usize) -> String {
    let changed = if commit.changed > 0 {
        format!(
            "\n老师做离线包时，工作区里还有 {} 个文件的改动没有提交，它们不在这里。\n",
            commit.changed
        )
    } else {
        String::new()
    };
    let text = format!(
        "《深入探索 Python 中的 Sockets 编程》Rust 伴读代码：离线包
提交 {id}
{changed}
这里有编译和运行全部程序要用的一切（{crates} 个依赖 crate 的源代码在 vendor/ 里，
.cargo/config.toml 让 cargo 从那里取），不需要网络。你的电脑上要有 Rust 1.88 或更新，
还要有 C 编译器（Windows：Visual Studio 生成工具）；老师的 U 盘上有安装程序。

1. 把这个文件夹整个拷到自己的电脑上（拿到的是 zip 的话：右键 → 全部解压缩）。
   放在短一点的路径里，例如 C:\\socket-kit。
2. 在这个文件夹里打开终端（Windows：在文件夹的空白处按住 Shift 点右键 →
   “在此处打开 PowerShell 窗口”，或在地址栏输入 powershell 回车）。
3. 先检查这台电脑准备好了没有，每一项都是 ✓ 就好；有 ✗ 的，照它说的做：

   cargo run -p workshop -- doctor

4. 然后是 README.md 里的两条命令：

   cargo run -p workshop         导览：每一章真正的服务器和客户端，最后五行 ✓
   cargo test --workspace        全部测试（可选，要几分钟）

第一次运行要编译一两分钟。编译不了的话，和旁边的同学用一台电脑，一起做。
",
        id = commit.id
    );
    format!("\u{feff}{}", text.replace('\n', "\r\n"))
}

/// How big the folder is.
struct Size {
    bytes: u64,
    files: usize,
}

/// Zips `folder` as `name/…` into `to`; returns the folder's size.
fn write_zip(folder: &Path, name: &str, to: &Path, commit: &Commit) -> Result<Size> {
    let mut files = Vec::new();
    list(folder, "", &mut files)?;
    files.sort();
    let out = fs::File::create(to).with_context(|| format!("无法创建 {}", to.display()))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(out), commit.time);
    let mut size = Size { bytes: 0, files: 0 };
    for relative in &files {
        process_runner::check()?;
        let path = folder.join(relative);
        let data = fs::read(&path).with_context(|| format!("无法读取 {}", path.display()))?;
        zip.add(&format!("{name}/{relative}"), &data, unix_mode(&path))
            .with_context(|| format!("无法写入 {}", to.display()))?;
        size.bytes += data.len() as u64;
        size.files += 1;
    }
    let comment = format!("{PREFIX} {}", commit.id);
    let out = zip
        .finish(&comment)
        .with_context(|| format!("无法写入 {}", to.display()))?;
    let file = out
        .into_inner()
        .map_err(|e| anyhow!("无法写入 {}：{}", to.display(), e.error()))?;
    // On the stick before we say it is there.
    file.sync_all()
        .with_context(|| format!("无法写入 {}", to.display()))?;
    Ok(size)
}

/// Every file under `folder`, as `a/b/c` relative to it.
fn list(folder: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let entries = fs::read_dir(folder).with_context(|| format!("无法读取 {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("无法读取 {}", folder.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list(&entry.path(), &relative, out)?;
        } else if kind.is_file() {
            out.push(relative);
        }
    }
    Ok(())
}

/// A regular file's Unix mode for the zip (the file-type bits and rw-r--r--
/// or rwxr-xr-x).
#[cfg(unix)]
fn unix_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let executable = fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
    0o100000 | if executable { 0o755 } else { 0o644 }
}

#[cfg(not(unix))]
fn unix_mode(path: &Path) -> u32 {
    // Windows keeps no executable bit: the one script the repository has.
    let script = path.ends_with(Path::new(".ci").join("run"));
    0o100000 | if script { 0o755 } else { 0o644 }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_000_000.0)
}

/// A file or folder under a temporary name, removed when dropped unless it
/// was published under its real name: an error, a full disk or a Ctrl-C
/// (whose cancel makes the next wait or file return an error) leaves
/// nothing half-written behind.
struct Partial {
    path: PathBuf,
    published: bool,
}

impl Partial {
    fn new(path: PathBuf) -> Partial {
        Partial {
            path,
            published: false,
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Renames it to `to`, which must not exist. For a file, a hard link
    /// refuses to replace one that appeared meanwhile; where the disk has
    /// no hard links (FAT32 and exFAT, as on most USB sticks), the plain
    /// rename, after the check at the start.
    fn publish(mut self, to: &Path) -> Result<()> {
        let failed = |e: std::io::Error| anyhow!("无法把离线包改名为 {}：{e}", to.display());
        if self.path.is_dir() {
            rename_folder(&self.path, to).map_err(failed)?;
        } else {
            match fs::hard_link(&self.path, to) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(failed(e)),
                Err(_) => fs::rename(&self.path, to).map_err(failed)?,
            }
        }
        self.published = true;
        Ok(())
    }
}

/// Renames a folder, trying again for a few seconds while the system
/// refuses: on Windows a virus scanner still reading the thousands of new
/// files holds them open, and the rename is denied until it lets go.
fn rename_folder(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut tries = 0;
    loop {
        match fs::rename(from, to) {
            Err(e)
                if e.kind() == std::io::ErrorKind::PermissionDenied
                    && tries < 20
                    && !process_runner::is_cancelled() =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            other => return other,
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.published {
            return;
        }
        let _ = if self.path.is_dir() {
            fs::remove_dir_all(&self.path)
        } else {
            fs::remove_file(&self.path)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_names_the_commit_and_the_commands() {
        let commit = Commit {
            id: "60dc2fb80e31347fed1f11e44ff82d56a6651221".into(),
            time: 0,
            changed: 2,
        };
        let text = readme(&commit, 83);
        assert!(text.starts_with('\u{feff}'));
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
        for needle in [
            commit.id.as_str(),
            "2 个文件的改动没有提交",
            "83 个依赖",
            "cargo run -p workshop -- doctor",
            "cargo run -p workshop ",
            "cargo test --workspace",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
    }

    #[test]
    fn the_command_line_takes_one_folder() {
        let parse_line = |line: &str| {
            let words = line.split_whitespace().map(std::ffi::OsString::from);
            match USAGE.parse(words)? {
                common::cli::Parsed::Run(args) => parse(args.rest()),
                common::cli::Parsed::Help => bail!("help"),
            }
        };
        assert_eq!(parse_line("E:\\").unwrap(), PathBuf::from("E:\\"));
        let error = |line: &str| parse_line(line).unwrap_err().to_string();
        assert!(error("").contains("要一个目录"));
        assert!(error("--zip out").contains("不认识的选项 --zip"));
        assert!(error("a b").contains("多余的参数"));
    }
}
