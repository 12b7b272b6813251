//! The builds, done once per test process, and Wine's first start.
//!
//! - The Linux programs: the cargo that runs these tests builds the chapter
//!   binaries into its own target folder (a no-op under `cargo test
//!   --workspace`, which has built them already).
//! - The Windows programs: Debian's cargo and rustc build the standard
//!   library from source and then the workspace, into `target/windows`
//!   (its own folder, kept between runs like any target folder). The
//!   command is the one `.ci/windows` type-checks with.
//! - `bcryptprimitives.dll`: Wine 8.0 lacks it; mingw-w64 builds the shim
//!   in `shim/` beside the `.exe` files.
//! - Wine's first start creates its prefix (its `C:` drive and registry)
//!   in `target/windows/wine-prefix`, and shows that a program runs.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use process_runner::{Output, Running};

use crate::Programs;
use crate::toolchain::{MINGW_GCC, Toolchain};

/// The Windows target: 64-bit, linked by mingw-w64.
const TRIPLE: &str = "x86_64-pc-windows-gnu";

/// The programs the tests run on both systems.
const ON_BOTH: &[&str] = &[
    "tcp-server",
    "tcp-client",
    "udp-server",
    "udp-client",
    "threaded-server",
    "event-loop-server",
    "tls-server",
    "tls-client",
];

/// Built for Windows as well: the relay, the peers, the workshop with the
/// answer keys, and the exercises as shipped.
const WINDOWS_ONLY: &[&str] = &["wiretap", "peer", "workshop", "exercises"];

/// The Windows build from nothing (the standard library from source, ring's
/// C code, rustls, every program): 75 to 90 s of CPU; on the 2-core test
/// machine 160 s while other builds kept its load average at 9, 220 s at
/// 20. 600 s leaves that much again and more; a build that needs longer
/// is stuck.
const WINDOWS_BUILD: Duration = Duration::from_secs(600);

/// The Linux build of the chapter programs: process-runner's deadline for it.
const LINUX_BUILD: Duration = process_runner::deadline::BUILD;

/// Wine's first start in a new prefix: 7 s measured on the idle test
/// machine; ten times that for a loaded one.
const FIRST_START: Duration = Duration::from_secs(70);

/// Wine for one prefix.
#[derive(Debug)]
pub struct Wine {
    loader: PathBuf,
    prefix: PathBuf,
}

impl Wine {
    /// `exe` under Wine, ready for its arguments.
    pub fn command(&self, exe: &Path) -> Command {
        let mut command = Command::new(&self.loader);
        command
            .arg(exe)
            // Our own prefix, not the user's ~/.wine.
            .env("WINEPREFIX", &self.prefix)
            // Wine's own diagnostics would mix with the program's stderr.
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer prompts, no desktop menu entries:
            // none of our programs needs them.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;winemenubuilder.exe=d")
            // Wine turns the command line into UTF-16 with the Unix locale's
            // character set: under LANG=C, `你好` reached the program as
            // other characters. A UTF-8 locale hands it over as typed.
            .env("LC_ALL", "C.UTF-8")
            // No window is ever opened.
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        // Wine starts Linux programs too, given their path: a `$CARGO` left
        // here by `cargo test` would have workshop.exe run Linux's cargo
        // with Windows paths. A Windows laptop has no such variables.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let rust = ["CARGO", "RUSTUP", "RUSTC", "RUSTDOC"]
                .iter()
                .any(|prefix| name.starts_with(prefix));
            if rust || name == "LD_LIBRARY_PATH" {
                command.env_remove(name.as_ref());
            }
        }
        command
    }
}

/// Builds everything once; the error is the whole story for a failed test.
pub fn build(tools: &Toolchain) -> Result<Programs, String> {
    let linux = own_profile_folder()?;
    let target = TargetFolder::of(&linux)?;
    note("building the chapter programs for Linux (a no-op after cargo test --workspace)");
    run_build(linux_build(&target), "cargo build (Linux)", LINUX_BUILD)?;
    note("building the programs for Windows (the first time takes a few minutes)");
    let windows_target = target.root.join("windows");
    run_build(
        windows_build(tools, &windows_target),
        "cargo build (Windows)",
        WINDOWS_BUILD,
    )?;
    let windows = windows_target.join(TRIPLE).join("debug");
    build_shim(&windows)?;
    let wine = Wine {
        loader: tools.wine.clone(),
        prefix: windows_target.join("wine-prefix"),
    };
    first_start(&wine, &windows)?;
    Ok(Programs {
        linux,
        windows,
        wine,
    })
}

/// Shown at once, past the test harness's capture: a build of minutes must
/// not look like a hang.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "on-windows: {text}");
}

/// The folder this test binary was built in (`target/debug`), where cargo
/// puts the Linux binaries: the test is `target/debug/deps/on_windows-…`.
fn own_profile_folder() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("no path for this test: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not in target/PROFILE/deps", exe.display()))
}

/// Where the cargo running these tests builds: its target folder's root,
/// the profile, and the `--target` it was given, if any.
struct TargetFolder {
    root: PathBuf,
    profile: String,
    triple: Option<String>,
}

impl TargetFolder {
    /// The profile folder is ROOT/PROFILE or, with --target, ROOT/TRIPLE/PROFILE.
    /// Cargo marks the root of a folder it made with CACHEDIR.TAG (and tags
    /// ROOT/TRIPLE too); a root made by another program has no tag, so the
    /// longer layout is taken only where the tag and a triple's name say so.
    fn of(profile_folder: &Path) -> Result<TargetFolder, String> {
        let name = |path: &Path| path.file_name().and_then(OsStr::to_str).map(String::from);
        let profile = name(profile_folder).unwrap_or_else(|| "debug".to_string());
        let Some(parent) = profile_folder.parent() else {
            return Err(format!("{} has no parent", profile_folder.display()));
        };
        let triple = name(parent).filter(|name| name.contains('-'));
        match (parent.parent(), triple) {
            (Some(root), Some(triple)) if root.join("CACHEDIR.TAG").is_file() => Ok(TargetFolder {
                root: root.to_path_buf(),
                profile,
                triple: Some(triple),
            }),
            _ => Ok(TargetFolder {
                root: parent.to_path_buf(),
                profile,
                triple: None,
            }),
        }
    }
}

/// The repository root, where both builds run.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The cargo that runs these tests, building the chapter programs into its
/// own target folder with its own profile.
fn linux_build(target: &TargetFolder) -> Command {
    let mut command = process_runner::cargo_command();
    command
        .current_dir(workspace_root())
        .args(["build", "--bins", "--target-dir"])
        .arg(&target.root);
    if target.profile != "debug" {
        command.args(["--profile", &target.profile]);
    }
    if let Some(triple) = &target.triple {
        command.args(["--target", triple]);
    }
    for package in ON_BOTH {
        command.args(["-p", package]);
    }
    command
}

/// Debian's cargo and rustc, building std from source for Windows: the
/// same command as `.ci/windows`, with `build` for `check`.
fn windows_build(tools: &Toolchain, target_dir: &Path) -> Command {
    /// What the cargo running these tests told this process about itself,
    /// and rustup's choice of compiler and its libraries: none of it may
    /// reach Debian's cargo. (A user's own settings, such as
    /// CARGO_NET_OFFLINE, go through.)
    const NOT_FOR_DEBIANS_CARGO: &[&str] = &[
        "CARGO",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTC",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "LD_LIBRARY_PATH",
    ];
    let mut command = Command::new(&tools.cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let about_us = name.starts_with("CARGO_PKG_") || name.starts_with("RUSTUP_");
        if about_us || NOT_FOR_DEBIANS_CARGO.contains(&name.as_ref()) {
            command.env_remove(name.as_ref());
        }
    }
    command
        .current_dir(workspace_root())
        .env("RUSTC", &tools.rustc)
        // -Zbuild-std is unstable: Debian's stable compiler allows it with this.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", MINGW_GCC)
        .args(["build", "-Zbuild-std=std,panic_unwind", "--target", TRIPLE])
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--bins");
    for package in ON_BOTH.iter().chain(WINDOWS_ONLY) {
        command.args(["-p", package]);
    }
    command
}

/// Runs a build to its end; its stderr is the error if it fails.
fn run_build(mut command: Command, label: &str, patience: Duration) -> Result<(), String> {
    let running = Running::start_group(&mut command, label, Output::Keep)
        .map_err(|e| format!("{label}: {e}"))?;
    let finished = running
        .wait(patience)
        .map_err(|e| format!("{label}: {e}"))?;
    if finished.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{label} failed ({}):\n{}",
            finished.status,
            finished.stderr.join("\n")
        ))
    }
}

/// Builds `bcryptprimitives.dll` from `shim/bcryptprimitives.c` beside the
/// `.exe` files: to a temporary name, then renamed, so a test running
/// another test binary at the same time never loads half a DLL.
fn build_shim(exes: &Path) -> Result<(), String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("shim/bcryptprimitives.c");
    let dll = exes.join("bcryptprimitives.dll");
    let temp = exes.join(format!("bcryptprimitives.dll.{}", std::process::id()));
    let mut gcc = Command::new(MINGW_GCC);
    gcc.args(["-shared", "-O2", "-o"])
        .arg(&temp)
        .arg(&source)
        .arg("-ladvapi32");
    let built = run_build(gcc, MINGW_GCC, LINUX_BUILD);
    let renamed = built.and_then(|()| {
        std::fs::rename(&temp, &dll).map_err(|e| format!("renaming {}: {e}", temp.display()))
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    renamed
}

/// Starts one program, which creates the prefix the first time, and checks
/// that it runs: `tcp-client.exe --help` prints its Chinese usage.
fn first_start(wine: &Wine, exes: &Path) -> Result<(), String> {
    let mut command = wine.command(&exes.join("tcp-client.exe"));
    command.arg("--help");
    let running = Running::start(&mut command, "tcp-client.exe --help", Output::Keep)
        .map_err(|e| format!("Wine: {e}"))?;
    let finished = running
        .wait(FIRST_START)
        .map_err(|e| format!("Wine's first start: {e}"))?;
    let usage = finished
        .stdout
        .iter()
        .any(|line| line.starts_with("用法: tcp-client"));
    if finished.status.success() && usage {
        return Ok(());
    }
    // With WINEDEBUG=-all a DLL that cannot be found is silent: status 53.
    Err(format!(
        "tcp-client.exe --help under Wine did not print its usage ({}); stdout {:?}, stderr {:?}. \
         Run it with WINEDEBUG=err+all to see which DLL or function is missing",
        finished.status, finished.stdout, finished.stderr
    ))
}
