//! Finding the chapter programs, building them first, and running them as
//! child processes whose every line is labelled with the program's name.
//!
//! Why build at run time: `cargo run -p workshop` builds only the workshop
//! itself. A build script cannot build the other members (it would wait for
//! the very lock cargo holds while running it), and cargo's "artifact
//! dependencies" that would allow it are still unstable. So the workshop asks
//! cargo, once it has started, to build the chapter binaries with the same
//! profile it was built with, and then runs them from the same target folder.
//! On a fresh clone this is the first command a user types, and it works; the
//! second time the build is a no-op that takes a fraction of a second.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use common::say;

/// The folder cargo put this program in, which is where the chapter binaries go.
pub fn target_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("找不到 workshop 程序自己的路径")?;
    match exe.parent() {
        Some(dir) => Ok(dir.to_path_buf()),
        None => bail!("找不到 workshop 程序所在的目录"),
    }
}

/// Builds the given packages' binaries (and examples) with our own profile.
pub fn build(packages: &[&str], examples: bool) -> Result<()> {
    let dir = target_dir()?;
    let profile = dir
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("debug")
        .to_string();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args(["build", "--quiet", "--bins"]);
    if examples {
        command.arg("--examples");
    }
    if profile != "debug" {
        command.args([
            "--profile",
            if profile == "release" {
                "release"
            } else {
                &profile
            },
        ]);
    }
    for package in packages {
        command.args(["-p", package]);
    }
    // The cargo that ran us may have been given --target-dir (and --target):
    // build into the same folder. Cargo marks a target folder's root with
    // CACHEDIR.TAG; we sit in ROOT/PROFILE or, with --target, ROOT/TRIPLE/PROFILE.
    // Cargo tags ROOT/TRIPLE as well, so the longer layout is tried first.
    let is_root = |folder: &Path| folder.join("CACHEDIR.TAG").exists();
    match (dir.parent(), dir.parent().and_then(Path::parent)) {
        (Some(triple), Some(root)) if is_root(root) => {
            command.arg("--target-dir").arg(root);
            command
                .arg("--target")
                .arg(triple.file_name().unwrap_or_default());
        }
        (Some(root), _) if is_root(root) => {
            command.arg("--target-dir").arg(root);
        }
        _ => {} // unknown layout: let cargo's own settings decide
    }
    // Registered like the servers and clients, so Ctrl-C stops the build too.
    // The list stays locked from spawn to push: a Ctrl-C in between must not
    // miss the new child (see kill_all).
    let id = {
        let mut children = children();
        let cargo = command
            .spawn()
            .context("无法运行 cargo 来编译各章程序；请确认 cargo 在 PATH 里")?;
        let id = cargo.id();
        children.push(cargo);
        id
    };
    let Some(status) = wait_child(id, "cargo build", None)? else {
        bail!("cargo build 没有结束");
    };
    if !status.success() {
        bail!("编译各章程序失败（见上面 cargo 的输出）");
    }
    Ok(())
}

/// The repository root, where `cargo build` must run.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path of a chapter binary built by [`build`].
pub fn binary(name: &str) -> Result<PathBuf> {
    let path = target_dir()?.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        bail!(
            "找不到 {}：请先运行 cargo build --workspace",
            path.display()
        );
    }
    Ok(path)
}

/// Path of an example built by [`build`] with `examples`.
pub fn example(name: &str) -> Result<PathBuf> {
    let path = target_dir()?
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        bail!("找不到示例程序 {}", path.display());
    }
    Ok(path)
}

/// Every server and client we started and have not yet waited for. They
/// live here rather than in [`Running`] so that the Ctrl-C handler, which runs
/// on its own thread, can end and reap them too (see `main`).
static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

fn children() -> MutexGuard<'static, Vec<Child>> {
    CHILDREN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the child with process id `id` out of [`CHILDREN`].
fn take_child(id: u32) -> Option<Child> {
    let mut children = children();
    let index = children.iter().position(|child| child.id() == id)?;
    Some(children.swap_remove(index))
}

/// Waits for the registered child `id` to exit, or for `deadline`. The
/// child stays in [`CHILDREN`] while we wait, so a Ctrl-C can still end it;
/// it is taken out only once it has exited. `None`: the deadline came first.
fn wait_child(id: u32, label: &str, deadline: Option<Instant>) -> Result<Option<ExitStatus>> {
    loop {
        {
            let mut list = children();
            let Some(child) = list.iter_mut().find(|child| child.id() == id) else {
                bail!("{label} 已经被结束了（按了 Ctrl-C？）");
            };
            if let Some(status) = child.try_wait()? {
                drop(list);
                take_child(id);
                return Ok(Some(status));
            }
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Ok(None);
        }
        // Polling, because a blocking wait would hold the child away from Ctrl-C.
        thread::sleep(Duration::from_millis(20));
    }
}

/// Ends every child still running and waits for it; called on Ctrl-C.
///
/// Returns the list still locked: the caller holds it until the process
/// exits, so the main thread, which locks it around every spawn, cannot
/// start another program in the meantime.
pub fn kill_all() -> MutexGuard<'static, Vec<Child>> {
    let mut children = children();
    for mut child in children.drain(..) {
        let _ = child.kill();
        let _ = child.wait();
    }
    children
}

/// What to do with a child's output.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Print each line as `[label] line`.
    Show,
    /// Read and throw away (benchmarks: printing would cost more than serving).
    Discard,
}

/// A child process that is killed when dropped, whatever happens to the run.
pub struct Running {
    id: u32,
    pub label: String,
    lines: Receiver<String>,
}

impl Running {
    /// Starts `program`, labelling its output with `label`.
    pub fn start<S: AsRef<OsStr>>(
        label: &str,
        program: impl AsRef<OsStr>,
        args: &[S],
        dir: Option<&Path>,
        output: Output,
    ) -> Result<Running> {
        let mut command = Command::new(program.as_ref());
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        // Locked from spawn to push, so a Ctrl-C cannot miss this child.
        let mut children = children();
        let mut child = command.spawn().with_context(|| {
            format!(
                "无法启动 {label}（{}）",
                Path::new(program.as_ref()).display()
            )
        })?;
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            forward(stdout, label, output, Some(sender.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            forward(stderr, label, output, Some(sender));
        }
        let id = child.id();
        children.push(child);
        Ok(Running {
            id,
            label: label.to_string(),
            lines,
        })
    }

    /// Waits for a line announcing the listening address (a server's first
    /// line ends with it) and returns the address.
    pub fn address(&self, patience: Duration) -> Result<SocketAddr> {
        loop {
            match self.lines.recv_timeout(patience) {
                Ok(line) => {
                    let last = line.split_whitespace().last().unwrap_or("");
                    if let Ok(addr) = last.parse() {
                        return Ok(addr);
                    }
                }
                Err(_) => bail!(
                    "{} 没有启动成功：它没有打印监听地址（原因见上面它打印的错误）",
                    self.label
                ),
            }
        }
    }

    /// Waits for a line containing `needle` (for example the server's
    /// `收到来自 …` after a client is done), so the transcript is complete
    /// before the server is stopped.
    pub fn expect_line(&self, needle: &str, patience: Duration) -> Result<String> {
        loop {
            match self.lines.recv_timeout(patience) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(_) => {}
                Err(_) => bail!("{} 没有打印“{needle}”", self.label),
            }
        }
    }

    /// Waits for the child to exit; true if it succeeded. A child still
    /// running after `patience` is killed and reported.
    pub fn wait(self, patience: Duration) -> Result<bool> {
        // The output threads close the channel when the child closes its pipes,
        // which it does when it exits: by then its transcript is complete.
        let deadline = Instant::now() + patience;
        while self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
        {}
        match wait_child(self.id, &self.label, Some(deadline))? {
            Some(status) => Ok(status.success()),
            // Still in CHILDREN, so dropping `self` on the way out kills it.
            None => bail!("{} 在 {} 秒内没有结束", self.label, patience.as_secs()),
        }
    }

    /// The OS process id, for reading its CPU time.
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = take_child(self.id) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// With [`Output::Discard`], how many lines are still passed on to the caller.
const DISCARD_AFTER: usize = 10;

/// Copies a pipe's lines to our stdout with a label (or discards them), and
/// passes them on so the caller can wait for a particular one.
fn forward(
    pipe: impl Read + Send + 'static,
    label: &str,
    output: Output,
    sender: Option<mpsc::Sender<String>>,
) {
    let label = label.to_string();
    thread::spawn(move || {
        let mut sender = sender;
        for (number, line) in BufReader::new(pipe).lines().enumerate() {
            let Ok(line) = line else { break };
            if output == Output::Show {
                say!("[{label}] {line}");
            } else if number >= DISCARD_AFTER {
                // A benchmark only needs the first lines; keeping the rest would grow memory.
                sender = None;
            }
            if let Some(tx) = &sender
                && tx.send(line).is_err()
            {
                sender = None;
            }
        }
    });
}
