//! The book against the workspace as it is now: quoted code, ANCHOR
//! regions, links, commands and the table of contents; and the docs-tool
//! program itself, run on a small book of its own.
//!
//! The command check asks the built programs for their `--help`. They are
//! found beside this test's own binary (`target/debug`), where
//! `cargo test --workspace` has built every member's programs and examples
//! before any test runs. `cargo test -p docs-tool` alone may not have built
//! them, or built them before their sources last changed: those commands'
//! options are then left unchecked, and the test says so with a skip note.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::fs;
use std::time::{Duration, SystemTime};

use docs_tool::commands::Binaries;
use docs_tool::outputs::{self, Runner};
use docs_tool::repo::Workspace;
use docs_tool::{BLESS_COMMAND, Findings, Repo, book, commands, keywords, links, quotes, report};
use testkit::{PATIENCE, TempDir, run};

const DOCS_TOOL: &str = env!("CARGO_BIN_EXE_docs-tool");

fn assert_none(findings: &Findings) {
    assert!(
        findings.problems.is_empty(),
        "{}",
        report(&findings.problems)
    );
}

#[test]
fn quoted_code_is_the_code_in_the_workspace() {
    let findings = quotes::check_book(&Repo::this_one());
    eprintln!("checked {} quoted blocks", findings.checked);
    assert_none(&findings);
    // A parser that silently found no markers would pass the line above.
    assert!(
        findings.checked >= 25,
        "only {} quoted blocks found in the book",
        findings.checked
    );
}

#[test]
fn every_anchor_region_is_quoted_by_the_book() {
    let repo = Repo::this_one();
    let workspace = Workspace::load(&repo).unwrap();
    let findings = quotes::check_regions(&repo, &workspace);
    eprintln!("checked {} ANCHOR regions", findings.checked);
    assert_none(&findings);
    assert!(
        findings.checked >= 25,
        "only {} ANCHOR regions found in the workspace",
        findings.checked
    );
}

#[test]
fn relative_links_point_at_real_files_and_headings() {
    let findings = links::check_pages(&Repo::this_one());
    eprintln!("checked {} relative links", findings.checked);
    assert_none(&findings);
    assert!(
        findings.checked >= 40,
        "only {} relative links found",
        findings.checked
    );
}

#[test]
fn unix_only_commands_have_a_portable_form_beside_them() {
    let (findings, exemptions) = docs_tool::portable::check_pages(&Repo::this_one());
    eprintln!(
        "checked {} Unix-only commands; {} marked Unix-only on purpose:",
        findings.checked,
        exemptions.len()
    );
    for exemption in &exemptions {
        eprintln!("  {exemption}");
    }
    assert_none(&findings);
    // The book does teach a few Unix commands (beside their portable forms):
    // a check that found none would be looking at nothing.
    assert!(findings.checked >= 3, "only {} found", findings.checked);
}

#[test]
fn commands_name_real_members_examples_and_options() {
    let repo = Repo::this_one();
    let workspace = Workspace::load(&repo).unwrap();
    assert!(workspace.member("tcp-server").is_some(), "{workspace:?}");
    // Every program and example, built first: the check asks them for their
    // --help and runs them.
    let programs = Binaries::in_folder(testkit::all_programs(), &repo, PATIENCE);
    let (findings, unchecked) = commands::check_pages(&repo, &workspace, &programs);
    eprintln!("checked {} cargo commands", findings.checked);
    for why in &unchecked {
        testkit::skip(&format!("options not checked: {why}"));
    }
    assert_none(&findings);
    assert!(
        findings.checked >= 40,
        "only {} cargo commands found",
        findings.checked
    );
}

#[test]
fn the_summary_lists_every_page_and_pages_are_plain_markdown() {
    let findings = book::check_book(&Repo::this_one());
    assert_none(&findings);
    assert!(
        findings.checked >= 10,
        "only {} book pages",
        findings.checked
    );
}

// ---------------------------------------------------------------------------
// The program, on a book of its own in a temporary folder
// ---------------------------------------------------------------------------

const SOURCE: &str = "fn main() {\n    // ANCHOR: greet\n    let name = \"世界\";\n    println!(\"你好，{name}\");\n    // ANCHOR_END: greet\n}\n";

const PAGE: &str = "# 问候\n\n<!-- code: demo/src/main.rs:greet -->\n```rust\nlet name = \"世界\";\nprintln!(\"你好，{name}\");\n```\n";

/// A repository with one member and a one-page book that quotes it exactly.
fn small_repo() -> TempDir {
    let dir = TempDir::new("docs-tool");
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"demo\"]\n"),
        ("demo/Cargo.toml", "[package]\nname = \"demo\"\n"),
        ("demo/src/main.rs", SOURCE),
        (
            "docs/book.toml",
            "[book]\ntitle = \"书\"\nlanguage = \"zh-CN\"\nsrc = \"src\"\n",
        ),
        ("docs/src/SUMMARY.md", "# 目录\n\n- [问候](greet.md)\n"),
        ("docs/src/greet.md", PAGE),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn docs_tool(args: &[&str], repo: &TempDir) -> testkit::Outcome {
    let root = repo.path().to_str().unwrap();
    let mut all = args.to_vec();
    all.extend(["--root", root]);
    run(DOCS_TOOL, &all)
}

#[test]
fn a_drifted_quote_fails_the_check_with_a_diff_and_bless_fixes_it() {
    let repo = small_repo();
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert!(check.status.success(), "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("检查了 1 处引用的代码"),
        "{}",
        check.stdout
    );

    // The code changes; the book does not.
    let source = repo.path().join("demo/src/main.rs");
    fs::write(&source, SOURCE.replace("世界", "Rust")).unwrap();
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert_eq!(check.status.code(), Some(1), "{}", check.stdout);
    for expected in [
        "docs/src/greet.md:3: the block under <!-- code: demo/src/main.rs:greet --> is not the code of that region now.",
        "  -    3 | let name = \"Rust\";",
        "  +    5 | let name = \"世界\";",
        BLESS_COMMAND,
    ] {
        assert!(
            check.stderr.contains(expected),
            "{expected:?} in\n{}",
            check.stderr
        );
    }

    let bless = docs_tool(&["bless"], &repo);
    assert!(bless.status.success(), "{}\n{}", bless.stdout, bless.stderr);
    assert!(
        bless.stdout.contains("重写了 1 段引用的代码"),
        "{}",
        bless.stdout
    );
    let page = fs::read_to_string(repo.path().join("docs/src/greet.md")).unwrap();
    assert_eq!(page, PAGE.replace("世界", "Rust"));
    let names: Vec<_> = fs::read_dir(repo.path().join("docs/src"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "a temporary file was left behind: {names:?}"
    );

    let again = docs_tool(&["bless"], &repo);
    assert!(
        again.stdout.contains("没有改动任何文件"),
        "{}",
        again.stdout
    );
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert!(check.status.success(), "{}\n{}", check.stdout, check.stderr);
}

#[test]
fn an_unquoted_region_and_a_marker_bless_cannot_fix_are_reported() {
    let repo = small_repo();
    fs::write(
        repo.path().join("demo/src/main.rs"),
        format!("{SOURCE}// ANCHOR: later\nfn later() {{}}\n// ANCHOR_END: later\n"),
    )
    .unwrap();
    fs::write(
        repo.path().join("docs/src/greet.md"),
        format!("{PAGE}\n<!-- code: demo/src/gone.rs:greet -->\n```rust\n```\n"),
    )
    .unwrap();
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        check
            .stderr
            .contains("demo/src/main.rs:7: no page of the book quotes the region `later`"),
        "{}",
        check.stderr
    );
    let bless = docs_tool(&["bless"], &repo);
    assert_eq!(bless.status.code(), Some(1));
    assert!(bless.stderr.contains("需要手动修改"), "{}", bless.stderr);
    assert!(
        bless
            .stderr
            .contains("demo/src/gone.rs, which does not exist"),
        "{}",
        bless.stderr
    );
}

#[test]
fn the_command_line_answers_help_and_mistakes_in_chinese() {
    let help = run(DOCS_TOOL, &["--help"]);
    assert!(help.status.success());
    assert!(
        help.stdout.contains("cargo run -p docs-tool -- bless"),
        "{}",
        help.stdout
    );
    for (args, expected) in [
        (&[][..], "请写要做的事：check、bless 或 book"),
        (
            &["chek"][..],
            "没有叫“chek”的子命令；可选 check、bless 或 book",
        ),
        (&["check", "--fast"][..], "不认识的选项 --fast"),
    ] {
        let wrong = run(DOCS_TOOL, args);
        assert_eq!(wrong.status.code(), Some(2), "{args:?}");
        assert!(
            wrong.stderr.contains(expected),
            "{args:?}: {}",
            wrong.stderr
        );
        // It says where the usage is: `docs-tool --help`, or the
        // subcommand's own (`docs-tool check --help`).
        assert!(
            wrong.stderr.contains("（运行 docs-tool ")
                && wrong.stderr.contains(" --help 查看用法）"),
            "{}",
            wrong.stderr
        );
    }
}

// ---------------------------------------------------------------------------
// Output blocks, run for real
// ---------------------------------------------------------------------------

#[test]
fn quoted_outputs_are_what_the_programs_print() {
    let repo = Repo::this_one();
    let workspace = Workspace::load(&repo).unwrap();
    // Every program and example, built first: the check asks them for their
    // --help and runs them.
    let programs = Binaries::in_folder(testkit::all_programs(), &repo, PATIENCE);
    let runner = Runner {
        repo: &repo,
        workspace: &workspace,
        programs: &programs,
        patience: PATIENCE,
    };
    let found = outputs::check_book(&repo, &runner);
    eprintln!("{}", found.summary());
    for why in &found.skipped {
        testkit::skip(&format!("output not checked: {why}"));
    }
    assert!(found.problems.is_empty(), "{}", report(&found.problems));
    // A parser that silently found no markers would pass the line above.
    assert!(
        found.ran + found.skipped.len() >= 5,
        "only {} output blocks are run",
        found.ran + found.skipped.len()
    );
}

#[test]
fn the_keyword_index_links_sections_that_mention_their_terms() {
    let findings = keywords::check_book(&Repo::this_one());
    assert_none(&findings);
    assert!(
        findings.checked >= 20,
        "only {} index links",
        findings.checked
    );
}

const FIXTURE: &str = "cargo run -p docs-tool --example output-fixture --";

/// A page with one block of each kind the output check knows.
fn outputs_page() -> String {
    format!(
        "# 输出\n\n\
         <!-- output: {FIXTURE} fail\n     and: {FIXTURE} fail\n     exit: 3 -->\n```text\n错误: 故意失败\n错误: 故意失败\n```\n\n\
         <!-- output: {FIXTURE} send localhost:9999 你好\n     server: {FIXTURE} serve 127.0.0.1:9999 -->\n```text\n回复: 好\n```\n\n\
         <!-- output: server\n     server: {FIXTURE} serve 127.0.0.1:9999\n     run: {FIXTURE} send 127.0.0.1:9999 你好 -->\n```text\nlistening 127.0.0.1:9999\n收到来自 127.0.0.1:35526 的数据: …\n```\n\n\
         <!-- output: not-run (LAN) -->\n```text\n其他电脑可以连接：192.0.2.10:9999\n```\n\n\
         ```text\n没有标注\n```\n\n\
         <!-- output: server\n     server: {FIXTURE} serve 127.0.0.1:9999\n     run: {FIXTURE} send 127.0.0.1:9999 再见\n     skip: 1 -->\n```text\n收到来自 127.0.0.1:35526 的数据: 再见\n```\n"
    )
}

/// A repository whose one member is docs-tool itself, so that its example
/// `output-fixture` (built beside the test) is the program the page runs.
fn outputs_repo() -> TempDir {
    let dir = TempDir::new("docs-tool-outputs");
    let page = outputs_page();
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"docs-tool\"]\n"),
        ("docs-tool/Cargo.toml", "[package]\nname = \"docs-tool\"\n"),
        (
            "docs-tool/examples/output-fixture.rs",
            "// built from tools/docs-tool\n",
        ),
        (
            "docs/book.toml",
            "[book]\ntitle = \"书\"\nlanguage = \"zh-CN\"\nsrc = \"src\"\n",
        ),
        ("docs/src/SUMMARY.md", "# 目录\n\n- [输出](outputs.md)\n"),
        ("docs/src/outputs.md", page.as_str()),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    // Older than the built example, which is then not taken for stale.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    fs::File::options()
        .write(true)
        .open(dir.join("docs-tool/examples/output-fixture.rs"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    dir
}

/// docs-tool's example `output-fixture`, the program the page runs, built
/// first if need be.
fn build_fixture() {
    testkit::example("docs-tool", "output-fixture");
}

#[test]
fn outputs_are_run_compared_counted_and_blessed() {
    build_fixture();
    let repo = outputs_repo();
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert!(check.status.success(), "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains(
            "运行并比对了 4 段程序输出；1 段标记为不能自动运行（LAN 1）；1 段没有标注；0 段在这里跑不了"
        ),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("docs/src/outputs.md:30"),
        "{}",
        check.stdout
    );

    // The program changes its reply; the page does not.
    let page_path = repo.join("docs/src/outputs.md");
    let drifted = outputs_page()
        .replace("回复: 好", "回复: 数据已收到")
        .replace("listening 127.0.0.1:9999", "等待 127.0.0.1:9999");
    fs::write(&page_path, &drifted).unwrap();
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert_eq!(check.status.code(), Some(1), "{}", check.stdout);
    for expected in [
        "docs/src/outputs.md:11: the block under <!-- output: cargo run -p docs-tool --example output-fixture -- send localhost:9999 你好 … --> is not what the command prints now.",
        "  -    1 | 回复: 好",
        "  +   14 | 回复: 数据已收到",
        "  -    1 | listening 127.0.0.1:9999",
        BLESS_COMMAND,
    ] {
        assert!(
            check.stderr.contains(expected),
            "{expected:?} in\n{}",
            check.stderr
        );
    }

    // Bless writes what the programs print, and keeps the placeholder line.
    let bless = docs_tool(&["bless", "--no-build"], &repo);
    assert!(bless.status.success(), "{}\n{}", bless.stdout, bless.stderr);
    assert!(
        bless.stdout.contains("重写了 2 段程序输出"),
        "{}",
        bless.stdout
    );
    assert_eq!(fs::read_to_string(&page_path).unwrap(), outputs_page());
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert!(check.status.success(), "{}\n{}", check.stdout, check.stderr);
}

#[test]
fn a_wrong_exit_code_and_a_command_that_needs_a_shell_are_reported() {
    build_fixture();
    let repo = outputs_repo();
    let page = format!(
        "# 输出\n\n<!-- output: {FIXTURE} fail\n     exit: 1 -->\n```text\n错误: 故意失败\n```\n\n\
         <!-- output: {FIXTURE} send localhost:9999 \"$(python3 -c 'print(1)')\" -->\n```text\n```\n\n\
         <!-- output: not-run -->\n```text\n```\n"
    );
    fs::write(repo.join("docs/src/outputs.md"), page).unwrap();
    let check = docs_tool(&["check", "--no-build"], &repo);
    assert_eq!(check.status.code(), Some(1), "{}", check.stdout);
    for expected in [
        "docs/src/outputs.md:3: <!-- output: cargo run -p docs-tool --example output-fixture -- fail … -->: `cargo run -p docs-tool --example output-fixture -- fail` ended with exit status: 3, the marker says `exit: 1`; it printed:\n    错误: 故意失败",
        "needs a shell (`$(`)",
        "`not-run` needs its reason in brackets",
    ] {
        assert!(
            check.stderr.contains(expected),
            "{expected:?} in\n{}",
            check.stderr
        );
    }
}
