//! Checking one exercise: build the programs the checks use, build the
//! learner's program (a compile error is shown as the compiler says it),
//! run the checks in order until one does not pass, and say what next.
//! What one run found is a [`Summary`], for code that tells others (the
//! teacher's board).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use common::say;
use process_runner::{Output, Running, deadline};

use super::contain;
use super::exercises::{EXERCISES, Exercise};
use super::learner::{ALREADY, Ctx, Transcript};
use super::outcome::{self, Evidence, Stop};
use super::progress::Progress;
use super::report::{CheckRun, Mistake as ReportedMistake};
use super::{Request, command, heading, peers, seed};
use crate::board::protocol as board;
use crate::programs;

/// What one check run found: which exercise, with which seed, how it
/// ended, the mistake recognised (if any) and how many times the learner
/// has checked this exercise (counting this run; 0 for `--program`, which
/// is not the learner's own file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub exercise: usize,
    pub seed: u64,
    pub verdict: Verdict,
    pub mistake: Option<Named>,
    pub attempts: u32,
}

/// How a check run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed (or was skipped where a tool is missing).
    Passed,
    /// The learner's program failed check `step` (counting from 1).
    Failed { step: usize, title: &'static str },
    /// It stopped at check `step` because that step's TODO still says
    /// “还没写”: the learner is working through it, not stuck.
    Unwritten { step: usize, title: &'static str },
    /// The checker's own peers failed at `step`: not the learner's doing.
    Broken { step: usize, title: &'static str },
    /// The learner's file did not compile.
    NotBuilt,
}

/// A recognised mistake, as other programs get it: the stable id
/// (`ex2.read-once`) and the Chinese name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: &'static str,
    pub name: &'static str,
}

impl Summary {
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }
}

/// What every check of a run shares, found once.
pub struct Tools {
    python: Option<String>,
}

/// Builds the chapter programs and tools the checks talk to (a no-op once
/// built), and looks for a Python 3.
///
/// With `--program` (a program built elsewhere) on a machine where cargo
/// cannot even be started, the chapter programs already built beside this
/// one are used instead: that is how the Windows `workshop.exe` is checked
/// under Wine (tools/on-windows), and how a teacher can check prebuilt
/// programs on a laptop without Rust.
pub fn prepare(program: Option<&Path>) -> Result<Tools> {
    say!("正在准备检查要用的程序（第一次要编译一两分钟，之后几乎不花时间）……");
    match programs::build(peers::PROGRAMS, false) {
        Ok(()) => {}
        Err(e) if program.is_some() && programs::is_no_cargo(&e) => {
            programs::all_built(peers::PROGRAMS)?;
            say!("（这里运行不了 cargo：检查用这个 workshop 旁边已经编译好的各章程序。）");
        }
        Err(e) => return Err(e),
    }
    let python = peers::find_python();
    if python.is_none() {
        say!("（这台电脑上没有 Python 3：和原文的 Python 程序对话的那几项检查会跳过。）");
    }
    Ok(Tools { python })
}

/// `check` or `check N`: one exercise, once.
pub fn check_once(
    exercise: &'static Exercise,
    request: &Request,
    progress: &mut Progress,
) -> Result<bool> {
    let tools = prepare(request.program.as_deref())?;
    let seed = request.seed.unwrap_or_else(seed::fresh);
    let mut summary = check_exercise(exercise, request.program.as_deref(), &tools, seed)?;
    remember(&mut summary, request, progress)?;
    if summary.passed() {
        after_pass(exercise, request, progress)?;
    } else {
        after_failure(exercise);
    }
    report(exercise, request, &summary);
    Ok(summary.passed())
}

/// `--report`: tells the teacher's board how this run ended, with the
/// mistake the check recognised and the learner's count of attempts. A
/// run the checker itself could not finish is not the learner's, and is
/// not reported.
pub fn report(exercise: &Exercise, request: &Request, summary: &Summary) {
    let Some(reporter) = &request.report else {
        return;
    };
    let verdict = match summary.verdict {
        Verdict::Passed => board::Verdict::Passed,
        Verdict::Failed { step, .. } => board::Verdict::Failed { step },
        Verdict::Unwritten { step, .. } => board::Verdict::Unwritten { step },
        Verdict::NotBuilt => board::Verdict::Failed { step: 0 },
        Verdict::Broken { .. } => return,
    };
    reporter.send(&CheckRun {
        exercise: exercise.number,
        verdict,
        mistake: summary.mistake.as_ref().map(|m| ReportedMistake {
            id: m.id.to_string(),
        }),
        attempts: (summary.attempts > 0).then_some(summary.attempts),
    });
}

/// Counts the attempt (and a pass) in the progress file, for the
/// learner's own file only: a program built elsewhere is not their work.
pub fn remember(summary: &mut Summary, request: &Request, progress: &mut Progress) -> Result<()> {
    if request.program.is_some() {
        return Ok(());
    }
    let number = summary.exercise;
    let passed = summary.passed();
    let (fresh, attempts) = Progress::update(|p| {
        if passed {
            p.pass(number);
        }
        p.attempt(number)
    })?;
    *progress = fresh;
    summary.attempts = attempts;
    Ok(())
}

/// Builds (unless `program` is given) and checks `exercise` with `seed`,
/// printing a line per check (and a block under a ✗).
pub fn check_exercise(
    exercise: &'static Exercise,
    program: Option<&Path>,
    tools: &Tools,
    seed: u64,
) -> Result<Summary> {
    heading(&format!(
        "练习 {}：{}（原文「{}」）",
        exercise.number, exercise.title, exercise.section
    ));
    say!(
        "文件：{}    书里讲这一节的是 {}",
        exercise.file,
        exercise.page
    );
    let again = match program {
        Some(program) => format!(
            "{} --seed {seed} --program {}",
            exercise.number,
            program.display()
        ),
        None => format!("{} --seed {seed}", exercise.number),
    };
    say!(
        "种子 {seed}：检查里发送的消息、回复、长度、线程数都由它决定；重复这一次：{}",
        command(&again)
    );
    let mut summary = Summary {
        exercise: exercise.number,
        seed,
        verdict: Verdict::Passed,
        mistake: None,
        attempts: 0,
    };
    let program = match program {
        Some(program) => program.to_path_buf(),
        None => match build(exercise)? {
            Some(program) => program,
            None => {
                summary.verdict = Verdict::NotBuilt;
                return Ok(summary);
            }
        },
    };
    let ctx = Ctx::new(exercise, program, tools.python.clone(), seed);
    let total = exercise.checks.len();
    for (index, check) in exercise.checks.iter().enumerate() {
        let step = index + 1;
        if let Some(wait) = check.wait {
            say!("  {wait}……");
        }
        ctx.begin(step);
        let result = (check.run)(&ctx);
        let record = ctx.take_record();
        let leftovers = contain::escaped(&ctx.groups());
        contain::end_leftovers(ALREADY);
        if let Err(Stop::Cancelled) = result {
            return Err(process_runner::Error::Cancelled.into());
        }
        let outputs: Vec<Transcript> = record.outputs.iter().map(|t| t.borrow().clone()).collect();
        let evidence = Evidence {
            wire: record.wire.render(),
            outputs: &outputs,
            repeat: record.repeat.as_ref(),
        };
        outcome::print(step, total, check.what, &result, &evidence);
        if leftovers > 0 {
            say!(
                "    （{} 启动的 {leftovers} 个程序离开了它的进程组，这一项结束后还在运行；检查把它们结束了。程序结束时，它启动的程序也该结束）",
                exercise.bin
            );
        }
        let Err(stop) = result else {
            continue;
        };
        let not_written = evidence.not_written()
            || matches!(&stop, Stop::Failed(failed) if failed.seen.contains("还没写："));
        summary.verdict = match stop {
            Stop::Broken(_) => Verdict::Broken {
                step,
                title: check.what,
            },
            _ if not_written => Verdict::Unwritten {
                step,
                title: check.what,
            },
            _ => Verdict::Failed {
                step,
                title: check.what,
            },
        };
        // A TODO still not written is not a mistake of any kind yet.
        summary.mistake = stop.recognised().filter(|_| !not_written).map(|m| Named {
            id: m.id,
            name: m.name,
        });
        for (later, check) in exercise.checks.iter().enumerate().skip(step) {
            outcome::print_not_run(later + 1, total, check.what);
        }
        return Ok(summary);
    }
    Ok(summary)
}

/// `cargo build -p exercises --bin exN`: the program's path, or `None`
/// after showing what the compiler said.
fn build(exercise: &Exercise) -> Result<Option<PathBuf>> {
    say!("正在编译 {}……", exercise.file);
    let mut cargo = programs::cargo_build(&["-p", "exercises", "--bin", exercise.bin])?;
    // A group of its own: a Ctrl-C ends rustc too. No deadline: the first
    // build may be downloading crates over slow Wi-Fi; Ctrl-C still ends it.
    let running = Running::start_group(&mut cargo, "cargo", Output::Keep)
        .context("无法运行 cargo 来编译练习；请确认 cargo 在 PATH 里")?;
    let finished = running.wait(deadline::FOREVER)?;
    let said = compiler_messages(&finished.stderr);
    if !finished.status.success() {
        for line in &said {
            say!("{line}");
        }
        say!("✗ 编译失败：{} 里有编译器不接受的地方。", exercise.file);
        say!(
            "    上面是编译器的原话：每一条 error 都指出了文件和行号（--> 那一行），下面几行说明了原因，常常还有修改的建议。"
        );
        return Ok(None);
    }
    let warnings = said.iter().filter(|l| is_warning(l)).count();
    if warnings > 0 {
        say!(
            "（编译器有 {warnings} 条警告，不影响检查；想看的话运行 cargo build -p exercises --bin {}）",
            exercise.bin
        );
    }
    Ok(Some(programs::binary(exercise.bin)?))
}

/// What cargo printed, without its progress lines.
fn compiler_messages(stderr: &[String]) -> Vec<String> {
    const PROGRESS: &[&str] = &[
        "Compiling ",
        "Finished ",
        "Blocking waiting",
        "Checking ",
        "Fresh ",
        "Locking ",
        "Updating ",
        "Downloading ",
        "Downloaded ",
    ];
    stderr
        .iter()
        .filter(|line| !PROGRESS.iter().any(|p| line.trim_start().starts_with(p)))
        .cloned()
        .collect()
}

/// `warning: unused variable …`, not cargo's summary `warning: … generated 2 warnings`.
fn is_warning(line: &str) -> bool {
    line.starts_with("warning") && !line.contains("generated")
}

/// What to say after a pass (the progress file has it already).
pub fn after_pass(exercise: &Exercise, request: &Request, progress: &Progress) -> Result<()> {
    let number = exercise.number;
    say!("\n练习 {number} 通过了！");
    say!(
        "参考答案在 {}，和你的写法对照一下：{}",
        exercise.solution,
        command(&format!("{number} --solution"))
    );
    if request.program.is_some() {
        return Ok(());
    }
    match progress.next_unsolved(number) {
        Some(next) => say!(
            "下一个：练习 {}（{}），打开 {}，然后运行 {}",
            next.number,
            next.title,
            next.file,
            command("")
        ),
        None => finished(),
    }
    Ok(())
}

fn after_failure(exercise: &Exercise) {
    say!(
        "\n练习 {} 还没通过。改好 {} 再检查一次；卡住了就要一条提示：{}",
        exercise.number,
        exercise.file,
        command(&format!("{} --hint", exercise.number))
    );
}

/// The message when every exercise has passed.
fn finished() {
    say!("\n全部 {} 个练习都通过了！", EXERCISES.len());
    say!(
        "你用 Rust 写出了原文的服务器和客户端，还补上了原文没做到的：读完整个回复、UDP 的超时和重发、\
         不被一个客户端弄倒、线程数有上限、验证证书、消息的边界。"
    );
    say!(
        "接下来读一读「小结与进阶」（docs/src/next-steps.md）；想再做一遍某个练习，运行 {}",
        command("N")
    );
}

/// `check` when nothing is left to do.
pub fn all_done(progress: &Progress) {
    if progress.all_passed() {
        finished();
    }
}

/// `check N --hint`: the next hint, a nudge first.
pub fn hint(exercise: &Exercise, progress: &mut Progress) -> Result<bool> {
    let number = exercise.number;
    let hints = exercise.hints;
    let (fresh, given) = Progress::update(|p| p.take_hint(number))?;
    *progress = fresh;
    let shown = given.min(hints.len() - 1);
    say!(
        "练习 {number}（{}）的提示 {}/{}：",
        exercise.title,
        shown + 1,
        hints.len()
    );
    say!("{}", hints[shown]);
    if shown + 1 < hints.len() {
        say!(
            "\n还不够？再运行一次 {}，提示会给得更多。",
            command(&format!("{number} --hint"))
        );
    } else {
        say!(
            "\n这是最后一条提示。还是不行的话，可以看参考答案：{}",
            command(&format!("{number} --solution"))
        );
    }
    Ok(true)
}

/// `check N --solution`: the answer key, with a word if not passed yet.
pub fn show_solution(exercise: &Exercise, progress: &Progress) -> Result<bool> {
    let number = exercise.number;
    let path = programs::workspace_root().join(exercise.solution);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("无法读取参考答案 {}", exercise.solution))?;
    if !progress.has_passed(number) {
        say!(
            "你还没有通过练习 {number}。下面是参考答案；先试试 {}，自己写出来收获更大。\n",
            command(&format!("{number} --hint"))
        );
    }
    say!(
        "----- 练习 {number} 的参考答案：{} -----",
        exercise.solution
    );
    say!("{}", text.trim_end());
    say!("----- 参考答案到此为止 -----");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compilers_words_are_kept_and_cargos_progress_is_not() {
        let stderr: Vec<String> = [
            "   Compiling exercises v0.1.0 (/repo/exercises)",
            "error[E0425]: cannot find value `listner` in this scope",
            "  --> exercises/ex1_tcp_server.rs:57:5",
            "warning: unused variable: `x`",
            "warning: `exercises` (bin \"ex1\") generated 1 warning",
            "error: could not compile `exercises` (bin \"ex1\") due to 1 previous error",
            "    Blocking waiting for file lock on build directory",
        ]
        .map(String::from)
        .to_vec();
        let kept = compiler_messages(&stderr);
        assert_eq!(kept.len(), 5, "{kept:#?}");
        assert!(kept[1].contains("exercises/ex1_tcp_server.rs:57:5"));
        assert_eq!(kept.iter().filter(|l| is_warning(l)).count(), 1);
    }
}
