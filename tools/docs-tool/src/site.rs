//! The built book, whole: `mdbook build`, then the workspace's sources
//! published beside the HTML, and the pages' links to them rewritten.
//!
//! The pages link to the code with relative paths such as
//! `../../chapters/tcp-server/src/main.rs`, which work where the Markdown is read (a
//! code host, an editor). In the HTML book they climb out of the book's
//! folder and lead nowhere. Rewriting them to a code host's address would
//! need the network, and a classroom's Wi-Fi is the first thing to fail. So
//! the sources travel with the book: every source file of the workspace is
//! written under `source/` in the book, as a page with line numbers (`#L42`
//! anchors, as on a code host) and as the file itself, and each link that
//! climbs out of the book is pointed at that page. The book folder can then
//! be copied to a USB stick or served from a teacher's laptop as it is.
//!
//! `cargo run -p docs-tool -- book` does all of it; `mdbook build docs`
//! alone still makes the book, only without the sources.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bless::write_atomically;
use crate::links::{percent_decode, resolve};
use crate::repo::{BOOK_SOURCE, slash_path};
use crate::{Files, Repo};

/// The mdBook version the book is built and tested with (`.ci/run` installs it).
pub const MDBOOK_VERSION: &str = "0.5.4";

/// The folder inside the built book that holds the published sources.
pub const SOURCE_DIR: &str = "source";

/// What [`build`] made.
#[derive(Debug)]
pub struct Built {
    /// The book's folder.
    pub dir: PathBuf,
    /// How many source files were published beside it.
    pub sources: usize,
    /// How many links in the pages now point at a published source.
    pub links: usize,
}

/// Builds the book of `repo` into `out`: `mdbook build`, then the sources
/// published and the links rewritten.
pub fn build(repo: &Repo, mdbook: &Path, out: &Path) -> Result<Built, String> {
    let docs = repo.path("docs");
    let output = Command::new(mdbook)
        .arg("build")
        .arg(&docs)
        .arg("--dest-dir")
        .arg(out)
        .output()
        .map_err(|e| format!("无法运行 {}：{e}", mdbook.display()))?;
    if !output.status.success() {
        return Err(format!(
            "mdbook build 失败（{}）：\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let sources = publish_sources(repo, out).map_err(|e| format!("写入源码页时出错：{e}"))?;
    let links = rewrite_book_links(repo, out).map_err(|e| format!("改写链接时出错：{e}"))?;
    Ok(Built {
        dir: out.to_path_buf(),
        sources: sources.len(),
        links,
    })
}

/// `mdbook` on the PATH, or a sentence saying how to install it.
pub fn find_mdbook() -> Result<PathBuf, String> {
    let install =
        format!("找不到 mdbook。安装：cargo install mdbook --locked --version {MDBOOK_VERSION}");
    let output = Command::new("mdbook")
        .arg("--version")
        .output()
        .map_err(|_| install.clone())?;
    if !output.status.success() {
        return Err(install);
    }
    Ok(PathBuf::from("mdbook"))
}

// ---------------------------------------------------------------------------
// Publishing the sources
// ---------------------------------------------------------------------------

/// The kinds of file published: text a reader of the book may want to see
/// (`c`: the one C file, the DLL shim the Wine tests build).
/// (Never keys or certificates: the repository root may hold a teacher's.)
const PUBLISHED: [&str; 10] = [
    "rs", "py", "toml", "md", "txt", "sh", "yml", "lock", "svg", "c",
];

/// Folders never published: build output, the book itself, scratch space.
const UNPUBLISHED_DIRS: [&str; 6] = [
    "target",
    "docs",
    "try",
    "node_modules",
    "__pycache__",
    "book",
];

/// The repository's files that are published, `/`-separated, sorted.
pub fn published_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(root, Path::new(""), &mut files);
    files.sort();
    files
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = dir.join(&name);
        if name.starts_with('.') {
            continue;
        }
        if entry.path().is_dir() {
            if !UNPUBLISHED_DIRS.contains(&name.as_str()) {
                collect(root, &path, out);
            }
        } else if let Some((_, ext)) = name.rsplit_once('.')
            && PUBLISHED.contains(&ext)
        {
            out.push(slash_path(&path));
        }
    }
}

/// Writes every published file under `out/source/`: the file itself and a
/// page showing it; and a page for every folder, listing what it holds.
pub fn publish_sources(repo: &Repo, out: &Path) -> io::Result<Vec<String>> {
    let files = published_files(repo.root());
    let mut folders: Vec<String> = vec![String::new()];
    for file in &files {
        let text = repo.read(file).unwrap_or_default();
        let target = out.join(SOURCE_DIR).join(file);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, &text)?;
        write_atomically(
            &out.join(SOURCE_DIR).join(format!("{file}.html")),
            &source_page(file, &text),
        )?;
        let mut dir = file.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if !folders.iter().any(|f| f == parent) {
                folders.push(parent.to_string());
            }
            dir = parent;
        }
    }
    for folder in &folders {
        let listing = folder_page(folder, &files);
        let dir = out.join(SOURCE_DIR).join(folder);
        fs::create_dir_all(&dir)?;
        write_atomically(&dir.join("index.html"), &listing)?;
    }
    Ok(files)
}

/// `&`, `<`, `>` and `"` escaped for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PAGE_STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;color:#222}\
header{padding:10px 16px;background:#f3f3f3;border-bottom:1px solid #ddd}\
header a{color:#2b6cb0}table{border-collapse:collapse;font-family:ui-monospace,'Source Code Pro',monospace;font-size:14px}\
td.n{color:#999;text-align:right;padding:0 12px;user-select:none;vertical-align:top}\
td.n a{color:inherit;text-decoration:none}td.l{white-space:pre-wrap;overflow-wrap:anywhere}\
tr:target{background:#fff3b0}ul{font-family:ui-monospace,monospace}";

/// The breadcrumbs of a page under `source/`: the book, the repository,
/// then each folder down to the file or folder the page shows.
fn breadcrumbs(path: &str, is_folder: bool) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    // How many folders below `source/` the page itself is.
    let depth = if is_folder {
        parts.len()
    } else {
        parts.len().saturating_sub(1)
    };
    let root = "../".repeat(depth + 1);
    let mut html = format!(
        "<a href=\"{root}index.html\">← 回到书</a> · <a href=\"{root}{SOURCE_DIR}/index.html\">仓库</a>"
    );
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            html += &format!(" / <strong>{}</strong>", escape(part));
        } else {
            let up = "../".repeat(depth - (i + 1));
            html += &format!(" / <a href=\"{up}index.html\">{}</a>", escape(part));
        }
    }
    html
}

/// A page showing one file with numbered lines: `#L42` is line 42.
pub fn source_page(path: &str, text: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut rows = String::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        rows += &format!(
            "<tr id=\"L{n}\"><td class=\"n\"><a href=\"#L{n}\">{n}</a></td><td class=\"l\">{}</td></tr>\n",
            escape(line)
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n\
         <header>{crumbs} · <a href=\"{raw}\">原始文件</a></header>\n\
         <table>\n{rows}</table>\n</body>\n</html>\n",
        title = escape(path),
        crumbs = breadcrumbs(path, false),
        raw = escape(name),
    )
}

/// A page listing a folder's files and subfolders (`folder` "" is the root).
pub fn folder_page(folder: &str, files: &[String]) -> String {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut entries: Vec<(bool, String)> = Vec::new();
    for file in files {
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let entry = match rest.split_once('/') {
            Some((sub, _)) => (true, sub.to_string()),
            None => (false, rest.to_string()),
        };
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
    entries.sort();
    let items: String = entries
        .iter()
        .map(|(is_dir, name)| {
            if *is_dir {
                format!(
                    "<li><a href=\"{0}/index.html\">{0}/</a></li>\n",
                    escape(name)
                )
            } else {
                format!("<li><a href=\"{0}.html\">{0}</a></li>\n", escape(name))
            }
        })
        .collect();
    let title = if folder.is_empty() { "仓库" } else { folder };
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n\
         <header>{crumbs}</header>\n<ul>\n{items}</ul>\n</body>\n</html>\n",
        title = escape(title),
        crumbs = breadcrumbs(folder, true),
    )
}

// ---------------------------------------------------------------------------
// Rewriting the links
// ---------------------------------------------------------------------------

/// Where a link on the book page `page` (a path inside the book, such as
/// `tcp.html`) points now, if it climbs out of the book into the repository
/// and names a published file or folder: the published page, relative to
/// `page`, with the fragment kept. `exists` says whether a repository path
/// is a file (`Some(true)`), a folder (`Some(false)`) or nothing (`None`).
pub fn rewritten(page: &str, href: &str, exists: &dyn Fn(&str) -> Option<bool>) -> Option<String> {
    let lower = href.to_ascii_lowercase();
    if href.is_empty()
        || href.starts_with('#')
        || href.starts_with('/')
        || lower.contains("://")
        || lower.starts_with("mailto:")
        || lower.starts_with("data:")
        || lower.starts_with("javascript:")
    {
        return None;
    }
    let (path, fragment) = match href.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (href, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let page_dir = page.rsplit_once('/').map_or("", |(dir, _)| dir);
    // Inside the book it stays: only links that climb out are the repository's.
    if resolve(page_dir, &percent_decode(path)).is_some() {
        return None;
    }
    let book_dir = if page_dir.is_empty() {
        BOOK_SOURCE.to_string()
    } else {
        format!("{BOOK_SOURCE}/{page_dir}")
    };
    let mut target = resolve(&book_dir, &percent_decode(path))?;
    let mut kind = exists(&target);
    // mdBook turned a link to `README.md` into one to `README.html`.
    if kind.is_none()
        && let Some(stem) = target.strip_suffix(".html")
    {
        let md = format!("{stem}.md");
        if exists(&md) == Some(true) {
            target = md;
            kind = Some(true);
        }
    }
    let published = match kind? {
        true => format!("{SOURCE_DIR}/{target}.html"),
        false if target.is_empty() => format!("{SOURCE_DIR}/index.html"),
        false => format!("{SOURCE_DIR}/{}/index.html", target.trim_end_matches('/')),
    };
    let root = "../".repeat(page.matches('/').count());
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    Some(format!("{root}{published}{fragment}"))
}

/// `html` with every `href="…"` that [`rewritten`] maps, rewritten, and
/// every `src="…"` of a picture outside the book (a chart a program wrote)
/// pointed at the published file itself; and how many.
pub fn rewrite_links(
    page: &str,
    html: &str,
    exists: &dyn Fn(&str) -> Option<bool>,
) -> (String, usize) {
    let mut count = 0;
    let html = rewrite_attribute(html, "href", &mut count, |value| {
        rewritten(page, value, exists)
    });
    let html = rewrite_attribute(&html, "src", &mut count, |value| {
        let page_of_file = rewritten(page, value, exists)?;
        page_of_file
            .strip_suffix(".html")
            .filter(|_| !page_of_file.ends_with("/index.html"))
            .map(String::from)
    });
    (html, count)
}

/// `html` with the values of ` attribute="…"` that `map` maps, replaced.
fn rewrite_attribute(
    html: &str,
    attribute: &str,
    count: &mut usize,
    map: impl Fn(&str) -> Option<String>,
) -> String {
    let needle = format!(" {attribute}=\"");
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        let start = at + needle.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        let value = &rest[..end];
        match map(value) {
            Some(new) => {
                out.push_str(&new);
                *count += 1;
            }
            None => out.push_str(value),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Rewrites the links of every page mdBook made (not the published sources).
fn rewrite_book_links(repo: &Repo, out: &Path) -> io::Result<usize> {
    let published = published_files(repo.root());
    let exists = |path: &str| -> Option<bool> {
        let path = path.trim_end_matches('/');
        if published.iter().any(|f| f == path) {
            Some(true)
        } else if path.is_empty() || published.iter().any(|f| f.starts_with(&format!("{path}/"))) {
            Some(false)
        } else {
            None // not there, or not published (a key, a build folder)
        }
    };
    let mut count = 0;
    for page in html_pages(out) {
        let path = out.join(&page);
        let html = fs::read_to_string(&path)?;
        let (new, rewritten) = rewrite_links(&page, &html, &exists);
        if rewritten > 0 {
            write_atomically(&path, &new)?;
            count += rewritten;
        }
    }
    Ok(count)
}

/// The `.html` files of the built book, outside `source/`, `/`-separated.
pub fn html_pages(out: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    collect_html(out, Path::new(""), &mut pages);
    pages.sort();
    pages
}

fn collect_html(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = dir.join(&name);
        if entry.path().is_dir() {
            if dir.as_os_str().is_empty() && name == SOURCE_DIR {
                continue;
            }
            collect_html(root, &path, out);
        } else if name.ends_with(".html") {
            out.push(slash_path(&path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exists(path: &str) -> Option<bool> {
        match path {
            "chapters/tcp-server/src/main.rs" | "article/README.md" | "README.md" => Some(true),
            "" | "article" | "chapters/tcp-server" => Some(false),
            _ => None,
        }
    }

    #[test]
    fn links_that_climb_out_of_the_book_go_to_the_published_sources() {
        let cases = [
            (
                "tcp.html",
                "../../chapters/tcp-server/src/main.rs",
                Some("source/chapters/tcp-server/src/main.rs.html"),
            ),
            (
                "tcp.html",
                "../../chapters/tcp-server/src/main.rs#L3",
                Some("source/chapters/tcp-server/src/main.rs.html#L3"),
            ),
            (
                "tcp.html",
                "../../article/README.html",
                Some("source/article/README.md.html"),
            ),
            (
                "tcp.html",
                "../../article/",
                Some("source/article/index.html"),
            ),
            (
                "tcp.html",
                "../../chapters/tcp-server",
                Some("source/chapters/tcp-server/index.html"),
            ),
            ("tcp.html", "../../", Some("source/index.html")),
            (
                "sub/page.html",
                "../../../README.md",
                Some("../source/README.md.html"),
            ),
            // Inside the book, on the web, on the page, or nothing there: untouched.
            ("tcp.html", "udp.html#客户端", None),
            ("tcp.html", "assets/book.css", None),
            ("tcp.html", "https://example.com/x", None),
            ("tcp.html", "#x", None),
            ("tcp.html", "../../gone.rs", None),
            ("tcp.html", "../../../../outside", None),
        ];
        for (page, href, expected) in cases {
            assert_eq!(
                rewritten(page, href, &exists).as_deref(),
                expected,
                "{page} {href}"
            );
        }
    }

    #[test]
    fn only_href_values_are_rewritten_and_counted() {
        let html = "<a href=\"../../chapters/tcp-server/src/main.rs\">main.rs</a> <a href=\"udp.html\">UDP</a> ../../x";
        let (new, count) = rewrite_links("tcp.html", html, &exists);
        assert_eq!(count, 1);
        assert_eq!(
            new,
            "<a href=\"source/chapters/tcp-server/src/main.rs.html\">main.rs</a> <a href=\"udp.html\">UDP</a> ../../x"
        );
    }

    #[test]
    fn pictures_outside_the_book_are_taken_from_the_published_files() {
        let exists = |path: &str| match path {
            "tools/workshop/charts/bench.svg" => Some(true),
            _ => None,
        };
        let html = "<img src=\"../../tools/workshop/charts/bench.svg\" alt=\"图\"> <img src=\"charts/x.svg\">";
        let (new, count) = rewrite_links("concurrency.html", html, &exists);
        assert_eq!(count, 1);
        assert_eq!(
            new,
            "<img src=\"source/tools/workshop/charts/bench.svg\" alt=\"图\"> <img src=\"charts/x.svg\">"
        );
    }

    #[test]
    fn source_pages_number_and_escape_every_line() {
        let page = source_page(
            "chapters/tcp-server/src/main.rs",
            "fn main() {\n    let x = a < b && c;\n}\n",
        );
        assert!(page.contains("<tr id=\"L2\"><td class=\"n\"><a href=\"#L2\">2</a></td><td class=\"l\">    let x = a &lt; b &amp;&amp; c;</td></tr>"), "{page}");
        assert!(page.contains("href=\"../../../../index.html\""), "{page}");
        assert!(page.contains("<a href=\"main.rs\">原始文件</a>"), "{page}");
        let listing = folder_page(
            "chapters/tcp-server",
            &[
                "chapters/tcp-server/Cargo.toml".into(),
                "chapters/tcp-server/src/main.rs".into(),
                "chapters/tcp-client/x.rs".into(),
            ],
        );
        assert!(
            listing.contains("<a href=\"Cargo.toml.html\">Cargo.toml</a>"),
            "{listing}"
        );
        assert!(
            listing.contains("<a href=\"src/index.html\">src/</a>"),
            "{listing}"
        );
        assert!(!listing.contains("tcp-client"), "{listing}");
    }
}
