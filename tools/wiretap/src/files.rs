//! Files appear whole or not at all: the diagram and the capture are
//! written to a temporary file in the same folder, which is then renamed
//! over the real name. A rename within one folder replaces the file in one
//! step, so whoever opens it finds the previous version or the new one,
//! never half of one. Ctrl-C waits for a write in progress (see
//! `Tap::interrupted`), so the temporary file is never left behind either.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` whole or not at all.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = temporary_beside(path);
    let written = fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let result = written.and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// `.NAME.PID.tmp` beside `path`: hidden, and one per process.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "wiretap".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
