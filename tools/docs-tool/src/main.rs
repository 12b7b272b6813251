//! docs-tool：让 docs/ 里的书与仓库里的代码保持一致。
//!
//! ```text
//! cargo run -p docs-tool -- check   # the checks `cargo test -p docs-tool` runs, by hand
//! cargo run -p docs-tool -- bless   # rewrite drifted quotes and outputs from their sources
//! cargo run -p docs-tool -- book    # build the HTML book with the sources beside it
//! ```
//!
//! `check` and `bless` first build every program and example (`cargo build
//! --workspace --bins --examples`, a no-op when they are up to date): the
//! command check asks the programs for their `--help`, and the output check
//! runs them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use common::cli::{Commands, Usage};
use common::{esay, say};
use docs_tool::commands::Binaries;
use docs_tool::outputs::{Outputs, Runner};
use docs_tool::repo::Workspace;
use docs_tool::{
    Findings, Problem, Repo, book, commands, keywords, links, outputs, portable, quotes, report,
    site,
};
use process_runner::deadline::STEP;

/// `--root DIR`, for every subcommand.
const ROOT: (&str, &str) = ("--root DIR", "另一份仓库的根目录（默认是本仓库）");
/// `--no-build`, for `check` and `bless`.
const NO_BUILD: (&str, &str) = (
    "--no-build",
    "不先编译各个程序，只用已经编译好的；缺少的程序说明后跳过",
);

const CHECK: Usage = Usage {
    program: "docs-tool check",
    about: "检查书里引用的代码、程序输出、链接、命令、索引和目录（与 cargo test -p docs-tool 的检查相同）",
    arguments: &[],
    options: &[NO_BUILD, ROOT],
    notes: &[],
    examples: &["cargo run -p docs-tool -- check"],
};

const BLESS: Usage = Usage {
    program: "docs-tool bless",
    about: "把与源码不再一致的引用代码、与程序不再一致的输出重新写一遍",
    arguments: &[],
    options: &[NO_BUILD, ROOT],
    notes: &[],
    examples: &["cargo run -p docs-tool -- bless"],
};

const BOOK: Usage = Usage {
    program: "docs-tool book",
    about: "用 mdbook 生成 HTML 书，并把仓库的源码放在书旁边（默认写到 target/book）",
    arguments: &[],
    options: &[("--out DIR", "书写到哪个目录"), ROOT],
    notes: &[],
    examples: &["cargo run -p docs-tool -- book"],
};

const DOCS_TOOL: Commands = Commands {
    program: "docs-tool",
    about: "docs-tool：让 docs/ 里的书与仓库里的代码保持一致。",
    default: None,
    commands: &[&CHECK, &BLESS, &BOOK],
    sections: &[],
    examples: &[
        "cargo run -p docs-tool -- check",
        "cargo run -p docs-tool -- bless",
        "cargo run -p docs-tool -- book",
    ],
};

/// How long one program's `--help` may take: it prints a fixed text and
/// exits, so this is only the time a busy laptop needs to start a process.
const HELP_PATIENCE: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    // --help and a mistyped command line are answered here (exit 0 or 2).
    let (command, args) = match DOCS_TOOL.parse_command_line() {
        Ok(chosen) => chosen,
        Err(exit_code) => return exit_code,
    };
    let repo = args.option("--root").map_or_else(Repo::this_one, Repo::new);
    let build = !args.flag("--no-build");
    let result = match command {
        "bless" => bless(&repo, build),
        "book" => book(&repo, args.option("--out").map(Path::new)),
        _ => check(&repo, build), // "check", the only other one
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(why) => {
            esay!("错误: {why}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every check and prints what it found. `Ok(true)`: no problems.
fn check(repo: &Repo, build: bool) -> Result<bool, String> {
    let workspace = Workspace::load(repo)
        .map_err(|e| format!("读不出 {} 的工作区成员：{e}", repo.root().display()))?;
    let programs_dir = own_folder()?;
    if build {
        build_programs(repo, &programs_dir)?;
    }
    let programs = Binaries::in_folder(&programs_dir, repo, HELP_PATIENCE);
    let (command_findings, unchecked) = commands::check_pages(repo, &workspace, &programs);
    let (portable_findings, unix_only) = portable::check_pages(repo);
    let sections: [(&str, Findings); 7] = [
        ("处引用的代码", quotes::check_book(repo)),
        ("个 ANCHOR 区域", quotes::check_regions(repo, &workspace)),
        ("个相对链接", links::check_pages(repo)),
        ("条 cargo 命令", command_findings),
        ("个索引条目", keywords::check_book(repo)),
        (
            "条只能在 Unix 上运行的命令（要有可移植的写法）",
            portable_findings,
        ),
        (
            "个书页（目录、纯 Markdown、book.toml）",
            book::check_book(repo),
        ),
    ];
    let mut problems: Vec<Problem> = Vec::new();
    for (what, findings) in sections {
        say!("检查了 {} {what}", findings.checked);
        problems.extend(findings.problems);
    }
    for why in &unchecked {
        say!("未检查它的选项（程序没有编译好）: {why}");
    }
    for exemption in &unix_only {
        say!("标明只能在 Unix 上运行: {exemption}");
    }
    let outputs = outputs::check_book(repo, &runner(repo, &workspace, &programs));
    report_outputs(&outputs);
    problems.extend(outputs.problems);
    if problems.is_empty() {
        say!("没有发现问题。");
        return Ok(true);
    }
    esay!("\n{}", report(&problems));
    Ok(false)
}

/// The runner of the output check: programs from `programs`, one step
/// (a first line, a command's end) within [`STEP`].
fn runner<'a>(repo: &'a Repo, workspace: &'a Workspace, programs: &'a Binaries) -> Runner<'a> {
    Runner {
        repo,
        workspace,
        programs,
        patience: STEP,
    }
}

fn report_outputs(outputs: &Outputs) {
    say!("{}", outputs.summary());
    for why in &outputs.skipped {
        say!("  跳过（这里跑不了）: {why}");
    }
    if !outputs.unannotated.is_empty() {
        say!(
            "  没有标注命令的输出块（在上面加 <!-- output: 命令 --> 或 <!-- output: not-run (原因) -->）: {}",
            outputs.unannotated.join(" ")
        );
    }
}

/// Rewrites every drifted quote and output. `Ok(true)`: nothing is left to fix by hand.
fn bless(repo: &Repo, build: bool) -> Result<bool, String> {
    let blessed = quotes::bless_book(repo).map_err(|e| format!("写入书页时出错：{e}"))?;
    let workspace = Workspace::load(repo)
        .map_err(|e| format!("读不出 {} 的工作区成员：{e}", repo.root().display()))?;
    let programs_dir = own_folder()?;
    if build {
        build_programs(repo, &programs_dir)?;
    }
    let programs = Binaries::in_folder(&programs_dir, repo, HELP_PATIENCE);
    let (blessed_outputs, outputs) =
        outputs::bless_book(repo, &runner(repo, &workspace, &programs))
            .map_err(|e| format!("写入书页时出错：{e}"))?;
    for (what, done) in [("引用的代码", &blessed), ("程序输出", &blessed_outputs)] {
        if done.pages.is_empty() {
            say!("所有{what}都一致，没有改动任何文件。");
        } else {
            say!("重写了 {} 段{what}，在这些页面里：", done.blocks);
            for page in &done.pages {
                say!("  {page}");
            }
        }
    }
    report_outputs(&outputs);
    let problems: Vec<Problem> = blessed
        .problems
        .into_iter()
        .chain(blessed_outputs.problems)
        .collect();
    if problems.is_empty() {
        return Ok(true);
    }
    esay!(
        "\n以下问题无法自动重写，需要手动修改：\n{}",
        report(&problems)
    );
    Ok(false)
}

/// Builds the HTML book with the sources beside it.
fn book(repo: &Repo, out: Option<&Path>) -> Result<bool, String> {
    let mdbook = site::find_mdbook()?;
    let out = out.map_or_else(|| repo.path("target/book"), Path::to_path_buf);
    let built = site::build(repo, &mdbook, &out)?;
    say!(
        "书已生成：{}（仓库的 {} 个源文件放在 {}/ 里，{} 个链接指向它们）",
        built.dir.join("index.html").display(),
        built.sources,
        site::SOURCE_DIR,
        built.links
    );
    Ok(true)
}

/// The folder this program was built into (`target/debug`): cargo puts the
/// other programs there too, and the examples in its `examples/` folder.
fn own_folder() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("找不到本程序的位置：{e}"))?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} 没有所在的目录", exe.display()))
}

/// Builds every program and example with the cargo that runs us, into the
/// folder we were built into, with the same profile.
fn build_programs(repo: &Repo, programs_dir: &Path) -> Result<(), String> {
    // The cargo that ran us, without what `cargo run` told us about ourselves
    // (ring's build script would otherwise rebuild on every check). In the
    // checked repository's own target folder (with `--root`, another
    // repository's programs must not queue for our folder's lock).
    let mut command = process_runner::cargo_command();
    command
        .args(["build", "--workspace", "--bins", "--examples"])
        .current_dir(repo.root());
    match programs_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    esay!("正在编译各个程序和示例，命令检查要读它们的 --help……");
    let status = command.status().map_err(|e| {
        format!(
            "无法运行 {}：{e}",
            Path::new(command.get_program()).display()
        )
    })?;
    if status.success() {
        Ok(())
    } else {
        Err("编译失败，先修好上面 cargo 报的错误再检查文档".into())
    }
}
