//! `workshop doctor` on Windows: `workshop.exe doctor` under Wine walks
//! through its Windows items (the GNU toolchain's C compiler, the firewall
//! read through PowerShell, the console's code page from `chcp`, `py -3`
//! first) as well as the ones every system shares.
//!
//! Wine is not a student's laptop: it has no Rust, no C compiler, no
//! Python, and its stand-ins for `powershell` and `chcp` print nothing
//! useful. So what this shows is the shape, not the verdicts on a real
//! Windows: every item gets its ✓ or ✗ line, every ✗ its one-line fix,
//! nothing panics, the missing Rust makes the exit status 1, and the
//! folder it runs in is left as it was (doctor changes nothing). What the
//! Windows items make of real Windows output is the unit tests' part
//! (`tools/workshop/src/doctor/windows.rs`), with texts Windows prints.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use on_windows::{Os, TempDir, programs};

#[test]
fn doctor_exe_gives_every_item_a_line_and_every_cross_a_fix() {
    let Some(programs) = programs() else { return };
    let dir = TempDir::new("on-windows-doctor");
    let run = programs.run_in(Os::Windows, "workshop", &["doctor"], dir.path());
    // Rust is needed and Wine has none: not ready for the lesson.
    assert_eq!(run.status.code(), Some(1), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");

    let lines: Vec<&str> = run.stdout.lines().collect();
    let verdicts: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("✓ ") || l.starts_with("✗ "))
        .collect();
    for item in [
        "Rust",
        "C 编译器（GNU 工具链的 gcc）",
        "依赖",
        "本机连接",
        "0.0.0.0 上的端口",
        "局域网地址",
        "Windows 防火墙",
        "Python 3",
        "openssl",
        "中文显示",
    ] {
        let found = verdicts.iter().filter(|l| l[4..].starts_with(item)).count();
        assert_eq!(found, 1, "one line for {item}: {}", run.stdout);
    }
    // Sockets work under Wine as on Windows: the lesson's own checks pass.
    assert!(
        verdicts.iter().any(|l| l.starts_with("✓ 本机连接")),
        "{}",
        run.stdout
    );
    // Windows looks for the launcher first, as a python.org install has it.
    let python = verdicts.iter().find(|l| l.contains("Python 3")).unwrap();
    assert!(python.contains("py -3、python3、python"), "{python}");
    // Every ✗ is followed by its fix, one line.
    for (n, line) in lines.iter().enumerate() {
        if line.starts_with("✗ ") {
            let fix = lines.get(n + 1).copied().unwrap_or_default();
            assert!(fix.starts_with("    怎么办："), "{line}\n{fix}");
            assert!(fix.len() > "    怎么办：".len() + 6, "{fix}");
        }
    }
    assert!(
        lines.last().is_some_and(|l| l.starts_with("结论：有 ")),
        "{}",
        run.stdout
    );
    // It only looks: nothing written where it ran.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "doctor.exe wrote {left:?}");
}
