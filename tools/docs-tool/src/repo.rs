//! The repository as the checks see it: files by `/`-separated paths
//! relative to its root, the book's pages, and the workspace's members.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

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
// The workspace's members, as cargo itself describes them
// ---------------------------------------------------------------------------

/// A workspace member, as far as the checks need it.
#[derive(Debug, Default, Clone)]
pub struct Member {
    /// The package name, for `-p NAME`.
    pub name: String,
    /// Folder relative to the repository root, with `/` between its parts.
    pub dir: String,
    /// The binary `cargo run -p NAME` runs: its `default-run`, or its only
    /// binary; `None` when there is none to run or cargo would ask which.
    pub program: Option<String>,
    /// Its examples, for `cargo run -p NAME --example EXAMPLE`.
    pub examples: BTreeSet<String>,
    /// Its binaries, for `cargo run -p NAME --bin BIN`: `src/main.rs`,
    /// `src/bin/*`, and every `[[bin]]` of its manifest.
    pub bins: BTreeSet<String>,
}

/// The workspace's members, in the order `cargo metadata` lists them.
#[derive(Debug, Default)]
pub struct Workspace {
    pub members: Vec<Member>,
}

impl Workspace {
    /// Asks cargo: `cargo metadata --format-version 1 --no-deps` at the
    /// repository's root. Cargo knows what a hand-written reader of
    /// `Cargo.toml` would get wrong: member globs, `[[bin]]` and
    /// `[[example]]` tables, `autobins = false`, `default-run`.
    pub fn load(repo: &Repo) -> Result<Workspace, String> {
        let mut command = process_runner::cargo_command();
        command
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(repo.root())
            .stdin(Stdio::null());
        let output = command.output().map_err(|e| {
            format!(
                "cannot run {}: {e}",
                Path::new(command.get_program()).display()
            )
        })?;
        if !output.status.success() {
            return Err(format!(
                "`cargo metadata` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Workspace::from_metadata(&String::from_utf8_lossy(&output.stdout))
    }

    /// Reads the JSON that `cargo metadata --format-version 1` prints.
    pub fn from_metadata(json: &str) -> Result<Workspace, String> {
        let metadata: Value = serde_json::from_str(json)
            .map_err(|e| format!("`cargo metadata` printed no JSON: {e}"))?;
        let root = text(&metadata, "workspace_root")?;
        let ids: Vec<&str> = list(&metadata, "workspace_members")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let members = list(&metadata, "packages")?
            .iter()
            .filter(|package| package["id"].as_str().is_some_and(|id| ids.contains(&id)))
            .map(|package| member(package, Path::new(root)))
            .collect::<Result<_, _>>()?;
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

/// One package of `cargo metadata`'s `packages`.
fn member(package: &Value, root: &Path) -> Result<Member, String> {
    let name = text(package, "name")?.to_string();
    let manifest = Path::new(text(package, "manifest_path")?);
    let dir = manifest
        .parent()
        .and_then(|dir| dir.strip_prefix(root).ok())
        .ok_or_else(|| {
            format!(
                "{name}'s manifest {} is not under {}",
                manifest.display(),
                root.display()
            )
        })?;
    let mut bins = BTreeSet::new();
    let mut examples = BTreeSet::new();
    for target in list(package, "targets")? {
        let kinds = target["kind"].as_array().map_or(&[][..], Vec::as_slice);
        let target_name = text(target, "name")?.to_string();
        if kinds.iter().any(|kind| kind == "bin") {
            bins.insert(target_name);
        } else if kinds.iter().any(|kind| kind == "example") {
            examples.insert(target_name);
        }
    }
    // `cargo run -p NAME` runs `default-run`, else the only binary.
    let program = match package["default_run"].as_str() {
        Some(default) => Some(default.to_string()),
        None if bins.len() == 1 => bins.first().cloned(),
        None => None,
    };
    Ok(Member {
        name,
        dir: slash_path(dir),
        program,
        examples,
        bins,
    })
}

/// The string `key` of a JSON object, or why the metadata is not what cargo prints.
fn text<'v>(value: &'v Value, key: &str) -> Result<&'v str, String> {
    value[key]
        .as_str()
        .ok_or_else(|| format!("`cargo metadata` gave no text for \"{key}\""))
}

/// The array `key` of a JSON object.
fn list<'v>(value: &'v Value, key: &str) -> Result<&'v Vec<Value>, String> {
    value[key]
        .as_array()
        .ok_or_else(|| format!("`cargo metadata` gave no list for \"{key}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `cargo metadata` prints, cut down to the fields read here, for
    /// a workspace with a nested member, `default-run`, `[[bin]]`s, an
    /// example and a library.
    const METADATA: &str = r#"{
        "workspace_root": "/repo",
        "workspace_members": ["path+file:///repo/tools/workshop#0.1.0", "path+file:///repo/lib#0.1.0", "path+file:///repo/two#0.1.0"],
        "packages": [
            {"name": "workshop", "id": "path+file:///repo/tools/workshop#0.1.0",
             "manifest_path": "/repo/tools/workshop/Cargo.toml", "default_run": "workshop",
             "targets": [{"name": "workshop", "kind": ["bin"]}, {"name": "solution-ex1", "kind": ["bin"]},
                         {"name": "tour", "kind": ["test"]}, {"name": "async_server", "kind": ["example"]}]},
            {"name": "lib", "id": "path+file:///repo/lib#0.1.0",
             "manifest_path": "/repo/lib/Cargo.toml", "default_run": null,
             "targets": [{"name": "lib", "kind": ["lib"]}, {"name": "tool", "kind": ["bin"]}]},
            {"name": "two", "id": "path+file:///repo/two#0.1.0",
             "manifest_path": "/repo/two/Cargo.toml", "default_run": null,
             "targets": [{"name": "a", "kind": ["bin"]}, {"name": "b", "kind": ["bin"]}]}
        ]
    }"#;

    #[test]
    fn members_their_folders_binaries_and_examples_come_from_cargo_metadata() {
        let workspace = Workspace::from_metadata(METADATA).unwrap();
        assert_eq!(workspace.names(), "workshop, lib, two");
        let workshop = workspace.member("workshop").unwrap();
        assert_eq!(workshop.dir, "tools/workshop");
        assert_eq!(workshop.program.as_deref(), Some("workshop"));
        assert_eq!(Vec::from_iter(&workshop.bins), ["solution-ex1", "workshop"]);
        assert_eq!(Vec::from_iter(&workshop.examples), ["async_server"]);
        // The only binary is what `cargo run -p` runs…
        assert_eq!(
            workspace.member("lib").unwrap().program.as_deref(),
            Some("tool")
        );
        // …and with two and no default-run, cargo would ask which.
        assert_eq!(workspace.member("two").unwrap().program, None);
    }

    #[test]
    fn metadata_that_is_not_cargos_is_named() {
        let error = Workspace::from_metadata("not json").unwrap_err();
        assert!(error.contains("printed no JSON"), "{error}");
        let error = Workspace::from_metadata(r#"{"workspace_root": "/repo"}"#).unwrap_err();
        assert!(error.contains("\"workspace_members\""), "{error}");
    }

    #[test]
    fn this_workspace_as_cargo_sees_it() {
        let workspace = Workspace::load(&Repo::this_one()).unwrap();
        let tcp_server = workspace.member("tcp-server").unwrap();
        assert_eq!(tcp_server.dir, "chapters/tcp-server");
        assert_eq!(tcp_server.program.as_deref(), Some("tcp-server"));
        let workshop = workspace.member("workshop").unwrap();
        assert_eq!(workshop.program.as_deref(), Some("workshop"));
        assert!(workshop.bins.contains("solution-ex1"), "{workshop:?}");
        let event_loop = workspace.member("event-loop-server").unwrap();
        assert!(
            event_loop.examples.contains("async_server"),
            "{event_loop:?}"
        );
        // A library only: `cargo run -p common` has nothing to run.
        assert_eq!(workspace.member("common").unwrap().program, None);
    }

    #[test]
    fn in_memory_folders_exist_when_they_hold_a_file() {
        let files = BTreeMap::from([("a/b/c.rs", "")]);
        assert!(files.exists("a/b") && files.exists("a/b/") && files.exists("a/b/c.rs"));
        assert!(!files.exists("a/bc") && !files.exists("a/b/d.rs"));
    }
}
