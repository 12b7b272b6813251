//! The repository as the checks see it: files by `/`-separated paths
//! relative to its root, the book's pages, and the workspace's members.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Read access to the repository. [`Repo`] reads the disk; the unit tests
/// use a map in memory.
pub trait Files {
    /// The text of a file, or `None` if there is no such file.
    fn read(&self, path: &str) -> Option<String>;
    /// Whether a file or a folder exists at `path`.
    fn exists(&self, path: &str) -> bool;
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

/// The repository on disk.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
}

impl Files for Repo {
    fn read(&self, path: &str) -> Option<String> {
        fs::read_to_string(self.path(path)).ok()
    }
    fn exists(&self, path: &str) -> bool {
        self.path(path).exists()
    }
}

/// Where the book lives, relative to the repository root.
pub const BOOK_SOURCE: &str = "docs/src";

impl Repo {
    pub fn new(root: impl Into<PathBuf>) -> Repo {
        Repo { root: root.into() }
    }

    /// This repository: the tool lives in `tools/docs-tool`.
    pub fn this_one() -> Repo {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        // Two folders up, without `..` in every path the messages show.
        let root = manifest_dir.parent().and_then(Path::parent);
        Repo::new(root.map_or_else(|| manifest_dir.join("../.."), Path::to_path_buf))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A repository path on disk.
    pub fn path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// The book's own pages, `docs/src/**/*.md`.
    pub fn book_pages(&self) -> Vec<String> {
        let mut pages = Vec::new();
        collect_files(&self.root, Path::new(BOOK_SOURCE), "md", &mut pages);
        pages.sort();
        pages
    }

    /// The Markdown pages whose links and commands are checked: the book
    /// (`docs/**/*.md`), the README and `article/README.md`.
    pub fn markdown_pages(&self) -> Vec<String> {
        let mut pages = Vec::new();
        collect_files(&self.root, Path::new("docs"), "md", &mut pages);
        for extra in ["README.md", "article/README.md"] {
            if self.path(extra).exists() {
                pages.push(extra.to_string());
            }
        }
        pages.sort();
        pages
    }

    /// Every `*.rs` and `*.py` file of the workspace's members (build output
    /// and hidden folders skipped): where ANCHOR regions can be.
    pub fn quotable_sources(&self, workspace: &Workspace) -> Vec<String> {
        let mut sources = Vec::new();
        for member in &workspace.members {
            collect_files(&self.root, Path::new(&member.dir), "rs", &mut sources);
            // The Python beside a Rust listing (chapters/listings/tests/python/), quoted too.
            collect_files(&self.root, Path::new(&member.dir), "py", &mut sources);
        }
        sources.sort();
        sources.dedup();
        sources
    }
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

/// A relative path with `/` between its parts, on every OS.
pub fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    parts.join("/")
}

// ---------------------------------------------------------------------------
// The workspace's members
// ---------------------------------------------------------------------------

/// A workspace member, as far as the checks need it.
#[derive(Debug, Default, Clone)]
pub struct Member {
    /// The package name, for `-p NAME`.
    pub name: String,
    /// Folder relative to the repository root.
    pub dir: String,
    /// Whether `cargo run -p NAME` has a program to run (`src/main.rs`).
    pub has_program: bool,
    /// The names of `examples/NAME.rs` and `examples/NAME/main.rs`.
    pub examples: BTreeSet<String>,
    /// The binaries `cargo run -p NAME --bin BIN` can run: `[[bin]]` names
    /// in its manifest and `src/bin/BIN.rs`.
    pub bins: BTreeSet<String>,
}

/// The members listed in the root `Cargo.toml`.
#[derive(Debug, Default)]
pub struct Workspace {
    pub members: Vec<Member>,
}

impl Workspace {
    /// Reads the member list from the root `Cargo.toml` and each member's manifest.
    pub fn load(repo: &Repo) -> Result<Workspace, String> {
        let manifest = repo
            .read("Cargo.toml")
            .ok_or("cannot read Cargo.toml at the repository root")?;
        let mut members = Vec::new();
        for dir in toml_members(&manifest) {
            let member_manifest = repo
                .read(&format!("{dir}/Cargo.toml"))
                .ok_or_else(|| format!("cannot read {dir}/Cargo.toml"))?;
            let name = toml_package_name(&member_manifest)
                .ok_or_else(|| format!("{dir}/Cargo.toml has no [package] name"))?;
            let has_program = repo.exists(&format!("{dir}/src/main.rs"));
            let examples = example_names(&repo.path(&format!("{dir}/examples")));
            let mut bins = example_names(&repo.path(&format!("{dir}/src/bin")));
            bins.extend(toml_bin_names(&member_manifest));
            members.push(Member {
                name,
                dir,
                has_program,
                examples,
                bins,
            });
        }
        Ok(Workspace { members })
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The member names, for "members: …" in messages.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.members.iter().map(|m| m.name.as_str()).collect();
        names.join(", ")
    }
}

/// `examples/NAME.rs` and `examples/NAME/main.rs` → `NAME`, as cargo finds them.
fn example_names(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let is_example = if path.is_dir() {
                path.join("main.rs").exists()
            } else {
                path.extension().is_some_and(|e| e == "rs")
            };
            let stem = path.file_stem()?.to_string_lossy().to_string();
            is_example.then_some(stem)
        })
        .collect()
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

/// `name = "…"` in each `[[bin]]` table of a member's manifest.
pub fn toml_bin_names(manifest: &str) -> Vec<String> {
    let mut in_bin = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            names.push(value.trim().trim_matches('"').to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_package_names_are_read_from_the_manifests() {
        let root =
            "[workspace]\nmembers = [\n    \"common\", # shared\n    \"tools/docs-tool\",\n]\n";
        assert_eq!(toml_members(root), ["common", "tools/docs-tool"]);
        let member = "[package]\nname = \"tcp-server\"\n[dependencies]\nname = \"x\"\n";
        assert_eq!(toml_package_name(member).as_deref(), Some("tcp-server"));
        let bins = "[package]\nname = \"p\"\n[[bin]]\nname = \"ex1\"\npath = \"a.rs\"\n[[bin]]\nname = \"ex2\"\n";
        assert_eq!(toml_bin_names(bins), ["ex1", "ex2"]);
    }

    #[test]
    fn in_memory_folders_exist_when_they_hold_a_file() {
        let files = BTreeMap::from([("a/b/c.rs", "")]);
        assert!(files.exists("a/b") && files.exists("a/b/") && files.exists("a/b/c.rs"));
        assert!(!files.exists("a/bc") && !files.exists("a/b/d.rs"));
    }
}
