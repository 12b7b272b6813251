//! 练习检查：`workshop check`，编译学习者在 exercises/ 里写的程序，用真正的对端检查它。
//!
//! rustlings is the model: small files with gaps (`exercises/exN_*.rs`), one
//! command that checks them, hints kept apart, progress remembered. What
//! rustlings does not have is a network: here each check starts the
//! learner's program as a process and lets real peers talk to it, the
//! chapter programs (`tcp-server`, `tcp-client`, `udp-server`, `tls-server`),
//! `peer`, `wiretap` with its faults switched on, the article's Python
//! programs where `python3` exists, and the checker's own sockets where a
//! check needs bytes no peer sends.
//!
//! The parts:
//! - [`exercises`]: the list, in the article's order: files, hints, answer keys, checks;
//! - [`ex1`] … [`ex7`]: each exercise's checks;
//! - [`learner`]: the learner's program under check, and how its failures read;
//! - [`peers`]: the programs and sockets that talk to it; [`taps`]: the
//!   checker's relays between them; [`tls`]: its own TLS server;
//! - [`wire`]: what crossed the wire in a step, shown as wiretap shows it;
//! - [`seed`]: what a check varies, and the seed it comes from;
//! - [`outcome`]: what a check found, the mistakes it recognises, and how
//!   a ✗ is printed; [`step`]: what a step leaves for its ✗ block;
//! - [`run`]: building, checking one exercise, what to say after; its
//!   [`run::Summary`] is what one check run found, for other code;
//! - [`contain`]: nothing the learner's program starts outlives the check;
//! - [`progress`], [`watch`], [`report`], [`fingerprint`]: what is remembered,
//!   re-checking on save, telling the teacher, telling an untouched file apart.

pub mod contain;
mod ex1;
mod ex2;
mod ex3;
mod ex4;
mod ex5;
mod ex6;
mod ex7;
pub mod exercises;
pub mod fingerprint;
mod learner;
mod outcome;
mod peers;
pub mod progress;
pub mod report;
pub mod run;
mod seed;
mod step;
mod taps;
mod tls;
mod watch;
mod wire;

use std::path::PathBuf;

use anyhow::{Result, bail};
use common::addr::HostPort;
use common::cli::{Args, Usage};
use common::say;

use exercises::{EXERCISES, Exercise};
use progress::Progress;

/// What `workshop check …` asked for.
#[derive(Debug, Default)]
pub struct Request {
    /// `check 3`; `None`: the first exercise not passed yet.
    pub number: Option<usize>,
    pub list: bool,
    pub watch: bool,
    pub hint: bool,
    pub solution: bool,
    /// `--report ADDR --name NAME`: tell the teacher's board.
    pub report: Option<report::Reporter>,
    /// `--program FILE`: check a program built elsewhere (the answer keys).
    pub program: Option<PathBuf>,
    /// `--seed S`: vary what the checks send exactly as that run did.
    pub seed: Option<u64>,
    /// `--mistakes`: the mistakes the checks recognise.
    pub mistakes: bool,
}

/// `workshop check …`.
pub const USAGE: Usage = Usage {
    program: "workshop check",
    about: "练习：编译你在 exercises/ 里写的程序，让真正的对端来检查它",
    arguments: &[(
        "[N]",
        "练习的编号（--list 列出全部）；不写就是第一个还没通过的练习",
    )],
    options: &[
        ("--list", "列出每个练习的进度"),
        ("--watch", "每次保存文件就重新检查，通过了就换下一个练习"),
        ("--hint", "给一条提示；再要一次，给得更多"),
        ("--solution", "显示参考答案（练习通过之后再看，收获更大）"),
        (
            "--mistakes",
            "列出检查认得的常见错误（每个有一个固定的编号，例如 ex2.read-once）",
        ),
        (
            "--seed S",
            "检查里变化的一切（消息、回复、长度、线程数）都由种子决定，检查会打印它；写上同一个种子，重复那一次检查",
        ),
        (
            "--report ADDR",
            "每检查一次，就把结果（第几个练习，通过了还是卡在第几步）告诉老师的看板（workshop board 的地址，和 --name 一起用）；\
             看板暂时连不上时，结果先记下，下次一起发",
        ),
        (
            "--name NAME",
            "告诉老师时用的名字（最多 8 个汉字或 16 个字母）",
        ),
        (
            "--program FILE",
            "检查一个已经编译好的程序，而不是 exercises/ 里的那个（老师检查参考答案时用；不能和 --report 一起用）",
        ),
    ],
    notes: &[],
    examples: &[
        "cargo run -p workshop -- check",
        "cargo run -p workshop -- check 2 --hint",
        "cargo run -p workshop -- check 3 --seed 123456",
        "cargo run -p workshop -- check --watch --report 192.168.1.23:7878 --name 小明",
    ],
};

/// Runs `workshop check …`; `Ok(true)` when it did what was asked and, if it
/// checked something, that passed.
pub fn main(args: &Args) -> Result<bool> {
    let request = parse(args)?;
    // Whatever the learner's program starts and leaves behind becomes ours
    // to end (Linux); see contain.
    contain::adopt_orphans();
    let mut progress = Progress::load()?;
    if request.list {
        progress::print_table(&progress);
        return Ok(true);
    }
    if request.mistakes {
        print_mistakes(request.number);
        return Ok(true);
    }
    let Some(exercise) = chosen(&request, &progress) else {
        run::all_done(&progress);
        return Ok(true);
    };
    if request.solution {
        return run::show_solution(exercise, &progress);
    }
    if request.hint {
        return run::hint(exercise, &mut progress);
    }
    if request.watch {
        return watch::run(exercise, &request, &mut progress);
    }
    run::check_once(exercise, &request, &mut progress)
}

/// The exercise asked for, or the first not passed yet (`None`: all passed).
fn chosen(request: &Request, progress: &Progress) -> Option<&'static Exercise> {
    match request.number {
        Some(number) => EXERCISES.iter().find(|e| e.number == number),
        None => progress.first_unsolved(),
    }
}

fn parse(args: &Args) -> Result<Request> {
    let mut request = Request {
        number: args
            .rest()
            .first()
            .map(|n| exercise_number(n))
            .transpose()?,
        list: args.flag("--list"),
        watch: args.flag("--watch"),
        hint: args.flag("--hint"),
        solution: args.flag("--solution"),
        report: None,
        program: args.option("--program").map(PathBuf::from),
        seed: args.option("--seed").map(seed_value).transpose()?,
        mistakes: args.flag("--mistakes"),
    };
    request.report = reporter(args.option("--report"), args.option("--name"))?;
    check_combination(&request)?;
    Ok(request)
}

fn seed_value(text: &str) -> Result<u64> {
    match text.parse::<u64>() {
        Ok(seed) => Ok(seed),
        Err(_) => {
            bail!("--seed 的值 \"{text}\" 不对：种子是检查打印的那个非负整数，例如 --seed 123456")
        }
    }
}

fn exercise_number(word: &str) -> Result<usize> {
    let last = EXERCISES.len();
    match word.parse::<usize>() {
        Ok(number) if (1..=last).contains(&number) => Ok(number),
        _ => bail!(
            "没有练习“{word}”：练习的编号是 1 到 {last}（cargo run -p workshop -- check --list 列出全部）"
        ),
    }
}

fn reporter(report: Option<&str>, name: Option<&str>) -> Result<Option<report::Reporter>> {
    match (report, name) {
        (None, None) => Ok(None),
        (Some(addr), Some(name)) => {
            let addr: HostPort = addr.parse()?;
            Ok(Some(report::Reporter::new(addr, name)?))
        }
        (Some(_), None) => bail!(
            "--report 要和 --name 一起用，老师才知道是谁，例如 --report 192.168.1.23:7878 --name 小明"
        ),
        (None, Some(_)) => bail!(
            "--name 是给 --report 用的：写上老师的看板的地址，例如 --report 192.168.1.23:7878 --name 小明"
        ),
    }
}

/// Only one of --list, --watch, --hint, --solution at a time, --program
/// only for one checking run of a named exercise, and never with --report:
/// a report says that the learner's own exercise file passed, built here.
fn check_combination(request: &Request) -> Result<()> {
    let modes = [
        request.list,
        request.watch,
        request.hint,
        request.solution,
        request.mistakes,
    ];
    if modes.iter().filter(|on| **on).count() > 1 {
        bail!("--list、--watch、--hint、--solution、--mistakes 一次只能用一个");
    }
    if request.program.is_some() {
        if request.number.is_none() {
            bail!("--program 要和练习编号一起用，例如 check 1 --program 程序的路径");
        }
        if request.watch || request.list {
            bail!("--program 检查的是一个已经编译好的程序，不能和 --watch、--list 一起用");
        }
        if request.report.is_some() {
            bail!(
                "--report 不能和 --program 一起用：告诉老师的，只能是检查程序亲自编译的、你自己在 exercises/ 里写的程序"
            );
        }
    }
    if request.seed.is_some() && (request.list || request.hint || request.solution) {
        bail!("--seed 只用于检查：例如 check 3 --seed 123456");
    }
    Ok(())
}

/// `check --mistakes` (or `check N --mistakes`): each mistake the checks
/// recognise, with its stable id, for teachers and for other programs.
fn print_mistakes(number: Option<usize>) {
    for exercise in EXERCISES
        .iter()
        .filter(|e| number.is_none_or(|n| n == e.number))
    {
        say!("练习 {}（{}）：", exercise.number, exercise.title);
        for mistake in exercise.mistakes {
            say!("  {:<30} {}", mistake.id, mistake.name);
        }
    }
}

/// The line that says how to run the checker, for messages.
pub fn command(rest: &str) -> String {
    if rest.is_empty() {
        "cargo run -p workshop -- check".to_string()
    } else {
        format!("cargo run -p workshop -- check {rest}")
    }
}

/// Prints a blank line and a heading.
fn heading(text: &str) {
    say!("\n===== {text} =====");
}
