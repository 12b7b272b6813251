//! A temporary folder that is removed when dropped: `tempfile`'s, with a
//! name that says who made it.

use std::path::Path;

use crate::Error;

/// A new empty folder under the system's temp folder, removed with all it
/// holds when dropped (also when the thread unwinds after a cancel).
#[derive(Debug)]
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Makes `PREFIX-PID-XXXXXX` (six random characters): the name says
    /// who made it, for whoever finds one left by a crashed process, and
    /// `tempfile` never reuses a folder that exists already.
    pub fn new(prefix: &str) -> Result<TempDir, Error> {
        tempfile::Builder::new()
            .prefix(&format!("{prefix}-{}-", std::process::id()))
            .tempdir()
            .map(TempDir)
            .map_err(|source| Error::Io {
                what: format!("无法在 {} 里创建临时目录", std::env::temp_dir().display()),
                source,
            })
    }

    pub fn path(&self) -> &Path {
        // Removal on drop is tempfile's; a failure there (a file held open
        // on Windows) is ignored: the folder is in the temp folder, which
        // the OS cleans eventually.
        self.0.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_and_its_contents_go_when_dropped() {
        let dir = TempDir::new("process-runner-test").unwrap();
        let other = TempDir::new("process-runner-test").unwrap();
        assert_ne!(dir.path(), other.path());
        std::fs::create_dir(dir.path().join("inner")).unwrap();
        std::fs::write(dir.path().join("inner/file"), "x").unwrap();
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
        assert!(other.path().is_dir());
    }

    #[test]
    fn the_name_says_who_made_it() {
        let dir = TempDir::new("process-runner-test").unwrap();
        let name = dir.path().file_name().unwrap().to_string_lossy();
        let own = format!("process-runner-test-{}-", std::process::id());
        assert!(name.starts_with(&own), "{name}");
        assert_eq!(dir.path().parent(), Some(std::env::temp_dir().as_path()));
    }
}
