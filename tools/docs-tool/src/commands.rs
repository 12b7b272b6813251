//! Commands: every `cargo` command the pages give must name workspace
//! members and examples, and a `cargo run` must use only what the built
//! program's own `--help` lists: its options (the `选项:` section: lines of
//! two spaces and a `-`), its chapters and commands (the workshop's `章节:`
//! and `用法:` lines), and no more arguments than its `参数:` section has.
//!
//! Asking the program itself means an error message that happens to start
//! with `--threads ` is not taken for the option, and an option removed from
//! the code is gone from the check too.
//!
//! The commands are read from [`Parsed::shell_lines`]: every line of every
//! code block and every inline code span. A check of the shell lines
//! themselves (Unix-only tools with no portable form beside them) reads
//! the same lines.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::markdown::{self, Parsed};
use crate::repo::{Member, Workspace};
use crate::{Files, Findings, Problem, Repo};

// ---------------------------------------------------------------------------
// Finding the commands
// ---------------------------------------------------------------------------

/// Splits a command line the way a POSIX shell would, roughly: quotes group,
/// `&&`, `||`, `;` and `|` separate commands, `#` starts a comment.
pub fn shell_words(line: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let finish = |word: &mut String, in_word: &mut bool, commands: &mut Vec<Vec<String>>| {
        if *in_word && let Some(last) = commands.last_mut() {
            last.push(std::mem::take(word));
        }
        *in_word = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => finish(&mut word, &mut in_word, &mut commands),
            '&' | '|' | ';' => {
                finish(&mut word, &mut in_word, &mut commands);
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish(&mut word, &mut in_word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

/// Every cargo command a page gives, from its code blocks and inline code,
/// with line numbers: the words from `cargo` on.
pub fn cargo_commands(parsed: &Parsed) -> Vec<(usize, Vec<String>)> {
    let mut commands = Vec::new();
    for line in parsed.shell_lines() {
        for words in shell_words(&line.text) {
            if let Some(start) = words.iter().position(|w| w == "cargo") {
                commands.push((line.line, words[start..].to_vec()));
            }
        }
    }
    commands
}

// ---------------------------------------------------------------------------
// What a program's --help says it accepts
// ---------------------------------------------------------------------------

/// What a program accepts, read from its `--help`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Help {
    /// `--cert` → whether it takes a value (`--cert FILE`); `-h` and `--help` too.
    pub options: BTreeMap<String, bool>,
    /// The chapter names under `章节:` (the workshop's).
    pub chapters: BTreeSet<String>,
    /// The commands of `用法:` lines such as `workshop bench [threaded|tls]`,
    /// each with what is shown after it: `["[threaded|tls]", "[--clients N]"]`.
    pub commands: BTreeMap<String, Vec<String>>,
    /// How many arguments the `参数:` section lists, if there is one.
    pub arguments: Option<usize>,
}

impl Help {
    /// Reads the `--help` text of `program`.
    pub fn parse(program: &str, text: &str) -> Help {
        let mut help = Help::default();
        let mut section = "";
        for line in text.lines() {
            if !line.starts_with([' ', '\t']) && !line.is_empty() {
                // A heading line: `选项:`, or `用法: tcp-server [ADDR] [选项]`.
                let (name, rest) = line.split_once([':', '：']).unwrap_or((line, "x"));
                section = if rest.trim().is_empty() || name == "用法" {
                    name.trim()
                } else {
                    ""
                };
                if name == "用法" && !rest.trim().is_empty() {
                    help.usage_line(program, rest);
                }
                continue;
            }
            let Some(entry) = line.strip_prefix("  ").filter(|e| !e.starts_with(' ')) else {
                continue; // a continuation line, indented further
            };
            match section {
                "用法" => help.usage_line(program, entry),
                "选项" if entry.starts_with('-') => help.option_line(entry),
                "章节" => help.chapters.extend(first_word(entry)),
                "参数" => *help.arguments.get_or_insert(0) += 1,
                _ => {}
            }
        }
        help
    }

    /// `workshop bench [threaded|tls] [--clients N]` → command `bench`.
    fn usage_line(&mut self, program: &str, line: &str) {
        let mut words = line.split_whitespace();
        if words.next() != Some(program) {
            return;
        }
        if let Some(command) = words.next().filter(|w| is_literal_word(w)) {
            let shown = bracket_groups(words.take_while(|w| w.is_ascii()));
            self.commands.insert(command.to_string(), shown);
        }
    }

    /// `--cert FILE   说明` or `-h, --help   说明`: the names, and whether a
    /// value follows (an upper-case placeholder one space after the name).
    fn option_line(&mut self, line: &str) {
        let mut rest = line;
        loop {
            let end = rest.find(' ').unwrap_or(rest.len());
            let name = rest[..end].trim_end_matches(',');
            let after = &rest[end..];
            let next = after
                .strip_prefix(' ')
                .filter(|n| !n.starts_with(' '))
                .unwrap_or("");
            let next_word = next.split(' ').next().unwrap_or("");
            let takes_value = is_placeholder(next_word);
            self.options.insert(name.to_string(), takes_value);
            if next_word.starts_with('-') {
                rest = next;
            } else {
                return;
            }
        }
    }

    /// Whether this program takes words (chapters, commands) rather than
    /// free arguments such as an address and a message.
    pub fn takes_words(&self) -> bool {
        !self.chapters.is_empty() || !self.commands.is_empty()
    }

    fn option_names(&self) -> String {
        let names: Vec<&str> = self.options.keys().map(String::as_str).collect();
        names.join(", ")
    }
}

/// `[threaded|tls]`, `[--clients`, `N]` → `[threaded|tls]`, `[--clients N]`.
fn bracket_groups<'a>(words: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    let mut depth = 0i32;
    for word in words {
        match groups.last_mut() {
            Some(group) if depth > 0 => {
                group.push(' ');
                group.push_str(word);
            }
            _ => groups.push(word.to_string()),
        }
        depth += word.matches('[').count() as i32 - word.matches(']').count() as i32;
    }
    groups
}

/// `bench`, `load`: lower-case letters, digits and `-`, starting with a letter.
fn is_literal_word(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `FILE`, `N`, `HOST`, `[ADDR]`: a value's placeholder in a help text.
fn is_placeholder(word: &str) -> bool {
    let inner = word.trim_matches(['[', ']', '<', '>']);
    inner.chars().any(|c| c.is_ascii_uppercase())
        && inner
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_-.|".contains(c))
}

fn first_word(line: &str) -> Option<String> {
    line.split_whitespace().next().map(String::from)
}

// ---------------------------------------------------------------------------
// The programs themselves
// ---------------------------------------------------------------------------

/// Why a program's `--help` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The program is not built, or older than its sources: the command
    /// cannot be checked here, and the caller says so.
    NotBuilt(String),
    /// The program is there, and its `--help` failed: a problem to report.
    Broken(String),
}

/// Where the check gets a program's `--help` text. [`Binaries`] runs the
/// built programs; the unit tests answer from a map.
pub trait Programs {
    /// The `--help` of what `cargo run -p MEMBER [--example NAME]` runs.
    fn help(&self, member: &Member, example: Option<&str>) -> Result<String, Unreadable>;

    /// The `--help` of what `cargo run -p MEMBER --bin BIN` runs.
    fn bin_help(&self, member: &Member, bin: &str) -> Result<String, Unreadable>;
}

/// Help texts in memory, keyed by `member` or `member --example name`.
impl Programs for BTreeMap<&str, &str> {
    fn help(&self, member: &Member, example: Option<&str>) -> Result<String, Unreadable> {
        let key = match example {
            Some(name) => format!("{} --example {name}", member.name),
            None => member.name.clone(),
        };
        self.get(key.as_str())
            .map(|text| text.to_string())
            .ok_or(Unreadable::NotBuilt(format!("{key} is not built")))
    }

    fn bin_help(&self, member: &Member, bin: &str) -> Result<String, Unreadable> {
        let key = format!("{} --bin {bin}", member.name);
        self.get(key.as_str())
            .map(|text| text.to_string())
            .ok_or(Unreadable::NotBuilt(format!("{key} is not built")))
    }
}

/// The programs cargo built into one folder (`target/debug`), examples in
/// its `examples/` folder, as `cargo build --workspace --bins --examples`
/// (or `cargo test --workspace`) leaves them.
pub struct Binaries {
    dir: PathBuf,
    repo: Repo,
    patience: Duration,
    answers: RefCell<BTreeMap<PathBuf, Result<String, Unreadable>>>,
}

impl Binaries {
    /// The programs in `dir`, whose sources are in `repo`. `patience` is how
    /// long one `--help` may take (it prints a fixed text and exits; the time
    /// is for a loaded machine to start a process).
    pub fn in_folder(dir: impl Into<PathBuf>, repo: &Repo, patience: Duration) -> Binaries {
        Binaries {
            dir: dir.into(),
            repo: repo.clone(),
            patience,
            answers: RefCell::new(BTreeMap::new()),
        }
    }

    fn path(&self, member: &Member, example: Option<&str>) -> PathBuf {
        let exe = std::env::consts::EXE_SUFFIX;
        match example {
            Some(name) => self.dir.join("examples").join(format!("{name}{exe}")),
            None => self.dir.join(format!(
                "{}{exe}",
                member.program.as_deref().unwrap_or(&member.name)
            )),
        }
    }

    /// The sources a program is built from: its `src/` folder, or the example's file or folder.
    fn sources(&self, member: &Member, example: Option<&str>) -> Vec<PathBuf> {
        let dir = self.repo.path(&member.dir);
        match example {
            Some(name) => vec![
                dir.join("examples").join(format!("{name}.rs")),
                dir.join("examples").join(name),
            ],
            None => vec![dir.join("src")],
        }
    }

    /// The built program that `cargo run -p MEMBER [--example NAME]` runs:
    /// `NotBuilt` if it is missing or older than its sources (its output
    /// would be yesterday's).
    pub fn program(&self, member: &Member, example: Option<&str>) -> Result<PathBuf, Unreadable> {
        self.fresh(self.path(member, example), &self.sources(member, example))
    }

    /// `path`, if it is built and newer than every file in `sources`.
    fn fresh(&self, path: PathBuf, sources: &[PathBuf]) -> Result<PathBuf, Unreadable> {
        let built = fs::metadata(&path)
            .and_then(|m| m.modified())
            .map_err(|_| Unreadable::NotBuilt(format!("{} is not built", path.display())))?;
        let newest = sources
            .iter()
            .filter_map(|source| newest_file(source))
            .max();
        if let Some((_, source)) = newest.filter(|(changed, _)| *changed > built) {
            return Err(Unreadable::NotBuilt(format!(
                "{} is older than {}",
                path.display(),
                source.display()
            )));
        }
        Ok(path)
    }

    fn read_help(&self, member: &Member, example: Option<&str>) -> Result<String, Unreadable> {
        let path = self.program(member, example)?;
        run_help(&path, self.patience).map_err(Unreadable::Broken)
    }
}

impl Programs for Binaries {
    fn help(&self, member: &Member, example: Option<&str>) -> Result<String, Unreadable> {
        let path = self.path(member, example);
        if let Some(answer) = self.answers.borrow().get(&path) {
            return answer.clone();
        }
        let answer = self.read_help(member, example);
        self.answers.borrow_mut().insert(path, answer.clone());
        answer
    }

    /// A `[[bin]]` may live anywhere in its member's folder: the whole
    /// folder counts as its sources.
    fn bin_help(&self, member: &Member, bin: &str) -> Result<String, Unreadable> {
        let path = self
            .dir
            .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
        if let Some(answer) = self.answers.borrow().get(&path) {
            return answer.clone();
        }
        let answer = self
            .fresh(path.clone(), &[self.repo.path(&member.dir)])
            .and_then(|built| run_help(&built, self.patience).map_err(Unreadable::Broken));
        self.answers.borrow_mut().insert(path, answer.clone());
        answer
    }
}

/// The most recently changed source file under `path` (or `path` itself),
/// with when: Rust files and manifests only, so that a state file a program
/// writes beside its sources (the exercises' `.progress`) is not taken for a
/// change that needs a new build.
fn newest_file(path: &Path) -> Option<(SystemTime, PathBuf)> {
    let metadata = fs::metadata(path).ok()?;
    if metadata.is_file() {
        let name = path.file_name()?.to_string_lossy();
        if !(name.ends_with(".rs") || name == "Cargo.toml") {
            return None;
        }
        return Some((metadata.modified().ok()?, path.to_path_buf()));
    }
    fs::read_dir(path)
        .ok()?
        .flatten()
        .filter_map(|entry| newest_file(&entry.path()))
        .max()
}

/// Runs `program --help` and returns what it printed, or why not. The
/// whole run must end within `patience`; a program that hangs is killed.
pub fn run_help(program: &Path, patience: Duration) -> Result<String, String> {
    let deadline = Instant::now() + patience;
    let mut child = Command::new(program)
        .arg("--help")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let left = || deadline.saturating_duration_since(Instant::now());
    let outputs = stdout
        .recv_timeout(left())
        .and_then(|out| Ok((out, stderr.recv_timeout(left())?)));
    let Ok((out, err)) = outputs else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "`{} --help` did not finish within {patience:?}",
            program.display()
        ));
    };
    // Both pipes are closed: the program has ended, or is ending.
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {}: {e}", program.display()))?;
    if !status.success() {
        return Err(format!(
            "`{} --help` ended with {status}: {}",
            program.display(),
            err.trim()
        ));
    }
    Ok(out)
}

/// Everything a pipe gives until it closes, read on a thread of its own.
fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = sender.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    receiver
}

// ---------------------------------------------------------------------------
// Checking one command
// ---------------------------------------------------------------------------

/// What checking one command found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What is wrong with it.
    pub wrong: Vec<String>,
    /// Why part of it could not be checked here (a program not built).
    pub unchecked: Option<String>,
}

/// The cargo options that matter here: `-p`/`--package` (any number) and `--example`.
pub fn cargo_options(cargo_args: &[String]) -> (Vec<String>, Option<String>) {
    let (packages, example, _) = cargo_targets(cargo_args);
    (packages, example)
}

/// [`cargo_options`] and `--bin`.
fn cargo_targets(cargo_args: &[String]) -> (Vec<String>, Option<String>, Option<String>) {
    let mut packages = Vec::new();
    let mut example = None;
    let mut bin = None;
    let mut i = 0;
    while i < cargo_args.len() {
        let arg = cargo_args[i].as_str();
        let mut value = |long: &str, short: Option<&str>| -> Option<String> {
            if arg == long || Some(arg) == short {
                i += 1;
                return cargo_args.get(i).cloned();
            }
            if let Some(v) = arg.strip_prefix(&format!("{long}=")) {
                return Some(v.to_string());
            }
            short.and_then(|s| arg.strip_prefix(s)).map(String::from)
        };
        if let Some(package) = value("--package", Some("-p")) {
            packages.push(package);
        } else if let Some(name) = value("--example", None) {
            example = Some(name);
        } else if let Some(name) = value("--bin", None) {
            bin = Some(name);
        }
        i += 1;
    }
    (packages, example, bin)
}

/// Checks one cargo command. `words[0]` is `cargo`.
pub fn check_command(words: &[String], workspace: &Workspace, programs: &dyn Programs) -> Verdict {
    let Some(subcommand) = words.get(1) else {
        return Verdict::default();
    };
    let split = words.iter().position(|w| w == "--").unwrap_or(words.len());
    let (cargo_args, program_args) = (&words[2.min(split)..split], &words[split..]);
    let (packages, example, bin) = cargo_targets(cargo_args);
    let mut verdict = Verdict::default();
    for package in &packages {
        if workspace.member(package).is_none() {
            verdict.wrong.push(format!(
                "-p {package} is not a workspace member (members: {})",
                workspace.names()
            ));
        }
    }
    if subcommand == "run" {
        let target = match (&example, &bin) {
            (_, Some(bin)) => Target::Bin(bin),
            (Some(example), None) => Target::Example(example),
            (None, None) => Target::Main,
        };
        match program_to_run(&packages, target, workspace) {
            Ok(Some(member)) => {
                let args = program_args.get(1..).unwrap_or(&[]);
                check_run(member, target, args, programs, &mut verdict);
            }
            Ok(None) => {} // a package that is not a member: said above
            Err(why) => verdict.wrong.push(why),
        }
    }
    let command = words.join(" ");
    for wrong in &mut verdict.wrong {
        *wrong = format!("`{command}`: {wrong}");
    }
    verdict
}

/// Which of a member's programs `cargo run` runs.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    /// `src/main.rs`.
    Main,
    /// `--example NAME`.
    Example(&'a str),
    /// `--bin NAME`.
    Bin(&'a str),
}

/// The member whose program `cargo run` runs, or why there is none.
fn program_to_run<'w>(
    packages: &[String],
    target: Target,
    workspace: &'w Workspace,
) -> Result<Option<&'w Member>, String> {
    let member = match packages {
        [one] => workspace.member(one),
        [] => return Err("`cargo run` at the workspace root needs `-p PACKAGE`".into()),
        _ => return Err("`cargo run` runs one package".into()),
    };
    match member.map(|m| (m, missing_program(m, target))) {
        Some((_, Some(why))) => Err(why),
        Some((member, None)) => Ok(Some(member)),
        None => Ok(None),
    }
}

/// Checks what `cargo run` passes to the program against its `--help`.
fn check_run(
    member: &Member,
    target: Target,
    args: &[String],
    programs: &dyn Programs,
    verdict: &mut Verdict,
) {
    let (program, help) = match target {
        Target::Main => (member.name.as_str(), programs.help(member, None)),
        Target::Example(name) => (name, programs.help(member, Some(name))),
        Target::Bin(name) => (name, programs.bin_help(member, name)),
    };
    match help {
        Ok(text) => {
            let help = Help::parse(program, &text);
            verdict.wrong.extend(check_arguments(program, &help, args));
        }
        Err(Unreadable::NotBuilt(why)) => verdict.unchecked = Some(why),
        Err(Unreadable::Broken(why)) => verdict
            .wrong
            .push(format!("cannot read what {program} accepts: {why}")),
    }
}

/// Why `cargo run` has nothing to run for this member and target, if so.
fn missing_program(member: &Member, target: Target) -> Option<String> {
    match target {
        Target::Bin(name) if !member.bins.contains(name) => {
            let known: Vec<&str> = member.bins.iter().map(String::as_str).collect();
            Some(format!(
                "{} has no binary {name} (binaries: {})",
                member.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        }
        Target::Bin(_) => None,
        Target::Example(name) if !member.examples.contains(name) => {
            let known: Vec<&str> = member.examples.iter().map(String::as_str).collect();
            let known = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            Some(format!(
                "{} has no example {name} (examples: {known})",
                member.name
            ))
        }
        Target::Example(_) => None,
        Target::Main if member.program.is_none() => Some(if member.bins.is_empty() {
            format!("{} has no program to run (no binary)", member.name)
        } else {
            let bins: Vec<&str> = member.bins.iter().map(String::as_str).collect();
            format!(
                "{} has several binaries and no default-run: name one with --bin ({})",
                member.name,
                bins.join(", ")
            )
        }),
        Target::Main => None,
    }
}

/// The arguments after `--` against the program's help: options it lists,
/// and words it knows (chapters, commands) or no more arguments than it has.
fn check_arguments(program: &str, help: &Help, args: &[String]) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut positionals = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            // The program's own `--`: everything after it is an argument.
            positionals.extend(args.by_ref());
            break;
        }
        let is_option = arg.starts_with("--") && arg.len() > 2
            || arg.starts_with('-') && arg[1..].starts_with(|c: char| c.is_ascii_alphabetic());
        if !is_option {
            positionals.push(arg);
            continue;
        }
        let (name, inline_value) = match arg.split_once('=') {
            Some((name, _)) => (name, true),
            None => (arg.as_str(), false),
        };
        match help.options.get(name) {
            Some(true) if !inline_value => {
                args.next();
            }
            Some(_) => {}
            None => wrong.push(format!(
                "{program} does not accept {name} (its --help lists: {})",
                help.option_names()
            )),
        }
    }
    if help.takes_words() {
        wrong.extend(unknown_words(help, &positionals).into_iter().map(|word| {
            let chapters: Vec<&str> = help.chapters.iter().map(String::as_str).collect();
            let commands: Vec<&str> = help.commands.keys().map(String::as_str).collect();
            format!(
                "{program} has no chapter or command \"{word}\" (its --help lists chapters: {}; commands: {})",
                chapters.join(", "),
                commands.join(", ")
            )
        }));
    } else if let Some(most) = help.arguments
        && positionals.len() > most
    {
        wrong.push(format!(
            "{program} takes at most {most} argument(s), and this gives {}: {}",
            positionals.len(),
            positionals
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    wrong
}

/// The words given to a program with chapters and commands that it does
/// not know. After a command come the words its usage line shows: choices
/// (`[threaded|tls]`) or a free value (`[ADDR]`).
fn unknown_words<'a>(help: &Help, words: &[&'a String]) -> Vec<&'a str> {
    let mut unknown = Vec::new();
    let mut choices: BTreeSet<String> = BTreeSet::new();
    let mut free_values = 0;
    for word in words {
        let word = word.as_str();
        if let Some(shown) = help.commands.get(word) {
            choices.clear();
            free_values = 0;
            for spec in shown.iter().filter(|s| !s.starts_with("[-")) {
                let inner = spec.trim_matches(['[', ']']).trim_end_matches("...");
                if is_placeholder(inner) {
                    free_values += 1;
                } else {
                    choices.extend(inner.split('|').map(String::from));
                }
            }
        } else if help.chapters.contains(word) || choices.contains(word) {
            continue;
        } else if free_values > 0 {
            free_values -= 1;
        } else {
            unknown.push(word);
        }
    }
    unknown
}

/// Checks every cargo command on one page. Returns the problems, how many
/// commands were checked, and why some could not be (programs not built).
pub fn check_commands(
    page: &str,
    parsed: &Parsed,
    workspace: &Workspace,
    programs: &dyn Programs,
) -> (Vec<Problem>, usize, BTreeSet<String>) {
    let commands = cargo_commands(parsed);
    let mut problems = Vec::new();
    let mut unchecked = BTreeSet::new();
    for (line, words) in &commands {
        let verdict = check_command(words, workspace, programs);
        problems.extend(
            verdict
                .wrong
                .into_iter()
                .map(|w| Problem::at(page, *line, w)),
        );
        unchecked.extend(verdict.unchecked);
    }
    (problems, commands.len(), unchecked)
}

/// Checks the commands of every Markdown page (the book, the READMEs).
/// `checked` counts the commands; the set says which programs were not
/// there to ask (so their options went unchecked).
pub fn check_pages(
    repo: &Repo,
    workspace: &Workspace,
    programs: &dyn Programs,
) -> (Findings, BTreeSet<String>) {
    let mut findings = Findings::default();
    let mut unchecked = BTreeSet::new();
    for page in repo.markdown_pages() {
        let parsed = markdown::parse(&repo.read(&page).unwrap_or_default());
        let (problems, checked, missing) = check_commands(&page, &parsed, workspace, programs);
        findings.add((problems, checked));
        unchecked.extend(missing);
    }
    (findings, unchecked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of `common::cli::Usage::help`.
    const DEMO_HELP: &str = "演示程序。

用法: demo [ADDR] [MESSAGE] [选项]

参数:
  [ADDR]         地址
  [MESSAGE]      消息

选项:
  --threads N    线程数；出错时说 \"--secret 不对\"
  --host HOST    地址
  --a-very-long-option FILE 名字比列宽还长
  -h, --help     显示本帮助并退出

示例:
  demo localhost:9999 --secret
";

    /// The shape of the workshop's HELP.
    const WORKSHOP_HELP: &str = "工作坊导览。

用法:
  workshop [章节...] [--host HOST] [--step]
                                       运行导览
  workshop bench [threaded|tls] [--clients N]
                                       基准测试
  workshop load [ADDR] [--clients N]
                                       压力测试

章节:
  tcp        常见实践
  udp        UDP

选项:
  --host HOST     地址
  --step          TCP 之后暂停
  --clients N     客户端数
  -h, --help      显示本帮助并退出
";

    fn workspace() -> Workspace {
        Workspace {
            members: vec![
                Member {
                    name: "demo".into(),
                    dir: "demo".into(),
                    program: Some("demo".into()),
                    examples: BTreeSet::from(["other".to_string()]),
                    bins: BTreeSet::from(["ex1".to_string()]),
                },
                Member {
                    name: "workshop".into(),
                    dir: "workshop".into(),
                    program: Some("workshop".into()),
                    ..Member::default()
                },
                Member {
                    name: "common".into(),
                    dir: "common".into(),
                    ..Member::default()
                },
            ],
        }
    }

    fn programs() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([
            ("demo", DEMO_HELP),
            (
                "demo --example other",
                "另一个。\n\n用法: other [选项]\n\n选项:\n  --only-here    只有它有\n  -h, --help     帮助\n",
            ),
            ("workshop", WORKSHOP_HELP),
            (
                "demo --bin ex1",
                "练习。\n\n用法: ex1 [ADDR] [选项]\n\n参数:\n  [ADDR]         地址\n\n选项:\n  --ca FILE      证书\n  -h, --help     帮助\n",
            ),
        ])
    }

    fn check(line: &str) -> Vec<String> {
        let words = shell_words(line).remove(0);
        check_command(&words, &workspace(), &programs()).wrong
    }

    #[test]
    fn help_texts_are_read_by_section() {
        let help = Help::parse("demo", DEMO_HELP);
        let options: Vec<(&str, bool)> =
            help.options.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        assert_eq!(
            options,
            [
                ("--a-very-long-option", true),
                ("--help", false),
                ("--host", true),
                ("--threads", true),
                ("-h", false),
            ]
        );
        assert_eq!(help.arguments, Some(2));
        assert!(!help.takes_words());
        let workshop = Help::parse("workshop", WORKSHOP_HELP);
        assert_eq!(workshop.options.get("--step"), Some(&false));
        assert_eq!(
            workshop.chapters,
            BTreeSet::from(["tcp".into(), "udp".into()])
        );
        let commands: Vec<&str> = workshop.commands.keys().map(String::as_str).collect();
        assert_eq!(commands, ["bench", "load"]);
        assert_eq!(
            workshop.commands["bench"],
            ["[threaded|tls]", "[--clients N]"]
        );
    }

    #[test]
    fn commands_with_real_packages_examples_and_options_pass() {
        for line in [
            "cargo run -p demo",
            "cargo run --release -p demo -- 127.0.0.1:0 --threads 2",
            "cargo run -p demo -- --host=0.0.0.0 --help",
            "cargo run -p demo -- 127.0.0.1:0 -- --threads",
            "cargo run -p demo --example other -- --only-here",
            "cargo run -p demo --bin ex1 -- 127.0.0.1:9999 --ca server.crt",
            "cargo test -p demo thousand -- --nocapture",
            "cargo run -p demo -- 127.0.0.1:1 \"$(python3 -c 'print(\"--x\")')\"",
        ] {
            assert_eq!(check(line), Vec::<String>::new(), "{line}");
        }
    }

    #[test]
    fn workshop_words_must_be_chapters_or_commands_it_knows() {
        for fine in [
            "cargo run -p workshop -- tcp --host localhost --step",
            "cargo run -p workshop -- --host=0.0.0.0 tcp udp",
            "cargo run --release -p workshop -- bench",
            "cargo run --release -p workshop -- bench threaded tls --clients 4",
            "cargo run --release -p workshop -- load server1",
        ] {
            assert_eq!(check(fine), Vec::<String>::new(), "{fine}");
        }
        for (line, word) in [
            ("cargo run -p workshop -- tpc", "tpc"),
            ("cargo run -p workshop -- tcp-server", "tcp-server"),
            ("cargo run -p workshop -- bench threaded fast", "fast"),
            ("cargo run -p workshop -- load a b", "b"),
        ] {
            let wrong = check(line);
            assert_eq!(wrong.len(), 1, "{line}: {wrong:?}");
            let expected = format!("no chapter or command \"{word}\"");
            assert!(wrong[0].contains(&expected), "{wrong:?}");
        }
    }

    #[test]
    fn wrong_packages_examples_options_and_arguments_are_named() {
        let cases = [
            ("cargo run -p nope", "not a workspace member"),
            ("cargo test --package=nope", "not a workspace member"),
            ("cargo run", "needs `-p PACKAGE`"),
            ("cargo run -p common", "common has no program to run"),
            (
                "cargo run -p demo --example gone",
                "no example gone (examples: other)",
            ),
            // Only in the help's prose and examples, not among its options:
            ("cargo run -p demo -- --secret", "does not accept --secret"),
            ("cargo run -p demo -- -x", "does not accept -x"),
            (
                "cargo run -p demo --example other -- --threads 2",
                "does not accept --threads",
            ),
            ("cargo run -p demo -- a b c", "at most 2 argument(s)"),
            (
                "cargo run -p demo --bin ex9",
                "demo has no binary ex9 (binaries: ex1)",
            ),
            (
                "cargo run -p demo --bin ex1 -- --threads 2",
                "ex1 does not accept --threads",
            ),
            (
                "cargo run -p demo --bin ex1 -- a b",
                "at most 1 argument(s)",
            ),
        ];
        for (line, expected) in cases {
            let wrong = check(line);
            assert_eq!(wrong.len(), 1, "{line}: {wrong:?}");
            assert!(wrong[0].contains(expected), "{line}: {wrong:?}");
        }
    }

    #[test]
    fn a_program_that_is_not_built_is_unchecked_not_passed() {
        let words = shell_words("cargo run -p demo -- --anything").remove(0);
        let verdict = check_command(&words, &workspace(), &BTreeMap::new());
        assert_eq!(verdict.wrong, Vec::<String>::new());
        assert_eq!(verdict.unchecked.as_deref(), Some("demo is not built"));
    }

    #[test]
    fn commands_are_found_in_blocks_and_inline_code_with_prompts_and_comments() {
        let page = "```sh\n$ cargo run -p a -- x   # 注释 cargo run -p b\ncd x && cargo test -p c\n```\n\
                    运行 `cargo run -p d`，或者 `ls`。\n";
        let found: Vec<String> = cargo_commands(&markdown::parse(page))
            .into_iter()
            .map(|(_, w)| w.join(" "))
            .collect();
        assert_eq!(
            found,
            ["cargo run -p a -- x", "cargo test -p c", "cargo run -p d"]
        );
    }

    #[test]
    fn a_program_that_cannot_start_is_a_clear_error() {
        let missing = Path::new("/no/such/program");
        let why = run_help(missing, Duration::from_secs(5)).unwrap_err();
        assert!(why.starts_with("cannot start /no/such/program"), "{why}");
    }
}
