//! 工作坊导览：一条命令，看原文的每一节在 Rust 里跑起来。
//!
//! `cargo run -p workshop` starts, chapter by chapter in the article's order,
//! the real server binary on a free port and then its real client, and prints
//! one transcript in which every line is labelled with the program that
//! printed it. It ends with a ✓/✗ line per chapter and exits 0 only if every
//! exchange succeeded. Nothing is left running and no file is left behind,
//! also when a chapter fails or you press Ctrl-C.
//!
//! The teacher's tools live here too:
//!
//! ```text
//! cargo run -p workshop                         # the whole tour
//! cargo run -p workshop -- tcp tls              # only some chapters
//! cargo run -p workshop -- --host 0.0.0.0       # servers reachable from other laptops
//! cargo run -p workshop -- --step               # pause after each server starts
//! cargo run --release -p workshop -- bench      # every benchmark (about 4 minutes)
//! cargo run --release -p workshop -- bench shapes   # pool, event loop and async side by side
//! cargo run --release -p workshop -- load 127.0.0.1:9999 --clients 16 --seconds 5
//! ```
//!
//! And the learners' exercises (see `check/`):
//!
//! ```text
//! cargo run -p workshop -- check              # the first exercise not passed yet
//! cargo run -p workshop -- check 2 --hint     # a hint for exercise 2
//! cargo run -p workshop -- check --watch      # check again on every save
//! ```

mod bench;
mod chart;
mod check;
mod crowd;
mod load;
mod programs;
mod shapes;
mod starve;
mod system;
mod tls_bench;
mod tour;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use common::addr::HostPort;
use common::{esay, say};
use process_runner::deadline::CANCEL_GRACE;

const HELP: &str =
    "工作坊导览：按原文的顺序运行每一章真正的服务器和客户端，并打印带程序名的对话记录。

用法:
  workshop [章节...] [--host HOST] [--step]
                                       运行导览（不写章节就运行全部）
  workshop check [N] [--list] [--watch] [--hint] [--solution] [--mistakes] [--seed S] [--report ADDR] [--name NAME] [--program FILE]
                                       练习：编译你在 exercises/ 里写的程序，让真正的对端来检查它
                                       （不写 N 就是第一个还没通过的练习）
  workshop bench [threaded|tls|shapes|starve] [--clients N] [--seconds N] [--svg DIR]
                                       运行基准测试，打印对比表（不写名字就全部运行，约 4 分钟）
  workshop load [ADDR] [--clients N] [--seconds N]
                                       压力测试：N 个客户端不停地连接、发送、读回复、关闭

章节:
  tcp        常见实践 / 简单的 TCP 服务器和客户端示例
  udp        常见实践 / UDP 通信示例
  threaded   最佳实践 / 并发处理（5 个客户端同时连接）
  tls        最佳实践 / 安全考量（证书生成在临时目录里，结束后删除）
  event-loop 原文之后 / 事件循环（一个线程同时照看所有连接）

基准测试（请用 cargo run --release 运行）:
  threaded   线程池、原文的写法、原文的 Python 服务器：每秒请求数
  tls        tls-server、Python、openssl s_server：每次握手的 CPU 时间（需要 openssl）
  shapes     线程池、事件循环、async 并排：请求/秒、CPU/请求、1 万个空闲连接的内存、
             撑得住多少个沉默的客户端（约 2 分钟）
  starve     一次服务一个的 tcp-server、tls-server 和线程池：多少个沉默的客户端让好客户端
             等不到回复（约 1.5 分钟）

选项:
  --host HOST     服务器监听的地址，默认 127.0.0.1；写 0.0.0.0 让同一网络的其他电脑也能连上
  --step          每个服务器启动后暂停，按回车键再运行客户端（方便讲解）
  --clients N     压力测试的客户端数，默认 16
  --seconds N     每个服务器测量的秒数，默认 5
  --svg DIR       bench：把结果表也画成条形图（SVG），写进 DIR（书里的图就是这样画的）
  --list          check：列出每个练习的进度
  --watch         check：每次保存文件就重新检查，通过了就换下一个练习
  --hint          check：给一条提示；再要一次，给得更多
  --solution      check：显示参考答案（练习通过之后再看，收获更大）
  --mistakes      check：列出检查认得的常见错误（每个有一个固定的编号，例如 ex2.read-once）
  --seed S        check：检查里变化的一切（消息、回复、长度、线程数）都由种子决定，检查会打印它；写上同一个种子，重复那一次检查
  --report ADDR   check：每通过一个练习，就告诉老师的 threaded-server 一声（和 --name 一起用）
  --name NAME     check：告诉老师时用的名字
  --program FILE  check：检查一个已经编译好的程序，而不是 exercises/ 里的那个（老师检查参考答案时用；不能和 --report 一起用）
  -h, --help      显示本帮助并退出

示例:
  cargo run -p workshop
  cargo run -p workshop -- tcp udp
  cargo run -p workshop -- check
  cargo run -p workshop -- check 2 --hint
  cargo run -p workshop -- check --watch --report 192.168.1.23:9999 --name 小明
  cargo run --release -p workshop -- bench
  cargo run --release -p workshop -- bench shapes
  cargo run --release -p workshop -- bench --svg docs/src/images
  cargo run --release -p workshop -- load 127.0.0.1:9999
";

/// The words `bench` takes, as `--help` lists them.
const BENCHMARKS: &[&str] = &["threaded", "tls", "shapes", "starve"];

/// The parsed command line.
#[derive(Default)]
struct Options {
    words: Vec<String>,
    host: Option<String>,
    clients: Option<usize>,
    seconds: Option<u64>,
    step: bool,
    /// `bench --svg DIR`: also draw the tables as bar charts there.
    svg: Option<PathBuf>,
}

fn main() -> ExitCode {
    // Ctrl-C reaches the children too when they share our terminal, but not
    // always (an IDE's stop button, `kill -INT`, `kill`): see on_interrupt.
    let _ = ctrlc::set_handler(on_interrupt);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        say!("{}", HELP.trim_end());
        return ExitCode::SUCCESS;
    }
    // `check` has options of its own: it reads the rest of the line itself.
    let result = match args.split_first() {
        Some((first, rest)) if first == "check" => check::main(rest),
        _ => parse(&args).and_then(run),
    };
    if process_runner::is_cancelled() {
        // Every wait returned an error after the Ctrl-C, and on its way here
        // that error dropped every child (killed and reaped) and every
        // temporary folder (removed). What those children left behind is
        // ended too (Linux), and said only once it is true.
        match check::contain::end_leftovers(CANCEL_GRACE / 2) {
            Some(false) => esay!(
                "\n已中断：临时文件已删除，可还有 {} 个程序没能结束。",
                check::contain::leftovers()
            ),
            _ => esay!("\n已中断：启动的程序都已结束，临时文件已删除。"),
        }
        return ExitCode::from(130);
    }
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            esay!("错误: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Ctrl-C, or SIGTERM (ctrlc's "termination" feature), on ctrlc's thread.
///
/// It does not clean up itself; the main thread may be starting a program
/// at this very moment. It sets the cancel flag, and the main thread's next
/// wait (every wait looks at the flag every 50 ms) returns an error that
/// unwinds it through the `Drop`s that kill the children and remove the
/// folders; `main` then says so and exits with 130.
///
/// Fallback, bounded: should the main thread be somewhere that never looks
/// at the flag, a watchdog ends the process after CANCEL_GRACE (5 s), and a
/// second Ctrl-C ends it at once. Both say that the clean-up may not have
/// finished, because then it may not have.
fn on_interrupt() {
    if process_runner::is_cancelled() {
        leave_now(); // the second Ctrl-C
    }
    process_runner::cancel();
    thread::spawn(|| {
        thread::sleep(CANCEL_GRACE);
        leave_now();
    });
}

fn leave_now() -> ! {
    esay!("\n已中断：没有等到清理完成，启动的程序可能还在运行，临时目录可能还在。");
    std::process::exit(130);
}

/// Runs what the command line asks for. `Ok(false)`: it ran and failed (a
/// tour chapter, or a benchmark or load run that measured nothing).
fn run(options: Options) -> Result<bool> {
    let clients = options.clients.unwrap_or(16);
    let seconds = options.seconds.unwrap_or(5);
    let mut words = options.words.iter().map(String::as_str);
    match words.next() {
        Some("bench") => bench(
            &words.collect::<Vec<_>>(),
            clients,
            seconds,
            options.svg.as_deref(),
        ),
        Some("load") => {
            let addr: HostPort = words.next().unwrap_or(common::DEFAULT_ADDR).parse()?;
            load(addr, clients, seconds)
        }
        _ => {
            let settings = tour::Settings {
                host: options.host.unwrap_or_else(|| "127.0.0.1".to_string()),
                step: options.step,
            };
            tour::run(&options.words, &settings)
        }
    }
}

/// The benchmarks print their targets as information: a slow laptop is not
/// an error. The exit status says whether a benchmark ran and measured.
fn bench(which: &[&str], clients: usize, seconds: u64, svg: Option<&Path>) -> Result<bool> {
    bench::warn_if_debug();
    let wants = |name: &str| which.is_empty() || which.contains(&name);
    let mut measured = false;
    if wants("threaded") {
        bench::threaded(clients, seconds, svg)?;
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

/// Load on a server someone else started; fails only if nothing could be
/// measured (errors are counted and shown, as information).
fn load(addr: HostPort, clients: usize, seconds: u64) -> Result<bool> {
    let server = addr.resolve()?[0];
    let report = load::run(server, clients, Duration::from_secs(seconds))?;
    say!(
        "{clients} 个客户端，{seconds} 秒：{:.0} 请求/秒，p50 {:?}，p99 {:?}，错误 {}",
        report.per_second(),
        report.p50,
        report.p99,
        report.errors
    );
    if report.requests == 0 {
        esay!("没有一次请求成功：{server} 上没有按原文协议回复的服务器在运行吗？");
    }
    Ok(report.requests > 0)
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| anyhow!("选项 {name} 后面缺少值（运行 workshop --help 查看用法）"))
        };
        match arg.as_str() {
            "--host" => options.host = Some(value("--host")?),
            "--step" => options.step = true,
            "--svg" => options.svg = Some(PathBuf::from(value("--svg")?)),
            "--clients" => options.clients = Some(number(&value("--clients")?)?),
            "--seconds" => options.seconds = Some(number(&value("--seconds")?)? as u64),
            option if option.starts_with('-') => {
                bail!("不认识的选项 {option}（运行 workshop --help 查看用法）")
            }
            word => options.words.push(word.to_string()),
        }
    }
    check_words(&options.words)?;
    Ok(options)
}

fn number(text: &str) -> Result<usize> {
    match text.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("\"{text}\" 不是正整数"),
    }
}

/// Unknown chapter names are a typo: say which names exist.
fn check_words(words: &[String]) -> Result<()> {
    let Some(first) = words.first() else {
        return Ok(());
    };
    if first == "bench" {
        if let Some(bad) = words[1..]
            .iter()
            .find(|w| !BENCHMARKS.contains(&w.as_str()))
        {
            bail!("没有叫“{bad}”的基准测试；可选 {}", BENCHMARKS.join("、"));
        }
        return Ok(());
    }
    if first == "load" {
        return Ok(());
    }
    let names: Vec<&str> = tour::CHAPTERS.iter().map(|c| c.0).collect();
    if let Some(bad) = words.iter().find(|w| !names.contains(&w.as_str())) {
        bail!("没有叫“{bad}”的章节；可选 {}", names.join("、"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn bench_takes_its_four_words_and_names_them_on_a_typo() {
        for line in ["bench", "bench shapes", "bench starve threaded tls"] {
            assert!(check_words(&words(line)).is_ok(), "{line}");
        }
        let typo = check_words(&words("bench shape")).unwrap_err().to_string();
        assert_eq!(
            typo,
            "没有叫“shape”的基准测试；可选 threaded、tls、shapes、starve"
        );
    }

    #[test]
    fn the_tour_knows_the_event_loop_chapter() {
        assert!(check_words(&words("threaded event-loop")).is_ok());
        let typo = check_words(&words("eventloop")).unwrap_err().to_string();
        assert!(typo.contains("event-loop"), "{typo}");
    }

    #[test]
    fn numbers_and_options_are_parsed() {
        let options = parse(&words("bench shapes --clients 8 --seconds 3")).unwrap();
        assert_eq!(options.words, ["bench", "shapes"]);
        assert_eq!((options.clients, options.seconds), (Some(8), Some(3)));
        assert!(parse(&words("bench --clients 0")).is_err());
    }
}
