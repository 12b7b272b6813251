//! Issue 21, the LAN lines (`其他电脑可以连接：…`): every server lists the
//! same addresses, only of interfaces that are up, with the interface names
//! escaped, and on a dual-stack `[::]` socket the IPv4 addresses too.
//!
//! The machine is a Linux network namespace of the test's own, with three
//! veth interfaces: one up whose name holds ESC, a window-title sequence and
//! BEL (with a second address whose label adds a colour sequence), one up
//! whose name holds U+202E, and one down. Nothing of the host's network is
//! touched. It needs root and `ip`; elsewhere the test prints a skip note.
//!
//! On the code before the fix this failed: the names were printed raw, the
//! down interface's addresses were listed, `[::]` listed no IPv4 address,
//! and async_server and spawn_per_connection printed no LAN lines at all.
#![cfg(target_os = "linux")] // network namespaces are Linux's
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use testkit::{Server, TempDir};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp-server");

/// Interface names as the system has them: ESC ] 0 ; x BEL (a window
/// title), and U+202E (turns the rest of a line around).
const TITLE: &str = "d\u{1b}]0;x\u{7}";
const REVERSED: &str = "u\u{202e}x";

/// How the LAN lines must show them.
const TITLE_SHOWN: &str = "d\\x1b]0;x\\x07";
const REVERSED_SHOWN: &str = "u\\u{202e}x";

/// A network namespace with the interfaces above, removed when dropped.
struct Lan {
    name: String,
}

impl Lan {
    fn build() -> Option<Lan> {
        let name = format!("lan21-{}", std::process::id());
        let probe = ip(&["netns", "add", &name]);
        if !probe {
            testkit::skip("the LAN-lines test needs root and `ip` to make a network namespace");
            return None;
        }
        let lan = Lan { name };
        let label = format!("{TITLE}:\u{1b}[31m");
        for step in [
            vec!["link", "set", "lo", "up"],
            vec!["link", "add", TITLE, "type", "veth", "peer", "name", "p1"],
            vec![
                "link", "add", REVERSED, "type", "veth", "peer", "name", "p2",
            ],
            vec!["link", "add", "down0", "type", "veth", "peer", "name", "p3"],
            vec!["addr", "add", "192.0.2.1/24", "dev", TITLE],
            vec!["addr", "add", "192.0.2.5/24", "dev", TITLE, "label", &label],
            vec!["addr", "add", "2001:db8::1/64", "dev", REVERSED, "nodad"],
            vec!["addr", "add", "192.0.2.99/24", "dev", "down0"],
            vec!["addr", "add", "2001:db8::99/64", "dev", "down0", "nodad"],
            vec!["link", "set", TITLE, "up"],
            vec!["link", "set", "p1", "up"],
            vec!["link", "set", REVERSED, "up"],
            vec!["link", "set", "p2", "up"],
        ] {
            let mut args = vec!["-n", lan.name.as_str()];
            args.extend(step.iter().copied());
            assert!(ip(&args), "ip {args:?} failed");
        }
        Some(lan)
    }

    /// `program args…` inside the namespace, as arguments for `ip`.
    fn inside(&self, program: &Path, args: &[&str]) -> Vec<String> {
        let mut all = vec!["netns".to_string(), "exec".into(), self.name.clone()];
        all.push(program.to_str().unwrap().to_string());
        all.extend(args.iter().map(|a| a.to_string()));
        all
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        ip(&["netns", "del", &self.name]);
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// How to make a server print something after its LAN lines.
enum Then {
    /// Run this client at the server's port; the server logs `收到来自`.
    Client(PathBuf),
    /// The server prints this line after its LAN lines by itself.
    Line(&'static str),
}

/// The LAN lines `program` prints when listening on `listen` in the namespace.
fn lan_lines(lan: &Lan, program: &Path, listen: &str, then: &Then) -> (u16, Vec<String>) {
    let dir = TempDir::new("lan-lines"); // tls-server makes its certificate here
    let server = Server::start_in("ip", &lan.inside(program, &[listen]), Some(dir.path()));
    let port = server.addr.port();
    let until = match then {
        Then::Client(client) => {
            let target = format!("127.0.0.1:{port}");
            let outcome = testkit::run("ip", &lan.inside(client, &[&target]));
            assert!(outcome.status.success(), "{outcome:?}");
            "收到来自"
        }
        Then::Line(line) => line,
    };
    let lines = server.process.stdout_until(until);
    let lan_lines = lines
        .into_iter()
        .filter(|line| line.starts_with("其他电脑可以连接") || line.starts_with("这台电脑"))
        .collect();
    (port, lan_lines)
}

fn expected(port: u16, dual_stack: bool) -> Vec<String> {
    let mut lines = vec![
        format!("其他电脑可以连接：192.0.2.1:{port}（网卡 {TITLE_SHOWN}）"),
        format!("其他电脑可以连接：192.0.2.5:{port}（网卡 {TITLE_SHOWN}:\\x1b[31m）"),
    ];
    if dual_stack {
        lines.push(format!(
            "其他电脑可以连接：[2001:db8::1]:{port}（网卡 {REVERSED_SHOWN}）"
        ));
    }
    lines
}

/// Every server that binds `0.0.0.0` or `[::]` (each built first if need
/// be), and how to get a line out of it after its LAN lines.
fn servers() -> Vec<(&'static str, PathBuf, Then)> {
    let tcp = || Then::Client(testkit::program("tcp-client"));
    vec![
        ("tcp-server", PathBuf::from(SERVER), tcp()),
        (
            "threaded-server",
            testkit::program("threaded-server"),
            tcp(),
        ),
        (
            "spawn_per_connection",
            testkit::example("threaded-server", "spawn_per_connection"),
            tcp(),
        ),
        (
            "event-loop-server",
            testkit::program("event-loop-server"),
            tcp(),
        ),
        (
            "async_server",
            testkit::example("event-loop-server", "async_server"),
            tcp(),
        ),
        (
            "udp-server",
            testkit::program("udp-server"),
            Then::Client(testkit::program("udp-client")),
        ),
        (
            "tls-server",
            testkit::program("tls-server"),
            Then::Line("已生成自签名证书"),
        ),
    ]
}

#[test]
fn every_server_lists_only_interfaces_that_are_up_escaped_and_ipv4_on_a_dual_stack_socket() {
    let Some(lan) = Lan::build() else { return };
    for (name, program, then) in servers() {
        let (port, lines) = lan_lines(&lan, &program, "0.0.0.0:0", &then);
        assert_eq!(lines, expected(port, false), "{name} on 0.0.0.0");
        // Linux makes std's [::] socket dual-stack (IPV6_V6ONLY off, the
        // namespace's net.ipv6.bindv6only is 0): it takes IPv4 too.
        let (port, lines) = lan_lines(&lan, &program, "[::]:0", &then);
        assert_eq!(lines, expected(port, true), "{name} on [::]");
        for line in &lines {
            assert!(
                !line.contains(['\u{1b}', '\u{7}', '\u{202e}']),
                "{name}: raw control character in {line:?}"
            );
        }
    }
}
