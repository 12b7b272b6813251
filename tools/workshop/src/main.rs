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
//!
//! And the teacher's board of who is stuck where (see `board/`):
//!
//! ```text
//! cargo run -p workshop -- board              # listens on 0.0.0.0:7878
//! ```
//!
//! And for a classroom without internet (see `kit/` and `doctor/`):
//!
//! ```text
//! cargo run -p workshop -- kit E:\            # the teacher, once, with internet: the USB stick's kit
//! cargo run -p workshop -- doctor             # every student, at the door: ✓/✗ per thing the lesson needs
//! ```

mod bench;
mod board;
mod chart;
mod check;
mod crowd;
mod doctor;
mod kit;
mod load;
mod programs;
mod shapes;
mod starve;
mod system;
mod tls_bench;
mod tour;

use std::process::ExitCode;
use std::thread;

use common::cli::Commands;
use common::esay;
use process_runner::deadline::CANCEL_GRACE;

/// The command line: one [`common::cli::Usage`] per subcommand, each in the
/// module that runs it. A new subcommand is a module with its `USAGE` and
/// `main`, one line here and one arm in [`main`].
const WORKSHOP: Commands = Commands {
    program: "workshop",
    about: "工作坊导览：按原文的顺序运行每一章真正的服务器和客户端，并打印带程序名的对话记录。",
    default: Some(&tour::USAGE),
    commands: &[
        &check::USAGE,
        &board::USAGE,
        &doctor::USAGE,
        &kit::USAGE,
        &bench::USAGE,
        &load::USAGE,
    ],
    sections: &[
        ("章节", tour::CHAPTER_HELP),
        (
            "基准测试（请用 cargo run --release 运行）",
            bench::BENCHMARKS,
        ),
    ],
    examples: &[
        "cargo run -p workshop",
        "cargo run -p workshop -- tcp udp",
        "cargo run -p workshop -- check",
        "cargo run -p workshop -- check 2 --hint",
        "cargo run -p workshop -- check 3 --seed 123456",
        "cargo run -p workshop -- board",
        "cargo run -p workshop -- check --watch --report 192.168.1.23:7878 --name 小明",
        "cargo run -p workshop -- doctor",
        "cargo run -p workshop -- kit E:\\",
        "cargo run --release -p workshop -- bench",
        "cargo run --release -p workshop -- bench shapes",
        "cargo run --release -p workshop -- bench --svg docs/src/images",
        "cargo run --release -p workshop -- load 127.0.0.1:9999",
    ],
};

fn main() -> ExitCode {
    // Ctrl-C reaches the children too when they share our terminal, but not
    // always (an IDE's stop button, `kill -INT`, `kill`): see on_interrupt.
    let _ = ctrlc::set_handler(on_interrupt);
    // --help and a mistyped command line are answered here (exit 0 or 2).
    let (command, args) = match WORKSHOP.parse_command_line() {
        Ok(chosen) => chosen,
        Err(exit_code) => return exit_code,
    };
    // `Ok(false)`: it ran and failed (a tour chapter, an exercise's check,
    // a benchmark or load run that measured nothing).
    let result = match command {
        "check" => check::main(&args),
        // The board's normal end is Ctrl-C; it says so itself, and exits 0.
        "board" => {
            return match board::main(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    esay!("错误: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
        "doctor" => doctor::main(&args),
        "kit" => kit::main(&args),
        "bench" => bench::main(&args),
        "load" => load::main(&args),
        _ => tour::main(&args),
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
