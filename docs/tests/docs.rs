//! The book against the workspace as it is now: quoted code, links,
//! commands and the table of contents. Each test reads files only; nothing
//! is built or run, so the whole file takes well under a second.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};

use docs::{Disk, Files, Problem, Workspace, report};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("docs/ sits inside the repository")
        .to_path_buf()
}

fn disk() -> Disk {
    Disk { root: root() }
}

fn read(page: &str) -> String {
    disk()
        .read(page)
        .unwrap_or_else(|| panic!("cannot read {page}"))
}

/// The book's own pages, `docs/src/**/*.md`.
fn book_pages() -> Vec<String> {
    docs::markdown_pages(&root())
        .into_iter()
        .filter(|p| p.starts_with("docs/src/"))
        .collect()
}

fn assert_none(problems: &[Problem]) {
    assert!(problems.is_empty(), "{}", report(problems));
}

#[test]
fn quoted_code_is_the_code_in_the_workspace() {
    let files = disk();
    let mut problems = Vec::new();
    let mut quotes = 0;
    for page in book_pages() {
        let (found, checked) = docs::check_quotes(&page, &read(&page), &files);
        problems.extend(found);
        quotes += checked;
    }
    eprintln!("checked {quotes} quoted blocks");
    assert_none(&problems);
    // A parser that silently found no markers would pass the loop above.
    assert!(
        quotes >= 25,
        "only {quotes} quoted blocks found in the book"
    );
}

#[test]
fn relative_links_point_at_real_files_and_headings() {
    let files = disk();
    let mut problems = Vec::new();
    let mut links = 0;
    for page in docs::markdown_pages(&root()) {
        let text = read(&page);
        let (found, checked) = docs::check_links(&page, &text, &files);
        problems.extend(found);
        problems.extend(docs::check_own_fragments(&page, &text));
        links += checked;
    }
    eprintln!("checked {links} relative links");
    assert_none(&problems);
    assert!(links >= 40, "only {links} relative links found");
}

#[test]
fn commands_name_real_members_examples_and_options() {
    let workspace = Workspace::load(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(workspace.member("tcp-server").is_some(), "{workspace:?}");
    let mut problems = Vec::new();
    let mut commands = 0;
    for page in docs::markdown_pages(&root()) {
        let (found, checked) = docs::check_commands(&page, &read(&page), &workspace);
        problems.extend(found);
        commands += checked;
    }
    eprintln!("checked {commands} cargo commands");
    assert_none(&problems);
    assert!(commands >= 40, "only {commands} cargo commands found");
}

#[test]
fn the_summary_lists_every_page_and_only_real_pages() {
    let pages: Vec<String> = book_pages()
        .iter()
        .map(|p| p.trim_start_matches("docs/src/").to_string())
        .collect();
    assert!(pages.contains(&"SUMMARY.md".to_string()), "{pages:?}");
    assert_none(&docs::check_summary(&read("docs/src/SUMMARY.md"), &pages));
}

#[test]
fn pages_are_plain_markdown_without_mdbook_syntax() {
    let mut problems = Vec::new();
    for page in docs::markdown_pages(&root()) {
        problems.extend(docs::check_plain_markdown(&page, &read(&page)));
    }
    assert_none(&problems);
}

#[test]
fn book_toml_points_mdbook_at_src_in_chinese() {
    let book = read("docs/book.toml");
    for line in ["src = \"src\"", "language = \"zh-CN\""] {
        assert!(
            book.lines().any(|l| l.trim() == line),
            "book.toml lacks {line}"
        );
    }
    assert!(book.contains("title = "), "book.toml has no title");
}
