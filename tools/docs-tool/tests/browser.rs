//! The built book, opened page by page in a real browser (headless Chromium),
//! as a learner opens it.
//!
//! The book is built the way `cargo run -p docs-tool -- book` builds it
//! (mdbook, then the sources published beside it), into a temporary folder.
//! A small script (`tests/browser/probe.js`) is put first in every page of
//! that copy: it writes script errors, resources that failed to load and
//! images not shown into attributes of the page. Chromium opens each page
//! with `--dump-dom`, which prints the page as its scripts left it; a
//! virtual-time budget lets the page's own work (the search index, the
//! diagrams) finish first, without real waiting. From that, per page:
//!
//! - no script error, nothing that failed to load;
//! - every ```` ```mermaid ```` block of the Markdown drawn as a diagram;
//! - every link inside the book leads to a file that exists, and a
//!   `#fragment` to an element with that id;
//! - on five of the pages, a search (`?search=超时`, mdBook's own way of
//!   opening the search box with a term) lists every section the keyword
//!   index (索引) gives for that term, and the index's own entry;
//! - everything fits the page, in a laptop's window (1280 px) and as a
//!   projector shows it (1024×768 at 150 %: 683 CSS px): no element sticks
//!   out of the text column, and nothing but a code block or a diagram
//!   scrolls sideways (a table that scrolls hides its last columns); no
//!   label of a diagram or chart lies outside its picture or its box; and
//!   no label is drawn smaller than 12 CSS px (18 device px on the
//!   projector). Charts are `<img>`s, whose text cannot be measured inside
//!   the image, so the probe lays out a copy of each SVG at the chart's size.
//!
//! Why `--dump-dom` and not a browser driver: it needs no dependency (a
//! DevTools client needs a WebSocket and JSON), no network, and no port;
//! everything the test must know, the page can write into its DOM.
//!
//! Set `DOCS_SCREENSHOTS=DIR` to also write screenshots of the main pages,
//! at 1280 px and as a projector shows them (1024×768 at 150 %).
//!
//! Where mdbook or Chromium is missing, the test says so and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use docs_tool::keywords::{self, INDEX_PAGE};
use docs_tool::links::percent_decode;
use docs_tool::markdown;
use docs_tool::{Files, Repo, site};
use process_runner::{Output, Running};
use testkit::TempDir;

/// The searches the book must answer (issue: Chinese search).
const SEARCHES: [&str; 5] = ["超时", "线程池", "证书", "粘包", "close_notify"];

/// How long one Chromium run may take: starting a browser on a loaded
/// 2-core machine (about 2 s idle, measured), the page's work in virtual
/// time (which does not wait), and a wide margin for a busy CI machine.
const BROWSER_PATIENCE: Duration = Duration::from_secs(90);

/// The page's work may use this much virtual time: loading the search
/// index and Mermaid (several MB) and drawing. Virtual time runs only while
/// the page is idle, so this costs no real time when the work is done early.
const VIRTUAL_TIME_MS: u32 = 20_000;

/// Chromium's flags for a run that touches no network and no profile of ours.
fn chromium_flags(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        // The probe reads each chart's SVG file to measure its labels.
        "--allow-file-access-from-files",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// The first of the usual names of Chromium that runs here.
fn chromium() -> Option<String> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(String::from);
    if found.is_none() {
        testkit::skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)");
    }
    found
}

fn mdbook() -> Option<PathBuf> {
    match site::find_mdbook() {
        Ok(path) => Some(path),
        Err(why) => {
            testkit::skip(&why);
            None
        }
    }
}

/// One page to open, the window to open it in, and the search to type on
/// it, if any.
struct Visit {
    /// `tcp.html`
    page: String,
    /// The Markdown it is made from: `docs/src/tcp.md`.
    source: String,
    search: Option<&'static str>,
    window: Window,
}

/// The two windows every page is opened in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Window {
    /// A laptop: 1280 CSS px wide, the sidebar shown beside the text.
    Laptop,
    /// A 1024×768 projector at 150 % zoom: 683×512 CSS px, each drawn as
    /// 1.5 device pixels, the sidebar hidden.
    Projector,
}

impl Window {
    fn flags(self) -> [String; 2] {
        let (size, zoom) = match self {
            Window::Laptop => ("1280,2000", "1"),
            Window::Projector => ("683,512", "1.5"),
        };
        [
            format!("--window-size={size}"),
            format!("--force-device-scale-factor={zoom}"),
        ]
    }

    fn name(self) -> &'static str {
        match self {
            Window::Laptop => "1280 px",
            Window::Projector => "the projector (1024×768 at 150 %)",
        }
    }
}

/// What one page looked like after its scripts ran.
struct Seen {
    visit: Visit,
    dom: String,
}

#[test]
fn every_page_works_in_a_real_browser() {
    let (Some(mdbook), Some(chromium)) = (mdbook(), chromium()) else {
        return;
    };
    let repo = Repo::this_one();
    let dir = TempDir::new("docs-browser");
    let out = dir.join("book");
    let built = site::build(&repo, &mdbook, &out).unwrap();
    eprintln!(
        "built the book: {} sources published, {} links rewritten",
        built.sources, built.links
    );
    assert!(built.links >= 40, "only {} links to sources", built.links);
    insert_probe(&out);

    let visits = visits(&repo);
    let seen = open_all(&chromium, &out, dir.path(), visits);

    let mut problems = Vec::new();
    let mut ids_cache: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut links = 0;
    let mut diagrams = 0;
    let mut measured = Measured::default();
    for page in &seen {
        let mut drawn_again = 0;
        let drawn = match page.visit.window {
            Window::Laptop => &mut diagrams,
            Window::Projector => &mut drawn_again,
        };
        problems.extend(page_problems(&repo, page, drawn));
        problems.extend(layout_problems(page, &mut measured));
        if page.visit.window == Window::Laptop {
            let (wrong, checked) = dead_links(&out, page, &mut ids_cache);
            problems.extend(wrong);
            links += checked;
        }
        if let Some(term) = page.visit.search {
            problems.extend(search_problems(&repo, page, term));
        }
    }
    // Straight to stderr, past the test harness's capture: the CI log shows
    // that the browser really ran (a skip note shows the opposite).
    let _ = writeln!(
        std::io::stderr(),
        "browser test: opened {} pages in Chromium, followed {links} links, {diagrams} diagrams drawn, {} searches answered; layout at two window sizes: {} elements, {} pictures, {} labels measured",
        seen.len(),
        SEARCHES.len(),
        measured.elements,
        measured.pictures,
        measured.labels,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        links > 500,
        "only {links} links found: is the DOM dump empty?"
    );
    // Every chart and diagram counted twice (two windows): a probe that
    // measured nothing cannot pass.
    assert!(
        measured.pictures >= 2 * diagrams_and_charts(&repo),
        "only {} pictures measured",
        measured.pictures
    );

    if let Some(shots) = std::env::var_os("DOCS_SCREENSHOTS") {
        screenshots(&chromium, &out, dir.path(), Path::new(&shots));
    }
}

/// Every page of the book in both windows, the searches spread over the
/// first few pages (in the laptop's window).
fn visits(repo: &Repo) -> Vec<Visit> {
    let mut searches = SEARCHES.iter();
    repo.book_pages()
        .into_iter()
        .filter(|p| !p.ends_with("SUMMARY.md"))
        .flat_map(|source| {
            let name = source.rsplit('/').next().unwrap().trim_end_matches(".md");
            let page = format!("{name}.html");
            [
                Visit {
                    page: page.clone(),
                    source: source.clone(),
                    search: searches.next().copied(),
                    window: Window::Laptop,
                },
                Visit {
                    page,
                    source,
                    search: None,
                    window: Window::Projector,
                },
            ]
        })
        .collect()
}

/// How many ```` ```mermaid ```` blocks and SVG charts the book's pages have.
fn diagrams_and_charts(repo: &Repo) -> usize {
    repo.book_pages()
        .iter()
        .map(|page| {
            let text = repo.read(page).unwrap_or_default();
            let parsed = markdown::parse(&text);
            let diagrams = parsed
                .fences
                .iter()
                .filter(|f| f.language() == "mermaid")
                .count();
            let charts = text
                .split("](images/")
                .skip(1)
                .filter(|rest| rest.split(')').next().is_some_and(|f| f.ends_with(".svg")))
                .count();
            diagrams + charts
        })
        .sum()
}

/// Puts `probe.js` first in the `<head>` of every page mdBook made.
fn insert_probe(out: &Path) {
    let probe = include_str!("browser/probe.js");
    for page in site::html_pages(out) {
        let path = out.join(&page);
        let html = fs::read_to_string(&path).unwrap();
        let html = html.replacen("<head>", &format!("<head>\n<script>{probe}</script>"), 1);
        fs::write(&path, html).unwrap();
    }
}

/// Opens every page in Chromium, two at a time (the machine has 2 cores).
fn open_all(chromium: &str, out: &Path, scratch: &Path, visits: Vec<Visit>) -> Vec<Seen> {
    let queue = Mutex::new(visits.into_iter().enumerate().collect::<Vec<_>>());
    let seen = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some((n, visit)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let mut url = format!("file://{}", out.join(&visit.page).display());
                    if let Some(term) = visit.search {
                        url += &format!("?search={}", encode(term));
                    }
                    let profile = scratch.join(format!("profile-{n}"));
                    let mut args = chromium_flags(&profile);
                    args.extend(visit.window.flags());
                    args.push(format!("--virtual-time-budget={VIRTUAL_TIME_MS}"));
                    args.push("--dump-dom".into());
                    args.push(url);
                    let dom = run_chromium(chromium, &args);
                    seen.lock().unwrap().push(Seen { visit, dom });
                }
            });
        }
    });
    let mut seen = seen.into_inner().unwrap();
    seen.sort_by(|a, b| {
        (&a.visit.page, a.visit.window == Window::Projector)
            .cmp(&(&b.visit.page, b.visit.window == Window::Projector))
    });
    seen
}

/// Runs Chromium to its end and returns what it printed on stdout.
fn run_chromium(chromium: &str, args: &[String]) -> String {
    let mut command = Command::new(chromium);
    command.args(args);
    let running = Running::start(&mut command, "chromium", Output::Keep).unwrap();
    let finished = running
        .wait(BROWSER_PATIENCE)
        .unwrap_or_else(|e| panic!("chromium {args:?}: {e:?}"));
    assert!(
        finished.status.success(),
        "chromium {args:?}: {}\n{}",
        finished.status,
        finished.stderr.join("\n")
    );
    finished.stdout.join("\n")
}

/// `超时` → `%E8%B6%85%E6%97%B6`.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The value of `attribute` on the first element that has it, unescaped.
fn attribute(dom: &str, attribute: &str) -> Option<String> {
    let start = dom.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = dom[start..].find('"')? + start;
    Some(unescape(&dom[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

/// Script errors, failed loads, and diagrams not drawn on one page.
fn page_problems(repo: &Repo, page: &Seen, diagrams: &mut usize) -> Vec<String> {
    let name = &format!("{} at {}", page.visit.page, page.visit.window.name());
    let dom = &page.dom;
    let mut problems = Vec::new();
    if attribute(dom, "data-probe-loaded").as_deref() != Some("yes") {
        problems.push(format!("{name}: the page did not finish loading"));
    }
    if let Some(errors) = attribute(dom, "data-probe-errors") {
        for error in errors.lines() {
            problems.push(format!("{name}: {error}"));
        }
    }
    let markdown = repo.read(&page.visit.source).unwrap_or_default();
    let expected = markdown::parse(&markdown)
        .fences
        .iter()
        .filter(|f| f.language() == "mermaid")
        .count();
    let drawn = dom.matches("aria-roledescription=\"").count()
        - dom.matches("aria-roledescription=\"error\"").count();
    if expected > 0 {
        let state = attribute(dom, "data-diagrams");
        if state.as_deref() != Some("rendered") || drawn < expected {
            problems.push(format!(
                "{name}: {expected} ```mermaid block(s) in {}, {drawn} drawn (diagrams: {state:?})",
                page.visit.source
            ));
        }
    }
    if dom.contains("aria-roledescription=\"error\"") {
        problems.push(format!(
            "{name}: Mermaid drew an error instead of a diagram"
        ));
    }
    *diagrams += drawn;
    problems
}

/// What the layout probe looked at, over all visits.
#[derive(Default)]
struct Measured {
    elements: usize,
    pictures: usize,
    labels: usize,
}

/// What does not fit on one page in one window, as the probe found it.
fn layout_problems(page: &Seen, measured: &mut Measured) -> Vec<String> {
    let name = format!("{} at {}", page.visit.page, page.visit.window.name());
    let Some(counts) = attribute(&page.dom, "data-probe-measured") else {
        return vec![format!("{name}: the layout was not measured")];
    };
    // "1234 elements, 5 pictures, 67 labels, column at …"
    let numbers: Vec<usize> = counts
        .split(", ")
        .filter_map(|part| part.split(' ').next()?.parse().ok())
        .collect();
    if let [elements, pictures, labels, ..] = numbers[..] {
        measured.elements += elements;
        measured.pictures += pictures;
        measured.labels += labels;
    }
    attribute(&page.dom, "data-probe-layout")
        .unwrap_or_default()
        .lines()
        .map(|line| format!("{name}: {line}"))
        .collect()
}

/// Every `href` and `src` of the page that stays in the book must lead to
/// a file, and its `#fragment` to an id there. Returns the problems and how
/// many links were followed.
fn dead_links(
    out: &Path,
    page: &Seen,
    ids: &mut BTreeMap<PathBuf, BTreeSet<String>>,
) -> (Vec<String>, usize) {
    let name = &page.visit.page;
    let page_path = out.join(name);
    let mut problems = Vec::new();
    let mut checked = 0;
    for (attr, value) in attribute_values(&page.dom) {
        let value = unescape(&value);
        let lower = value.to_ascii_lowercase();
        if value.is_empty()
            || lower.contains("://") && !lower.starts_with("file://")
            || lower.starts_with("mailto:")
            || lower.starts_with("javascript:")
            || lower.starts_with("data:")
            || lower.starts_with("about:")
        {
            continue;
        }
        checked += 1;
        let (target, fragment) = resolve_in_book(&page_path, &value);
        if !target.starts_with(out) {
            problems.push(format!("{name}: {attr}=\"{value}\" leads out of the book"));
            continue;
        }
        if !target.is_file() {
            problems.push(format!(
                "{name}: {attr}=\"{value}\": {} does not exist",
                target.display()
            ));
            continue;
        }
        let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
            continue;
        };
        let known = ids.entry(target.clone()).or_insert_with(|| {
            if target == page_path {
                ids_in(&page.dom)
            } else {
                ids_in(&fs::read_to_string(&target).unwrap_or_default())
            }
        });
        if !known.contains(&fragment) {
            problems.push(format!(
                "{name}: {attr}=\"{value}\": no element with id \"{fragment}\" in {}",
                target.display()
            ));
        }
    }
    (problems, checked)
}

/// The `href="…"` and `src="…"` values of a page, with which attribute.
fn attribute_values(dom: &str) -> Vec<(&'static str, String)> {
    let mut values = Vec::new();
    for attr in ["href", "src"] {
        let needle = format!(" {attr}=\"");
        let mut rest = dom;
        while let Some(at) = rest.find(&needle) {
            rest = &rest[at + needle.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            values.push((attr, rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    values
}

/// A link's file (query dropped) and its decoded fragment.
fn resolve_in_book(page: &Path, link: &str) -> (PathBuf, Option<String>) {
    let (path, fragment) = match link.split_once('#') {
        Some((path, fragment)) => (path, Some(percent_decode(fragment))),
        None => (link, None),
    };
    let path = path.split('?').next().unwrap_or("");
    let target = if let Some(absolute) = path.strip_prefix("file://") {
        PathBuf::from(percent_decode(absolute))
    } else if path.is_empty() {
        page.to_path_buf()
    } else {
        let mut target = page.parent().unwrap().to_path_buf();
        for part in percent_decode(path).split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    target.pop();
                }
                part => target.push(part),
            }
        }
        target
    };
    (target, fragment)
}

/// The `id="…"` values in a page.
fn ids_in(html: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut rest = html;
    while let Some(at) = rest.find(" id=\"") {
        rest = &rest[at + 5..];
        let end = rest.find('"').unwrap_or(rest.len());
        ids.insert(unescape(&rest[..end]));
        rest = &rest[end..];
    }
    ids
}

/// The search for `term` must list every section the keyword index links
/// for it that contains the term itself, and the index's own entry.
fn search_problems(repo: &Repo, page: &Seen, term: &str) -> Vec<String> {
    let name = &page.visit.page;
    let Some(list_start) = page.dom.find("id=\"mdbook-searchresults\"") else {
        return vec![format!("{name}?search={term}: no search results list")];
    };
    let list_end = page.dom[list_start..]
        .find("</ul>")
        .map_or(page.dom.len(), |e| e + list_start);
    let results: BTreeSet<String> = attribute_values(&page.dom[list_start..list_end])
        .into_iter()
        .filter(|(attr, _)| *attr == "href")
        .map(|(_, href)| {
            let href = unescape(&href);
            let (path, fragment) = href.split_once('#').unwrap_or((&href, ""));
            let path = path
                .split('?')
                .next()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            format!("{path}#{}", percent_decode(fragment))
        })
        .collect();
    let mut expected = BTreeSet::new();
    let index = repo.read(INDEX_PAGE).unwrap_or_default();
    let parsed_index = markdown::parse(&index);
    let heading_ids = parsed_index.ordered_heading_ids();
    let entries: Vec<_> = keywords::entries(&index)
        .into_iter()
        .filter(|e| e.terms.iter().any(|t| t.eq_ignore_ascii_case(term)))
        .collect();
    if entries.is_empty() {
        return vec![format!("the keyword index has no entry for {term}")];
    }
    for entry in &entries {
        let heading = parsed_index
            .headings
            .iter()
            .zip(&heading_ids)
            .rfind(|(h, _)| h.line < entry.line)
            .map(|(_, id)| id.clone())
            .unwrap_or_default();
        expected.insert(format!("keywords.html#{heading}"));
        for link in &entry.links {
            let Some((path, fragment)) = link.split_once('#') else {
                continue;
            };
            let fragment = percent_decode(fragment);
            let text = repo.read(&format!("docs/src/{path}")).unwrap_or_default();
            let mentions = keywords::sections(&text).into_iter().any(|(id, body)| {
                id == fragment && body.to_lowercase().contains(&term.to_lowercase())
            });
            if mentions {
                expected.insert(format!(
                    "{}#{fragment}",
                    path.trim_end_matches(".md").to_owned() + ".html"
                ));
            }
        }
    }
    expected
        .difference(&results)
        .map(|missing| {
            format!(
                "search {term}: {missing} is not among its {} results",
                results.len()
            )
        })
        .collect()
}

/// Screenshots of the main pages, for a person to look at.
fn screenshots(chromium: &str, out: &Path, scratch: &Path, into: &Path) {
    fs::create_dir_all(into).unwrap();
    let pages = [
        "introduction",
        "tcp",
        "concurrency",
        "security",
        "workshop",
        "python-vs-rust",
        "keywords",
    ];
    // (name, window size in CSS pixels, zoom): a laptop, and a 1024×768
    // projector at 150 % (683×512 CSS pixels).
    let sizes = [("1280", "1280,3000", "1"), ("projector", "683,2000", "1.5")];
    for (n, page) in pages.iter().enumerate() {
        for (label, size, zoom) in sizes {
            let shot = into.join(format!("{page}-{label}.png"));
            let mut args = chromium_flags(&scratch.join(format!("shots-{n}-{label}")));
            args.extend([
                format!("--window-size={size}"),
                format!("--force-device-scale-factor={zoom}"),
                format!("--virtual-time-budget={VIRTUAL_TIME_MS}"),
                format!("--screenshot={}", shot.display()),
                format!("file://{}", out.join(format!("{page}.html")).display()),
            ]);
            run_chromium(chromium, &args);
            eprintln!("screenshot: {}", shot.display());
        }
    }
}
