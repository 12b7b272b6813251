//! Commands a Windows learner can type: a Unix-only command needs a
//! portable form beside it.
//!
//! Many of the workshop's learners are on Windows, where PowerShell has no
//! `nc`, `printf`, `time`, `sleep`, `mkdir -p`, `$(…)` substitution or `&&`
//! (in Windows PowerShell 5). A command in the book that uses one of them
//! passes this check only if the reader is also given a form that works
//! there:
//!
//! - a shell block is followed by a ```` ```powershell ```` block with the
//!   same steps; or
//! - a command written inline in prose names its platform on the same line
//!   (`Unix 的 shell 里也可以写 …`, `PowerShell 里 …`), or a `peer` command
//!   stands on the same line; or
//! - the block is marked `<!-- unix-only: why -->` on the line above, for a
//!   recipe that cannot have a Windows form (counted and reported, so the
//!   exceptions stay few and visible).

use crate::markdown::{self, Fence, Parsed, Span};
use crate::{Files, Findings, Problem, Repo};

/// Words and shapes that PowerShell does not understand, with what to use instead.
const UNIX_ONLY: &[(&str, &str)] = &[
    ("nc ", "cargo run -p peer -- …（silent、send、udp-listen…）"),
    ("printf ", "cargo run -p peer -- together/apart/send"),
    ("python3 -c", "cargo run -p peer -- send … --times N"),
    ("$(", "cargo run -p peer -- send … --times N"),
    (
        "mkdir -p",
        "PowerShell 的 mkdir（New-Item -ItemType Directory）",
    ),
    ("&&", "PowerShell 里用 ; 分开命令"),
    ("time ", "PowerShell 的 Measure-Command { … }"),
    ("sleep ", "PowerShell 的 Start-Sleep"),
    ("/dev/null", "PowerShell 的 $null"),
    ("$!", "PowerShell 的 Start-Process -PassThru"),
    ("kill ", "PowerShell 的 Stop-Process"),
    ("grep ", "PowerShell 的 Select-String，或 findstr"),
    ("ss ", "netstat -an（Windows 和 macOS 都有）"),
    ("lsof ", "netstat -ano（Windows）"),
];

/// Shell languages whose blocks hold commands (``` ```text ``` holds output).
const SHELLS: &[&str] = &["sh", "bash", "shell", "console", "zsh"];

/// What marks a portable form next to a shell block.
const PORTABLE_LANGUAGES: &[&str] = &["powershell", "ps1", "pwsh"];

/// The marker for a block that is Unix-only on purpose.
const EXEMPTION: &str = "unix-only:";

/// The Unix-only construct in `command`, if any, with its portable stand-in.
pub fn unix_only(command: &str) -> Option<(&'static str, &'static str)> {
    // A comment after `#` explains; it is not part of the command.
    let command = command.split(" #").next().unwrap_or(command).trim();
    if sets_a_variable_first(command) {
        return Some((
            "NAME=value command",
            "PowerShell 里先 $env:NAME=\"value\"，再运行命令",
        ));
    }
    let padded = format!(" {command} ");
    UNIX_ONLY.iter().copied().find(|(word, _)| {
        if word.ends_with(' ') {
            // A command word: at the start, or after a pipe, `;` or `&&`.
            let word = word.trim_end();
            command.starts_with(&format!("{word} "))
                || [" | ", "; ", "&& ", "("]
                    .iter()
                    .any(|before| padded.contains(&format!("{before}{word} ")))
        } else {
            command.contains(word)
        }
    })
}

/// `SSLKEYLOGFILE=keys.txt cargo run …`: a variable set for one command,
/// which only a Unix shell understands.
fn sets_a_variable_first(command: &str) -> bool {
    let Some((first, rest)) = command.split_once(' ') else {
        return false;
    };
    let name = first.split_once('=').map_or("", |(name, _)| name);
    !rest.trim().is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Checks one page; returns its problems, the Unix-only commands it found
/// (each with a portable form or an exemption) and the exemptions.
pub fn check_page(page: &str, text: &str) -> (Vec<Problem>, usize, Vec<Problem>) {
    let parsed = &markdown::parse(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    let mut exempt = Vec::new();
    let mut found = 0;
    for (index, fence) in parsed.fences.iter().enumerate() {
        if !SHELLS.contains(&fence.language()) {
            continue;
        }
        let Some((line, construct, instead)) = first_unix_only(fence) else {
            continue;
        };
        found += 1;
        if let Some(reason) = exemption(parsed, fence) {
            exempt.push(Problem::at(page, line, format!("`{construct}`：{reason}")));
        } else if !followed_by_portable_form(parsed, index) {
            problems.push(Problem::at(page, line, fence_message(construct, instead)));
        }
    }
    for span in parsed
        .code_spans
        .iter()
        .filter(|span| looks_like_a_command(&span.text))
    {
        let Some((construct, instead)) = unix_only(&span.text) else {
            continue;
        };
        found += 1;
        if !labelled_as_one_platform(&lines, parsed, span) {
            problems.push(Problem::at(
                page,
                span.line,
                span_message(&span.text, construct, instead),
            ));
        }
    }
    (problems, found, exempt)
}

/// An inline span is a command to type, not the mere name of a tool
/// (`nc -l`, `kill -9`), when it names where to connect, runs cargo, or
/// uses a pipe or a substitution.
fn looks_like_a_command(text: &str) -> bool {
    let has_port = text
        .split(|c: char| !c.is_ascii_digit())
        .any(|digits| digits.len() >= 2);
    has_port
        || ["localhost", "cargo ", "$(", "|"]
            .iter()
            .any(|mark| text.contains(mark))
}

fn first_unix_only(fence: &Fence) -> Option<(usize, &'static str, &'static str)> {
    fence.numbered_body().into_iter().find_map(|(line, text)| {
        let command = text.trim();
        if command.starts_with('#') {
            return None;
        }
        unix_only(command).map(|(construct, instead)| (line, construct, instead))
    })
}

/// The reason written in `<!-- unix-only: … -->` on the line above `fence`.
fn exemption(parsed: &Parsed, fence: &Fence) -> Option<String> {
    parsed
        .comments
        .iter()
        .find(|comment| comment.line + 1 == fence.line && comment.text.starts_with(EXEMPTION))
        .map(|comment| comment.text[EXEMPTION.len()..].trim().to_string())
}

/// Whether the next fenced block after `index` is a PowerShell block, with
/// at most a few lines of prose between them.
fn followed_by_portable_form(parsed: &Parsed, index: usize) -> bool {
    let (Some(this), Some(next)) = (parsed.fences.get(index), parsed.fences.get(index + 1)) else {
        return false;
    };
    let end = this.line + this.body.len() + 1;
    PORTABLE_LANGUAGES.contains(&next.language()) && next.line <= end + 6
}

/// Whether the prose line of an inline command says which platform it is
/// for, or offers a `peer` command beside it.
fn labelled_as_one_platform(lines: &[&str], parsed: &Parsed, span: &Span) -> bool {
    let labels = ["Unix", "PowerShell", "Linux", "macOS", "bash"];
    let line = lines
        .get(span.line.saturating_sub(1))
        .copied()
        .unwrap_or("");
    labels.iter().any(|label| line.contains(label))
        || parsed
            .code_spans
            .iter()
            .any(|other| other.line == span.line && other.text.contains("peer "))
}

fn fence_message(construct: &str, instead: &str) -> String {
    format!(
        "this shell block uses `{construct}`, which Windows PowerShell does not have. Give a portable form beside it: a ```powershell block right after it, or a command that works everywhere ({instead}); if it truly cannot have one, put <!-- {EXEMPTION} why --> on the line above"
    )
}

fn span_message(command: &str, construct: &str, instead: &str) -> String {
    format!(
        "`{command}` uses `{construct}`, which Windows PowerShell does not have. Say on the same line which shell it is for (Unix / PowerShell) and give a portable form beside it ({instead})"
    )
}

/// The whole repository's pages.
pub fn check_pages(repo: &Repo) -> (Findings, Vec<Problem>) {
    let mut findings = Findings::default();
    let mut exempt = Vec::new();
    for page in repo.markdown_pages() {
        let text = repo.read(&page).unwrap_or_default();
        let (problems, found, exemptions) = check_page(&page, &text);
        findings.add((problems, found));
        exempt.extend(exemptions);
    }
    (findings, exempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> (Vec<Problem>, usize, Vec<Problem>) {
        check_page("p.md", text)
    }

    #[test]
    fn unix_only_words_are_found_as_commands_not_as_text() {
        assert!(unix_only("nc localhost 9999").is_some());
        assert!(unix_only("echo hi | nc localhost 9999").is_some());
        assert!(unix_only("cargo run -p tcp-client -- x \"$(python3 -c 'print(1)')\"").is_some());
        assert!(unix_only("cd a && cargo build").is_some());
        assert!(unix_only("time cargo build").is_some());
        assert!(unix_only("cargo run -p peer -- silent localhost:9999").is_none());
        assert!(unix_only("cargo run -p tcp-client # nc 也行").is_none());
        assert!(unix_only("cargo run -p peer -- send localhost:9999 好 --times 400").is_none());
        assert!(unix_only("SSLKEYLOGFILE=keys.txt cargo run -p tls-client").is_some());
        assert!(unix_only("tshark -r tls.pcap -o tls.keylog_file:keys.txt").is_none());
    }

    #[test]
    fn a_shell_block_needs_a_powershell_block_or_an_exemption() {
        let bare = "```sh\ncd a && cargo build\n```\n";
        let (problems, found, _) = check(bare);
        assert_eq!((problems.len(), found), (1, 1), "{problems:?}");
        assert!(problems[0].message.contains("`&&`"), "{problems:?}");
        let paired = format!("{bare}\nPowerShell：\n\n```powershell\ncd a; cargo build\n```\n");
        assert!(check(&paired).0.is_empty());
        let exempt = format!("<!-- unix-only: 只在 Linux 上有 ps -->\n{bare}");
        let (problems, found, exemptions) = check(&exempt);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((found, exemptions.len()), (1, 1));
        assert!(check("```sh\ncargo run -p tcp-server\n```\n").0.is_empty());
    }

    #[test]
    fn an_inline_command_names_its_shell_or_stands_beside_a_peer_command() {
        let bare = "试试 `printf 'a\\nb' | nc localhost 9999`。\n";
        assert_eq!(check(bare).0.len(), 1);
        assert!(
            check("Unix 的 shell 里也可以写 `printf 'a' | nc localhost 9999`。\n")
                .0
                .is_empty()
        );
        assert!(
            check("用 `cargo run -p peer -- together` 或 `printf 'a' | nc x 1`\n")
                .0
                .is_empty()
        );
        // Naming a tool is not asking anyone to run it.
        assert!(check("例如一个 `nc -l`，或者 `kill -9`。\n").0.is_empty());
    }
}
