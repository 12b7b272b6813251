//! 基准测试：在同一台机器、同一次运行里，把几个服务器并排测量，报告比值。
//!
//! The machine is shared and noisy, so absolute numbers mean little; what
//! is reported is each contender beside the others, measured one after the
//! other in one run, and the ratios between them.
//!
//! The targets are printed as information, with ✓ or ✗: whether a laptop
//! reaches them says something about the laptop. What fails the command is
//! a benchmark that could not run: a server that did not start, or one that
//! did not complete a single request.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};
use common::cli::{Args, Usage};
use common::say;
use process_runner::{Output, Running, deadline};

use crate::chart::{self, Axis, Bar, Chart};
use crate::programs;
use crate::{load, shapes, starve, system, tls_bench};

/// `workshop bench …`.
pub const USAGE: Usage = Usage {
    program: "workshop bench",
    about: "运行基准测试，打印对比表（不写名字就全部运行，约 4 分钟）",
    arguments: &[(
        "[threaded|tls|shapes|starve...]",
        "要运行的基准测试，可以写几个；不写就全部运行",
    )],
    options: &[
        CLIENTS,
        SECONDS,
        (
            "--svg DIR",
            "把结果表也画成条形图（SVG），写进 DIR（书里的图就是这样画的）",
        ),
    ],
    notes: &["请用 cargo run --release 运行：调试版的数字没有意义。"],
    examples: &[
        "cargo run --release -p workshop -- bench",
        "cargo run --release -p workshop -- bench shapes",
        "cargo run --release -p workshop -- bench --svg docs/src/images",
    ],
};

/// `--clients N`, the same for `bench` and `load`.
pub const CLIENTS: (&str, &str) = ("--clients N", "同时发请求的客户端数，默认 16");
/// `--seconds N`, the same for `bench` and `load`.
pub const SECONDS: (&str, &str) = ("--seconds N", "每个服务器测量的秒数，默认 5");

/// The benchmarks `bench` runs, in order, as `--help` lists them.
pub const BENCHMARKS: &[(&str, &str)] = &[
    (
        "threaded",
        "线程池、原文的写法、原文的 Python 服务器：每秒请求数",
    ),
    (
        "tls",
        "tls-server、Python、openssl s_server：每次握手的 CPU 时间（需要 openssl）",
    ),
    (
        "shapes",
        "线程池、事件循环、async 并排：请求/秒、CPU/请求、1 万个空闲连接的内存、撑得住多少个沉默的客户端（约 2 分钟）",
    ),
    (
        "starve",
        "一次服务一个的 tcp-server、tls-server 和线程池：多少个沉默的客户端让好客户端等不到回复（约 1.5 分钟）",
    ),
];

/// The clients and seconds of `bench` and `load`: `--clients N --seconds N`.
pub fn clients_and_seconds(args: &Args) -> Result<(usize, u64)> {
    Ok((
        args.number("--clients", 16)?,
        args.number("--seconds", 5)? as u64,
    ))
}

/// `workshop bench [threaded|tls|shapes|starve...]`. The benchmarks print
/// their targets as information: a slow laptop is not an error. `Ok(false)`:
/// nothing was measured.
pub fn main(args: &Args) -> Result<bool> {
    let which = chosen(args.rest())?;
    let (clients, seconds) = clients_and_seconds(args)?;
    let svg = args.option("--svg").map(Path::new);
    warn_if_debug();
    let wants = |name: &str| which.is_empty() || which.contains(&name);
    let mut measured = false;
    if wants("threaded") {
        threaded(clients, seconds, svg)?;
        measured = true;
    }
    if wants("tls") {
        say!();
        measured |= tls_bench::run(seconds, svg)?;
    }
    // `bench shapes` climbs the pool's ladder; `bench starve` shows it again
    // beside the one-at-a-time servers instead of climbing it twice.
    let mut pool = None;
    if wants("shapes") {
        say!();
        pool = Some(shapes::run(clients, seconds, svg)?);
        measured = true;
    }
    if wants("starve") {
        say!();
        starve::run(pool, svg)?;
        measured = true;
    }
    Ok(measured)
}

/// The benchmarks named on the command line; a typo names the real ones.
fn chosen(words: &[String]) -> Result<Vec<&str>> {
    let names: Vec<&str> = BENCHMARKS.iter().map(|b| b.0).collect();
    match words.iter().find(|w| !names.contains(&w.as_str())) {
        Some(bad) => bail!("没有叫“{bad}”的基准测试；可选 {}", names.join("、")),
        None => Ok(words.iter().map(String::as_str).collect()),
    }
}

/// How long a server may take to print its address (process_runner::deadline).
pub const STARTUP: Duration = deadline::STEP;

/// One server to measure: a label and how to start it on a free port.
struct Contender {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

/// The Python 3 interpreter, if this machine has one (`python3`, `python`,
/// or `py -3` on Windows: see [`process_runner::python`]).
pub fn python() -> Option<&'static Path> {
    process_runner::python().map(|python| python.executable())
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
/// `threaded-server` against the bare pool (the same pool without deadline,
/// polite close or logging), the article's unbounded shape, and its Python.
pub fn threaded(clients: usize, seconds: u64, svg: Option<&Path>) -> Result<()> {
    programs::build(&["threaded-server"], true)?;
    let mut contenders = vec![
        Contender {
            label: "threaded-server",
            program: programs::binary("threaded-server")?,
            args: vec!["127.0.0.1:0".into()],
        },
        Contender {
            label: "bare_pool",
            program: programs::example("bare_pool")?,
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
        None => {
            say!("跳过原文的 Python 服务器：这台机器上没有 Python 3（python3、python 或 py -3）")
        }
    }

    say!("并发处理基准：{clients} 个客户端，每个服务器测 {seconds} 秒，同一台机器、同一次运行。");
    say!("每个客户端不停地：连接、发送“你好，服务器！”、读到“数据已收到”、关闭。");
    say!("CPU/请求：服务器进程自己用掉的 CPU 时间（Linux 的 /proc）除以请求数。\n");
    let widths = [28, 10, 10, 10, 10, 6];
    let heading = ["服务器", "请求/秒", "p50", "p99", "CPU/请求", "错误"];
    say!("{}", row(&heading.map(String::from), &widths));
    let mut rates = Vec::new();
    for contender in &contenders {
        let (report, cpu) = measure(contender, clients, Duration::from_secs(seconds))?;
        let cells = [
            contender.label.to_string(),
            format!("{:.0}", report.per_second()),
            millis(report.p50),
            millis(report.p99),
            cpu.map_or("无法测量".into(), |cpu| format!("{:.1} µs", cpu * 1e6)),
            report.errors.to_string(),
        ];
        say!("{}", row(&cells, &widths));
        rates.push(Rate {
            label: contender.label,
            per_second: report.per_second(),
            cpu,
            errors: report.errors,
        });
    }
    show_targets(&rates);
    chart::save(svg, &requests_chart(&rates, clients, seconds));
    Ok(())
}
// ANCHOR_END: threaded

/// One row of the `bench threaded` table.
struct Rate {
    label: &'static str,
    per_second: f64,
    /// Server CPU seconds per request; `None` where /proc cannot tell.
    cpu: Option<f64>,
    errors: u64,
}

/// The table's requests per second as a bar chart.
fn requests_chart(rates: &[Rate], clients: usize, seconds: u64) -> Chart {
    Chart {
        file: "bench-threaded.svg",
        title: "并发处理：每秒完成的请求（越长越好）".into(),
        measure: format!(
            "{clients} 个客户端不停地连接、发送、读回复、关闭，每个服务器 {seconds} 秒，同一次运行"
        ),
        axis: Axis::of("请求/秒"),
        bars: rates
            .iter()
            .map(|rate| Bar {
                label: rate.label.to_string(),
                value: rate.per_second,
                shown: format!("{:.0} 请求/秒", rate.per_second),
            })
            .collect(),
        note: chart::made_by("threaded"),
    }
}

/// Starts the contender, warms it up, and measures: what the load saw, and
/// the server's own CPU seconds per request (`None` where /proc cannot tell).
fn measure(
    contender: &Contender,
    clients: usize,
    duration: Duration,
) -> Result<(load::Report, Option<f64>)> {
    let mut command = Command::new(&contender.program);
    command.args(&contender.args);
    let server = Running::start(&mut command, contender.label, Output::Discard)?;
    let addr = server.address(STARTUP)?;
    // A short warm-up, so the first connections' one-off costs are not measured.
    load::run(addr, clients, Duration::from_millis(300))?;
    let before = system::cpu_seconds(server.id());
    let report = load::run(addr, clients, duration)?;
    let after = system::cpu_seconds(server.id());
    if report.requests == 0 {
        bail!(
            "{} 在 {} 秒内没有完成一次请求，无法测量",
            contender.label,
            duration.as_secs()
        );
    }
    let cpu = before
        .zip(after)
        .map(|(before, after)| (after - before) / report.requests as f64);
    Ok((report, cpu))
}

/// Prints the ratios beside the targets, as information.
fn show_targets(rates: &[Rate]) {
    let find = |label: &str| rates.iter().find(|r| r.label == label);
    let errors: u64 = rates.iter().map(|r| r.errors).sum();
    let pool = find("threaded-server").map_or(0.0, |r| r.per_second);
    say!();
    if let Some(spawn) = find("spawn_per_connection") {
        ratio_line(
            "threaded-server / spawn_per_connection",
            pool,
            spawn.per_second,
            2.0,
        );
    }
    if let Some(python) = find("python threaded_server.py") {
        ratio_line("threaded-server / Python", pool, python.per_second, 20.0);
    }
    // What the deadline, the polite close and the log line cost, in CPU.
    let cpu = |label: &str| find(label).and_then(|r| r.cpu);
    if let (Some(reliable), Some(bare)) = (cpu("threaded-server"), cpu("bare_pool")) {
        ratio_at_most("threaded-server CPU/请求 ÷ bare_pool", reliable, bare, 1.25);
    }
    say!("错误总数: {errors}（目标 0）{}", mark(errors == 0));
}

/// Prints `a / b = r×（目标 ≥ t×）✓`.
pub fn ratio_line(what: &str, a: f64, b: f64, target: f64) {
    let ratio = a / b.max(f64::EPSILON);
    say!(
        "{what} = {ratio:.1}×（目标 ≥ {target}×）{}",
        mark(ratio >= target)
    );
}

/// Like [`ratio_line`], with two decimals: for a target close to 1×,
/// where 0.89× shown as "0.9×" would look like the target it misses.
pub fn ratio_at_least(what: &str, a: f64, b: f64, target: f64) {
    let ratio = a / b.max(f64::EPSILON);
    say!(
        "{what} = {ratio:.2}×（目标 ≥ {target}×）{}",
        mark(ratio >= target)
    );
}

/// Prints `a / b = r×（目标 ≤ t×）✓` for "smaller is better".
pub fn ratio_at_most(what: &str, a: f64, b: f64, target: f64) {
    let ratio = a / b.max(f64::EPSILON);
    say!(
        "{what} = {ratio:.2}×（目标 ≤ {target}×）{}",
        mark(ratio <= target)
    );
}

pub fn mark(met: bool) -> &'static str {
    if met { "✓" } else { "✗ 未达到" }
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// Numbers from a debug build say little about speed.
pub fn warn_if_debug() {
    if cfg!(debug_assertions) {
        say!("注意：这是调试构建，数字会偏低；请用 cargo run --release -p workshop -- bench\n");
    }
}

/// One line of a table: each cell padded to its column's width, the first
/// column on the left, the others on the right. Widths count terminal
/// columns, in which a Chinese character takes two.
pub fn row(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (number, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        let padding = " ".repeat(width.saturating_sub(columns(cell)));
        if number == 0 {
            line.push_str(cell);
            line.push_str(&padding);
        } else {
            line.push(' ');
            line.push_str(&padding);
            line.push_str(cell);
        }
    }
    line
}

/// How many terminal columns `text` takes: two for each wide (CJK) character.
fn columns(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_characters_take_two_columns() {
        assert_eq!(columns("abc"), 3);
        assert_eq!(columns("服务器"), 6);
        assert_eq!(columns("（12 µs）"), 9);
        let cells = ["服务器".to_string(), "12".into()];
        assert_eq!(row(&cells, &[8, 4]), "服务器     12");
    }

    fn parsed(line: &str) -> Args {
        match USAGE.parse(line.split_whitespace().map(std::ffi::OsString::from)) {
            Ok(common::cli::Parsed::Run(args)) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bench_takes_its_four_words_and_names_them_on_a_typo() {
        for line in ["", "shapes", "starve threaded tls"] {
            assert!(chosen(parsed(line).rest()).is_ok(), "{line}");
        }
        let typo = chosen(parsed("shape").rest()).unwrap_err().to_string();
        assert_eq!(
            typo,
            "没有叫“shape”的基准测试；可选 threaded、tls、shapes、starve"
        );
        // The usage line shows the same four words.
        let names: Vec<&str> = BENCHMARKS.iter().map(|b| b.0).collect();
        assert_eq!(USAGE.arguments[0].0, format!("[{}...]", names.join("|")));
    }

    #[test]
    fn numbers_and_options_are_parsed() {
        let args = parsed("shapes --clients 8 --seconds 3 --svg out");
        assert_eq!(args.rest(), ["shapes"]);
        assert_eq!(clients_and_seconds(&args).unwrap(), (8, 3));
        assert_eq!(args.option("--svg"), Some("out"));
        assert_eq!(clients_and_seconds(&parsed("")).unwrap(), (16, 5));
        assert!(clients_and_seconds(&parsed("--clients 0")).is_err());
    }
}
