//! The offline kit, used the way a classroom without internet uses it.
//!
//! `workshop kit DIR` is made here as a teacher makes it (its `cargo
//! vendor` takes the crates from this machine's cargo cache, `--offline`,
//! and only if the cache lacks some does it go to crates.io, outside any
//! namespace; the test says which). Then a "student laptop": the kit's zip
//! unpacked by `unzip` into a fresh folder, and every command run inside a
//! network namespace whose only interface is loopback, with an empty
//! `CARGO_HOME` (no cache, no downloaded crate, no index):
//! - `cargo run -p workshop`, the tour: it builds and every chapter passes;
//! - `cargo run -p workshop -- check 1` on the untouched exercise: it
//!   builds and fails a check, as it must;
//! - the exercise's answer key, built in the kit, passes `check 1 --program`.
//!
//! One kit, one build: the steps share the kit's target folder, as a
//! student's commands do. Namespaces need root (`.ci/run` runs as root);
//! elsewhere the test prints a skip note, and under `CI=true` it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use process_runner::{Output, Running, deadline};
use testkit::{Outcome, TempDir, skip};

const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");

/// What the test measured, on stderr past the harness's capture, so that
/// CI's log shows it when the test passes.
macro_rules! report {
    ($($line:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($line)*);
    }};
}

/// Whether this checkout is a git repository (a kit is made from one; an
/// unpacked kit has no .git and cannot make another).
fn in_a_git_checkout() -> bool {
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let found = head.is_ok_and(|out| out.status.success());
    if !found {
        skip("not a git checkout (or no git): a kit is made from a git repository");
    }
    found
}

#[test]
fn from_the_kit_nothing_needs_the_network() {
    if !in_a_git_checkout() {
        return;
    }
    let Some(namespace) = Namespace::new() else {
        return;
    };
    if !has("unzip", &["-v"]) {
        return;
    }
    let teacher = TempDir::new("kit-teacher");
    let Some((folder, zip)) = make_kit(teacher.path()) else {
        return;
    };

    // The student's laptop: the zip unpacked, an empty cargo home.
    let laptop = TempDir::new("kit-student");
    let unzipped = Command::new("unzip")
        .args(["-q"])
        .arg(&zip)
        .arg("-d")
        .arg(laptop.path())
        .output()
        .unwrap();
    assert!(unzipped.status.success(), "{unzipped:?}");
    let repo = laptop.join(folder.file_name().unwrap().to_str().unwrap());
    assert_same_tree(&folder, &repo);
    let home = laptop.join("home");
    std::fs::create_dir_all(home.join("cargo")).unwrap();
    let student = Student {
        namespace: &namespace,
        repo: &repo,
        home: &home,
    };

    let started = Instant::now();
    let tour = student.cargo(&["run", "-p", "workshop"], deadline::TOUR);
    report!(
        "OFFLINE KIT: the tour, building the workshop and every chapter from the kit with no network: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(tour.status.success(), "{tour:#?}");
    assert_eq!(
        tour.stdout.matches("：对话成功").count(),
        5,
        "{}",
        tour.stdout
    );

    let check_run = deadline::BUILD.saturating_add(deadline::STEP.saturating_mul(40));
    let untouched = student.cargo(&["run", "-p", "workshop", "--", "check", "1"], check_run);
    assert_eq!(untouched.status.code(), Some(1), "{untouched:#?}");
    assert!(
        !untouched.stdout.contains("编译失败"),
        "{}",
        untouched.stdout
    );
    assert!(untouched.stdout.contains("\n✗ "), "{}", untouched.stdout);

    let key = student.cargo(
        &["build", "-p", "workshop", "--bin", "solution-ex1"],
        deadline::BUILD,
    );
    assert!(key.status.success(), "{key:#?}");
    let program = repo.join("target/debug/solution-ex1");
    let answer = student.cargo(
        &[
            "run",
            "-p",
            "workshop",
            "--",
            "check",
            "1",
            "--program",
            program.to_str().unwrap(),
        ],
        check_run,
    );
    assert!(answer.status.success(), "{answer:#?}");
    assert!(
        answer.stdout.contains("练习 1 通过了！"),
        "{}",
        answer.stdout
    );

    // Nothing was fetched: cargo keeps downloads in registry/ and git/ of
    // its home, and only its lock files are there.
    let kept: Vec<String> = std::fs::read_dir(home.join("cargo"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        kept.iter().all(|name| name.starts_with('.')),
        "cargo wrote {kept:?}"
    );
}

/// A kit that cannot be finished (here: no crate can be had, with an
/// empty cargo home and no network allowed) leaves nothing in DIR, and
/// says what went wrong in a sentence.
#[test]
fn a_kit_that_fails_leaves_nothing_behind() {
    if !in_a_git_checkout() {
        return;
    }
    let dir = TempDir::new("kit-fails");
    let empty_home = TempDir::new("kit-empty-cargo-home");
    let out = dir.join("out");
    let mut command = Command::new(WORKSHOP);
    command
        .arg("kit")
        .arg(&out)
        .env("CARGO_HOME", empty_home.path())
        .env("CARGO_NET_OFFLINE", "true");
    let failed = finish(&mut command, deadline::BUILD);
    assert_eq!(failed.status.code(), Some(2), "{failed:#?}");
    assert!(
        failed.stderr.contains("错误: cargo vendor 失败"),
        "{}",
        failed.stderr
    );
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Ctrl-C while the zip is being written: the workshop exits with 130 and
/// DIR holds nothing half-written (neither the folder, renamed only at the
/// end, nor a partial zip).
#[cfg(unix)]
#[test]
fn ctrl_c_while_zipping_leaves_nothing_behind() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    if !in_a_git_checkout() {
        return;
    }
    let dir = TempDir::new("kit-ctrl-c");
    let mut workshop = Command::new(WORKSHOP)
        .arg("kit")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(workshop.stdout.take().unwrap());
    let mut zipping = false;
    for line in stdout.lines() {
        if line.unwrap().starts_with("正在压缩成 zip") {
            zipping = true;
            break;
        }
    }
    if !zipping {
        // It ended before its zip: only a vendoring failure (no crates.io
        // and an incomplete cache) is a reason to skip.
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut workshop.stderr.take().unwrap(), &mut stderr).unwrap();
        let status = workshop.wait().unwrap();
        assert!(stderr.contains("cargo vendor 失败"), "{status:?}: {stderr}");
        skip(&format!("no kit can be made here: {stderr}"));
        return;
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &workshop.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let code = workshop.wait().unwrap().code();
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Deflating 165 MB takes seconds and the signal follows the line at
    // once, so the usual ending is 130 and an empty DIR. Should the signal
    // lose that race (it came after both renames), the kit is whole: the
    // folder and the zip under their own names, nothing temporary.
    assert!(matches!(code, Some(0 | 130)), "{code:?}");
    let whole = left.len() == 2 && left.iter().all(|name| !name.starts_with('.'));
    assert!(left.is_empty() || whole, "left behind: {left:?}");
}

/// `workshop kit DIR`, from the cargo cache if it has every crate, else
/// with the network (outside any namespace); the kit's folder and zip, or
/// `None` (a skip) where neither has every crate.
fn make_kit(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let started = Instant::now();
    let mut offline = Command::new(WORKSHOP);
    offline.arg("kit").arg(dir).env("CARGO_NET_OFFLINE", "true");
    let mut made = finish(&mut offline, deadline::BUILD);
    let mut how = "from this machine's cargo cache (cargo vendor --offline)";
    if !made.status.success() && made.stderr.contains("cargo vendor 失败") {
        let mut online = Command::new(WORKSHOP);
        online.arg("kit").arg(dir);
        made = finish(&mut online, deadline::BUILD);
        how = "with crates.io (the cargo cache lacked some crates)";
        if !made.status.success() && made.stderr.contains("cargo vendor 失败") {
            skip(&format!(
                "no kit can be made here: the cargo cache lacks crates and crates.io cannot be reached: {}",
                made.stderr
            ));
            return None;
        }
    }
    assert!(made.status.success(), "{made:#?}");
    report!(
        "OFFLINE KIT: made {how} in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let folder = names
        .iter()
        .find(|n| n.starts_with("socket-kit-") && !n.ends_with(".zip"))
        .unwrap_or_else(|| panic!("no kit folder in {names:?}"));
    assert_eq!(names.len(), 2, "exactly the folder and its zip: {names:?}");
    let folder = dir.join(folder);
    let zip = dir.join(format!(
        "{}.zip",
        folder.file_name().unwrap().to_str().unwrap()
    ));
    assert!(zip.is_file(), "{names:?}");
    for line in made.stdout.lines().filter(|l| l.contains("MB")) {
        report!("OFFLINE KIT: {}", line.trim());
    }
    assert_kit_contents(&folder);
    Some((folder, zip))
}

/// What a student finds in the folder: the note naming the commit, the
/// config that points cargo at vendor/, and the crates.
fn assert_kit_contents(folder: &Path) {
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    let note = std::fs::read_to_string(folder.join("先看我.txt")).unwrap();
    assert!(note.contains(head.trim()), "{note}");
    assert!(note.contains("cargo run -p workshop -- doctor"), "{note}");
    let config = std::fs::read_to_string(folder.join(".cargo/config.toml")).unwrap();
    assert!(
        config.contains("replace-with = \"vendored-sources\""),
        "{config}"
    );
    assert!(config.contains("directory = \"vendor\""), "{config}");
    // Every platform's crates: the Windows ones too, on this Linux machine.
    assert!(folder.join("vendor").read_dir().unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("windows-sys-")
    }));
    assert!(!folder.join(".git").exists());
    assert!(!folder.join("target").exists());
}

/// Every file under `a` is under `b` with the same bytes, and no more.
fn assert_same_tree(a: &Path, b: &Path) {
    let (left, right) = (files_under(a), files_under(b));
    assert_eq!(left.len(), right.len());
    for (relative, other) in left.iter().zip(&right) {
        assert_eq!(relative, other);
        let same =
            std::fs::read(a.join(relative)).unwrap() == std::fs::read(b.join(relative)).unwrap();
        assert!(same, "{relative:?} differs after unzip");
    }
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// Runs `command` to its end (its whole process group killed after
/// `patience`).
fn finish(command: &mut Command, patience: Duration) -> Outcome {
    let running = Running::start_group(command, "workshop", Output::Keep).unwrap();
    running.wait(patience).unwrap().into()
}

fn has(tool: &str, probe: &[&str]) -> bool {
    let found = Command::new(tool)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip(&format!("{tool} is not on PATH"));
    }
    found
}

/// A network namespace with nothing but loopback, removed when dropped.
struct Namespace(String);

impl Namespace {
    fn new() -> Option<Namespace> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        if !has("ip", &["-V"]) {
            return None;
        }
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let name = format!("kit-{}-{n}", std::process::id());
        let added = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .unwrap();
        if !added.status.success() {
            skip(&format!(
                "a network namespace needs root: {}",
                String::from_utf8_lossy(&added.stderr).trim()
            ));
            return None;
        }
        let namespace = Namespace(name);
        namespace.ip(&["link", "set", "lo", "up"]);
        let links = namespace.ip(&["-o", "link", "show"]);
        let names: Vec<&str> = links
            .lines()
            .filter_map(|l| l.split(':').nth(1).map(str::trim))
            .collect();
        assert_eq!(names, ["lo"], "only loopback in the namespace: {links}");
        Some(namespace)
    }

    fn ip(&self, args: &[&str]) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.0])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "ip {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// A student's laptop: the unpacked kit, run in the namespace with a
/// clean environment (no proxy, no cargo settings of this machine).
struct Student<'a> {
    namespace: &'a Namespace,
    repo: &'a Path,
    home: &'a Path,
}

impl Student<'_> {
    fn cargo(&self, args: &[&str], patience: Duration) -> Outcome {
        let bin = toolchain_bin();
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.namespace.0])
            .arg(bin.join("cargo"))
            .args(args)
            .current_dir(self.repo)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
            )
            .env("HOME", self.home)
            .env("CARGO_HOME", self.home.join("cargo"))
            .env("LANG", "C.UTF-8");
        finish(&mut command, patience)
    }
}

/// The folder with the cargo and rustc that run this test (`$CARGO` is the
/// real cargo, not rustup's proxy, which would look for its own home).
fn toolchain_bin() -> PathBuf {
    let cargo = std::env::var_os("CARGO").map(PathBuf::from);
    if let Some(bin) = cargo.as_deref().and_then(Path::parent)
        && bin.join("rustc").exists()
    {
        return bin.to_path_buf();
    }
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(sysroot.stdout).unwrap().trim()).join("bin")
}
