//! 命令行：每个程序都用同一种方式读取 `[ADDR] [MESSAGE] [选项]` 和 `--help`。
//!
//! The article hard-codes `('localhost', 9999)`; the Rust programs take the
//! address as their first argument instead, so that two servers (or a test)
//! can run side by side. This parser is deliberately small: a learner should
//! be able to read all of it, and the chapters need nothing more.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};

use crate::DEFAULT_ADDR;
use crate::addr::HostPort;

/// What a program accepts, written once and used both to parse the command
/// line and to print `--help`.
pub struct Usage {
    /// 程序名，例如 `tcp-server`。
    pub program: &'static str,
    /// 一句话说明它对应原文的哪一节。
    pub about: &'static str,
    /// 位置参数：(`[ADDR]`, 说明)。第一个总是地址。
    pub arguments: &'static [(&'static str, &'static str)],
    /// 选项：(`--cert FILE`, 说明)。写成 `--name VALUE` 的选项带一个值，可以写多次
    /// （用 `Args::options` 取出全部的值）；只写 `--name` 的是开关，不带值（例如 `--udp`），
    /// 用 [`Args::flag`] 读取。
    pub options: &'static [(&'static str, &'static str)],
    /// 补充说明，例如超时和上限。
    pub notes: &'static [&'static str],
    /// 示例命令。
    pub examples: &'static [&'static str],
}

/// The parsed command line.
#[derive(Debug)]
pub struct Args {
    /// 第一个位置参数，默认 `localhost:9999`。
    pub addr: HostPort,
    extra: Vec<String>,
    options: Vec<(&'static str, String)>,
}

impl Args {
    /// 第二个位置参数（客户端要发送的消息），没有给出时用 `default`。
    ///
    /// An empty message is refused here: over TCP it sends nothing, so the
    /// server waits until its timeout; over UDP it is an empty datagram, to
    /// which the article's server (`if data:`) never replies.
    pub fn message(&self, default: &str) -> Result<String> {
        match self.extra.first() {
            Some(message) if message.is_empty() => bail!(
                "要发送的消息是空的：服务器收不到任何内容，也就不会回复。请写一条消息，例如 \"你好\""
            ),
            Some(message) => Ok(message.clone()),
            None => Ok(default.to_string()),
        }
    }

    /// 选项的值，例如 `option("--cert")`。
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value.as_str())
    }

    /// 可以写多次的选项的全部值，按命令行上的顺序，例如
    /// `--name a --name b` 的 `options("--name")` 是 `a`、`b`。
    pub fn options<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.options
            .iter()
            .filter(move |(known, _)| *known == name)
            .map(|(_, value)| value.as_str())
    }

    /// 开关（不带值的选项，例如 `--udp`）是否给出了。
    pub fn flag(&self, name: &str) -> bool {
        self.option(name).is_some()
    }

    /// 地址之后的位置参数，原样保留（例如 wiretap 的服务器地址、peer 的消息）。
    pub fn rest(&self) -> &[String] {
        &self.extra
    }

    /// 数字选项的值：没有给出时用 `default`；不是正整数时给出一句说明。
    pub fn number(&self, name: &str, default: usize) -> Result<usize> {
        match self.option(name) {
            None => Ok(default),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => bail!("选项 {name} 的值 \"{text}\" 不对：需要一个正整数"),
            },
        }
    }
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Parsed {
    Help,
    Run(Args),
}

impl Usage {
    /// Reads the program's own command line.
    ///
    /// `--help` and a mistyped command line are dealt with here: the help
    /// text, or one Chinese line saying what is wrong, is printed, and the
    /// exit code to end with comes back as the error. So `main` reads:
    ///
    /// ```text
    /// let args = match USAGE.parse_command_line() {
    ///     Ok(args) => args,
    ///     Err(exit_code) => return exit_code, // --help 或用法错误，已经打印过了
    /// };
    /// ```
    pub fn parse_command_line(&self) -> Result<Args, ExitCode> {
        self.parse_words(std::env::args_os().skip(1))
    }

    /// Like [`Usage::parse_command_line`], for the words after a subcommand
    /// (`peer silent ADDR …` reads everything after `silent` this way).
    pub fn parse_words(&self, words: impl IntoIterator<Item = OsString>) -> Result<Args, ExitCode> {
        match self.parse(words) {
            Ok(Parsed::Run(args)) => Ok(args),
            Ok(Parsed::Help) => {
                crate::say!("{}", self.help().trim_end());
                Err(ExitCode::SUCCESS)
            }
            // 用法错误的退出码是 2，与运行时出错的 1 区分开（命令行工具的惯例）。
            Err(error) => {
                crate::esay!("错误: {error:#}（运行 {} --help 查看用法）", self.program);
                Err(ExitCode::from(2))
            }
        }
    }

    /// Parses the arguments that follow the program name.
    pub fn parse(&self, args: impl IntoIterator<Item = OsString>) -> Result<Parsed> {
        let mut positionals = Vec::new();
        let mut options = Vec::new();
        let mut only_positionals = false;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let arg = arg
                .into_string()
                .map_err(|raw| anyhow!("参数 {raw:?} 不是合法的 UTF-8 文本"))?;
            if only_positionals || !arg.starts_with('-') || arg == "-" {
                positionals.push(arg);
            } else if arg == "--" {
                only_positionals = true;
            } else if arg == "-h" || arg == "--help" {
                return Ok(Parsed::Help);
            } else {
                options.push(self.option_value(&arg, &mut args)?);
            }
        }
        if positionals.len() > self.arguments.len() {
            bail!("多余的参数 \"{}\"", positionals[self.arguments.len()]);
        }
        let mut positionals = positionals.into_iter();
        let addr = positionals.next();
        let addr = addr.as_deref().unwrap_or(DEFAULT_ADDR).parse()?;
        Ok(Parsed::Run(Args {
            addr,
            extra: positionals.collect(),
            options,
        }))
    }

    /// Reads `--name VALUE` or `--name=VALUE` for an option this program
    /// knows, or just `--name` for a switch (its value is left empty).
    fn option_value(
        &self,
        arg: &str,
        rest: &mut impl Iterator<Item = OsString>,
    ) -> Result<(&'static str, String)> {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg, None),
        };
        let (known, takes_value) = self
            .options
            .iter()
            .map(|(spec, _)| match spec.split_once(' ') {
                Some((known, _)) => (known, true),
                None => (*spec, false),
            })
            .find(|(known, _)| *known == name)
            .ok_or_else(|| {
                let takes_message = self.arguments.iter().any(|(arg, _)| *arg == "[MESSAGE]");
                let hint = if takes_message {
                    format!(
                        "；如果它是要发送的消息，请在它前面加 --，例如 {} ADDR -- {name}",
                        self.program
                    )
                } else {
                    String::new()
                };
                anyhow!("不认识的选项 {name}{hint}")
            })?;
        if !takes_value {
            return match inline {
                Some(_) => bail!("选项 {name} 是开关，不带值：只写 {name} 就行"),
                None => Ok((known, String::new())),
            };
        }
        let value = match inline {
            Some(value) => value,
            None => match rest.next() {
                None => bail!("选项 {name} 后面缺少值"),
                Some(value) => value.into_string().map_err(|raw| {
                    anyhow!("选项 {name} 的值 {raw:?} 不是合法的 UTF-8 文本：请换一个只含正常字符的文件名或值")
                })?,
            },
        };
        Ok((known, value))
    }

    /// The text `--help` prints.
    pub fn help(&self) -> String {
        let mut text = format!("{}\n\n用法: {}", self.about, self.program);
        for (name, _) in self.arguments {
            text += &format!(" {name}");
        }
        if !self.options.is_empty() {
            text += " [选项]";
        }
        // 名字列至少 14 个字符宽；更长的名字（--max-connections N）把整列撑宽，说明才不会贴上去。
        let width = self
            .arguments
            .iter()
            .chain(self.options)
            .map(|(name, _)| name.chars().count() + 1)
            .fold(14, usize::max);
        text += "\n\n参数:\n";
        for (name, what) in self.arguments {
            text += &format!("  {name:<width$} {what}\n");
        }
        text += "\n选项:\n";
        for (name, what) in self.options {
            text += &format!("  {name:<width$} {what}\n");
        }
        text += &format!("  {:<width$} 显示本帮助并退出\n", "-h, --help");
        for note in self.notes {
            text += &format!("\n{note}");
        }
        if !self.notes.is_empty() {
            text += "\n";
        }
        text += "\n示例:\n";
        for example in self.examples {
            text += &format!("  {example}\n");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USAGE: Usage = Usage {
        program: "demo",
        about: "演示",
        arguments: &[("[ADDR]", "地址"), ("[MESSAGE]", "消息")],
        options: &[("--cert FILE", "证书"), ("--loud", "开关")],
        notes: &[],
        examples: &["demo localhost:9999"],
    };

    fn parse(args: &[&str]) -> Result<Parsed> {
        USAGE.parse(args.iter().map(OsString::from))
    }

    fn run_args(args: &[&str]) -> Args {
        match parse(args).unwrap() {
            Parsed::Run(args) => args,
            Parsed::Help => panic!("expected arguments, got help"),
        }
    }

    #[test]
    fn defaults_to_the_articles_address_and_message() {
        let args = run_args(&[]);
        assert_eq!(args.addr.to_string(), "localhost:9999");
        assert_eq!(args.message("默认").unwrap(), "默认");
    }

    #[test]
    fn reads_positionals_and_both_option_spellings() {
        let args = run_args(&["[::1]:0", "hi", "--cert", "a.pem"]);
        assert_eq!(args.addr.port, 0);
        assert_eq!(args.message("默认").unwrap(), "hi");
        assert_eq!(args.option("--cert"), Some("a.pem"));
        assert_eq!(run_args(&["--cert=b.pem"]).option("--cert"), Some("b.pem"));
    }

    #[test]
    fn a_repeated_option_keeps_every_value_in_order() {
        let args = run_args(&["--cert", "a", "x:1", "--cert=b", "--cert", "c"]);
        assert_eq!(args.options("--cert").collect::<Vec<_>>(), ["a", "b", "c"]);
        // option() is the first of them, as before.
        assert_eq!(args.option("--cert"), Some("a"));
        assert_eq!(run_args(&[]).options("--cert").count(), 0);
    }

    #[test]
    fn a_switch_takes_no_value_and_later_words_stay_positional() {
        let args = run_args(&["a:1", "--loud", "hi"]);
        assert!(args.flag("--loud"));
        assert!(!args.flag("--cert"));
        assert_eq!(args.rest(), ["hi"]);
        assert!(!run_args(&["a:1"]).flag("--loud"));
        let error = parse(&["--loud=yes"]).unwrap_err().to_string();
        assert!(error.contains("不带值"), "{error}");
    }

    #[test]
    fn help_wins_and_lists_examples() {
        assert!(matches!(parse(&["x:1", "--help"]).unwrap(), Parsed::Help));
        assert!(USAGE.help().contains("demo localhost:9999"));
        // The usual names keep a 14-character column…
        assert!(
            USAGE.help().contains("\n  --cert FILE    证书\n"),
            "{}",
            USAGE.help()
        );
        // …and a longer one widens it instead of touching its text.
        let long = Usage {
            options: &[("--max-connections N", "上限"), ("--cert FILE", "证书")],
            ..USAGE
        };
        let help = long.help();
        assert!(help.contains("\n  --max-connections N  上限\n"), "{help}");
        assert!(help.contains("\n  --cert FILE          证书\n"), "{help}");
    }

    #[test]
    fn mistakes_are_explained() {
        let reason = |args: &[&str]| parse(args).unwrap_err().to_string();
        assert!(reason(&["--nope"]).contains("不认识的选项 --nope"));
        assert!(reason(&["-x"]).contains("demo ADDR -- -x"));
        // A server takes no message, so it is not told to send one.
        let server = Usage {
            arguments: &[("[ADDR]", "地址")],
            ..USAGE
        };
        let error = server.parse([OsString::from("-x")]).unwrap_err();
        assert!(!error.to_string().contains("消息"), "{error}");
        assert!(reason(&["--cert"]).contains("缺少值"));
        assert!(reason(&["a:1", "b", "c"]).contains("多余的参数"));
        assert!(reason(&["nope"]).contains("缺少端口"));
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_utf8_is_named_as_such_not_as_missing() {
        use std::os::unix::ffi::OsStringExt;
        let args = [
            OsString::from("--cert"),
            OsString::from_vec(b"a\xff.pem".to_vec()),
        ];
        let error = USAGE.parse(args).unwrap_err().to_string();
        assert!(error.contains("不是合法的 UTF-8"), "{error}");
    }
}
