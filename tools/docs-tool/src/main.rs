//! docs-tool：让 docs/ 里的书与仓库里的代码保持一致。
//!
//! ```text
//! cargo run -p docs-tool -- check   # the checks `cargo test -p docs-tool` runs, by hand
//! cargo run -p docs-tool -- bless   # rewrite every drifted quote from its ANCHOR region
//! ```
//!
//! `check` first builds every program and example (`cargo build --workspace
//! --bins --examples`, a no-op when they are up to date), because the
//! command check asks the programs themselves for their `--help`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use common::{esay, say};
use docs_tool::commands::Binaries;
use docs_tool::repo::Workspace;
use docs_tool::{Findings, Problem, Repo, book, commands, links, portable, quotes, report};

const HELP: &str = "docs-tool：让 docs/ 里的书与仓库里的代码保持一致。

用法:
  docs-tool check [--no-build] [--root DIR]
                      检查书里引用的代码、链接、命令和目录（与 cargo test -p docs-tool 的检查相同）
  docs-tool bless [--root DIR]
                      把每一段与源码不再一致的引用代码，按它的 ANCHOR 区域重新写一遍

选项:
  --no-build      不先编译各个程序，只用已经编译好的；缺少的程序说明后跳过
  --root DIR      检查另一份仓库（默认是本仓库）
  -h, --help      显示本帮助并退出

示例:
  cargo run -p docs-tool -- check
  cargo run -p docs-tool -- bless
";

/// How long one program's `--help` may take: it prints a fixed text and
/// exits, so this is only the time a busy laptop needs to start a process.
const HELP_PATIENCE: Duration = Duration::from_secs(20);

/// What the command line asked for.
struct Options {
    bless: bool,
    build: bool,
    root: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        say!("{}", HELP.trim_end());
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(why) => {
            esay!("错误: {why}（运行 docs-tool --help 查看用法）");
            return ExitCode::from(2);
        }
    };
    let repo = options.root.clone().map_or_else(Repo::this_one, Repo::new);
    let result = if options.bless {
        bless(&repo)
    } else {
        check(&repo, options.build)
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

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        bless: false,
        build: true,
        root: None,
    };
    let mut command = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "check" | "bless" if command.is_none() => command = Some(arg.clone()),
            "--no-build" => options.build = false,
            "--root" => {
                let dir = args.next().ok_or("选项 --root 后面缺少目录")?;
                options.root = Some(PathBuf::from(dir));
            }
            other if other.starts_with("--root=") => {
                options.root = Some(PathBuf::from(&other["--root=".len()..]));
            }
            other if other.starts_with('-') => return Err(format!("不认识的选项 {other}")),
            other => {
                return Err(format!(
                    "多余的参数 \"{other}\"：要做的事只能写一个，check 或 bless"
                ));
            }
        }
    }
    match command.as_deref() {
        Some("bless") => options.bless = true,
        Some(_) => {}
        None => return Err("请写要做的事：check（检查）或 bless（按源码重写引用的代码）".into()),
    }
    Ok(options)
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
    let sections: [(&str, Findings); 6] = [
        ("处引用的代码", quotes::check_book(repo)),
        ("个 ANCHOR 区域", quotes::check_regions(repo, &workspace)),
        ("个相对链接", links::check_pages(repo)),
        ("条 cargo 命令", command_findings),
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
    if problems.is_empty() {
        say!("没有发现问题。");
        return Ok(true);
    }
    esay!("\n{}", report(&problems));
    Ok(false)
}

/// Rewrites every drifted quote. `Ok(true)`: nothing is left to fix by hand.
fn bless(repo: &Repo) -> Result<bool, String> {
    let blessed = quotes::bless_book(repo).map_err(|e| format!("写入书页时出错：{e}"))?;
    if blessed.pages.is_empty() {
        say!("所有引用的代码都与源码一致，没有改动任何文件。");
    } else {
        say!(
            "按 ANCHOR 区域重写了 {} 段引用的代码，在这些页面里：",
            blessed.blocks
        );
        for page in &blessed.pages {
            say!("  {page}");
        }
    }
    if blessed.problems.is_empty() {
        return Ok(true);
    }
    esay!(
        "\n以下问题无法自动重写，需要手动修改：\n{}",
        report(&blessed.problems)
    );
    Ok(false)
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
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--workspace", "--bins", "--examples"])
        .current_dir(repo.root());
    match programs_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    esay!("正在编译各个程序和示例，命令检查要读它们的 --help……");
    let status = command
        .status()
        .map_err(|e| format!("无法运行 {}：{e}", Path::new(&cargo).display()))?;
    if status.success() {
        Ok(())
    } else {
        Err("编译失败，先修好上面 cargo 报的错误再检查文档".into())
    }
}
