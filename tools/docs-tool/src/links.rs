//! Links: a relative link must point at a file or folder that exists, and a
//! `#fragment` into a Markdown page (this one or another) at one of its
//! headings, with the id mdBook gives that heading.

use crate::markdown::{self, Parsed};
use crate::{Files, Findings, Problem, Repo};

/// `%E4%B8%AD` → `中`; anything malformed is left as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// `docs/src` + `../../chapters/tcp-server/src/main.rs` → `chapters/tcp-server/src/main.rs`;
/// `None` if the path climbs out of the repository.
pub fn resolve(dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Whether a link leaves the repository (the web, mail) or stays on the page.
fn is_external_or_own(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    target.is_empty()
        || lower.starts_with("http:")
        || lower.starts_with("https:")
        || lower.starts_with("mailto:")
        || target.starts_with('#')
}

/// Checks every relative link of one page: the file or folder must exist,
/// and a `#fragment` into a Markdown page must name one of its headings.
/// Returns the problems and how many relative links were checked.
pub fn check_links(page: &str, text: &str, files: &dyn Files) -> (Vec<Problem>, usize) {
    check_parsed_links(page, &markdown::parse(text), files)
}

fn check_parsed_links(page: &str, parsed: &Parsed, files: &dyn Files) -> (Vec<Problem>, usize) {
    let dir = page.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut problems = Vec::new();
    let mut checked = 0;
    for link in &parsed.links {
        let (number, target) = (link.line, &link.text);
        if is_external_or_own(target) {
            continue;
        }
        checked += 1;
        let (path, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target.as_str(), None),
        };
        let Some(resolved) = resolve(dir, &percent_decode(path)) else {
            let why = format!("link {target} climbs out of the repository");
            problems.push(Problem::at(page, number, why));
            continue;
        };
        if !files.exists(&resolved) {
            problems.push(Problem::at(
                page,
                number,
                format!("link {target} points at {resolved}, which does not exist"),
            ));
            continue;
        }
        if let (Some(fragment), true) = (fragment, resolved.ends_with(".md")) {
            let linked = markdown::parse(&files.read(&resolved).unwrap_or_default());
            let fragment = percent_decode(fragment);
            if !linked.heading_ids().contains(&fragment) {
                problems.push(Problem::at(
                    page,
                    number,
                    format!("link {target}: {resolved} has no heading with the id #{fragment}"),
                ));
            }
        }
    }
    (problems, checked)
}

/// Checks the `#fragment` links that stay on the page itself.
pub fn check_own_fragments(page: &str, text: &str) -> Vec<Problem> {
    own_fragments(page, &markdown::parse(text))
}

fn own_fragments(page: &str, parsed: &Parsed) -> Vec<Problem> {
    let ids = parsed.heading_ids();
    parsed
        .links
        .iter()
        .filter_map(|link| {
            let fragment = percent_decode(link.text.strip_prefix('#')?);
            (!ids.contains(&fragment)).then(|| {
                let why = format!("link #{fragment} names no heading on this page");
                Problem::at(page, link.line, why)
            })
        })
        .collect()
}

/// Checks the links of every Markdown page (the book, the READMEs);
/// `checked` counts the relative links.
pub fn check_pages(repo: &Repo) -> Findings {
    let mut findings = Findings::default();
    for page in repo.markdown_pages() {
        let parsed = markdown::parse(&repo.read(&page).unwrap_or_default());
        findings.add(check_parsed_links(&page, &parsed, repo));
        findings.problems.extend(own_fragments(&page, &parsed));
    }
    findings
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn files() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([
            ("demo/src/main.rs", "fn main() {}\n"),
            ("docs/src/a.md", "# 第一章\n\n## 提示 1.1：TCP\n"),
        ])
    }

    #[test]
    fn links_resolve_relative_to_the_page_and_skip_the_web() {
        let page = "[源码](../../demo/src/main.rs) [坏](../../demo/src/gone.rs) [网](https://x.y/z)\n\
                    [章](a.md#提示-11tcp) [坏章](a.md#没有) [目录](../../demo/src/) `[代码](nope.md)`\n\
                    \n```\n[块里](nope.md)\n```\n[ref]: ../../demo/nothing.md\n\n[百分号](%61.md)\n\
                    ![图](../../demo/src/main.rs) [用定义的][ref]";
        let (problems, checked) = check_links("docs/src/b.md", page, &files());
        let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(checked, 8, "{messages:#?}");
        assert_eq!(problems.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("demo/src/gone.rs, which does not exist"));
        assert!(messages[1].contains("no heading with the id #没有"));
        assert!(messages[2].contains("demo/nothing.md"));
        assert!(messages[2].starts_with("docs/src/b.md:7:"), "{messages:#?}");
    }

    #[test]
    fn own_fragments_must_name_a_heading() {
        let page = "## 练习\n[去](#练习) [丢](#提示)\n";
        let problems = check_own_fragments("p.md", page);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("#提示"));
    }

    #[test]
    fn percent_encoding_is_decoded_and_paths_stay_inside() {
        assert_eq!(percent_decode("%E4%B8%AD%20x%zz"), "中 x%zz");
        assert_eq!(
            resolve("docs/src", "../../a/b.rs").as_deref(),
            Some("a/b.rs")
        );
        assert_eq!(resolve("docs", "../../a"), None);
    }
}
