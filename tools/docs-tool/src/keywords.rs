//! The keyword index (`docs/src/keywords.md`, 索引): each entry names its
//! terms in bold and links to the sections about them, and each linked
//! section must still talk about one of those terms.
//!
//! ```markdown
//! - **超时** / **timeout**：[一言不发的客户端](tcp.md#一言不发的客户端)、[丢失的数据报](udp.md#丢失的数据报)
//! ```
//!
//! The link check ([`crate::links`]) already fails a link whose heading is
//! gone; this one fails a link whose section no longer mentions the term
//! (the text moved elsewhere), so the index cannot rot either way. A section
//! is what the book's search calls one: a heading and the text up to the
//! next heading, code included. So whatever this check passes, the search
//! box finds too (the browser test asks it).

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::links::{percent_decode, resolve};
use crate::markdown::{self, mdbook_options};
use crate::repo::BOOK_SOURCE;
use crate::{Files, Findings, Problem, Repo};

/// The index page, relative to the repository.
pub const INDEX_PAGE: &str = "docs/src/keywords.md";

/// One line of the index: its terms and where it sends the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub line: usize,
    /// The bold words: `超时`, `timeout`.
    pub terms: Vec<String>,
    /// The link targets as written: `tcp.md#一言不发的客户端`.
    pub links: Vec<String>,
}

/// The entries of the index page: list items with bold terms and links.
pub fn entries(text: &str) -> Vec<Entry> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let mut entries = Vec::new();
    let mut current: Option<Entry> = None;
    let mut in_strong = false;
    for (event, range) in Parser::new_ext(text, mdbook_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Item) => {
                entries.extend(
                    current
                        .take()
                        .filter(|e: &Entry| !e.terms.is_empty() || !e.links.is_empty()),
                );
                current = Some(Entry {
                    line: line_of(range.start),
                    terms: Vec::new(),
                    links: Vec::new(),
                });
            }
            Event::Start(Tag::Strong) => {
                in_strong = true;
                if let Some(entry) = current.as_mut() {
                    entry.terms.push(String::new());
                }
            }
            Event::End(TagEnd::Strong) => in_strong = false,
            Event::Text(t) | Event::Code(t) if in_strong => {
                if let Some(term) = current.as_mut().and_then(|e| e.terms.last_mut()) {
                    term.push_str(&t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(entry) = current.as_mut() {
                    entry.links.push(dest_url.to_string());
                }
            }
            _ => {}
        }
    }
    entries.extend(current.filter(|e| !e.terms.is_empty() || !e.links.is_empty()));
    entries
}

/// The sections of a page as the search sees them: (heading id, heading
/// text and the text up to the next heading), in page order.
pub fn sections(text: &str) -> Vec<(String, String)> {
    let ids = markdown::parse(text).ordered_heading_ids();
    let mut sections: Vec<String> = Vec::new();
    for event in Parser::new_ext(text, mdbook_options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => sections.push(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(section) = sections.last_mut() {
                    section.push_str(&t);
                    section.push(' ');
                }
            }
            _ => {}
        }
    }
    ids.into_iter().zip(sections).collect()
}

/// Checks the index page: every entry has terms and links, every link
/// names a section (`page.md#heading`), and that section mentions a term.
/// `checked` counts the links.
pub fn check_index(text: &str, files: &dyn Files) -> (Vec<Problem>, usize) {
    let mut problems = Vec::new();
    let mut checked = 0;
    let entries = entries(text);
    if entries.is_empty() {
        problems.push(Problem::at(
            INDEX_PAGE,
            1,
            "has no entries: `- **词**：[小节](page.md#小节)`",
        ));
    }
    for entry in &entries {
        let at = |why: String| Problem::at(INDEX_PAGE, entry.line, why);
        if entry.terms.is_empty() {
            problems.push(at("an entry without a **bold** term".into()));
            continue;
        }
        if entry.links.is_empty() {
            problems.push(at(format!("**{}** links to no section", entry.terms[0])));
        }
        for link in &entry.links {
            checked += 1;
            let Some((path, fragment)) = link.split_once('#') else {
                problems.push(at(format!(
                    "{link} names a page, not a section: add #heading"
                )));
                continue;
            };
            let path = if path.is_empty() { "keywords.md" } else { path };
            let Some(page) = resolve(BOOK_SOURCE, &percent_decode(path)) else {
                continue; // the link check reports it
            };
            let Some(page_text) = files.read(&page) else {
                continue; // the link check reports it
            };
            let fragment = percent_decode(fragment);
            let Some((_, section)) = sections(&page_text)
                .into_iter()
                .find(|(id, _)| *id == fragment)
            else {
                continue; // the link check reports it
            };
            let section = section.to_lowercase();
            if !entry
                .terms
                .iter()
                .any(|t| section.contains(&t.to_lowercase()))
            {
                problems.push(at(format!(
                    "{link}: that section no longer mentions {}; link the section that does, or drop the link",
                    entry.terms.join(" / ")
                )));
            }
        }
    }
    (problems, checked)
}

/// [`check_index`] on the repository's index page, if the book has one.
pub fn check_book(repo: &Repo) -> Findings {
    match repo.read(INDEX_PAGE) {
        Some(text) => {
            let (problems, checked) = check_index(&text, repo);
            Findings { problems, checked }
        }
        None => Findings::default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const PAGE: &str = "# TCP\n\n## 一言不发的客户端\n\n服务器的期限：5 秒**超时**。\n\n```rust\nlet t = IO_TIMEOUT;\n```\n\n## 别的\n\n与期限无关。\n";

    fn files() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([("docs/src/tcp.md", PAGE)])
    }

    #[test]
    fn entries_are_bold_terms_with_links() {
        let index = "# 索引\n\n- **超时** / **`IO_TIMEOUT`**：[客户端](tcp.md#一言不发的客户端)、[别的](tcp.md#别的)\n- **空**\n";
        let entries = entries(index);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].terms, ["超时", "IO_TIMEOUT"]);
        assert_eq!(entries[0].links, ["tcp.md#一言不发的客户端", "tcp.md#别的"]);
        assert_eq!(entries[0].line, 3);
    }

    #[test]
    fn sections_run_to_the_next_heading_and_include_code() {
        let sections = sections(PAGE);
        let ids: Vec<&str> = sections.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["tcp", "一言不发的客户端", "别的"]);
        assert!(sections[1].1.contains("超时") && sections[1].1.contains("IO_TIMEOUT"));
        assert!(!sections[2].1.contains("超时"));
    }

    #[test]
    fn a_link_to_a_section_without_the_term_is_reported() {
        let index = "- **超时** / **io_timeout**：[客户端](tcp.md#一言不发的客户端)、[别的](tcp.md#别的)\n- **粘包**\n- [无词](tcp.md#别的)\n- **整页**：[TCP](tcp.md)\n";
        let (problems, checked) = check_index(index, &files());
        let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(checked, 3, "{messages:#?}");
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with(
            "docs/src/keywords.md:1: tcp.md#别的: that section no longer mentions 超时 / io_timeout"
        ));
        assert!(messages[1].contains("**粘包** links to no section"));
        assert!(messages[2].contains("without a **bold** term"));
        assert!(messages[3].contains("names a page, not a section"));
    }
}
