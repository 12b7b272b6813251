//! `workshop doctor`, with each of its items made to fail in turn.
//!
//! Each run gets a PATH of its own: a folder of links to exactly the tools
//! the case allows (rustc, cc, python3, openssl), so "no python3" is a
//! machine without python3 as far as the doctor can tell. The network
//! items need a network namespace (root): loopback down, the lesson's port
//! held by a running `tcp-server`, a LAN address on a veth interface;
//! without root those cases print a skip note (a failure under `CI=true`).
//!
//! What each case asserts: the item's line is ✗ and names the fix, the
//! other lines stay as they were, and the exit status is 1 only when a
//! needed item failed.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use process_runner::{Output, Running, deadline};
use testkit::{Outcome, TempDir, skip};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");

/// The tools the doctor looks for on PATH.
const TOOLS: &[&str] = &["rustc", "cc", "python3", "openssl"];

/// One doctor run on a machine that has `tools`, with `env` set, in
/// `namespace` if given.
struct Machine {
    bin: TempDir,
    env: Vec<(String, String)>,
    namespace: Option<String>,
}

impl Machine {
    /// A machine with every tool, a UTF-8 locale, this machine's cargo cache.
    fn new() -> Machine {
        Machine::with(TOOLS)
    }

    fn with(tools: &[&str]) -> Machine {
        let bin = TempDir::new("doctor-bin");
        for tool in tools {
            match real(tool) {
                Some(target) => std::os::unix::fs::symlink(target, bin.join(tool)).unwrap(),
                // The run then lacks it too, and the asserts about it fail
                // on their own lines; say first which tool was missing.
                None => skip(&format!(
                    "{tool} is not on PATH: its doctor line cannot pass"
                )),
            }
        }
        Machine {
            bin,
            env: vec![("LANG".into(), "C.UTF-8".into())],
            namespace: None,
        }
    }

    fn env(mut self, name: &str, value: &str) -> Machine {
        self.env.push((name.into(), value.into()));
        self
    }

    fn run(&self) -> Outcome {
        let mut command = match &self.namespace {
            Some(namespace) => {
                // By its full path: the run's own PATH has no `ip`.
                let mut command = Command::new(real("ip").unwrap());
                command.args(["netns", "exec", namespace, WORKSHOP]);
                command
            }
            None => Command::new(WORKSHOP),
        };
        command
            .arg("doctor")
            .env("PATH", self.bin.path())
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env_remove("CC")
            .env_remove("RUSTC");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let running = Running::start(&mut command, "workshop doctor", Output::Keep).unwrap();
        // Every item waits at most one step (cargo metadata is the slowest).
        let patience = deadline::STEP.saturating_mul(12);
        running.wait(patience).unwrap().into()
    }
}

/// The executable `tool` resolves to on this machine's PATH (rustc: the
/// toolchain's own, not rustup's proxy, which needs its home).
fn real(tool: &str) -> Option<PathBuf> {
    if tool == "rustc" {
        let sysroot = Command::new("rustc")
            .args(["--print", "sysroot"])
            .output()
            .ok()?;
        let sysroot = String::from_utf8(sysroot.stdout).ok()?;
        let path = Path::new(sysroot.trim()).join("bin/rustc");
        return path.is_file().then_some(path);
    }
    if tool == "python3" {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()?;
        let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
        .and_then(|found| std::fs::canonicalize(found).ok())
}

/// The line of item `title`.
fn line<'a>(run: &'a Outcome, title: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l[l.char_indices().nth(2).map_or(0, |(i, _)| i)..].starts_with(title))
        .unwrap_or_else(|| panic!("no line for {title}: {}", run.stdout))
}

/// The fix printed under item `title`.
fn fix<'a>(run: &'a Outcome, title: &str) -> &'a str {
    let mut lines = run.stdout.lines();
    lines.find(|l| l.contains(title) && l.starts_with('✗'));
    lines.next().unwrap_or("")
}

fn passes(run: &Outcome, title: &str) -> bool {
    line(run, title).starts_with('✓')
}

/// Whether this checkout is an unpacked offline kit, whose
/// `.cargo/config.toml` takes every crate from `vendor/`.
fn in_a_kit() -> bool {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cargo/config.toml");
    std::fs::read_to_string(config).is_ok_and(|text| text.contains("replace-with"))
}

#[test]
fn with_everything_in_place_every_local_item_passes() {
    let run = Machine::new().run();
    assert!(run.status.success(), "{run:#?}");
    for title in [
        "Rust",
        "C 编译器",
        "依赖",
        "本机连接",
        "Python 3",
        "openssl",
        "中文显示",
    ] {
        assert!(passes(&run, title), "{title}: {}", run.stdout);
    }
    assert!(line(&run, "Rust").contains("本仓库要求 1.88 或更新"));
    assert!(
        line(&run, "依赖").contains("cargo 的缓存里"),
        "{}",
        run.stdout
    );
    // The optional items (the LAN address, the port on 0.0.0.0) depend on
    // the machine's network and may be a ✗; the lesson can still go on.
    let conclusion = run.stdout.lines().last().unwrap_or_default();
    assert!(conclusion.contains("，可以上课。"), "{}", run.stdout);
}

#[test]
fn an_old_rust_is_a_needed_cross() {
    let dir = TempDir::new("doctor-old-rustc");
    let fake = dir.join("rustc");
    let real_rustc = real("rustc").unwrap();
    // Says it is 1.80 when asked its version, and is the real one otherwise
    // (cargo metadata asks it for the host's target).
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'rustc 1.80.0 (051478957 2024-07-21)'; exit 0; fi\nexec {} \"$@\"\n",
            real_rustc.display()
        ),
    )
    .unwrap();
    make_executable(&fake);
    let run = Machine::new().env("RUSTC", fake.to_str().unwrap()).run();
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        line(&run, "Rust").starts_with("✗ Rust：rustc 1.80.0 (051478957 2024-07-21) 太旧了"),
        "{}",
        run.stdout
    );
    assert!(fix(&run, "Rust").contains("rustup update"));
    assert!(passes(&run, "依赖"), "{}", run.stdout);
    assert!(
        run.stdout.contains("结论：有 1 项必需的没有通过"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_c_compiler_is_a_needed_cross() {
    let run = Machine::with(&["rustc", "python3", "openssl"]).run();
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        line(&run, "C 编译器").starts_with("✗ C 编译器：没有找到 cc"),
        "{}",
        run.stdout
    );
    assert!(fix(&run, "C 编译器").contains("build-essential"));

    // gcc without the name cc: rustc and ring look for cc.
    let machine = Machine::with(&["rustc", "python3", "openssl"]);
    std::os::unix::fs::symlink(real("cc").unwrap(), machine.bin.join("gcc")).unwrap();
    let run = machine.run();
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        line(&run, "C 编译器").contains("有 gcc，但没有 cc 这个命令"),
        "{}",
        run.stdout
    );
}

#[test]
fn crates_not_on_this_computer_are_a_needed_cross() {
    if in_a_kit() {
        // Nothing to take away: the crates are in the checkout itself.
        skip("this checkout is an offline kit: its crates are in vendor/, not in CARGO_HOME");
        return;
    }
    let empty = TempDir::new("doctor-cargo-home");
    let run = Machine::new()
        .env("CARGO_HOME", empty.path().to_str().unwrap())
        .run();
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        line(&run, "依赖").starts_with("✗ 依赖：还有 crate 没下载"),
        "{}",
        run.stdout
    );
    assert!(fix(&run, "依赖").contains("cargo fetch"));
    assert!(fix(&run, "依赖").contains("离线包"));
}

#[test]
fn no_python_loses_the_comparisons_but_not_the_lesson() {
    let run = Machine::with(&["rustc", "cc", "openssl"]).run();
    assert!(run.status.success(), "{run:#?}");
    assert!(
        line(&run, "Python 3").starts_with("✗ Python 3（可选）：没有找到（试过 python3、python）"),
        "{}",
        run.stdout
    );
    assert!(line(&run, "Python 3").contains("Rust 的部分都不受影响"));
    assert!(fix(&run, "Python 3").contains("python.org"));
    assert!(passes(&run, "openssl"));
}

#[test]
fn no_openssl_loses_its_steps_but_not_the_lesson() {
    let run = Machine::with(&["rustc", "cc", "python3"]).run();
    assert!(run.status.success(), "{run:#?}");
    assert!(
        line(&run, "openssl").starts_with("✗ openssl（可选）"),
        "{}",
        run.stdout
    );
    assert!(line(&run, "openssl").contains("openssl s_client"));
    assert!(fix(&run, "openssl").contains("apt install openssl"));
}

#[test]
fn a_locale_without_utf8_is_named() {
    let run = Machine::new().env("LANG", "C").run();
    assert!(run.status.success(), "{run:#?}");
    assert!(
        line(&run, "中文显示").starts_with("✗ 中文显示（可选）：语言环境 C 不是 UTF-8"),
        "{}",
        run.stdout
    );
    assert!(fix(&run, "中文显示").contains("export LANG=C.UTF-8"));
}

#[test]
fn with_loopback_down_the_lesson_cannot_run() {
    let Some(namespace) = Namespace::new() else {
        return;
    };
    let mut machine = Machine::new();
    machine.namespace = Some(namespace.0.clone());
    let run = machine.run();
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(
        line(&run, "本机连接").starts_with("✗ 本机连接：在 127.0.0.1 上监听并连接自己失败"),
        "{}",
        run.stdout
    );
    assert!(
        line(&run, "局域网地址").starts_with("✗ 局域网地址（可选）：除了 127.0.0.1 没有能用的地址"),
        "{}",
        run.stdout
    );
    assert!(fix(&run, "局域网地址").contains("Wi-Fi"));
}

#[test]
fn a_busy_lesson_port_and_the_lan_address_are_shown() {
    let Some(namespace) = Namespace::new() else {
        return;
    };
    let tcp_server = testkit::program("tcp-server");
    namespace.ip(&["link", "set", "lo", "up"]);
    // A veth pair with both ends inside: an interface with an address and
    // a carrier, as a laptop on Wi-Fi has (this kernel may lack `dummy`).
    namespace.ip(&[
        "link", "add", "wlan0", "type", "veth", "peer", "name", "peer0",
    ]);
    namespace.ip(&["link", "set", "peer0", "up"]);
    namespace.ip(&["addr", "add", "192.0.2.5/24", "dev", "wlan0"]);
    namespace.ip(&["link", "set", "wlan0", "up"]);
    let mut machine = Machine::new();
    machine.namespace = Some(namespace.0.clone());

    let run = machine.run();
    assert!(run.status.success(), "{run:#?}");
    assert!(passes(&run, "本机连接"), "{}", run.stdout);
    assert!(passes(&run, "0.0.0.0 上的端口"), "{}", run.stdout);
    assert_eq!(
        line(&run, "局域网地址"),
        "✓ 局域网地址：192.0.2.5（网卡 wlan0）。别人连你的服务器时用它，例如 192.0.2.5:9999"
    );

    // The lesson's port held by a server still running: optional, named.
    let server = testkit::Server::start(
        "ip",
        &[
            "netns",
            "exec",
            &namespace.0,
            tcp_server.to_str().unwrap(),
            "0.0.0.0:9999",
        ],
    );
    assert_eq!(server.addr.port(), 9999);
    let run = machine.run();
    assert!(run.status.success(), "{run:#?}");
    assert!(
        line(&run, "0.0.0.0 上的端口")
            .starts_with("✗ 0.0.0.0 上的端口（可选）：0.0.0.0:9999 已经被别的程序占用了"),
        "{}",
        run.stdout
    );
    assert!(fix(&run, "0.0.0.0 上的端口").contains("0.0.0.0:9998"));
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A network namespace (loopback down until a test brings it up), removed
/// when dropped; `None` with a skip note where namespaces cannot be made.
struct Namespace(String);

impl Namespace {
    fn new() -> Option<Namespace> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let name = format!("doctor-{}-{n}", std::process::id());
        match Command::new("ip").args(["netns", "add", &name]).output() {
            Ok(out) if out.status.success() => Some(Namespace(name)),
            Ok(out) => {
                skip(&format!(
                    "a network namespace needs root: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                None
            }
            Err(e) => {
                skip(&format!("ip is not on PATH: {e}"));
                None
            }
        }
    }

    fn ip(&self, args: &[&str]) {
        let out = Command::new("ip")
            .args(["-n", &self.0])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "ip {args:?}: {out:?}");
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}
