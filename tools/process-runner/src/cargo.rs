//! Running cargo from a program that `cargo run` started.

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
