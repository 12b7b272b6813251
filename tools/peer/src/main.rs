//! peer：几个小小的对端程序，代替 `nc`、`printf` 和 `python3 -c`，在 Windows、macOS、Linux 上都一样。
//!
//! The docs and the workshop need a client that stays silent, one that
//! trickles, one that resets, a long message, a UDP receiver that never
//! answers… On Linux people reach for `nc`, `printf … | nc` and
//! `python3 -c 'print("好" * 400)'`; a fresh Windows machine has none of
//! them, and each shell quotes differently. Every subcommand here needs
//! only the Rust toolchain and no quoting beyond one word:
//!
//! ```text
//! cargo run -p peer -- silent 127.0.0.1:9999            # 连上，一言不发
//! cargo run -p peer -- send 127.0.0.1:9999 好 --times 400
//! cargo run -p peer -- udp-listen 127.0.0.1:9999        # 只收不回的 UDP 接收方
//! cargo run -p peer -- reply 127.0.0.1:9999 你好 --chunk 1   # 把回复拆成 1 字节一块的服务器
//! cargo run -p peer -- --help                           # 全部子命令
//! ```
//!
//! Each prints what it did and what came back, with times, and ends with
//! one Chinese line and a non-zero exit when it cannot do its job at all
//! (connection refused, a bad argument).

mod serve;
mod talk;
mod tcp;
mod udp;

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::{errors, esay, say};

/// One subcommand: its name, its command line, and what it does.
struct Command {
    usage: &'static Usage,
    run: fn(&Args) -> Result<()>,
}

impl Command {
    /// `silent` from `peer silent`.
    fn name(&self) -> &'static str {
        self.usage.program.trim_start_matches("peer ")
    }
}

const COMMANDS: &[Command] = &[
    Command {
        usage: &tcp::SILENT,
        run: tcp::silent,
    },
    Command {
        usage: &tcp::TRICKLE,
        run: tcp::trickle,
    },
    Command {
        usage: &tcp::RESET,
        run: tcp::reset,
    },
    Command {
        usage: &tcp::TOGETHER,
        run: tcp::together,
    },
    Command {
        usage: &tcp::APART,
        run: tcp::apart,
    },
    Command {
        usage: &tcp::SEND,
        run: tcp::send,
    },
    Command {
        usage: &tcp::LINES,
        run: tcp::lines,
    },
    Command {
        usage: &serve::REPLY,
        run: serve::reply,
    },
    Command {
        usage: &udp::LISTEN,
        run: udp::listen,
    },
    Command {
        usage: &udp::SEND,
        run: udp::send,
    },
    Command {
        usage: &serve::UDP_REPLY_USAGE,
        run: serve::udp_reply,
    },
];

fn main() -> ExitCode {
    let mut words = std::env::args_os().skip(1);
    // 1. 第一个词是子命令：peer silent …、peer send …
    let command = match pick(words.next()) {
        Ok(command) => command,
        Err(exit_code) => return exit_code,
    };
    // 2. 其余的词交给这个子命令的 Usage：--help 和写错的参数在这里就打印好了。
    let args = match command.usage.parse_words(words) {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 3. 做这个子命令的事；出错时打印一行中文说明，以非零状态退出。
    let result = (command.run)(&args);
    errors::report(result)
}

/// Finds the subcommand, or prints the overview (for `--help`, or with an
/// error line for a missing or unknown one) and says how to exit.
fn pick(word: Option<OsString>) -> Result<&'static Command, ExitCode> {
    let word = word.map(|w| w.to_string_lossy().into_owned());
    match word.as_deref() {
        Some("-h" | "--help" | "help") => {
            say!("{}", overview().trim_end());
            Err(ExitCode::SUCCESS)
        }
        None => {
            esay!(
                "错误: 缺少子命令，例如 peer silent 127.0.0.1:9999（运行 peer --help 查看全部子命令）"
            );
            Err(ExitCode::from(2))
        }
        Some(name) => COMMANDS.iter().find(|c| c.name() == name).ok_or_else(|| {
            let names: Vec<&str> = COMMANDS.iter().map(Command::name).collect();
            esay!(
                "错误: 没有叫“{}”的子命令；可选 {}（运行 peer --help 查看用法）",
                common::show_text(name),
                names.join("、")
            );
            ExitCode::from(2)
        }),
    }
}

/// `peer --help`: each subcommand's usage line and what it does, then every
/// option with the subcommand it belongs to. The shape is the workshop's,
/// which the docs tool reads to check the commands the book gives.
fn overview() -> String {
    let mut text = String::from(
        "peer：代替 nc、printf 和 python3 -c 的小对端程序，在 Windows、macOS、Linux 上用法都一样。\n\n用法:\n",
    );
    for command in COMMANDS {
        let usage = command.usage;
        let mut line = usage.program.to_string();
        for (argument, _) in usage.arguments {
            line += &format!(" {argument}");
        }
        for (option, _) in usage.options {
            line += &format!(" [{option}]");
        }
        text += &format!("  {line}\n        {}\n", usage.about);
    }
    text += "\n选项:\n";
    for command in COMMANDS {
        for (option, what) in command.usage.options {
            text += &format!("  {option:<14} {}：{what}\n", command.name());
        }
    }
    text += &format!(
        "  {:<14} 显示本帮助；peer 子命令 --help 显示那个子命令的帮助\n",
        "-h, --help"
    );
    text +=
        "\n地址默认是 localhost:9999。在仓库里运行时写成 cargo run -p peer -- 子命令 …\n\n示例:\n";
    for command in COMMANDS {
        text += &format!("  {}\n", command.usage.examples[0]);
    }
    text
}
