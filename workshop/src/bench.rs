//! 基准测试：在同一台机器、同一次运行里，把几个服务器并排测量，报告比值。
//!
//! The machine is shared and noisy, so absolute numbers mean little; what
//! is reported is each contender beside the others, measured one after the
//! other in one run, and the ratios between them.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use common::say;

use crate::load;
use crate::programs::{self, Output, Running};

/// How long a server may take to print its address.
const STARTUP: Duration = Duration::from_secs(30);

/// One server to measure: a label and how to start it on a free port.
struct Contender {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

/// `python3` (or `python` on Windows) if it runs here.
pub fn python() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// The article's Python programs, kept in `article/`.
pub fn article_script(name: &str) -> String {
    programs::workspace_root()
        .join("article")
        .join(name)
        .display()
        .to_string()
}

// ANCHOR: threaded
/// `threaded-server` against the article's unbounded shape and its Python.
pub fn threaded(clients: usize, seconds: u64) -> Result<bool> {
    warn_if_debug();
    programs::build(&["threaded-server"], true)?;
    let mut contenders = vec![
        Contender {
            label: "threaded-server",
            program: programs::binary("threaded-server")?,
            args: vec!["127.0.0.1:0".into()],
        },
        Contender {
            label: "spawn_per_connection",
            program: programs::example("spawn_per_connection")?,
            args: vec!["127.0.0.1:0".into()],
        },
    ];
    match python() {
        Some(python) => contenders.push(Contender {
            label: "python threaded_server.py",
            program: python.into(),
            args: vec![
                article_script("threaded_server.py"),
                "127.0.0.1".into(),
                "0".into(),
            ],
        }),
        None => say!("跳过原文的 Python 服务器：这台机器上没有 python3"),
    }

    say!("并发处理基准：{clients} 个客户端，每个服务器测 {seconds} 秒，同一台机器、同一次运行。");
    say!("每个客户端不停地：连接、发送“你好，服务器！”、读到“数据已收到”、关闭。\n");
    say!(
        "{:<28} {:>10} {:>10} {:>10} {:>6}",
        "服务器",
        "请求/秒",
        "p50",
        "p99",
        "错误"
    );
    let mut rates = Vec::new();
    for contender in &contenders {
        let report = measure(contender, clients, Duration::from_secs(seconds))?;
        say!(
            "{:<31} {:>13.0} {:>10} {:>10} {:>8}",
            contender.label,
            report.per_second(),
            millis(report.p50),
            millis(report.p99),
            report.errors
        );
        rates.push((contender.label, report.per_second(), report.errors));
    }
    Ok(judge_threaded(&rates))
}
// ANCHOR_END: threaded

fn measure(contender: &Contender, clients: usize, duration: Duration) -> Result<load::Report> {
    let server = Running::start(
        contender.label,
        &contender.program,
        &contender.args,
        None,
        Output::Discard,
    )?;
    let addr = server.address(STARTUP)?;
    // A short warm-up, so the first connections' one-off costs are not measured.
    load::run(addr, clients, Duration::from_millis(300));
    Ok(load::run(addr, clients, duration))
}

/// Prints the ratios against the targets; true if all were met.
fn judge_threaded(rates: &[(&str, f64, u64)]) -> bool {
    let rate = |label: &str| rates.iter().find(|r| r.0 == label).map(|r| r.1);
    let errors: u64 = rates.iter().map(|r| r.2).sum();
    let pool = rate("threaded-server").unwrap_or(0.0);
    say!();
    let mut met = errors == 0;
    if let Some(spawn) = rate("spawn_per_connection") {
        met &= ratio_line("threaded-server / spawn_per_connection", pool, spawn, 2.0);
    }
    if let Some(python) = rate("python threaded_server.py") {
        met &= ratio_line("threaded-server / Python", pool, python, 20.0);
    }
    say!("错误总数: {errors}（目标 0）{}", mark(errors == 0));
    met
}

/// Prints `a / b = r×（目标 ≥ t×）✓`; true if the target was met.
pub fn ratio_line(what: &str, a: f64, b: f64, target: f64) -> bool {
    let ratio = a / b.max(f64::EPSILON);
    let met = ratio >= target;
    say!("{what} = {ratio:.1}×（目标 ≥ {target}×）{}", mark(met));
    met
}

/// Prints `a / b = r×（目标 ≤ t×）✓` for "smaller is better"; true if met.
pub fn ratio_at_most(what: &str, a: f64, b: f64, target: f64) -> bool {
    let ratio = a / b.max(f64::EPSILON);
    let met = ratio <= target;
    say!("{what} = {ratio:.2}×（目标 ≤ {target}×）{}", mark(met));
    met
}

fn mark(met: bool) -> &'static str {
    if met { "✓" } else { "✗ 未达到" }
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// Numbers from a debug build say little about speed.
fn warn_if_debug() {
    if cfg!(debug_assertions) {
        say!("注意：这是调试构建，数字会偏低；请用 cargo run --release -p workshop -- bench\n");
    }
}
