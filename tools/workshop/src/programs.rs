//! Finding the chapter programs, and building them first. Running them is
//! process-runner's work (children killed and folders removed in `Drop`,
//! waits that stop on Ctrl-C).
//!
//! Why build at run time: `cargo run -p workshop` builds only the workshop
//! itself. A build script cannot build the other members (it would wait for
//! the very lock cargo holds while running it), and cargo's "artifact
//! dependencies" that would allow it are still unstable. So the workshop asks
//! cargo, once it has started, to build the chapter binaries with the same
//! profile it was built with, and then runs them from the same target folder.
//! On a fresh clone this is the first command a user types, and it works; the
//! second time the build is a no-op that takes a fraction of a second.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use common::say;
use process_runner::{Output, Running, Stream, deadline};

/// The folder cargo put this program in, which is where the chapter binaries go.
pub fn target_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("找不到 workshop 程序自己的路径")?;
    match exe.parent() {
        Some(dir) => Ok(dir.to_path_buf()),
        None => bail!("找不到 workshop 程序所在的目录"),
    }
}

/// Builds the given packages' binaries (and examples) with our own profile,
/// showing cargo's progress when there is something to build.
pub fn build(packages: &[&str], examples: bool) -> Result<()> {
    let mut command = build_command(packages, examples)?;
    // A group of its own, so a Ctrl-C ends the rustc processes cargo started
    // as well as cargo (see Running::start_group).
    let cargo = Running::start_group(&mut command, "cargo", Output::Keep)
        .context("无法运行 cargo 来编译各章程序；请确认 cargo 在 PATH 里")?;
    // cargo reports on stderr: a `Compiling …` line per crate it builds (the
    // first run takes a minute or two, and this shows it moving), warnings
    // and errors, and `Finished …` at the end, also when there was nothing
    // to do. Only that last line would be noise on every later run. No
    // deadline: the first build may be downloading crates over slow Wi-Fi;
    // Ctrl-C still ends it.
    while let Some(line) = cargo.next_line(Stream::Stderr, deadline::FOREVER)? {
        let line = line.trim_start();
        if !line.starts_with("Finished") {
            say!("[cargo] {line}");
        }
    }
    if !cargo.wait(deadline::FOREVER)?.status.success() {
        bail!("编译各章程序失败（见上面 cargo 的输出）");
    }
    Ok(())
}

/// Whether `error` (from [`build`]) is that cargo could not be started at
/// all, rather than a build that failed.
pub fn is_no_cargo(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<process_runner::Error>(),
        Some(process_runner::Error::Start { .. })
    )
}

/// Checks that every one of `packages`' binaries (named like the package,
/// as every chapter program and tool is) is already built beside this program.
pub fn all_built(packages: &[&str]) -> Result<()> {
    for package in packages {
        binary(package)?;
    }
    Ok(())
}

/// `cargo build` for `packages`, into the folder and with the profile that
/// this program itself was built with.
fn build_command(packages: &[&str], examples: bool) -> Result<Command> {
    let mut targets = vec!["--bins"];
    if examples {
        targets.push("--examples");
    }
    for package in packages {
        targets.extend(["-p", package]);
    }
    cargo_build(&targets)
}

/// `cargo build TARGETS…` (e.g. `-p exercises --bin ex1`), into the folder
/// and with the profile that this program itself was built with.
pub fn cargo_build(targets: &[&str]) -> Result<Command> {
    let mut command = process_runner::cargo_build_into(&target_dir()?, &workspace_root());
    command.args(targets);
    Ok(command)
}

/// The repository root, where `cargo build` must run.
pub fn workspace_root() -> PathBuf {
    let workshop = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Two folders up (the workshop lives in tools/workshop), without a `..`
    // in every path a learner is shown.
    workshop
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| workshop.join("../.."), Path::to_path_buf)
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
