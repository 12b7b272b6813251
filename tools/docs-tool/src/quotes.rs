//! Quoted code: a block under `<!-- code: path:anchor -->` must be exactly
//! the region between `// ANCHOR: anchor` and `// ANCHOR_END: anchor` in
//! `path`, and every region must be quoted somewhere, or a change inside it
//! would go unnoticed.
//!
//! The anchor lines are mdBook's (`{{#include file.rs:anchor}}` reads the
//! same regions), but the page holds the code itself, so it also reads on a
//! code host; this check and `cargo run -p docs-tool -- bless` keep the two
//! copies equal.

use std::collections::BTreeSet;
use std::io;

use crate::bless::{self, Blessed, Expected};
use crate::markdown::{self, Parsed};
use crate::repo::Workspace;
use crate::{BLESS_COMMAND, Files, Findings, Problem, Repo};

/// A `code: path:anchor` comment (the inside of a `<!-- … -->` marker), parsed.
pub fn code_marker(comment: &str) -> Option<(String, String)> {
    let inner = comment.trim().strip_prefix("code:")?.trim();
    let (path, anchor) = inner.rsplit_once(':')?;
    Some((path.trim().to_string(), anchor.trim().to_string()))
}

/// The lines of region `anchor` in `source`: between `ANCHOR: anchor` and
/// `ANCHOR_END: anchor`, without any anchor lines, with the common leading
/// indentation removed. Each line comes with its 1-based number in the file.
pub fn region(source: &str, anchor: &str) -> Result<Vec<(usize, String)>, String> {
    let is = |line: &str, tag: &str| {
        line.split_once(tag)
            .is_some_and(|(_, name)| name.trim() == anchor)
    };
    let lines: Vec<&str> = source.lines().collect();
    let Some(start) = lines.iter().position(|l| is(l, "ANCHOR:")) else {
        let names: Vec<String> = anchors(source).into_iter().map(|(_, n)| n).collect();
        let there = if names.is_empty() {
            "it has no anchors at all".to_string()
        } else {
            format!("anchors there: {}", names.join(", "))
        };
        return Err(format!("has no `// ANCHOR: {anchor}` line ({there})"));
    };
    let Some(end) = lines[start..].iter().position(|l| is(l, "ANCHOR_END:")) else {
        return Err(format!(
            "has `// ANCHOR: {anchor}` but no `// ANCHOR_END: {anchor}` after it"
        ));
    };
    let body: Vec<(usize, &str)> = (start + 1..start + end)
        .map(|i| (i + 1, lines[i]))
        .filter(|(_, l)| !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:"))
        .collect();
    let indent = body
        .iter()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    Ok(body
        .into_iter()
        .map(|(n, l)| (n, l.get(indent..).unwrap_or("").trim_end().to_string()))
        .collect())
}

/// The regions a source declares: lines that are a `// ANCHOR: name`
/// comment (`# ANCHOR: name` in Python) and nothing else, with their line
/// numbers. (A string or doc comment that merely mentions an anchor is not one.)
pub fn anchors(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim();
            let name = line
                .strip_prefix("// ANCHOR:")
                .or_else(|| line.strip_prefix("# ANCHOR:"))?
                .trim();
            (!name.is_empty()).then(|| (i + 1, name.to_string()))
        })
        .collect()
}

/// The code block language a quote of `path` is in: ```` ```python ```` for
/// a `.py` file (the Python the tests run beside the Rust), else ```` ```rust ````.
pub fn language_of(path: &str) -> &'static str {
    if path.ends_with(".py") {
        "python"
    } else {
        "rust"
    }
}

/// The quoted blocks of one page with the lines each must have, and the
/// markers that cannot be checked (no block under them, no such file or
/// region). Bless rewrites the first; the second need a person.
pub fn expected_blocks(
    page: &str,
    text: &str,
    parsed: &Parsed,
    files: &dyn Files,
) -> (Vec<Expected>, Vec<Problem>) {
    let mut expected = Vec::new();
    let mut problems = Vec::new();
    for comment in &parsed.comments {
        let Some((path, anchor)) = code_marker(&comment.text) else {
            continue;
        };
        let marker = format!("<!-- code: {path}:{anchor} -->");
        // The block must start on the very next line, in the file's language.
        let language = language_of(&path);
        let fence = parsed
            .fence_at(comment.line + 1)
            .filter(|f| f.fenced && f.language() == language);
        let Some(fence) = fence else {
            let next = text.lines().nth(comment.line).unwrap_or("(end of page)");
            problems.push(Problem::at(
                page,
                comment.line,
                format!(
                    "{marker} must be followed at once by a ```{language} block, found: {next}"
                ),
            ));
            continue;
        };
        let Some(source) = files.read(&path) else {
            let why = format!("{marker} names {path}, which does not exist");
            problems.push(Problem::at(page, comment.line, why));
            continue;
        };
        match region(&source, &anchor) {
            Err(why) => problems.push(Problem::at(
                page,
                comment.line,
                format!("{marker}: {path} {why}"),
            )),
            Ok(lines) => expected.push(Expected {
                page: page.to_string(),
                line: comment.line,
                marker,
                what: "the code of that region now".to_string(),
                source: path,
                lines,
                fence: fence.clone(),
            }),
        }
    }
    (expected, problems)
}

/// Checks every quoted block of one page against its region.
/// Returns the problems and how many quotes were checked.
pub fn check_quotes(page: &str, text: &str, files: &dyn Files) -> (Vec<Problem>, usize) {
    let parsed = markdown::parse(text);
    let (expected, mut problems) = expected_blocks(page, text, &parsed, files);
    let checked = expected.len() + problems.len();
    problems.extend(expected.iter().filter_map(Expected::drift));
    problems.sort_by_key(|p| line_of(&p.place));
    (problems, checked)
}

/// The line number at the end of a `file:line` place, for sorting.
fn line_of(place: &str) -> usize {
    place
        .rsplit_once(':')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// The `(path, anchor)` pairs a page quotes.
pub fn quoted_regions(text: &str) -> BTreeSet<(String, String)> {
    markdown::parse(text)
        .comments
        .iter()
        .filter_map(|c| code_marker(&c.text))
        .collect()
}

/// Checks that every region in `sources` (path and text) is complete and
/// quoted: `quoted` holds the `(path, anchor)` pairs the book quotes.
/// Returns the problems and how many regions there are.
pub fn check_every_region_is_quoted(
    sources: &[(String, String)],
    quoted: &BTreeSet<(String, String)>,
) -> (Vec<Problem>, usize) {
    let mut problems = Vec::new();
    let mut regions = 0;
    for (path, source) in sources {
        for (line, anchor) in anchors(source) {
            regions += 1;
            if let Err(why) = region(source, &anchor) {
                problems.push(Problem::at(path, line, format!("{path} {why}")));
            } else if !quoted.contains(&(path.clone(), anchor.clone())) {
                problems.push(Problem::at(
                    path,
                    line,
                    format!(
                        "no page of the book quotes the region `{anchor}`, so a change inside it \
                         goes unnoticed. Quote it where the book explains this code: put\n    \
                         <!-- code: {path}:{anchor} -->\n\
                         above an empty ```{} block and run `{BLESS_COMMAND}` to fill it in; \
                         or remove its ANCHOR lines",
                        language_of(path)
                    ),
                ));
            }
        }
    }
    (problems, regions)
}

// ---------------------------------------------------------------------------
// The whole book
// ---------------------------------------------------------------------------

/// Checks every quoted block in the book; `checked` counts the markers.
pub fn check_book(repo: &Repo) -> Findings {
    let mut findings = Findings::default();
    for page in repo.book_pages() {
        let text = repo.read(&page).unwrap_or_default();
        findings.add(check_quotes(&page, &text, repo));
    }
    findings
}

/// Checks that every ANCHOR region in the workspace's `*.rs` and `*.py` files is quoted
/// by a page of the book; `checked` counts the regions.
pub fn check_regions(repo: &Repo, workspace: &Workspace) -> Findings {
    let quoted: BTreeSet<(String, String)> = repo
        .book_pages()
        .iter()
        .flat_map(|page| quoted_regions(&repo.read(page).unwrap_or_default()))
        .collect();
    let sources: Vec<(String, String)> = repo
        .quotable_sources(workspace)
        .into_iter()
        .filter_map(|path| Some((path.clone(), repo.read(&path)?)))
        .collect();
    let (problems, checked) = check_every_region_is_quoted(&sources, &quoted);
    Findings { problems, checked }
}

/// Rewrites every drifted quote in the book from its region.
pub fn bless_book(repo: &Repo) -> io::Result<Blessed> {
    bless::bless(repo, &repo.book_pages(), |page, text| {
        expected_blocks(page, text, &markdown::parse(text), repo)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const SOURCE: &str = "fn main() {\n    // ANCHOR: greet\n    let name = \"世界\";\n    println!(\"你好，{name}\");\n    // ANCHOR_END: greet\n}\n";

    fn files() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([("demo/src/main.rs", SOURCE), ("demo/src/lib.rs", "")])
    }

    #[test]
    fn a_region_is_dedented_and_numbered_as_in_the_file() {
        let lines = region(SOURCE, "greet").unwrap();
        assert_eq!(lines[0], (3, "let name = \"世界\";".to_string()));
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn an_exact_quote_passes() {
        let page = "<!-- code: demo/src/main.rs:greet -->\n```rust\nlet name = \"世界\";\nprintln!(\"你好，{name}\");\n```\n";
        let (problems, checked) = check_quotes("docs/src/a.md", page, &files());
        assert_eq!((problems, checked), (vec![], 1));
    }

    #[test]
    fn a_changed_line_is_shown_as_a_diff_with_both_line_numbers() {
        let page = "text\n\n<!-- code: demo/src/main.rs:greet -->\n```rust\nlet name = \"Rust\";\nprintln!(\"你好，{name}\");\n```\n";
        let (problems, _) = check_quotes("docs/src/a.md", page, &files());
        let text = problems[0].to_string();
        assert!(text.starts_with("docs/src/a.md:3: "), "{text}");
        assert!(text.contains("-    3 | let name = \"世界\";"), "{text}");
        assert!(text.contains("+    5 | let name = \"Rust\";"), "{text}");
        assert!(text.contains(BLESS_COMMAND), "{text}");
    }

    #[test]
    fn missing_files_anchors_and_blocks_are_named() {
        let cases = [
            (
                "<!-- code: demo/src/nope.rs:greet -->\n```rust\n```\n",
                "does not exist",
            ),
            (
                "<!-- code: demo/src/main.rs:wave -->\n```rust\n```\n",
                "anchors there: greet",
            ),
            (
                "<!-- code: demo/src/lib.rs:greet -->\n```rust\n```\n",
                "it has no anchors at all",
            ),
            (
                "<!-- code: demo/src/main.rs:greet -->\n\n```rust\n```\n",
                "followed at once",
            ),
            (
                "<!-- code: demo/src/main.rs:greet -->\n```python\n```\n",
                "```rust block",
            ),
        ];
        for (page, expected) in cases {
            let (problems, _) = check_quotes("p.md", page, &files());
            assert_eq!(problems.len(), 1, "{page}");
            assert!(problems[0].message.contains(expected), "{problems:?}");
        }
    }

    #[test]
    fn markers_inside_code_are_examples_not_markers() {
        let page = "写法是 `<!-- code: demo/src/nope.rs:x -->`：\n\n```markdown\n<!-- code: demo/src/nope.rs:x -->\n```\n";
        assert_eq!(check_quotes("p.md", page, &files()), (vec![], 0));
    }

    #[test]
    fn a_region_no_page_quotes_is_reported_with_the_fix() {
        let sources = [
            ("demo/src/main.rs".to_string(), SOURCE.to_string()),
            (
                "demo/src/lib.rs".to_string(),
                "// ANCHOR: open\nfn f() {}\n".to_string(),
            ),
        ];
        let quoted = quoted_regions("<!-- code: demo/src/main.rs:greet -->\n```rust\n```\n");
        let (problems, regions) = check_every_region_is_quoted(&sources, &quoted);
        assert_eq!(regions, 2);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("no `// ANCHOR_END: open`"));
        let (problems, _) = check_every_region_is_quoted(&sources[..1], &BTreeSet::new());
        let text = problems[0].to_string();
        assert!(text.starts_with("demo/src/main.rs:2: no page"), "{text}");
        assert!(
            text.contains("<!-- code: demo/src/main.rs:greet -->"),
            "{text}"
        );
    }

    #[test]
    fn python_regions_are_quoted_in_python_blocks() {
        let source = "import socket\n# ANCHOR: eof\ndata = s.recv(1024)\n# ANCHOR_END: eof\n";
        let files = BTreeMap::from([("x/eof.py", source)]);
        let good = "<!-- code: x/eof.py:eof -->\n```python\ndata = s.recv(1024)\n```\n";
        assert_eq!(check_quotes("p.md", good, &files), (vec![], 1));
        let wrong = "<!-- code: x/eof.py:eof -->\n```rust\ndata = s.recv(1024)\n```\n";
        let (problems, _) = check_quotes("p.md", wrong, &files);
        assert!(
            problems[0].message.contains("```python block"),
            "{problems:?}"
        );
        assert_eq!(anchors(source), [(2, "eof".to_string())]);
    }

    #[test]
    fn only_whole_anchor_comments_declare_regions() {
        let source = "// ANCHOR: real\nlet s = \"// ANCHOR: in_a_string\";\n//! `// ANCHOR: in_docs`\n  // ANCHOR_END: real\n";
        assert_eq!(anchors(source), [(1, "real".to_string())]);
    }
}
