//! What the wiretap tests share: starting wiretap, and saying why a test
//! could not run.
#![allow(dead_code)] // each test file uses a part
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::net::SocketAddr;
use std::path::PathBuf;

use testkit::Server;

pub const WIRETAP: &str = env!("CARGO_BIN_EXE_wiretap");

/// wiretap on a free port of 127.0.0.1 in front of `server`.
pub fn wiretap(server: SocketAddr, options: &[&str]) -> Server {
    let server = server.to_string();
    let mut args = vec!["127.0.0.1:0", server.as_str()];
    args.extend_from_slice(options);
    Server::start(WIRETAP, &args)
}

/// A chapter's program, built first if need be.
pub fn chapter(name: &str) -> PathBuf {
    testkit::program(name)
}

/// A test that cannot run here: a skip note, or a failure under `CI=true`
/// (`.ci/run` runs as root and installs every tool these tests need).
pub fn cannot_run(why: &str) {
    testkit::skip(why);
}

/// `tshark`, or a skip note (a failure under CI).
pub fn tshark() -> Option<&'static str> {
    testkit::tool("tshark", &["--version"], "Debian: apt-get install tshark")
}

/// Whether this process may make raw sockets and network namespaces (root
/// on Linux); otherwise [`cannot_run`] with `what` needs it.
#[cfg(target_os = "linux")]
pub fn is_root(what: &str) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0");
    if !root {
        cannot_run(&format!(
            "{what} needs root (raw sockets, network namespaces)"
        ));
    }
    root
}
