//! A temporary folder that is removed when dropped.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Error;

/// A new empty folder under the system's temp folder, removed with all it
/// holds when dropped (also when the thread unwinds after a cancel).
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Makes `PREFIX-PID-N`, where N counts from 0 in each process. The
    /// name says who made it, for whoever finds one; it never reuses a
    /// folder that exists already (a leftover from a crashed process with the
    /// same id), it takes the next N instead.
    pub fn new(prefix: &str) -> Result<TempDir, Error> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        loop {
            let n = COUNT.fetch_add(1, Ordering::Relaxed);
            let name = format!("{prefix}-{}-{n}", std::process::id());
            let path = std::env::temp_dir().join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(source) => {
                    return Err(Error::Io {
                        what: format!("无法创建临时目录 {}", path.display()),
                        source,
                    });
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing useful to do if it fails (a file held open on Windows):
        // the folder is in the temp folder, which the OS cleans eventually.
        let _ = std::fs::remove_dir_all(&self.0);
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
}
