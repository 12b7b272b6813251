//! 课前自检：`workshop doctor`，每个学生上课开始时运行一次。
//!
//! One ✓ or ✗ line per thing the lesson uses, and under each ✗ the fix in
//! one sentence. It only looks: it installs nothing, changes no setting,
//! opens no port to the outside (the 0.0.0.0 check binds without
//! listening, so Windows does not ask about the firewall on its behalf).
//! The one thing it starts that writes anything is `cargo metadata
//! --offline`, which may unpack a crate cargo already downloaded into
//! cargo's own cache, as the next build would.
//!
//! Some items are needed (without them nothing builds or runs), the others
//! lose one part of the lesson; the exit status is 1 when a needed one
//! fails, so a teacher's script can tell.
//!
//! ```text
//! cargo run -p workshop -- doctor
//! ```

mod probes;
mod windows;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::say;

/// What one item found.
pub struct Finding {
    /// Without it the lesson cannot go on (else: one part is lost).
    pub needed: bool,
    pub ok: bool,
    /// What was checked: `Rust`, `C 编译器`, …
    pub title: &'static str,
    /// What was found, and for an optional ✗, what is lost without it.
    pub said: String,
    /// For a ✗: what to do, one sentence.
    pub fix: String,
}

impl Finding {
    pub fn pass(needed: bool, title: &'static str, said: impl Into<String>) -> Finding {
        Finding {
            needed,
            ok: true,
            title,
            said: said.into(),
            fix: String::new(),
        }
    }

    pub fn fail(
        needed: bool,
        title: &'static str,
        said: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            needed,
            ok: false,
            title,
            said: said.into(),
            fix: fix.into(),
        }
    }

    /// The lines it prints.
    pub fn lines(&self) -> Vec<String> {
        if self.ok {
            return vec![format!("✓ {}：{}", self.title, self.said)];
        }
        let optional = if self.needed { "" } else { "（可选）" };
        vec![
            format!("✗ {}{optional}：{}", self.title, self.said),
            format!("    怎么办：{}", self.fix),
        ]
    }
}

/// Every item, in the order they are printed: first what building needs,
/// then the network, then the extras.
const ITEMS: &[fn() -> Finding] = &[
    probes::rust,
    probes::c_compiler,
    probes::crates,
    probes::localhost,
    probes::any_address,
    probes::lan,
    #[cfg(windows)]
    windows::firewall,
    probes::python,
    probes::openssl,
    probes::chinese,
];

/// `workshop doctor`.
pub const USAGE: Usage = Usage {
    program: "workshop doctor",
    about: "课前自检：这台电脑能不能上课，每一项 ✓ 或 ✗，✗ 的下面写着怎么办",
    arguments: &[],
    options: &[],
    notes: &["只检查，不安装、不改任何设置。必需的一项没有通过时退出码是 1。"],
    examples: &["cargo run -p workshop -- doctor"],
};

/// `workshop doctor`: `Ok(false)` when something needed is missing.
/// (common::cli has refused any argument already.)
pub fn main(_args: &Args) -> Result<bool> {
    say!("工作坊自检：一项一项看这台电脑能不能上这节课（只检查，不安装、不改任何设置）。\n");
    let mut findings = Vec::new();
    for item in ITEMS {
        // Printed as each is found: the slow ones (cargo, the firewall)
        // then show where the time goes.
        let finding = item();
        for line in finding.lines() {
            say!("{line}");
        }
        findings.push(finding);
    }
    say!("\n{}", summary(&findings));
    Ok(findings.iter().all(|f| f.ok || !f.needed))
}

/// The last line: whether the lesson can go on here.
fn summary(findings: &[Finding]) -> String {
    let count = |needed: bool, ok: bool| {
        findings
            .iter()
            .filter(|f| f.needed == needed && f.ok == ok)
            .count()
    };
    let (needed_bad, optional_bad) = (count(true, false), count(false, false));
    if needed_bad > 0 {
        return format!(
            "结论：有 {needed_bad} 项必需的没有通过，这台电脑现在还上不了课：照上面“怎么办”做，再运行一次 doctor；\
             实在不行，和旁边的同学用一台电脑。"
        );
    }
    if optional_bad > 0 {
        return format!(
            "结论：必需的都通过了，可以上课。有 {optional_bad} 项可选的没有通过：上面写了少了它们会缺哪一部分。"
        );
    }
    "结论：全部通过，可以上课。".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_item_prints_its_fix_and_only_needed_ones_count() {
        let python = Finding::fail(false, "Python 3", "没有找到", "安装 Python 3");
        assert_eq!(
            python.lines(),
            ["✗ Python 3（可选）：没有找到", "    怎么办：安装 Python 3"]
        );
        let rust = Finding::pass(true, "Rust", "rustc 1.95.0");
        assert_eq!(rust.lines(), ["✓ Rust：rustc 1.95.0"]);
        assert!(summary(&[rust, python]).starts_with("结论：必需的都通过了"));
        let cc = Finding::fail(true, "C 编译器", "没有 cc", "安装 gcc");
        assert!(summary(&[cc]).contains("有 1 项必需的没有通过"));
    }
}
