//! Keeps the book in `docs/src` true to the workspace, and rewrites the
//! quoted code when the code has moved on.
//!
//! The book quotes the programs, links to their files and tells readers
//! which commands to type. Each of those can silently go stale when the code
//! changes, so `tests/docs.rs` runs the checks below on every `cargo test`,
//! and `cargo run -p docs-tool -- check` runs the same ones by hand. Each
//! problem is reported with the page, the line and what to do about it.
//!
//! | module          | checks                                                        |
//! |-----------------|---------------------------------------------------------------|
//! | [`quotes`]      | a block under `<!-- code: path:anchor -->` is exactly the lines between `// ANCHOR: anchor` and `// ANCHOR_END: anchor` in `path` (`# ANCHOR:` in Python, quoted in a ```` ```python ```` block; anchor lines left out, common indentation removed); every ANCHOR region is quoted by some page |
//! | [`outputs`]     | a ```` ```text ```` block under `<!-- output: command -->` is what that command prints, run now (servers on port 0 started first, placeholders for what varies: [`matching`]); blocks marked `not-run (why)` and blocks with no marker are counted |
//! | [`links`]       | a relative link points at a file or folder that exists, and a `#fragment` at a heading of the page it names |
//! | [`keywords`]    | every link of the keyword index (`docs/src/keywords.md`) leads to a section that still mentions its term |
//! | [`commands`]    | a `cargo` command names workspace members and examples, and only the options, chapters and commands the built program's `--help` lists |
//! | [`portable`]    | a shell command that only works on Unix (`nc`, `$(…)`, `&&`, `time` …) has a PowerShell form or a portable command beside it, or is marked Unix-only with a reason |
//! | [`book`]        | `SUMMARY.md` lists every page and only real ones; pages are plain Markdown (no `{{#include}}`); `book.toml` is the Chinese mdBook in `src` |
//!
//! [`bless`] is what [`quotes`] and [`outputs`] build on: a fenced block
//! whose lines are known in advance ([`bless::Expected`]) is checked with a
//! readable line diff, and rewritten in place by `cargo run -p docs-tool --
//! bless` when it has drifted. Checks of the shell lines themselves (for
//! example commands that only work on Unix) read
//! [`markdown::Parsed::shell_lines`], as [`commands`] does.
//!
//! [`site`] builds the HTML book (`cargo run -p docs-tool -- book`): mdBook,
//! then the workspace's sources published beside it, so the pages' links to
//! the code work offline. `tests/browser.rs` opens every page of it in
//! headless Chromium.
//!
//! The Markdown is read by `pulldown-cmark`, the parser mdBook itself uses,
//! so the checks see the same code blocks, links and headings as the book.

pub mod bless;
pub mod book;
pub mod commands;
pub mod diff;
pub mod keywords;
pub mod links;
pub mod markdown;
pub mod matching;
pub mod outputs;
pub mod portable;
pub mod quotes;
pub mod repo;
pub mod site;

use std::fmt;

pub use repo::{Files, Repo};

/// The command that rewrites every quoted block from its source; failure
/// messages name it so that the fix is one copy and paste away.
pub const BLESS_COMMAND: &str = "cargo run -p docs-tool -- bless";

/// One thing wrong in the docs: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `docs/src/tcp.md:42`
    pub place: String,
    pub message: String,
}

impl Problem {
    /// A problem at line `line` (1-based) of `file`.
    pub fn at(file: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            place: format!("{file}:{line}"),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// What one check found: its problems, and how many things it looked at
/// (so that a check which silently found nothing to look at shows up).
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<Problem>,
    pub checked: usize,
}

impl Findings {
    /// Adds another page's findings to these.
    pub fn add(&mut self, (problems, checked): (Vec<Problem>, usize)) {
        self.problems.extend(problems);
        self.checked += checked;
    }
}

/// All problems as one text, for a test's failure message or the command line.
pub fn report(problems: &[Problem]) -> String {
    let mut text = format!("{} problem(s) in the docs:\n", problems.len());
    for p in problems {
        text += &format!("\n{p}\n");
    }
    text
}
