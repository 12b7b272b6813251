//! 命令行：每个程序都用同一种方式读取 `[ADDR] [MESSAGE] [选项]` 和 `--help`。
//!
//! The article hard-codes `('localhost', 9999)`; the Rust programs take the
//! address as their first argument instead, so that two servers (or a test)
//! can run side by side. This parser is deliberately small: a learner should
//! be able to read all of it, and the chapters need nothing more.
//!
//! The tools use the same parser. Their first argument need not be an
//! address (the workshop's chapter names), an argument written `[NAME...]`
//! takes any number of words, and [`Commands`], at the end of this file,
//! puts several [`Usage`]s behind one program's first word
//! (`workshop check …`, `docs-tool bless …`). The chapters never use it.

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
    /// 位置参数：(`[ADDR]`, 说明)。名字里有 `ADDR` 的第一个参数是地址（每一章都是这样）；
    /// 否则所有位置参数原样留在 [`Args::rest`] 里。最后一个写成 `[章节...]` 的参数可以给任意多个。
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
    /// 第一个位置参数，默认 `localhost:9999`。第一个参数不是地址的程序
    /// （workshop 的章节名）用不到它，它就是这个默认值。
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

    /// 地址之后的位置参数，原样保留（例如 wiretap 的服务器地址、peer 的消息）；
    /// 第一个参数不是地址时，就是全部位置参数（例如 workshop 的章节名）。
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
        if positionals.len() > self.arguments.len() && !self.takes_any_number() {
            bail!("多余的参数 \"{}\"", positionals[self.arguments.len()]);
        }
        let mut positionals = positionals.into_iter();
        let addr = match self.arguments.first() {
            Some((name, _)) if name.contains("ADDR") => positionals.next(),
            _ => None,
        };
        let addr = addr.as_deref().unwrap_or(DEFAULT_ADDR).parse()?;
        Ok(Parsed::Run(Args {
            addr,
            extra: positionals.collect(),
            options,
        }))
    }

    /// Whether the last argument, written `[NAME...]`, takes any number of words.
    fn takes_any_number(&self) -> bool {
        self.arguments
            .last()
            .is_some_and(|(name, _)| name.trim_end_matches(']').ends_with("..."))
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
        text += "\n\n";
        if !self.arguments.is_empty() {
            text += "参数:\n";
            for (name, what) in self.arguments {
                text += &format!("  {name:<width$} {what}\n");
            }
            text += "\n";
        }
        text += "选项:\n";
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

// ---------------------------------------------------------------------------
// Programs with subcommands: the tools, never the chapters
// ---------------------------------------------------------------------------

/// A program whose first word says what to do: `workshop check 3`,
/// `docs-tool bless`. Each subcommand is a [`Usage`] whose `program` is both
/// words (`"workshop check"`), so its errors and its own `--help` name it;
/// `PROGRAM --help` prints an overview of them all, in the shape the docs
/// tool reads to check the book's commands.
pub struct Commands {
    /// 程序名，例如 `workshop`。
    pub program: &'static str,
    /// 一句话说明。
    pub about: &'static str,
    /// 第一个词不是子命令时，整行按它来读（workshop 的导览）；`None`：必须写一个子命令。
    pub default: Option<&'static Usage>,
    /// 各个子命令，按 `--help` 列出的顺序。
    pub commands: &'static [&'static Usage],
    /// 概览里另加的段落，例如 `("章节", &[("tcp", "…")])`。
    pub sections: &'static [Section],
    /// 示例命令。
    pub examples: &'static [&'static str],
}

/// A titled list in an overview: (`章节`, [(`tcp`, 说明)]).
pub type Section = (&'static str, &'static [(&'static str, &'static str)]);

/// What the first word picked.
enum Chosen<'w> {
    Help,
    Command(&'static Usage, &'w [OsString]),
}

impl Commands {
    /// Reads the program's own command line: the subcommand's name (`""`
    /// for [`Commands::default`]) and its arguments. As with
    /// [`Usage::parse_command_line`], `--help` and mistakes are printed here
    /// and the exit code comes back as the error, so `main` reads:
    ///
    /// ```text
    /// let (command, args) = match COMMANDS.parse_command_line() {
    ///     Ok(chosen) => chosen,
    ///     Err(exit_code) => return exit_code,
    /// };
    /// match command {
    ///     "check" => check::main(&args),
    ///     …
    /// }
    /// ```
    pub fn parse_command_line(&self) -> Result<(&'static str, Args), ExitCode> {
        self.parse_words(std::env::args_os().skip(1))
    }

    /// Like [`Commands::parse_command_line`], for the given words.
    pub fn parse_words(
        &self,
        words: impl IntoIterator<Item = OsString>,
    ) -> Result<(&'static str, Args), ExitCode> {
        let words: Vec<OsString> = words.into_iter().collect();
        match self.choose(&words) {
            Ok(Chosen::Help) => {
                crate::say!("{}", self.help().trim_end());
                Err(ExitCode::SUCCESS)
            }
            Ok(Chosen::Command(usage, rest)) => usage
                .parse_words(rest.iter().cloned())
                .map(|args| (self.name_of(usage), args)),
            Err(error) => {
                crate::esay!("错误: {error:#}（运行 {} --help 查看用法）", self.program);
                Err(ExitCode::from(2))
            }
        }
    }

    /// The subcommand the first word names; else the overview if `--help`
    /// is anywhere; else the default, or a mistake to explain.
    fn choose<'w>(&self, words: &'w [OsString]) -> Result<Chosen<'w>> {
        let first = words.first().map(|word| word.to_string_lossy());
        if let Some(usage) = self
            .commands
            .iter()
            .find(|usage| Some(self.name_of(usage)) == first.as_deref())
        {
            return Ok(Chosen::Command(usage, &words[1..]));
        }
        let mut before_dashes = words.iter().take_while(|word| *word != "--");
        if before_dashes.any(|word| word == "-h" || word == "--help") {
            return Ok(Chosen::Help);
        }
        let names: Vec<&str> = self.commands.iter().map(|u| self.name_of(u)).collect();
        let choices = match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, others)) => format!("{} 或 {last}", others.join("、")),
            None => String::new(),
        };
        match (self.default, first) {
            (Some(usage), _) => Ok(Chosen::Command(usage, words)),
            (None, None) => bail!("请写要做的事：{choices}"),
            (None, Some(word)) if word.starts_with('-') => {
                bail!("请先写要做的事（{choices}），再写选项 {word}")
            }
            (None, Some(word)) => bail!("没有叫“{word}”的子命令；可选 {choices}"),
        }
    }

    /// `check` for the usage `workshop check`; `""` for the default.
    fn name_of(&self, usage: &Usage) -> &'static str {
        match usage.program.strip_prefix(self.program) {
            Some(rest) => rest.trim_start(),
            None => usage.program,
        }
    }

    /// The text `PROGRAM --help` prints: each usage line with what it does,
    /// the extra sections, every option once with the subcommands it
    /// belongs to, and the examples.
    pub fn help(&self) -> String {
        let mut text = format!("{}\n\n用法:\n", self.about);
        for usage in self.default.iter().chain(self.commands) {
            text += &format!("  {}\n        {}\n", usage.synopsis(), usage.about);
        }
        for (heading, entries) in self.sections {
            text += &format!("\n{heading}:\n");
            for (name, what) in *entries {
                text += &format!("  {name:<10} {what}\n");
            }
        }
        let options = self.options();
        let width = options
            .iter()
            .map(|(spec, _, _)| spec.chars().count() + 1)
            .fold(14, usize::max);
        text += "\n选项:\n";
        for (spec, owners, what) in options {
            let owners = if owners.is_empty() {
                String::new()
            } else {
                format!("{}：", owners.join("、"))
            };
            text += &format!("  {spec:<width$} {owners}{what}\n");
        }
        text += &format!(
            "  {:<width$} 显示本帮助；{} 子命令 --help 显示那个子命令的帮助\n",
            "-h, --help", self.program
        );
        text += "\n示例:\n";
        for example in self.examples {
            text += &format!("  {example}\n");
        }
        text
    }

    /// Every option once, in order of appearance: (`--clients N`, the
    /// subcommands that take it (none for the default), what it does).
    fn options(&self) -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
        let mut options: Vec<(&'static str, Vec<&'static str>, &'static str)> = Vec::new();
        for usage in self.default.iter().chain(self.commands) {
            let name = self.name_of(usage);
            for (spec, what) in usage.options {
                match options.iter_mut().find(|(known, _, _)| known == spec) {
                    Some((_, owners, _)) if !name.is_empty() => owners.push(name),
                    Some(_) => {}
                    None if name.is_empty() => options.push((spec, Vec::new(), what)),
                    None => options.push((spec, vec![name], what)),
                }
            }
        }
        options
    }
}

impl Usage {
    /// One line: `workshop bench [threaded|tls...] [--clients N] [--svg DIR]`.
    fn synopsis(&self) -> String {
        let mut line = self.program.to_string();
        for (name, _) in self.arguments {
            line += &format!(" {name}");
        }
        for (spec, _) in self.options {
            line += &format!(" [{spec}]");
        }
        line
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

    const WORDS: Usage = Usage {
        program: "tool",
        about: "章节",
        arguments: &[("[章节...]", "章节名")],
        options: &[("--step", "暂停")],
        notes: &[],
        examples: &["tool tcp"],
    };

    #[test]
    fn words_that_are_not_an_address_all_stay_in_rest() {
        let args = match WORDS.parse(["tcp", "--step", "udp", "tls"].map(OsString::from)) {
            Ok(Parsed::Run(args)) => args,
            other => panic!("{other:?}"),
        };
        assert_eq!(args.rest(), ["tcp", "udp", "tls"]);
        assert!(args.flag("--step"));
        // A word such as `tcp` is not read as an address missing its port.
        assert_eq!(args.addr.to_string(), DEFAULT_ADDR);
    }

    const CHECK: Usage = Usage {
        program: "tool check",
        about: "检查一个练习",
        arguments: &[("[N]", "练习编号")],
        options: &[("--hint", "给一条提示"), ("--clients N", "客户端数")],
        notes: &[],
        examples: &["tool check 2"],
    };

    const LOAD: Usage = Usage {
        program: "tool load",
        about: "压力测试",
        arguments: &[("[ADDR]", "地址")],
        options: &[("--clients N", "客户端数")],
        notes: &[],
        examples: &["tool load"],
    };

    const TOOL: Commands = Commands {
        program: "tool",
        about: "一个有子命令的工具",
        default: Some(&WORDS),
        commands: &[&CHECK, &LOAD],
        sections: &[("章节", &[("tcp", "TCP 那一节")])],
        examples: &["tool check 2"],
    };

    fn choose(commands: &Commands, words: &[&str]) -> Result<Option<(&'static str, Vec<String>)>> {
        let words: Vec<OsString> = words.iter().map(OsString::from).collect();
        Ok(match commands.choose(&words)? {
            Chosen::Help => None,
            Chosen::Command(usage, rest) => Some((
                commands.name_of(usage),
                rest.iter()
                    .map(|w| w.to_string_lossy().into_owned())
                    .collect(),
            )),
        })
    }

    #[test]
    fn the_first_word_picks_the_subcommand_and_the_rest_is_its_own() {
        let (name, rest) = choose(&TOOL, &["check", "2", "--hint"]).unwrap().unwrap();
        assert_eq!((name, rest), ("check", vec!["2".into(), "--hint".into()]));
        // Its --help is its own, not the overview.
        let (name, rest) = choose(&TOOL, &["load", "--help"]).unwrap().unwrap();
        assert_eq!((name, rest), ("load", vec!["--help".to_string()]));
        assert!(
            LOAD.help()
                .starts_with("压力测试\n\n用法: tool load [ADDR]")
        );
        // Any other first word is the default's, and --help anywhere there is the overview.
        let (name, rest) = choose(&TOOL, &["tcp", "--step"]).unwrap().unwrap();
        assert_eq!((name, rest.len()), ("", 2));
        assert!(choose(&TOOL, &["tcp", "--help"]).unwrap().is_none());
        assert!(choose(&TOOL, &["--", "--help"]).unwrap().is_some());
    }

    #[test]
    fn without_a_default_a_missing_or_unknown_subcommand_is_named() {
        let strict = Commands {
            default: None,
            ..TOOL
        };
        let reason = |words: &[&str]| choose(&strict, words).unwrap_err().to_string();
        assert_eq!(reason(&[]), "请写要做的事：check 或 load");
        assert_eq!(
            reason(&["chek"]),
            "没有叫“chek”的子命令；可选 check 或 load"
        );
        assert_eq!(
            reason(&["--hint", "check"]),
            "请先写要做的事（check 或 load），再写选项 --hint"
        );
        assert!(choose(&strict, &["--help"]).unwrap().is_none());
    }

    #[test]
    fn the_overview_lists_each_usage_and_each_option_once_with_its_owners() {
        let help = TOOL.help();
        for line in [
            "  tool [章节...] [--step]\n        章节\n",
            "  tool check [N] [--hint] [--clients N]\n        检查一个练习\n",
            "  tool load [ADDR] [--clients N]\n",
            "\n章节:\n  tcp        TCP 那一节\n",
            "\n  --step         暂停\n",
            "\n  --hint         check：给一条提示\n",
            "\n  --clients N    check、load：客户端数\n",
            "\n示例:\n  tool check 2\n",
        ] {
            assert!(help.contains(line), "{line:?} not in:\n{help}");
        }
        assert_eq!(help.matches("\n  --clients N").count(), 1, "{help}");
    }
}
