//! Checks that keep the book in `docs/src` true to the workspace.
//!
//! The book quotes the programs, links to their files and tells readers
//! which commands to type. Each of those can silently go stale when the code
//! changes, so `docs/tests/docs.rs` runs the checks below on every
//! `cargo test`, and each problem is reported with the page, the line and
//! what to do about it:
//!
//! - [`check_quotes`]: a block under `<!-- code: path:anchor -->` must be
//!   exactly the lines between `// ANCHOR: anchor` and `// ANCHOR_END: anchor`
//!   in `path` (without the anchor lines, common indentation removed);
//! - [`check_links`]: a relative link must point at a file or folder that
//!   exists, and a `#fragment` into a Markdown page at one of its headings;
//! - [`check_commands`]: a `cargo` command must name workspace members,
//!   existing examples, options the program really accepts, and (for the
//!   workshop) chapters and commands it really has;
//! - [`check_summary`]: `SUMMARY.md` must list every page, and only pages
//!   that exist.
//!
//! Everything here is plain `std`: the docs crate has no dependencies, so the
//! checks build in a second and a reader can follow all of it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// One thing wrong in the docs: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `docs/src/tcp.md:42`
    pub place: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

fn problem(page: &str, line: usize, message: impl Into<String>) -> Problem {
    Problem {
        place: format!("{page}:{line}"),
        message: message.into(),
    }
}

/// All problems as one text, for a test's failure message.
pub fn report(problems: &[Problem]) -> String {
    let mut text = format!("{} problem(s) in the docs:\n", problems.len());
    for p in problems {
        text += &format!("\n{p}\n");
    }
    text
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// Read access to the repository, by `/`-separated paths relative to its
/// root. The tests use [`Disk`]; the unit tests below use a map in memory.
pub trait Files {
    /// The text of a file, or `None` if there is no such file.
    fn read(&self, path: &str) -> Option<String>;
    /// Whether a file or a folder exists at `path`.
    fn exists(&self, path: &str) -> bool;
}

/// The repository on disk.
pub struct Disk {
    pub root: PathBuf,
}

impl Files for Disk {
    fn read(&self, path: &str) -> Option<String> {
        fs::read_to_string(self.root.join(path)).ok()
    }
    fn exists(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }
}

/// In-memory files for tests: a path exists if it is a file or the folder of one.
impl Files for BTreeMap<&str, &str> {
    fn read(&self, path: &str) -> Option<String> {
        self.get(path).map(|text| text.to_string())
    }
    fn exists(&self, path: &str) -> bool {
        let folder = format!("{}/", path.trim_end_matches('/'));
        self.contains_key(path) || self.keys().any(|file| file.starts_with(&folder))
    }
}

/// The Markdown pages whose links and commands are checked: the book
/// (`docs/**/*.md`), the README and `article/README.md`; paths relative to `root`.
pub fn markdown_pages(root: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    collect_files(root, Path::new("docs"), "md", &mut pages);
    for extra in ["README.md", "article/README.md"] {
        if root.join(extra).exists() {
            pages.push(extra.to_string());
        }
    }
    pages.sort();
    pages
}

/// Files ending in `.ext` under `dir` (relative to `root`), recursively,
/// skipping build output (`target`, `book`) and hidden folders.
fn collect_files(root: &Path, dir: &Path, ext: &str, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = dir.join(&name);
        if entry.path().is_dir() {
            if !name.starts_with('.') && name != "target" && name != "book" {
                collect_files(root, &path, ext, out);
            }
        } else if name.ends_with(&format!(".{ext}")) {
            out.push(slash_path(&path));
        }
    }
}

fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    parts.join("/")
}

// ---------------------------------------------------------------------------
// Markdown, just enough of it
// ---------------------------------------------------------------------------

/// A fenced code block: the line of its opening fence (1-based), its info
/// string (`rust`, `sh`, …) and its lines.
#[derive(Debug)]
pub struct Fence {
    pub line: usize,
    pub info: String,
    pub body: Vec<String>,
}

/// A page split into prose lines (with their numbers) and fenced blocks.
#[derive(Debug, Default)]
pub struct Parsed {
    pub prose: Vec<(usize, String)>,
    pub fences: Vec<Fence>,
}

/// Splits Markdown into prose lines and fenced code blocks (``` or ~~~).
pub fn parse_markdown(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut open: Option<(String, Fence)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        match open.as_mut() {
            Some((marker, fence)) => {
                let closing = trimmed.trim_end();
                if closing.starts_with(marker.as_str())
                    && closing
                        .chars()
                        .all(|c| c == marker.chars().next().unwrap_or('`'))
                {
                    if let Some((_, fence)) = open.take() {
                        parsed.fences.push(fence);
                    }
                } else {
                    fence.body.push(line.to_string());
                }
            }
            None => {
                if let Some(marker) = fence_marker(trimmed) {
                    let info = trimmed[marker.len()..].trim().to_string();
                    let fence = Fence {
                        line: number,
                        info,
                        body: Vec::new(),
                    };
                    open = Some((marker, fence));
                } else {
                    parsed.prose.push((number, line.to_string()));
                }
            }
        }
    }
    // An unclosed fence runs to the end of the page, as in CommonMark.
    if let Some((_, fence)) = open {
        parsed.fences.push(fence);
    }
    parsed
}

/// "```" or "~~~~" (three or more) at the start of a line.
fn fence_marker(line: &str) -> Option<String> {
    for c in ['`', '~'] {
        let count = line.chars().take_while(|&x| x == c).count();
        if count >= 3 {
            return Some(c.to_string().repeat(count));
        }
    }
    None
}

/// The inline code spans of one prose line: `like this`.
pub fn inline_code(line: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => {
                spans.push(after[..end].trim().to_string());
                rest = &after[end + ticks..];
            }
            None => break,
        }
    }
    spans
}

/// A prose line with its inline code spans blanked out, so that text inside
/// backticks is not mistaken for a link.
fn without_inline_code(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        match after.find(&"`".repeat(ticks)) {
            Some(end) => {
                out += &rest[..start];
                out += " ";
                rest = &after[end + ticks..];
            }
            None => break,
        }
    }
    out + rest
}

// ---------------------------------------------------------------------------
// Quoted code
// ---------------------------------------------------------------------------

/// A `<!-- code: path:anchor -->` marker line, parsed.
fn code_marker(line: &str) -> Option<(String, String)> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim()
        .strip_prefix("code:")?
        .trim();
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
        return Err(format!(
            "has no `// ANCHOR: {anchor}` line (anchors there: {})",
            anchor_names(source).join(", ")
        ));
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

/// The names of every `ANCHOR:` in a source, for "did you mean" messages.
fn anchor_names(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| {
            l.split_once("ANCHOR:")
                .map(|(_, name)| name.trim().to_string())
        })
        .collect()
}

/// Checks every quoted block of one page against its region.
/// Returns the problems and how many quotes were checked.
pub fn check_quotes(page: &str, text: &str, files: &dyn Files) -> (Vec<Problem>, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let parsed = parse_markdown(text);
    let mut problems = Vec::new();
    let mut checked = 0;
    for (number, line) in &parsed.prose {
        let Some((path, anchor)) = code_marker(line) else {
            continue;
        };
        checked += 1;
        let marker = format!("<!-- code: {path}:{anchor} -->");
        // The block must start on the very next line.
        let fence = parsed.fences.iter().find(|f| f.line == number + 1);
        let Some(fence) = fence.filter(|f| f.info.split_whitespace().next() == Some("rust")) else {
            let next = lines.get(*number).copied().unwrap_or("(end of page)");
            problems.push(problem(
                page,
                *number,
                format!("{marker} must be followed at once by a ```rust block, found: {next}"),
            ));
            continue;
        };
        let Some(source) = files.read(&path) else {
            problems.push(problem(
                page,
                *number,
                format!("{marker} names {path}, which does not exist"),
            ));
            continue;
        };
        match region(&source, &anchor) {
            Err(why) => problems.push(problem(page, *number, format!("{marker}: {path} {why}"))),
            Ok(expected) => {
                let found: Vec<(usize, String)> = fence
                    .body
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (fence.line + 1 + i, l.trim_end().to_string()))
                    .collect();
                if let Some(diff) = line_diff(&expected, &found, &path, page) {
                    problems.push(problem(
                        page,
                        *number,
                        format!(
                            "the block under {marker} is not the region's code.\n{diff}\
                             Copy the region again: its lines without the ANCHOR lines, common indentation removed."
                        ),
                    ));
                }
            }
        }
    }
    (problems, checked)
}

/// A line diff of `expected` (numbered as in `source`) against `found`
/// (numbered as in `page`), or `None` if they are equal.
pub fn line_diff(
    expected: &[(usize, String)],
    found: &[(usize, String)],
    source: &str,
    page: &str,
) -> Option<String> {
    let a: Vec<&str> = expected.iter().map(|(_, l)| l.as_str()).collect();
    let b: Vec<&str> = found.iter().map(|(_, l)| l.as_str()).collect();
    if a == b {
        return None;
    }
    // Longest common subsequence, then walk it: small regions, so O(n·m) is fine.
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = format!("  - expected ({source} line)\n  + found ({page} line)\n");
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("  + {:>4} | {}\n", found[j].0, b[j]);
            j += 1;
        } else {
            out += &format!("  - {:>4} | {}\n", expected[i].0, a[i]);
            i += 1;
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------

/// The link targets on a page outside code: `[text](target)`,
/// `![alt](target)` and `[label]: target`, with their line numbers.
pub fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in parse_markdown(text).prose {
        let line = without_inline_code(&line);
        // Reference definitions: [label]: target
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some((label, rest)) = trimmed.split_once("]:")
            && !label.contains("](")
        {
            if let Some(target) = rest.split_whitespace().next() {
                found.push((number, target.trim_matches(['<', '>']).to_string()));
            }
            continue;
        }
        let mut rest = line.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let target = if let Some(inner) = after.strip_prefix('<') {
                inner.split('>').next().unwrap_or("").to_string()
            } else {
                // Up to the `)` that closes the link, allowing balanced ( ) inside.
                let mut depth = 0;
                let mut end = after.len();
                for (i, c) in after.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' if depth == 0 => {
                            end = i;
                            break;
                        }
                        ')' => depth -= 1,
                        c if c.is_whitespace() => {
                            end = i;
                            break;
                        }
                        _ => {}
                    }
                }
                after[..end].to_string()
            };
            found.push((number, target));
            rest = after;
        }
    }
    found
}

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

/// `docs/src` + `../../tcp-server/src/main.rs` → `tcp-server/src/main.rs`;
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

/// The ids a Markdown renderer gives a page's headings, the way both GitHub
/// and mdBook make them: lower case, letters, digits, `-` and `_` kept,
/// spaces turned into `-`, everything else dropped; repeats get `-1`, `-2`.
pub fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (_, line) in parse_markdown(text).prose {
        let trimmed = line.trim_start();
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !trimmed[hashes..].starts_with(' ') {
            continue;
        }
        let title = without_inline_code_keep_text(trimmed[hashes..].trim());
        let mut id = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                id.push(c);
            } else if c == ' ' {
                id.push('-');
            }
        }
        let count = seen.entry(id.clone()).or_insert(0);
        if *count > 0 {
            ids.insert(format!("{id}-{count}"));
        } else {
            ids.insert(id.clone());
        }
        *count += 1;
    }
    ids
}

/// A heading's text with the backticks of inline code removed (their text stays).
fn without_inline_code_keep_text(title: &str) -> String {
    title.replace('`', "")
}

/// Checks every relative link of one page: the file or folder must exist,
/// and a `#fragment` into a Markdown page must name one of its headings.
/// Returns the problems and how many relative links were checked.
pub fn check_links(page: &str, text: &str, files: &dyn Files) -> (Vec<Problem>, usize) {
    let dir = page.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut problems = Vec::new();
    let mut checked = 0;
    for (number, target) in links(text) {
        let lower = target.to_ascii_lowercase();
        if target.is_empty()
            || lower.starts_with("http:")
            || lower.starts_with("https:")
            || lower.starts_with("mailto:")
            || target.starts_with('#')
        {
            continue;
        }
        checked += 1;
        let (path, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target.as_str(), None),
        };
        let path = percent_decode(path);
        let Some(resolved) = resolve(dir, &path) else {
            problems.push(problem(
                page,
                number,
                format!("link {target} climbs out of the repository"),
            ));
            continue;
        };
        if !files.exists(&resolved) {
            problems.push(problem(
                page,
                number,
                format!("link {target} points at {resolved}, which does not exist"),
            ));
            continue;
        }
        if let (Some(fragment), true) = (fragment, resolved.ends_with(".md")) {
            let ids = heading_ids(&files.read(&resolved).unwrap_or_default());
            let fragment = percent_decode(fragment);
            if !ids.contains(&fragment) {
                problems.push(problem(
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
    let ids = heading_ids(text);
    links(text)
        .into_iter()
        .filter_map(|(number, target)| {
            let fragment = percent_decode(target.strip_prefix('#')?);
            (!ids.contains(&fragment)).then(|| {
                problem(
                    page,
                    number,
                    format!("link #{fragment} names no heading on this page"),
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// A workspace member, as far as the command check needs it.
#[derive(Debug, Default)]
pub struct Member {
    pub name: String,
    /// Folder relative to the repository root.
    pub dir: String,
    /// All `.rs` files under `src/`, one after the other: the program `cargo run` runs.
    pub program: String,
    /// `examples/NAME.rs` → its text.
    pub examples: BTreeMap<String, String>,
    /// Whether it depends on `common`, whose command-line parser answers `--help`.
    pub uses_common: bool,
}

/// The members listed in the root `Cargo.toml`.
#[derive(Debug, Default)]
pub struct Workspace {
    pub members: Vec<Member>,
}

impl Workspace {
    /// Reads the member list from `root/Cargo.toml` and each member's files.
    pub fn load(root: &Path) -> Result<Workspace, String> {
        let manifest = fs::read_to_string(root.join("Cargo.toml"))
            .map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
        let mut members = Vec::new();
        for dir in toml_members(&manifest) {
            let member_manifest = fs::read_to_string(root.join(&dir).join("Cargo.toml"))
                .map_err(|e| format!("cannot read {dir}/Cargo.toml: {e}"))?;
            let name = toml_package_name(&member_manifest)
                .ok_or_else(|| format!("{dir}/Cargo.toml has no [package] name"))?;
            let mut sources = Vec::new();
            collect_files(root, &Path::new(&dir).join("src"), "rs", &mut sources);
            sources.sort();
            let program = sources
                .iter()
                .filter_map(|s| fs::read_to_string(root.join(s)).ok())
                .collect::<Vec<_>>()
                .join("\n");
            let mut examples = BTreeMap::new();
            if let Ok(entries) = fs::read_dir(root.join(&dir).join("examples")) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let file = if path.is_dir() {
                        path.join("main.rs")
                    } else {
                        path.clone()
                    };
                    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string());
                    if let (Some(stem), Ok(text)) = (stem, fs::read_to_string(&file)) {
                        examples.insert(stem, text);
                    }
                }
            }
            let uses_common = member_manifest
                .lines()
                .any(|l| l.trim_start().starts_with("common"));
            members.push(Member {
                name,
                dir,
                program,
                examples,
                uses_common,
            });
        }
        Ok(Workspace { members })
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.members.iter().map(|m| m.name.as_str()).collect();
        names.join(", ")
    }
}

/// The strings in `members = [ … ]` of a workspace manifest.
pub fn toml_members(manifest: &str) -> Vec<String> {
    let Some(start) = manifest.find("members") else {
        return Vec::new();
    };
    let after = &manifest[start..];
    let (Some(open), Some(close)) = (after.find('['), after.find(']')) else {
        return Vec::new();
    };
    after[open + 1..close]
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split(','))
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `name = "…"` in the `[package]` table of a member's manifest.
pub fn toml_package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// Splits a command line the way a POSIX shell would, roughly: quotes group,
/// `&&`, `||`, `;` and `|` separate commands, `#` starts a comment.
pub fn shell_words(line: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let finish = |word: &mut String, in_word: &mut bool, commands: &mut Vec<Vec<String>>| {
        if *in_word && let Some(last) = commands.last_mut() {
            last.push(std::mem::take(word));
        }
        *in_word = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => finish(&mut word, &mut in_word, &mut commands),
            '&' | '|' | ';' => {
                finish(&mut word, &mut in_word, &mut commands);
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish(&mut word, &mut in_word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

/// Every cargo command a page gives: lines of fenced blocks and inline code
/// spans, with their line numbers.
pub fn cargo_commands(text: &str) -> Vec<(usize, Vec<String>)> {
    let parsed = parse_markdown(text);
    let mut lines: Vec<(usize, String)> = Vec::new();
    for fence in &parsed.fences {
        for (i, line) in fence.body.iter().enumerate() {
            lines.push((fence.line + 1 + i, line.clone()));
        }
    }
    for (number, line) in &parsed.prose {
        for span in inline_code(line) {
            lines.push((*number, span));
        }
    }
    let mut commands = Vec::new();
    for (number, line) in lines {
        for words in shell_words(&line) {
            if let Some(start) = words.iter().position(|w| w == "cargo") {
                commands.push((number, words[start..].to_vec()));
            }
        }
    }
    commands.sort_by_key(|(number, _)| *number);
    commands
}

/// Checks one cargo command against the workspace. `words[0]` is `cargo`.
pub fn check_command(words: &[String], workspace: &Workspace) -> Vec<String> {
    let mut wrong = Vec::new();
    let command = words.join(" ");
    let Some(subcommand) = words.get(1) else {
        return wrong;
    };
    let split = words.iter().position(|w| w == "--").unwrap_or(words.len());
    let (cargo_args, program_args) = (&words[2.min(split)..split], &words[split..]);
    let mut packages = Vec::new();
    let mut example = None;
    let mut i = 0;
    while i < cargo_args.len() {
        let arg = cargo_args[i].as_str();
        let mut value = |long: &str, short: Option<&str>| -> Option<String> {
            if arg == long || Some(arg) == short {
                i += 1;
                return cargo_args.get(i).cloned();
            }
            if let Some(v) = arg.strip_prefix(&format!("{long}=")) {
                return Some(v.to_string());
            }
            short.and_then(|s| arg.strip_prefix(s)).map(String::from)
        };
        if let Some(package) = value("--package", Some("-p")) {
            packages.push(package);
        } else if let Some(name) = value("--example", None) {
            example = Some(name);
        }
        i += 1;
    }
    for package in &packages {
        if workspace.member(package).is_none() {
            wrong.push(format!(
                "`{command}`: -p {package} is not a workspace member (members: {})",
                workspace.names()
            ));
        }
    }
    if subcommand != "run" {
        return wrong;
    }
    let member = match packages.as_slice() {
        [one] => match workspace.member(one) {
            Some(member) => member,
            None => return wrong,
        },
        [] => {
            wrong.push(format!(
                "`{command}`: `cargo run` at the workspace root needs `-p PACKAGE`"
            ));
            return wrong;
        }
        _ => {
            wrong.push(format!("`{command}`: `cargo run` runs one package"));
            return wrong;
        }
    };
    let program = match &example {
        Some(name) => match member.examples.get(name) {
            Some(text) => text,
            None => {
                let known: Vec<&str> = member.examples.keys().map(String::as_str).collect();
                wrong.push(format!(
                    "`{command}`: {} has no example {name} (examples: {})",
                    member.name,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
                return wrong;
            }
        },
        None => &member.program,
    };
    let target = match &example {
        Some(name) => format!("{}/examples/{name}.rs", member.dir),
        None => format!("{}/src", member.dir),
    };
    for arg in program_args.iter().skip(1) {
        let Some(name) = arg
            .strip_prefix("--")
            .map(|n| n.split('=').next().unwrap_or(n))
        else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        if !accepts(program, &format!("--{name}"), member.uses_common) {
            wrong.push(format!(
                "`{command}`: the program does not accept --{name} (no \"--{name}\" in {target})"
            ));
        }
    }
    if member.name == "workshop" && example.is_none() {
        for word in unknown_workshop_words(program, program_args) {
            wrong.push(format!(
                "`{command}`: the workshop has no chapter or command \"{word}\" (see its HELP in {target})"
            ));
        }
    }
    wrong
}

/// The words given to the workshop that it does not know. It knows the
/// chapters its help lists (`  tcp        常见实践 / …`) and the commands it
/// matches (`Some("bench")`); after `load` comes a free address, and after
/// an option that takes a value (`  --host HOST`) comes that value.
fn unknown_workshop_words<'a>(program: &str, program_args: &'a [String]) -> Vec<&'a str> {
    let help_line = |word: &str| {
        program.lines().any(|line| {
            line.strip_prefix("  ")
                .and_then(|rest| rest.strip_prefix(word))
                .is_some_and(|rest| rest.starts_with(' '))
        })
    };
    let takes_value = |option: &str| {
        program.lines().any(|line| {
            line.trim_start()
                .strip_prefix(option)
                .and_then(|rest| rest.strip_prefix(' '))
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })
    };
    let mut unknown = Vec::new();
    let mut words = program_args.iter().skip(1).map(String::as_str);
    while let Some(word) = words.next() {
        if word.starts_with('-') {
            if !word.contains('=') && takes_value(word) {
                words.next();
            }
            continue;
        }
        if !help_line(word) && !program.contains(&format!("Some(\"{word}\")")) {
            unknown.push(word);
        }
        if word == "load" {
            words.next();
        }
    }
    unknown
}

/// Whether a program's sources declare `option`: a string literal that is
/// the option (`"--host" =>`) or starts with it (`("--threads N", …)`), or a
/// line of a help text that starts with it (`  --host HOST  …`).
/// `--help` is answered by every program built on `common::cli`.
pub fn accepts(program: &str, option: &str, uses_common: bool) -> bool {
    if option == "--help" && uses_common {
        return true;
    }
    program.contains(&format!("\"{option}\""))
        || program.contains(&format!("\"{option} "))
        || program
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{option} ")) && l.starts_with("  "))
}

/// Checks every cargo command on one page. Returns the problems and how many
/// commands were checked.
pub fn check_commands(page: &str, text: &str, workspace: &Workspace) -> (Vec<Problem>, usize) {
    let commands = cargo_commands(text);
    let problems = commands
        .iter()
        .flat_map(|(number, words)| {
            check_command(words, workspace)
                .into_iter()
                .map(|why| problem(page, *number, why))
        })
        .collect();
    (problems, commands.len())
}

// ---------------------------------------------------------------------------
// SUMMARY.md and book.toml
// ---------------------------------------------------------------------------

/// Checks that `SUMMARY.md` lists every page of `src` and that every page it
/// lists exists. `pages` are the `.md` files under `src`, relative to it.
pub fn check_summary(summary: &str, pages: &[String]) -> Vec<Problem> {
    let page = "docs/src/SUMMARY.md";
    let mut problems = Vec::new();
    let listed: Vec<(usize, String)> = links(summary)
        .into_iter()
        .map(|(n, t)| (n, percent_decode(t.split('#').next().unwrap_or(""))))
        .collect();
    for (number, target) in &listed {
        if !pages.contains(target) {
            problems.push(problem(
                page,
                *number,
                format!("lists {target}, which is not a page in docs/src"),
            ));
        }
    }
    for file in pages {
        if file != "SUMMARY.md" && !listed.iter().any(|(_, t)| t == file) {
            problems.push(problem(
                page,
                1,
                format!("does not list docs/src/{file}: add a line `- [标题]({file})`"),
            ));
        }
    }
    problems
}

/// mdBook's own syntax (`{{#include …}}` and friends) does not render on a
/// code host; the pages must read as plain Markdown.
pub fn check_plain_markdown(page: &str, text: &str) -> Vec<Problem> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains("{{#"))
        .map(|(i, _)| {
            problem(
                page,
                i + 1,
                "mdBook-only syntax `{{#…}}`: quote the code with a `<!-- code: path:anchor -->` marker instead",
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Unit tests: each check finds what it is meant to find.
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "fn main() {\n    // ANCHOR: greet\n    let name = \"世界\";\n    println!(\"你好，{name}\");\n    // ANCHOR_END: greet\n}\n";

    fn files() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([
            ("demo/src/main.rs", SOURCE),
            ("docs/src/a.md", "# 第一章\n\n## 提示 1.1\n"),
        ])
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
        let page = "text\n<!-- code: demo/src/main.rs:greet -->\n```rust\nlet name = \"Rust\";\nprintln!(\"你好，{name}\");\n```\n";
        let (problems, _) = check_quotes("docs/src/a.md", page, &files());
        let text = problems[0].to_string();
        assert!(text.starts_with("docs/src/a.md:2: "), "{text}");
        assert!(text.contains("-    3 | let name = \"世界\";"), "{text}");
        assert!(text.contains("+    4 | let name = \"Rust\";"), "{text}");
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
    fn links_resolve_relative_to_the_page_and_skip_the_web() {
        let page = "[源码](../../demo/src/main.rs) [坏](../../demo/src/gone.rs) [网](https://x.y/z)\n\
                    [章](a.md#提示-11) [坏章](a.md#没有) [目录](../../demo/src/) `[代码](nope.md)`\n\
                    ```\n[块里](nope.md)\n```\n[ref]: ../../demo/nothing.md\n[百分号](%61.md)";
        let (problems, checked) = check_links("docs/src/b.md", page, &files());
        let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(checked, 7, "{messages:#?}");
        assert_eq!(problems.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("demo/src/gone.rs, which does not exist"));
        assert!(messages[1].contains("no heading with the id #没有"));
        assert!(messages[2].contains("demo/nothing.md"));
    }

    #[test]
    fn own_fragments_must_name_a_heading() {
        let page = "## 练习\n[去](#练习) [丢](#提示)\n";
        let problems = check_own_fragments("p.md", page);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("#提示"));
    }

    #[test]
    fn heading_ids_follow_the_renderers() {
        let ids = heading_ids("# 导读\n## 提示 1.1：TCP\n## A `code` Title\n## 导读\n");
        for id in ["导读", "提示-11tcp", "a-code-title", "导读-1"] {
            assert!(ids.contains(id), "{id} in {ids:?}");
        }
    }

    fn workspace() -> Workspace {
        let program = "const USAGE: Usage = Usage { options: &[(\"--threads N\", \"\")] };\n\
                       const HELP: &str = \"\n  --host HOST     地址\n\";\n\
                       // cargo run -p demo -- --secret";
        Workspace {
            members: vec![Member {
                name: "demo".into(),
                dir: "demo".into(),
                program: program.into(),
                examples: BTreeMap::from([("other".to_string(), "\"--only-here\"".to_string())]),
                uses_common: true,
            }],
        }
    }

    fn check(line: &str) -> Vec<String> {
        let words = shell_words(line).remove(0);
        check_command(&words, &workspace())
    }

    #[test]
    fn commands_with_real_packages_examples_and_options_pass() {
        for line in [
            "cargo run -p demo",
            "cargo run --release -p demo -- 127.0.0.1:0 --threads 2",
            "cargo run -p demo -- --host=0.0.0.0 --help",
            "cargo run -p demo --example other -- --only-here",
            "cargo test -p demo thousand -- --nocapture",
            "cargo run -p demo -- 127.0.0.1:1 \"$(python3 -c 'print(\"--x\")')\"",
        ] {
            assert_eq!(check(line), Vec::<String>::new(), "{line}");
        }
    }

    #[test]
    fn workshop_words_must_be_chapters_or_commands_it_knows() {
        let program = "Some(\"bench\") => …\nSome(\"load\") => …\n  tcp        TCP\n  --host HOST     地址\n  --step          暂停\n";
        let workspace = Workspace {
            members: vec![Member {
                name: "workshop".into(),
                dir: "workshop".into(),
                program: program.into(),
                ..Member::default()
            }],
        };
        let check = |line: &str| {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            check_command(&words, &workspace)
        };
        for fine in [
            "cargo run -p workshop -- tcp --host localhost --step",
            "cargo run -p workshop -- --host=0.0.0.0 tcp",
            "cargo run --release -p workshop -- bench",
            "cargo run --release -p workshop -- load server1",
        ] {
            assert_eq!(check(fine), Vec::<String>::new(), "{fine}");
        }
        for (line, word) in [
            ("cargo run -p workshop -- tpc", "tpc"),
            ("cargo run -p workshop -- tcp-server", "tcp-server"),
        ] {
            let wrong = check(line);
            assert_eq!(wrong.len(), 1, "{line}: {wrong:?}");
            let expected = format!("no chapter or command \"{word}\"");
            assert!(wrong[0].contains(&expected), "{wrong:?}");
        }
    }

    #[test]
    fn wrong_packages_examples_and_options_are_named() {
        let cases = [
            ("cargo run -p nope", "not a workspace member"),
            ("cargo test --package=nope", "not a workspace member"),
            ("cargo run", "needs `-p PACKAGE`"),
            (
                "cargo run -p demo --example gone",
                "no example gone (examples: other)",
            ),
            ("cargo run -p demo -- --secret", "does not accept --secret"),
            (
                "cargo run -p demo --example other -- --threads 2",
                "does not accept --threads",
            ),
        ];
        for (line, expected) in cases {
            let wrong = check(line);
            assert_eq!(wrong.len(), 1, "{line}: {wrong:?}");
            assert!(wrong[0].contains(expected), "{line}: {wrong:?}");
        }
    }

    #[test]
    fn commands_are_found_in_blocks_and_inline_code_with_prompts_and_comments() {
        let page = "```sh\n$ cargo run -p a -- x   # 注释 cargo run -p b\ncd x && cargo test -p c\n```\n\
                    运行 `cargo run -p d`，或者 `ls`。\n";
        let found: Vec<String> = cargo_commands(page)
            .into_iter()
            .map(|(_, w)| w.join(" "))
            .collect();
        assert_eq!(
            found,
            ["cargo run -p a -- x", "cargo test -p c", "cargo run -p d"]
        );
    }

    #[test]
    fn members_and_package_names_are_read_from_the_manifests() {
        let root = "[workspace]\nmembers = [\n    \"common\", # shared\n    \"tcp-server\",\n]\n";
        assert_eq!(toml_members(root), ["common", "tcp-server"]);
        let member = "[package]\nname = \"tcp-server\"\n[dependencies]\nname = \"x\"\n";
        assert_eq!(toml_package_name(member).as_deref(), Some("tcp-server"));
    }

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
    fn percent_encoding_is_decoded() {
        assert_eq!(percent_decode("%E4%B8%AD%20x%zz"), "中 x%zz");
        assert_eq!(
            resolve("docs/src", "../../a/b.rs").as_deref(),
            Some("a/b.rs")
        );
        assert_eq!(resolve("docs", "../../a"), None);
    }
}
