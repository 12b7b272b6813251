//! A page read by `pulldown-cmark`, the parser mdBook uses, into the parts
//! the checks look at: code blocks, inline code, links, headings and HTML
//! comments (the `<!-- code: … -->` markers), each with its line number.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// A code block: fenced (```` ``` ```` or `~~~`) or indented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The line of the opening fence (1-based); for an indented block, its first line.
    pub line: usize,
    /// The info string (`rust`, `sh`, …); empty for an indented block.
    pub info: String,
    /// Its lines as the book shows them: without the fences, and without
    /// the indentation or `>` of a list item or quote that holds it.
    pub body: Vec<String>,
    /// Whether it is a fenced block (only those can be blessed).
    pub fenced: bool,
    /// The bytes of the page between the fences: what bless replaces.
    pub body_bytes: Range<usize>,
    /// What each line of the block starts with on the page (`"   "` in a
    /// list item, `"> "` in a quote), so that rewritten lines keep it.
    pub prefix: String,
}

impl Fence {
    /// The first word of the info string: `rust` for ```` ```rust,ignore ````.
    pub fn language(&self) -> &str {
        self.info
            .split([' ', '\t', ','])
            .find(|word| !word.is_empty())
            .unwrap_or("")
    }

    /// The body lines with their line numbers on the page.
    pub fn numbered_body(&self) -> Vec<(usize, String)> {
        let first = if self.fenced {
            self.line + 1
        } else {
            self.line
        };
        self.body
            .iter()
            .enumerate()
            .map(|(i, l)| (first + i, l.trim_end().to_string()))
            .collect()
    }
}

/// Some text found on a line: an inline code span, a link target, a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub line: usize,
    pub text: String,
}

/// A heading: its text as a reader sees it, and an id written with `{#id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub line: usize,
    pub text: String,
    pub explicit_id: Option<String>,
}

/// The parts of one page that the checks look at, in page order.
#[derive(Debug, Default)]
pub struct Parsed {
    pub fences: Vec<Fence>,
    /// Inline code spans, trimmed: `like this`.
    pub code_spans: Vec<Span>,
    /// Link and image targets written inline (`[text](target)`) and in
    /// reference definitions (`[label]: target`). Links that use a
    /// definition are checked there, once.
    pub links: Vec<Span>,
    pub headings: Vec<Heading>,
    /// HTML comments, without `<!--` and `-->`, trimmed.
    pub comments: Vec<Span>,
}

/// The options mdBook 0.5 parses with (`mdbook-markdown`'s `new_cmark_parser`),
/// so that headings, tables and `{#id}` attributes read as in the book.
pub(crate) fn mdbook_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_DEFINITION_LIST
}

/// Reads a page.
pub fn parse(text: &str) -> Parsed {
    let lines = LineIndex::new(text);
    let parser = Parser::new_ext(text, mdbook_options()).into_offset_iter();
    let mut parsed = Parsed::default();
    for (_, definition) in parser.reference_definitions().iter() {
        parsed.links.push(Span {
            line: lines.of(definition.span.start),
            text: definition.dest.to_string(),
        });
    }
    // The code block or heading being read, with the text gathered so far.
    let mut open_block: Option<(Range<usize>, String, bool, String)> = None;
    let mut open_heading: Option<Heading> = None;
    let mut open_html: Option<(usize, String)> = None;
    for (event, range) in parser {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let (fenced, info) = match kind {
                    CodeBlockKind::Fenced(info) => (true, info.to_string()),
                    CodeBlockKind::Indented => (false, String::new()),
                };
                open_block = Some((range, info, fenced, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((range, info, fenced, body)) = open_block.take() {
                    let fence = fence(text, &lines, range, info, fenced, &body);
                    parsed.fences.push(fence);
                }
            }
            Event::Text(content) => {
                if let Some((_, _, _, body)) = open_block.as_mut() {
                    body.push_str(&content);
                } else if let Some(heading) = open_heading.as_mut() {
                    heading.text.push_str(&content);
                }
            }
            Event::Code(content) => {
                if let Some(heading) = open_heading.as_mut() {
                    heading.text.push_str(&content);
                }
                parsed.code_spans.push(Span {
                    line: lines.of(range.start),
                    text: content.trim().to_string(),
                });
            }
            Event::Start(Tag::Heading { id, .. }) => {
                open_heading = Some(Heading {
                    line: lines.of(range.start),
                    text: String::new(),
                    explicit_id: id.map(|id| id.to_string()),
                });
            }
            Event::End(TagEnd::Heading(_)) => parsed.headings.extend(open_heading.take()),
            Event::Start(
                Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    ..
                }
                | Tag::Image {
                    link_type: LinkType::Inline,
                    dest_url,
                    ..
                },
            ) => parsed.links.push(Span {
                line: lines.of(range.start),
                text: dest_url.to_string(),
            }),
            // An HTML block comes line by line: gather it, so that a
            // comment over several lines (an output marker) is one comment.
            Event::Start(Tag::HtmlBlock) => open_html = Some((range.start, String::new())),
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((start, html)) = open_html.take() {
                    parsed.comments.extend(comments(&html, start, &lines));
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => match open_html.as_mut() {
                Some((_, block)) => block.push_str(&html),
                None => parsed.comments.extend(comments(&html, range.start, &lines)),
            },
            _ => {}
        }
    }
    parsed.links.sort_by_key(|link| link.line);
    parsed
}

impl Parsed {
    /// The code block that opens on `line`, if one does.
    pub fn fence_at(&self, line: usize) -> Option<&Fence> {
        self.fences.iter().find(|f| f.line == line)
    }

    /// Every line a reader might type: each line of every code block and
    /// every inline code span, with line numbers, in page order. The command
    /// checks read these.
    pub fn shell_lines(&self) -> Vec<Span> {
        let mut lines: Vec<Span> = self
            .fences
            .iter()
            .flat_map(Fence::numbered_body)
            .map(|(line, text)| Span { line, text })
            .chain(self.code_spans.iter().cloned())
            .collect();
        lines.sort_by_key(|span| span.line);
        lines
    }

    /// The ids the book gives this page's headings: a `{#id}` written after
    /// the heading, or [`heading_id`] of its text; repeats get `-1`, `-2`, …
    pub fn heading_ids(&self) -> BTreeSet<String> {
        self.ordered_heading_ids().into_iter().collect()
    }

    /// The same ids, one for each heading, in page order.
    pub fn ordered_heading_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for heading in &self.headings {
            let id = match &heading.explicit_id {
                Some(id) => id.clone(),
                None => heading_id(&heading.text),
            };
            let count = seen.entry(id.clone()).or_insert(0);
            if *count > 0 {
                ids.push(format!("{id}-{count}"));
            } else {
                ids.push(id);
            }
            *count += 1;
        }
        ids
    }
}

/// The id mdBook makes from a heading's text (`id_from_content` in
/// mdbook-html): letters, digits, `_` and `-` kept, ASCII letters lowered,
/// each whitespace character turned into `-`, everything else dropped. So
/// `提示 1.1：TCP` becomes `提示-11tcp`: Chinese is kept as it is, and the
/// full-width `：` goes like any punctuation. GitHub makes the same ids for
/// the headings this book has.
pub fn heading_id(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The comments (`<!-- … -->`, inside trimmed) in a piece of HTML that
/// starts at byte `start` of the page, each with the line it starts on.
fn comments(html: &str, start: usize, lines: &LineIndex) -> Vec<Span> {
    let mut found = Vec::new();
    let mut rest = html;
    let mut offset = 0;
    while let Some(open) = rest.find("<!--") {
        let Some(close) = rest[open..].find("-->") else {
            break;
        };
        let inner = &rest[open + 4..open + close];
        found.push(Span {
            line: lines.of(start + offset + open),
            text: inner.trim().to_string(),
        });
        offset += open + close + 3;
        rest = &rest[open + close + 3..];
    }
    found
}

/// Builds a [`Fence`] from the block's bytes on the page and its text.
fn fence(
    text: &str,
    lines: &LineIndex,
    range: Range<usize>,
    info: String,
    fenced: bool,
    body: &str,
) -> Fence {
    let line_start = lines.start_of(range.start);
    let prefix: String = text[line_start..range.start]
        .chars()
        .map(|c| if c == '>' || c == '\t' { c } else { ' ' })
        .collect();
    let body_bytes = if fenced {
        fenced_body(text, range.clone())
    } else {
        range.clone()
    };
    Fence {
        line: lines.of(range.start),
        info: info.trim().to_string(),
        body: body.lines().map(str::to_string).collect(),
        fenced,
        body_bytes,
        prefix,
    }
}

/// The bytes between the opening fence line and the closing fence line of
/// a fenced block at `range`; to the end of the block if it is not closed.
fn fenced_body(text: &str, range: Range<usize>) -> Range<usize> {
    let block = &text[range.clone()];
    let opening = block.trim_start_matches([' ', '\t', '>']);
    let marker = opening.chars().next().unwrap_or('`');
    let marker_len = opening.chars().take_while(|&c| c == marker).count();
    let body_start = block.find('\n').map_or(range.end, |i| range.start + i + 1);
    let without_last_newline = block
        .strip_suffix('\n')
        .map(|b| b.strip_suffix('\r').unwrap_or(b))
        .unwrap_or(block);
    let last_line_start = range.start + without_last_newline.rfind('\n').map_or(0, |i| i + 1);
    let last_line = &text[last_line_start..range.start + without_last_newline.len()];
    let closing = last_line.trim_start_matches([' ', '\t', '>']).trim_end();
    let closed = last_line_start >= body_start
        && closing.chars().take_while(|&c| c == marker).count() >= marker_len
        && closing.chars().all(|c| c == marker);
    body_start..if closed { last_line_start } else { range.end }
}

/// Line numbers (1-based) of byte offsets in a page.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The line that byte `offset` is on.
    fn of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    /// The byte where the line holding `offset` starts.
    fn start_of(&self, offset: usize) -> usize {
        self.starts[self.of(offset).saturating_sub(1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_ids_follow_mdbook() {
        let page = "# 导读\n## 提示 1.1：TCP\n## A `code` Title\n## 导读\n### Über <em>x</em>\n## 自己的 {#own-id}\n";
        let ids = parse(page).heading_ids();
        for id in [
            "导读",
            "提示-11tcp",
            "a-code-title",
            "导读-1",
            "Über-x",
            "own-id",
        ] {
            assert!(ids.contains(id), "{id} in {ids:?}");
        }
        // mdBook's own examples (mdbook-html's utils.rs).
        assert_eq!(heading_id("中文標題 CJK title"), "中文標題-cjk-title");
        assert_eq!(
            heading_id("Method-call 🐙 expressions"),
            "method-call--expressions"
        );
        assert_eq!(heading_id("`--passes`: add"), "--passes-add");
    }

    #[test]
    fn fences_keep_their_lines_info_and_the_bytes_between_the_fences() {
        let page = "text\n\n~~~~sh title\n$ ls\n```\n~~~~\n\n```rust,ignore\nfn f() {}\n```";
        let parsed = parse(page);
        assert_eq!(parsed.fences.len(), 2);
        let sh = &parsed.fences[0];
        assert_eq!(
            (sh.line, sh.info.as_str(), sh.language()),
            (3, "sh title", "sh")
        );
        assert_eq!(sh.body, ["$ ls", "```"]);
        assert_eq!(&page[sh.body_bytes.clone()], "$ ls\n```\n");
        let rust = &parsed.fences[1];
        assert_eq!((rust.line, rust.language()), (8, "rust"));
        assert_eq!(&page[rust.body_bytes.clone()], "fn f() {}\n");
        assert_eq!(rust.numbered_body(), [(9, "fn f() {}".to_string())]);
    }

    #[test]
    fn fences_in_list_items_lose_the_item_indentation() {
        let page = "1. 步骤\n\n   ```sh\n   cargo run -p a\n   ```\n";
        let fence = &parse(page).fences[0];
        assert_eq!(fence.body, ["cargo run -p a"]);
        assert_eq!(fence.prefix, "   ");
        assert_eq!(&page[fence.body_bytes.clone()], "   cargo run -p a\n");
    }

    #[test]
    fn comments_code_spans_and_links_come_with_their_lines() {
        let page = "# 标题\n\n<!-- code: a.rs:x -->\n```rust\n```\n\n用 `cargo run` 和 [链接](b.md \"title\")，[引用][r]。\n\n[r]: <c d.md>\n";
        let parsed = parse(page);
        assert_eq!(
            parsed.comments,
            [Span {
                line: 3,
                text: "code: a.rs:x".into()
            }]
        );
        assert_eq!(
            parsed.code_spans,
            [Span {
                line: 7,
                text: "cargo run".into()
            }]
        );
        let links: Vec<(usize, &str)> = parsed
            .links
            .iter()
            .map(|l| (l.line, l.text.as_str()))
            .collect();
        assert_eq!(links, [(7, "b.md"), (9, "c d.md")]);
    }

    #[test]
    fn a_comment_over_several_lines_is_one_comment() {
        let page =
            "段落\n\n<!-- output: a\n     server: b -->\n```text\n```\n\n<!-- x --> <!-- y -->\n";
        let comments = parse(page).comments;
        let found: Vec<(usize, &str)> =
            comments.iter().map(|c| (c.line, c.text.as_str())).collect();
        assert_eq!(
            found,
            [(3, "output: a\n     server: b"), (8, "x"), (8, "y")]
        );
    }

    #[test]
    fn shell_lines_are_block_lines_and_inline_code_in_page_order() {
        let page = "`one`\n\n```\ntwo\nthree\n```\n\n`four`\n";
        let lines: Vec<(usize, String)> = parse(page)
            .shell_lines()
            .into_iter()
            .map(|s| (s.line, s.text))
            .collect();
        assert_eq!(
            lines,
            [
                (1, "one".into()),
                (4, "two".into()),
                (5, "three".into()),
                (8, "four".into())
            ]
        );
    }
}
