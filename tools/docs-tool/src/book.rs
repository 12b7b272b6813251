//! The book as mdBook sees it: `SUMMARY.md` lists every page and only real
//! ones, the pages read as plain Markdown on a code host too, and
//! `book.toml` points mdBook at `src` in Chinese.

use crate::links::percent_decode;
use crate::markdown;
use crate::repo::BOOK_SOURCE;
use crate::{Files, Findings, Problem, Repo};

/// Checks that `SUMMARY.md` lists every page of `src` and that every page it
/// lists exists. `pages` are the `.md` files under `src`, relative to it.
pub fn check_summary(summary: &str, pages: &[String]) -> Vec<Problem> {
    let page = format!("{BOOK_SOURCE}/SUMMARY.md");
    let mut problems = Vec::new();
    let listed: Vec<(usize, String)> = markdown::parse(summary)
        .links
        .into_iter()
        .map(|l| {
            (
                l.line,
                percent_decode(l.text.split('#').next().unwrap_or("")),
            )
        })
        .collect();
    for (number, target) in &listed {
        if !pages.contains(target) {
            problems.push(Problem::at(
                &page,
                *number,
                format!("lists {target}, which is not a page in {BOOK_SOURCE}"),
            ));
        }
    }
    for file in pages {
        if file != "SUMMARY.md" && !listed.iter().any(|(_, t)| t == file) {
            problems.push(Problem::at(
                &page,
                1,
                format!("does not list {BOOK_SOURCE}/{file}: add a line `- [标题]({file})`"),
            ));
        }
    }
    problems
}

/// mdBook's own syntax (`{{#include …}}` and friends) does not render on a
/// code host; the pages must read as plain Markdown. (mdBook expands it
/// inside code blocks too, so every line counts.)
pub fn check_plain_markdown(page: &str, text: &str) -> Vec<Problem> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains("{{#"))
        .map(|(i, _)| {
            Problem::at(
                page,
                i + 1,
                "mdBook-only syntax `{{#…}}`: quote the code with a `<!-- code: path:anchor -->` marker instead",
            )
        })
        .collect()
}

/// Checks that `book.toml` makes a Chinese book from `src`, with a title.
pub fn check_book_toml(book: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for line in ["src = \"src\"", "language = \"zh-CN\""] {
        if !book.lines().any(|l| l.trim() == line) {
            problems.push(Problem::at("docs/book.toml", 1, format!("lacks {line}")));
        }
    }
    if !book.lines().any(|l| l.trim_start().starts_with("title = ")) {
        problems.push(Problem::at("docs/book.toml", 1, "has no title"));
    }
    problems
}

/// The three checks above on the repository; `checked` counts the pages.
pub fn check_book(repo: &Repo) -> Findings {
    let book_pages = repo.book_pages();
    let pages: Vec<String> = book_pages
        .iter()
        .map(|p| p.trim_start_matches(&format!("{BOOK_SOURCE}/")).to_string())
        .collect();
    let mut problems = match repo.read(&format!("{BOOK_SOURCE}/SUMMARY.md")) {
        Some(summary) => check_summary(&summary, &pages),
        None => vec![Problem::at(BOOK_SOURCE, 1, "has no SUMMARY.md")],
    };
    for page in repo.markdown_pages() {
        problems.extend(check_plain_markdown(
            &page,
            &repo.read(&page).unwrap_or_default(),
        ));
    }
    match repo.read("docs/book.toml") {
        Some(book) => problems.extend(check_book_toml(&book)),
        None => problems.push(Problem::at("docs", 1, "has no book.toml")),
    }
    Findings {
        problems,
        checked: book_pages.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_must_list_each_page_once_and_only_real_ones() {
        let summary = "# 目录\n- [导读](introduction.md)\n- [不存在](gone.md)\n";
        let pages = ["SUMMARY.md", "introduction.md", "tcp.md"].map(String::from);
        let problems = check_summary(summary, &pages);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("gone.md"));
        assert!(problems[1].message.contains("tcp.md"));
    }

    #[test]
    fn mdbook_includes_are_refused() {
        let page = "```rust\n{{#include ../../x.rs:bind}}\n```\n";
        assert_eq!(check_plain_markdown("p.md", page).len(), 1);
    }

    #[test]
    fn book_toml_must_be_chinese_from_src() {
        let good = "[book]\ntitle = \"书\"\nlanguage = \"zh-CN\"\nsrc = \"src\"\n";
        assert_eq!(check_book_toml(good), vec![]);
        assert_eq!(check_book_toml("[book]\nsrc = \"src\"\n").len(), 2);
    }
}
