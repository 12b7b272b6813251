//! What building and running the Windows programs needs, and where it is.
//!
//! rustup cannot download the standard library for `x86_64-pc-windows-gnu`
//! here, but Debian's own Rust can build it from source (`-Zbuild-std`),
//! given the library's source of exactly the same version: rustc-web 1.96
//! and rust-web-src 1.96 are one source package. rustup's own compilers
//! (1.95 stable, the nightly) cannot compile that library source, so this
//! step uses Debian's compiler by its full path, whatever rustup puts
//! first on PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's compiler and cargo (rustup's shims in ~/.cargo/bin come first on PATH).
const RUSTC: &str = "/usr/bin/rustc";
const CARGO: &str = "/usr/bin/cargo";
/// The standard library's source, under the sysroot of [`RUSTC`] (`/usr`).
const STD_SOURCE: &str = "/usr/lib/rustlib/src/rust/library/std/Cargo.toml";
/// mingw-w64's C compiler: the linker, and the compiler of ring's C code.
pub const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
/// Wine's loader: Debian installs it here and puts no `wine64` on PATH;
/// other systems have `wine` on PATH.
const WINE: &[&str] = &["/usr/lib/wine/wine64", "wine64", "wine"];

/// The packages that bring all of it on Debian bookworm.
pub const PACKAGES: &str = "rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine64";

/// Where each tool is.
#[derive(Debug)]
pub struct Toolchain {
    pub rustc: PathBuf,
    pub cargo: PathBuf,
    pub wine: PathBuf,
}

/// The tools, or a sentence naming every one that is missing and how to
/// install them.
pub fn find() -> Result<Toolchain, String> {
    let mut missing = Vec::new();
    let file = |path: &str, what: &str, missing: &mut Vec<String>| {
        if !Path::new(path).is_file() {
            missing.push(format!("{what} ({path})"));
        }
    };
    file(RUSTC, "Debian's rustc", &mut missing);
    file(CARGO, "Debian's cargo", &mut missing);
    file(STD_SOURCE, "the standard library's source", &mut missing);
    if !answers(MINGW_GCC, "--version") {
        missing.push(format!("mingw-w64 ({MINGW_GCC} on PATH)"));
    }
    let wine = WINE.iter().copied().find(|wine| answers(wine, "--version"));
    if wine.is_none() {
        missing.push(format!("Wine (one of {})", WINE.join(", ")));
    }
    match wine {
        Some(wine) if missing.is_empty() => Ok(Toolchain {
            rustc: PathBuf::from(RUSTC),
            cargo: PathBuf::from(CARGO),
            wine: PathBuf::from(wine),
        }),
        _ => Err(format!(
            "cannot build or run Windows programs here: no {}. On Debian: apt-get install {PACKAGES} (or run .ci/windows)",
            missing.join(", no ")
        )),
    }
}

/// Whether `program option` runs and exits with success.
fn answers(program: &str, option: &str) -> bool {
    Command::new(program)
        .arg(option)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
