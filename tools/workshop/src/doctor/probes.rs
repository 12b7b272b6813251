//! The items `doctor` checks, one function each; what they parse is kept in
//! small functions of its own, tested with the texts real tools print.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::addr::{Families, HostPort, lan_addresses};
use process_runner::{Output, Running, deadline};

use super::Finding;
use crate::programs;

/// The Rust the workspace asks for (`rust-version` in Cargo.toml).
const RUST_VERSION: &str = env!("CARGO_PKG_RUST_VERSION");

/// How long a socket check may wait for its own loopback connection.
const SOCKET_PATIENCE: Duration = Duration::from_secs(5);

/// Runs a command: whether it succeeded and every line it printed (stdout,
/// then stderr), or `None` if it could not be started (not installed).
pub fn run(command: &mut Command, label: &str) -> Option<(bool, Vec<String>)> {
    let running = Running::start(command, label, Output::Keep).ok()?;
    let finished = running.wait(deadline::STEP).ok()?;
    let mut lines = finished.stdout;
    lines.extend(finished.stderr);
    Some((finished.status.success(), lines))
}

/// `program args…`'s first line, if it runs and succeeds.
fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args);
    match run(&mut command, program)? {
        (true, lines) => lines.into_iter().find(|l| !l.trim().is_empty()),
        (false, _) => None,
    }
}

// ---------------------------------------------------------------- Rust

/// The rustc cargo will use (`RUSTC`, else `rustc` on PATH) against
/// `rust-version`. An older one stops `cargo run` with cargo's own message
/// before doctor can run; this line matters when doctor was built by
/// another toolchain than the one on PATH.
pub fn rust() -> Finding {
    const TITLE: &str = "Rust";
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let install =
        "从 https://rustup.rs 安装 Rust（Windows 上是 rustup-init.exe，老师的 U 盘上有离线安装包）";
    let Some(line) = first_line(&rustc, &["--version"]) else {
        return Finding::fail(true, TITLE, format!("运行不了 {rustc}"), install);
    };
    let (Some(have), Some(want)) = (version(&line), version(RUST_VERSION)) else {
        return Finding::fail(
            true,
            TITLE,
            format!("看不懂 {rustc} --version 打印的“{line}”"),
            install,
        );
    };
    if have >= want {
        Finding::pass(
            true,
            TITLE,
            format!("{line}，本仓库要求 {RUST_VERSION} 或更新"),
        )
    } else {
        Finding::fail(
            true,
            TITLE,
            format!("{line} 太旧了，本仓库要求 {RUST_VERSION} 或更新"),
            "运行 rustup update 升级（没有网络时，用老师 U 盘上的 Rust 安装包重新安装）",
        )
    }
}

/// The first `1.2.3` (or `1.2`) in a line, as numbers.
pub fn version(line: &str) -> Option<(u32, u32, u32)> {
    let word = line
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let word = word.split(['-', '+']).next()?;
    let mut parts = word.split('.').map(str::parse::<u32>);
    let major = parts.next()?.ok()?;
    let minor = parts.next()?.ok()?;
    let patch = parts.next().and_then(Result::ok).unwrap_or(0);
    Some((major, minor, patch))
}

// ---------------------------------------------------------- C compiler

pub fn c_compiler() -> Finding {
    #[cfg(windows)]
    {
        super::windows::c_compiler()
    }
    #[cfg(not(windows))]
    {
        unix_c_compiler()
    }
}

/// On Unix, rustc links with `cc`, and ring's build script (the `cc`
/// crate) compiles its C with `$CC`, else `cc`: not gcc or clang by those
/// names, so a machine with only `gcc` fails both.
#[cfg(not(windows))]
fn unix_c_compiler() -> Finding {
    const C_TITLE: &str = "C 编译器";
    if let Ok(cc) = std::env::var("CC") {
        return match first_line(&cc, &["--version"]) {
            Some(line) => Finding::pass(true, C_TITLE, format!("CC={cc}（{line}）")),
            None => Finding::fail(
                true,
                C_TITLE,
                format!("环境变量 CC 是 {cc}，可它运行不了"),
                "把 CC 改成能运行的编译器，或者删掉它（unset CC），让编译用 cc",
            ),
        };
    }
    if let Some(line) = first_line("cc", &["--version"]) {
        return Finding::pass(
            true,
            C_TITLE,
            format!("cc（{line}），链接和 ring 的 C 代码都用它"),
        );
    }
    let others: Vec<&str> = ["gcc", "clang"]
        .into_iter()
        .filter(|name| first_line(name, &["--version"]).is_some())
        .collect();
    let said = if others.is_empty() {
        "没有找到 cc：rustc 链接程序要它，TLS 用的 ring 也要它编译 C 代码".to_string()
    } else {
        format!(
            "有 {}，但没有 cc 这个命令：rustc 链接和 ring 编译找的都是 cc",
            others.join("、")
        )
    };
    Finding::fail(true, C_TITLE, said, install_c_compiler())
}

#[cfg(target_os = "macos")]
fn install_c_compiler() -> &'static str {
    "运行 xcode-select --install 安装苹果的命令行工具，里面有 cc"
}

#[cfg(all(unix, not(target_os = "macos")))]
fn install_c_compiler() -> &'static str {
    "安装 C 编译器：Debian/Ubuntu 运行 sudo apt install build-essential，Fedora 运行 sudo dnf install gcc"
}

// -------------------------------------------------------------- crates

/// Whether every crate this platform needs is on this computer: in the
/// kit's `vendor/` (when `.cargo/config.toml` points cargo there) or in
/// cargo's cache. `cargo metadata --offline` answers: it fails, naming a
/// crate, when one would have to be downloaded.
pub fn crates() -> Finding {
    const TITLE: &str = "依赖";
    let root = programs::workspace_root();
    let vendor = vendor_dir(&root);
    let mut command = process_runner::cargo_command();
    command
        .current_dir(&root)
        .args(["metadata", "--offline", "--locked", "--format-version", "1"]);
    // Only this platform's crates: a laptop that built everything has
    // never downloaded the Windows crates on Linux, and needs none of them.
    if let Some(host) = host_triple() {
        command.args(["--filter-platform", &host]);
    }
    let Some((ok, lines)) = run(&mut command, "cargo metadata") else {
        return Finding::fail(
            true,
            TITLE,
            "运行不了 cargo",
            "安装 Rust（https://rustup.rs），cargo 和它在一起",
        );
    };
    let complaint = lines
        .iter()
        .find(|l| l.starts_with("error"))
        .cloned()
        .unwrap_or_default();
    match (ok, vendor) {
        (true, Some(vendor)) => Finding::pass(
            true,
            TITLE,
            format!(
                "用的是离线包里的 vendor/（{} 个 crate），编译不需要网络",
                crate_count(&vendor)
            ),
        ),
        (true, None) => Finding::pass(
            true,
            TITLE,
            "这台电脑要用的 crate 都已在 cargo 的缓存里，编译不需要网络",
        ),
        (false, Some(_)) => Finding::fail(
            true,
            TITLE,
            format!("离线包的 vendor/ 不完整（cargo 说：{complaint}）"),
            "从老师的 U 盘重新拷一份离线包（整个文件夹或 zip），不要只拷一部分",
        ),
        (false, None) => Finding::fail(
            true,
            TITLE,
            format!("还有 crate 没下载，编译时要联网（cargo 说：{complaint}）"),
            "有网络时在仓库目录运行 cargo fetch 先把依赖下载好；教室没有网络的话，用老师 U 盘上的离线包（socket-kit-…），里面什么都有",
        ),
    }
}

/// The folder `.cargo/config.toml` replaces crates.io with, if it does
/// (what `workshop kit` writes: `replace-with` and `directory = "vendor"`).
fn vendor_dir(root: &Path) -> Option<PathBuf> {
    let config = std::fs::read_to_string(root.join(".cargo").join("config.toml")).ok()?;
    if !config.contains("replace-with") {
        return None;
    }
    config.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "directory").then(|| root.join(value.trim().trim_matches('"')))
    })
}

fn crate_count(vendor: &Path) -> usize {
    std::fs::read_dir(vendor).map_or(0, |dir| dir.count())
}

/// `host: x86_64-unknown-linux-gnu` from `rustc -vV`.
fn host_triple() -> Option<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let mut command = Command::new(&rustc);
    command.arg("-vV");
    let (_, lines) = run(&mut command, "rustc")?;
    lines
        .iter()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
}

// ------------------------------------------------------------- network

/// A server on 127.0.0.1, a free port, and a client that reaches it: what
/// every exercise does.
pub fn localhost() -> Finding {
    const TITLE: &str = "本机连接";
    match loopback_exchange() {
        Ok(addr) => Finding::pass(true, TITLE, format!("在 {addr} 上监听、连接、收发都正常")),
        Err(e) => Finding::fail(
            true,
            TITLE,
            format!("在 127.0.0.1 上监听并连接自己失败：{e}"),
            "本机的连接都被挡住了，多半是安全软件：请老师帮忙暂时放行，或者和旁边的同学用一台电脑",
        ),
    }
}

fn loopback_exchange() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    let mut client = TcpStream::connect_timeout(&addr, SOCKET_PATIENCE)?;
    // The connection is in the listener's queue already: accept returns at once.
    let (mut server, _) = listener.accept()?;
    client.write_all(b"ok")?;
    server.set_read_timeout(Some(SOCKET_PATIENCE))?;
    let mut got = [0u8; 2];
    server.read_exact(&mut got)?;
    if &got != b"ok" {
        return Err(std::io::Error::other("收到的字节和发出的不一样"));
    }
    Ok(addr)
}

/// The lesson's port on every interface (`0.0.0.0:9999`), where the
/// servers listen when other laptops connect. Bound without listening:
/// taking the port is what fails when it is busy or reserved, and not
/// listening keeps Windows from asking about a firewall rule for the
/// workshop itself.
pub fn any_address() -> Finding {
    const TITLE: &str = "0.0.0.0 上的端口";
    let port = lesson_port();
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    match bind_only(addr) {
        Ok(()) => Finding::pass(
            false,
            TITLE,
            format!("{addr} 可以用（别的电脑连你的服务器时就连这个端口）"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Finding::fail(
            false,
            TITLE,
            format!("{addr} 已经被别的程序占用了（也许是一个还开着的服务器）：{e}"),
            format!(
                "关掉占用它的程序，或者换一个端口，例如 cargo run -p tcp-server -- 0.0.0.0:{}",
                port - 1
            ),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Finding::fail(
            false,
            TITLE,
            format!("系统不让程序用 {addr}：{e}（Windows 上 Hyper-V、WSL、Docker 会保留一些端口）"),
            format!(
                "换一个端口，例如 cargo run -p tcp-server -- 0.0.0.0:{}",
                port - 1
            ),
        ),
        Err(e) => Finding::fail(
            false,
            TITLE,
            format!("无法使用 {addr}：{e}"),
            "只用 localhost 做本机的练习；和别的电脑连的练习请和旁边的同学一起做",
        ),
    }
}

/// The port the article and every chapter use by default (9999).
fn lesson_port() -> u16 {
    common::DEFAULT_ADDR
        .parse::<HostPort>()
        .map_or(9999, |addr| addr.port)
}

fn bind_only(addr: SocketAddr) -> std::io::Result<()> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    // As std's TcpListener does on Unix, so that a port some closed
    // connection still remembers (TIME_WAIT) counts as free, as it is for
    // the chapters' servers. Windows's SO_REUSEADDR means something else
    // (taking a port another program holds), so not there.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())
}

/// The addresses other laptops would use to reach this one.
pub fn lan() -> Finding {
    const TITLE: &str = "局域网地址";
    let port = lesson_port();
    // The servers of the lesson listen on 0.0.0.0: IPv4.
    let ipv4 = Families {
        ipv4: true,
        ipv6: false,
    };
    match lan_addresses(port, ipv4) {
        Ok(found) if found.is_empty() => Finding::fail(
            false,
            TITLE,
            "除了 127.0.0.1 没有能用的地址（没连上网络，或者网卡没有启用），其他电脑连不上这台：和别人连的练习做不了",
            "连上教室的 Wi-Fi（和老师同一个网络）再运行一次 doctor",
        ),
        Ok(found) => {
            let list: Vec<String> = found
                .iter()
                .map(|(name, addr)| format!("{}（网卡 {name}）", addr.ip()))
                .collect();
            let several = if found.len() > 1 {
                "；有好几个时，和老师在同一个 Wi-Fi 里的那个才有用"
            } else {
                ""
            };
            Finding::pass(
                false,
                TITLE,
                format!(
                    "{}。别人连你的服务器时用它，例如 {}{several}",
                    list.join("、"),
                    found[0].1
                ),
            )
        }
        Err(e) => Finding::fail(
            false,
            TITLE,
            format!("列不出本机的网络地址：{e}"),
            "用 ipconfig（Windows）、ip addr（Linux）或 ifconfig（macOS）查看",
        ),
    }
}

// ------------------------------------------------------------- extras

/// The article's own programs are Python: without it the comparisons go.
pub fn python() -> Finding {
    const TITLE: &str = "Python 3";
    // (what a learner types, the program, its arguments before --version)
    let tried: &[(&str, &str, &[&str])] = if cfg!(windows) {
        // python.org's installer puts `py` on PATH; `python` may be the
        // Microsoft Store's stub, which prints no version.
        &[
            ("py -3", "py", &["-3"]),
            ("python3", "python3", &[]),
            ("python", "python", &[]),
        ]
    } else {
        &[("python3", "python3", &[]), ("python", "python", &[])]
    };
    for (typed, program, args) in tried {
        let args: Vec<&str> = args.iter().copied().chain(["--version"]).collect();
        if let Some(line) = first_line(program, &args).filter(|l| l.starts_with("Python 3")) {
            return Finding::pass(false, TITLE, format!("{typed}（{line}）"));
        }
    }
    let typed: Vec<&str> = tried.iter().map(|(typed, _, _)| *typed).collect();
    Finding::fail(
        false,
        TITLE,
        format!(
            "没有找到（试过 {}）。少了它：和原文 Python 程序对照的练习（1.2 等）做不了，check 里和它对话的几项会跳过；Rust 的部分都不受影响",
            typed.join("、")
        ),
        "从 https://www.python.org/downloads/ 安装 Python 3（老师的 U 盘上有安装包）",
    )
}

/// openssl: a second TLS implementation to talk to ours.
pub fn openssl() -> Finding {
    const TITLE: &str = "openssl";
    if let Some(line) = first_line("openssl", &["version"]) {
        return Finding::pass(false, TITLE, line);
    }
    let fix = if cfg!(windows) {
        "Git for Windows 自带一个：在 Git Bash 里运行 openssl，或者把 C:\\Program Files\\Git\\usr\\bin 加进 PATH"
    } else if cfg!(target_os = "macos") {
        "运行 brew install openssl@3（macOS 自带的是 LibreSSL，名字也叫 openssl）"
    } else {
        "用系统的包管理器安装，例如 sudo apt install openssl"
    };
    Finding::fail(
        false,
        TITLE,
        "没有找到。少了它：安全考量一章里用 openssl s_client 连 tls-server、用 openssl x509 看证书内容的步骤做不了，bench tls 跑不了；tls-server 自己会生成证书，其余都不受影响",
        fix,
    )
}

/// Whether this terminal shows the lesson's Chinese.
pub fn chinese() -> Finding {
    #[cfg(windows)]
    {
        super::windows::chinese()
    }
    #[cfg(not(windows))]
    {
        unix_chinese()
    }
}

/// Shown with the verdict: only a person can see whether the font has the
/// characters.
pub const SAMPLE: &str = "这一行的“你好，服务器！”显示成方框或乱码的话，换一个有中文字体的终端";

/// On Unix the terminal's charset follows the locale: LC_ALL, else
/// LC_CTYPE, else LANG (the first one set wins, as in POSIX).
#[cfg(not(windows))]
fn unix_chinese() -> Finding {
    const TITLE: &str = "中文显示";
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let locale = var("LC_ALL")
        .or_else(|| var("LC_CTYPE"))
        .or_else(|| var("LANG"));
    let shown = locale.clone().unwrap_or_else(|| "（没有设置）".to_string());
    if locale.as_deref().is_some_and(is_utf8_locale) {
        Finding::pass(
            false,
            TITLE,
            format!("语言环境 {shown} 用的是 UTF-8。{SAMPLE}"),
        )
    } else {
        Finding::fail(
            false,
            TITLE,
            format!("语言环境 {shown} 不是 UTF-8：中文可能显示成乱码，Python 程序打印中文可能出错"),
            "运行 export LANG=C.UTF-8（写进 ~/.bashrc 或 ~/.zshrc 就一直有效），再打开一个终端",
        )
    }
}

/// `zh_CN.UTF-8`, `C.utf8`, `en_US.UTF-8@euro` → true; `C`, `zh_CN.GB18030` → false.
#[cfg(any(not(windows), test))]
fn is_utf8_locale(locale: &str) -> bool {
    let charset = locale
        .split_once('.')
        .map_or("", |(_, rest)| rest.split('@').next().unwrap_or(""));
    let charset = charset.to_ascii_lowercase();
    charset == "utf-8" || charset == "utf8"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_what_the_tools_print() {
        assert_eq!(
            version("rustc 1.95.0 (59807616e 2026-04-14)"),
            Some((1, 95, 0))
        );
        assert_eq!(
            version("rustc 1.97.0-nightly (abc 2026-05-01)"),
            Some((1, 97, 0))
        );
        assert_eq!(version("1.88"), Some((1, 88, 0)));
        assert_eq!(version("rustc unknown"), None);
        assert!(version("rustc 1.87.1").unwrap() < version(RUST_VERSION).unwrap());
    }

    #[test]
    fn only_utf8_locales_count() {
        for yes in ["zh_CN.UTF-8", "C.utf8", "en_US.UTF-8@euro", "C.UTF-8"] {
            assert!(is_utf8_locale(yes), "{yes}");
        }
        for no in ["C", "POSIX", "zh_CN.GB18030", "zh_CN", ""] {
            assert!(!is_utf8_locale(no), "{no}");
        }
    }

    #[test]
    fn the_kit_config_points_at_its_vendor_folder() {
        let dir = testkit::TempDir::new("doctor-config");
        assert_eq!(vendor_dir(dir.path()), None);
        std::fs::create_dir(dir.join(".cargo")).unwrap();
        std::fs::write(
            dir.join(".cargo").join("config.toml"),
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n",
        )
        .unwrap();
        assert_eq!(vendor_dir(dir.path()), Some(dir.join("vendor")));
    }

    #[test]
    fn the_lesson_port_is_the_articles() {
        assert_eq!(lesson_port(), 9999);
    }
}
