//! Blocks whose lines are known in advance: checked with a line diff, and
//! rewritten in place ("blessed") when they have drifted.
//!
//! A quoted region ([`crate::quotes`]) is one such block. Any other kind
//! (for example an output block whose lines come from running the command
//! that printed them) only has to produce [`Expected`] values: the check
//! ([`Expected::drift`]) and the rewrite ([`bless`]) are the same.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::diff::line_diff;
use crate::markdown::Fence;
use crate::{BLESS_COMMAND, Problem, Repo};

/// A fenced block on a page and the lines it must have.
#[derive(Debug, Clone)]
pub struct Expected {
    /// The page, for example `docs/src/tcp.md`.
    pub page: String,
    /// The line a drift is reported at: the marker above the block.
    pub line: usize,
    /// The marker that says what the block is, for example
    /// `<!-- code: chapters/tcp-server/src/main.rs:accept -->`.
    pub marker: String,
    /// What the block must be, for the message: "the code of that region".
    pub what: String,
    /// Where the lines come from, for the diff header: `chapters/tcp-server/src/main.rs`.
    pub source: String,
    /// The lines, each with its line number in `source`.
    pub lines: Vec<(usize, String)>,
    /// The block on the page.
    pub fence: Fence,
}

impl Expected {
    /// A problem with a line diff if the block is not what it must be.
    pub fn drift(&self) -> Option<Problem> {
        let found = self.fence.numbered_body();
        let diff = line_diff(&self.lines, &found, &self.source, &self.page)?;
        Some(Problem::at(
            &self.page,
            self.line,
            format!(
                "the block under {} is not {}.\n{diff}\
                 To rewrite every drifted block from its source, run:\n    {BLESS_COMMAND}",
                self.marker, self.what
            ),
        ))
    }
}

/// `text` with the body of each block in `blocks` replaced by its expected
/// lines. Each new line starts with the block's prefix (the indentation of
/// a list item, the `>` of a quote), and uses the page's line ending.
pub fn rewrite(text: &str, blocks: &[&Expected]) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut blocks: Vec<&&Expected> = blocks.iter().filter(|b| b.fence.fenced).collect();
    blocks.sort_by_key(|b| b.fence.body_bytes.start);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for block in blocks {
        let range = &block.fence.body_bytes;
        if range.start < copied {
            continue; // invariant: blocks do not overlap; if they did, keep the first
        }
        out.push_str(&text[copied..range.start]);
        for (_, line) in &block.lines {
            let prefix = &block.fence.prefix;
            if line.is_empty() {
                out.push_str(prefix.trim_end());
            } else {
                out.push_str(prefix);
                out.push_str(line);
            }
            out.push_str(newline);
        }
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// What [`bless`] did.
#[derive(Debug, Default)]
pub struct Blessed {
    /// The pages it rewrote.
    pub pages: Vec<String>,
    /// How many blocks had drifted and were rewritten.
    pub blocks: usize,
    /// What it cannot fix by rewriting (a marker naming a missing file, …).
    pub problems: Vec<Problem>,
}

/// Rewrites every drifted block on `pages`. `expect` reads one page (its
/// path and text) and returns the blocks it must have, and the problems
/// that no rewrite can fix. A page is written only if it changed, and
/// atomically: a reader sees the old page or the new one, never half.
pub fn bless(
    repo: &Repo,
    pages: &[String],
    expect: impl Fn(&str, &str) -> (Vec<Expected>, Vec<Problem>),
) -> io::Result<Blessed> {
    let mut blessed = Blessed::default();
    for page in pages {
        let path = repo.path(page);
        let text = fs::read_to_string(&path)?;
        let (expected, problems) = expect(page, &text);
        blessed.problems.extend(problems);
        let drifted: Vec<&Expected> = expected.iter().filter(|e| e.drift().is_some()).collect();
        if drifted.is_empty() {
            continue;
        }
        let new_text = rewrite(&text, &drifted);
        if new_text != text {
            write_atomically(&path, &new_text)?;
            blessed.pages.push(page.clone());
            blessed.blocks += drifted.len();
        }
    }
    Ok(blessed)
}

/// Writes `text` to a temporary file beside `path`, then renames it over
/// `path`: the rename replaces the file in one step on every OS.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.docs-tool-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(metadata) = fs::metadata(path) {
            fs::set_permissions(&temp, metadata.permissions())?;
        }
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::parse;

    fn expected(page_text: &str, lines: &[&str]) -> Expected {
        let fence = parse(page_text).fences.remove(0);
        Expected {
            page: "p.md".into(),
            line: 1,
            marker: "<!-- code: a.rs:x -->".into(),
            what: "the code of that region".into(),
            source: "a.rs".into(),
            lines: (1..).zip(lines.iter().map(|l| l.to_string())).collect(),
            fence,
        }
    }

    #[test]
    fn a_drifted_block_names_the_bless_command() {
        let block = expected("```rust\nold();\n```\n", &["new();"]);
        let problem = block.drift().unwrap().to_string();
        assert!(problem.contains("-    1 | new();"), "{problem}");
        assert!(problem.contains("+    2 | old();"), "{problem}");
        assert!(
            problem.ends_with("cargo run -p docs-tool -- bless"),
            "{problem}"
        );
        assert!(
            expected("```rust\nnew();\n```\n", &["new();"])
                .drift()
                .is_none()
        );
    }

    #[test]
    fn rewriting_replaces_only_the_body_and_keeps_prefixes() {
        let page = "before\n\n1. step\n\n   ```rust\n   old();\n   ```\n\nafter\n";
        let block = expected(page, &["a();", "", "b();"]);
        assert_eq!(
            rewrite(page, &[&block]),
            "before\n\n1. step\n\n   ```rust\n   a();\n\n   b();\n   ```\n\nafter\n"
        );
        let quoted = "> ```rust\n> old();\n> ```\n";
        let block = expected(quoted, &["new();"]);
        assert_eq!(rewrite(quoted, &[&block]), "> ```rust\n> new();\n> ```\n");
    }

    #[test]
    fn rewriting_keeps_windows_line_endings_and_empty_or_unclosed_blocks() {
        let page = "x\r\n```rust\r\nold();\r\n```\r\ny\r\n";
        let block = expected(page, &["new();"]);
        assert_eq!(
            rewrite(page, &[&block]),
            "x\r\n```rust\r\nnew();\r\n```\r\ny\r\n"
        );
        let empty = "```rust\n```\n";
        assert_eq!(
            rewrite(empty, &[&expected(empty, &["a();"])]),
            "```rust\na();\n```\n"
        );
        let unclosed = "```rust\nold();\n";
        assert_eq!(
            rewrite(unclosed, &[&expected(unclosed, &["a();"])]),
            "```rust\na();\n"
        );
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_nothing_beside_it() {
        let dir = std::env::temp_dir().join(format!("docs-tool-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("page.md");
        fs::write(&path, "old").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["page.md"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
