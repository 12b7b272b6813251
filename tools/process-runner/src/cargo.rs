//! Running cargo from a program that `cargo run` started.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// The cargo that ran this program (`$CARGO`, else `cargo` on PATH), for a
/// nested `cargo build`, without what `cargo run` told this program about
/// itself (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, …).
///
/// Build scripts watch some of those variables (ring's watches
/// `CARGO_MANIFEST_DIR`): inherited by the inner build, they would make ring
/// and everything above it build again, once there and once more at the
/// next plain `cargo build`, every time.
pub fn cargo_command() -> Command {
    const ABOUT_US: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
    ];
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if ABOUT_US.contains(&name.as_ref()) || name.starts_with("CARGO_PKG_") {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// `cargo build` run from the workspace `root`, building into `programs`:
/// the folder cargo put the running program in (`target/debug`,
/// `target/release`, `target/TRIPLE/PROFILE`), with the same profile and
/// target folder, so that what it builds lands beside us. The caller adds
/// what to build (`-p tcp-server --bins`).
///
/// Why at run time: a build script cannot build other members (it would
/// wait for the very lock cargo holds while running it), and cargo's
/// "artifact dependencies" that would allow it are still unstable.
pub fn cargo_build_into(programs: &Path, root: &Path) -> Command {
    let mut command = cargo_command();
    command.current_dir(root).arg("build");
    // The folder is named after the profile, except the default one's.
    match programs.file_name().and_then(OsStr::to_str) {
        Some("debug") | None => {}
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    // The cargo that built us may have been given --target-dir (and
    // --target): build into the same folder. Cargo marks a target folder's
    // root with CACHEDIR.TAG; we sit in ROOT/PROFILE or, with --target,
    // ROOT/TRIPLE/PROFILE. Cargo tags ROOT/TRIPLE as well, so the longer
    // layout is tried first.
    let is_root = |folder: &Path| folder.join("CACHEDIR.TAG").exists();
    match (programs.parent(), programs.parent().and_then(Path::parent)) {
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
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_build_goes_where_the_running_program_was_built() {
        let target = crate::TempDir::new("cargo-build-test").unwrap();
        std::fs::write(target.path().join("CACHEDIR.TAG"), "").unwrap();
        let root = target.path().to_str().unwrap().to_string();
        let debug = cargo_build_into(&target.path().join("debug"), Path::new("."));
        assert_eq!(words(&debug), ["build", "--target-dir", root.as_str()]);
        let release = cargo_build_into(&target.path().join("release"), Path::new("."));
        assert_eq!(
            words(&release),
            [
                "build",
                "--profile",
                "release",
                "--target-dir",
                root.as_str()
            ]
        );
        let triple = target.path().join("x86_64-pc-windows-gnu");
        std::fs::create_dir(&triple).unwrap();
        std::fs::write(triple.join("CACHEDIR.TAG"), "").unwrap();
        let cross = cargo_build_into(&triple.join("debug"), Path::new("."));
        assert_eq!(
            words(&cross),
            [
                "build",
                "--target-dir",
                root.as_str(),
                "--target",
                "x86_64-pc-windows-gnu"
            ]
        );
        // Somewhere cargo never built into: its own settings decide.
        assert_eq!(
            words(&cargo_build_into(
                Path::new("/nowhere/debug"),
                Path::new(".")
            )),
            ["build"]
        );
    }
}
