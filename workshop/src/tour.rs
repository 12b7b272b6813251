//! 导览：按原文的顺序，每一章启动真正的服务器程序，再让真正的客户端程序和它对话。
//!
//! Every line a program prints is shown with the program's name in front,
//! so the transcript reads like two terminals side by side. Each chapter
//! ends with a ✓ or a ✗ and the reason; the whole tour succeeds only if
//! every exchange did.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use common::say;

use crate::programs::{self, Output, Running};

/// How long a program may take to start or to finish its exchange. Generous:
/// the first run on a slow laptop may still be warming its disk cache.
const PATIENCE: Duration = Duration::from_secs(30);

/// The chapters, in the article's order: (name, article section, packages).
pub const CHAPTERS: &[(&str, &str, &[&str])] = &[
    (
        "tcp",
        "常见实践 / 简单的 TCP 服务器和客户端示例",
        &["tcp-server", "tcp-client"],
    ),
    (
        "udp",
        "常见实践 / UDP 通信示例",
        &["udp-server", "udp-client"],
    ),
    (
        "threaded",
        "最佳实践 / 并发处理",
        &["threaded-server", "tcp-client"],
    ),
    ("tls", "最佳实践 / 安全考量", &["tls-server", "tls-client"]),
];

/// How the tour runs.
pub struct Settings {
    /// The address the servers listen on (`127.0.0.1`, or `0.0.0.0` for a classroom).
    pub host: String,
    /// Pause after each server starts until Enter is pressed, so a teacher
    /// can explain the server's first line before its client runs.
    pub step: bool,
}

/// Runs the named chapters (all if none) and prints a summary; true if all passed.
pub fn run(chapters: &[String], settings: &Settings) -> Result<bool> {
    let selected: Vec<_> = CHAPTERS
        .iter()
        .filter(|(name, _, _)| chapters.is_empty() || chapters.iter().any(|c| c == name))
        .collect();
    let mut packages: Vec<&str> = selected.iter().flat_map(|c| c.2.iter().copied()).collect();
    packages.sort_unstable();
    packages.dedup();
    say!("正在编译各章程序（第一次需要一两分钟，之后几乎不花时间）……");
    programs::build(&packages, false)?;

    let mut results = Vec::new();
    for (name, section, _) in selected {
        say!("\n===== {name}：原文「{section}」 =====");
        let result = match *name {
            "tcp" => pair("tcp-server", "tcp-client", settings),
            "udp" => pair("udp-server", "udp-client", settings),
            "threaded" => threaded(settings),
            _ => tls(settings),
        };
        results.push((name, section, result));
    }

    say!("\n===== 总结 =====");
    let mut all_passed = true;
    for (name, section, result) in results {
        match result {
            Ok(()) => say!("✓ {name}（{section}）：对话成功"),
            Err(e) => {
                all_passed = false;
                say!("✗ {name}（{section}）失败：{e:#}");
            }
        }
    }
    Ok(all_passed)
}

/// A server on a free port, and the address its clients should use.
fn start_server(
    name: &str,
    settings: &Settings,
    dir: Option<&Path>,
    extra: &[&str],
) -> Result<(Running, String)> {
    let program = programs::binary(name)?;
    let mut args = vec![format!("{}:0", bracket(&settings.host))];
    args.extend(extra.iter().map(|s| s.to_string()));
    let server = Running::start(name, program, &args, dir, Output::Show)?;
    let addr = server.address(PATIENCE)?;
    // A server listening on every interface (0.0.0.0) is reached via loopback.
    let reach = if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    };
    if settings.step {
        pause();
    }
    Ok((server, reach))
}

/// Waits for Enter (or for stdin to close).
fn pause() {
    say!("（服务器已启动。按回车键运行客户端……）");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Runs a client to completion; an error if it failed.
fn client(label: &str, name: &str, args: &[String], dir: Option<&Path>) -> Result<()> {
    let client = Running::start(label, programs::binary(name)?, args, dir, Output::Show)?;
    if !client.wait(PATIENCE)? {
        bail!("{label} 没有成功（见上面它打印的错误）");
    }
    Ok(())
}

/// TCP and UDP: one server, one client with the article's message.
fn pair(server_name: &str, client_name: &str, settings: &Settings) -> Result<()> {
    let (server, addr) = start_server(server_name, settings, None, &[])?;
    client(client_name, client_name, &[addr], None)?;
    server.expect_line("收到来自", PATIENCE)?;
    Ok(())
}

/// Several clients at once against the bounded threaded server.
fn threaded(settings: &Settings) -> Result<()> {
    let (server, addr) = start_server("threaded-server", settings, None, &["--threads", "4"])?;
    let program = programs::binary("tcp-client")?;
    let clients = (1..=5)
        .map(|n| {
            let args = [addr.clone(), format!("第 {n} 位同学的消息")];
            Running::start(
                &format!("tcp-client #{n}"),
                &program,
                &args,
                None,
                Output::Show,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    for client in clients {
        let label = client.label.clone();
        if !client.wait(PATIENCE)? {
            bail!("{label} 没有成功");
        }
    }
    for _ in 1..=5 {
        server.expect_line("收到来自", PATIENCE)?;
    }
    Ok(())
}

/// TLS with a certificate the server generates in a temporary folder.
fn tls(settings: &Settings) -> Result<()> {
    let dir = TempDir::new()?;
    let (server, addr) = start_server("tls-server", settings, Some(dir.path()), &[])?;
    // The generated certificate names localhost, 127.0.0.1 and ::1.
    let ca = dir.path().join("server.crt").display().to_string();
    client("tls-client", "tls-client", &[addr, "--ca".into(), ca], None)?;
    server.expect_line("收到来自", PATIENCE)?;
    Ok(())
}

/// Temporary folders still to remove, also on Ctrl-C (see `main`).
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary folder still registered; called on Ctrl-C.
pub fn remove_temp_dirs() -> MutexGuard<'static, Vec<PathBuf>> {
    let mut dirs = TEMP_DIRS.lock().unwrap_or_else(PoisonError::into_inner);
    for dir in dirs.drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
    dirs // still locked: no new folder can appear before the process exits
}

/// A folder under the system's temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Result<TempDir> {
        // Unique per process and per call: the TLS tour and benchmark each make one.
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("socket-workshop-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        // Locked from creation to registration, so a Ctrl-C cannot miss it.
        let mut dirs = TEMP_DIRS.lock().unwrap_or_else(PoisonError::into_inner);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("无法创建临时目录 {}", path.display()))?;
        dirs.push(path.clone());
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        TEMP_DIRS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|dir| *dir != self.0);
    }
}
