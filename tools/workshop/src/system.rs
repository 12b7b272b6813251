//! What the operating system can tell the benchmarks about a process, and
//! the one limit they raise.
//!
//! Linux keeps a process's CPU time, memory high-water mark and open files
//! under `/proc/PID/`; elsewhere each of these is `None`, and the tables say
//! "无法测量" (cannot be measured) instead of guessing.

/// User + system CPU seconds a process has used so far (Linux's /proc).
#[cfg(target_os = "linux")]
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks_per_second())
}

#[cfg(not(target_os = "linux"))]
pub fn cpu_seconds(_pid: u32) -> Option<f64> {
    None
}

/// The unit of /proc's CPU times; 100 on every common Linux, asked to be sure.
#[cfg(target_os = "linux")]
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// The most memory the process has had in RAM at once since it started, in
/// KiB: `VmHWM` ("high water mark") in /proc/PID/status. A peak, so it can
/// be read after the moment it describes.
#[cfg(target_os = "linux")]
pub fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    kib_field(&status, "VmHWM:")
}

#[cfg(not(target_os = "linux"))]
pub fn peak_memory_kib(_pid: u32) -> Option<u64> {
    None
}

/// `VmHWM:     3652 kB` → 3652.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn kib_field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// How many files (sockets included) the process has open: the entries of
/// /proc/PID/fd. A server's accepted connections are counted here, also
/// those still waiting in a queue inside the server.
#[cfg(target_os = "linux")]
pub fn open_files(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

#[cfg(not(target_os = "linux"))]
pub fn open_files(_pid: u32) -> Option<usize> {
    None
}

/// Whether this system can show the numbers above.
pub fn has_proc() -> bool {
    cfg!(target_os = "linux") && std::path::Path::new("/proc/self/status").exists()
}

/// The limit on open files after [`raise_open_files`], and what to tell the
/// reader about it (`None`: nothing worth a line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLimit {
    /// How many files each process may open; `None` where the system has
    /// no such per-process limit we can read (Windows).
    pub limit: Option<usize>,
    pub note: Option<String>,
}

/// Raises this process's limit on open files (`ulimit -n`, often 1024) to
/// `wanted` where the system allows it. The servers the benchmark starts
/// inherit the limit, so both ends of 10,000 connections fit.
#[cfg(unix)]
pub fn raise_open_files(wanted: usize) -> FileLimit {
    use nix::sys::resource::{Resource, getrlimit, rlim_t, setrlimit};

    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            return FileLimit {
                limit: None,
                note: Some(format!("读不到打开文件数的上限（{e}），按系统默认的测")),
            };
        }
    };
    let wanted = wanted as rlim_t;
    if soft >= wanted {
        return FileLimit {
            limit: Some(to_usize(soft)),
            note: None,
        };
    }
    let target = wanted.min(hard);
    let note = match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
        Ok(()) if target >= wanted => {
            let line = format!(
                "已把打开文件数的上限从 {soft} 提高到 {target}（本进程和它启动的服务器；只在这次运行里有效）"
            );
            return FileLimit {
                limit: Some(to_usize(target)),
                note: Some(line),
            };
        }
        Ok(()) => format!(
            "打开文件数的上限只能提高到系统允许的 {hard}（ulimit -Hn），不到需要的 {wanted}；下面按这个上限能开的连接数测"
        ),
        Err(e) => format!(
            "无法把打开文件数的上限从 {soft} 提高到 {target}（{e}）；下面按 {soft} 能开的连接数测"
        ),
    };
    let now = getrlimit(Resource::RLIMIT_NOFILE).map_or(soft, |(soft, _)| soft);
    FileLimit {
        limit: Some(to_usize(now)),
        note: Some(note),
    }
}

#[cfg(unix)]
fn to_usize(limit: nix::sys::resource::rlim_t) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

#[cfg(not(unix))]
pub fn raise_open_files(_wanted: usize) -> FileLimit {
    FileLimit {
        limit: None,
        note: Some(
            "这个系统上没有可以调整的打开文件数上限（ulimit -n）；按系统默认的测".to_string(),
        ),
    }
}

/// How many connections a process may hold with `limit` open files, keeping
/// `reserve` for everything else it has open (its terminal and pipes, the
/// listening socket, the event queue).
pub fn connections_within(limit: Option<usize>, wanted: usize, reserve: usize) -> usize {
    match limit {
        Some(limit) => wanted.min(limit.saturating_sub(reserve)),
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_high_water_mark_is_read_from_status() {
        let status =
            "Name:\tevent-loop-serv\nVmPeak:\t   10240 kB\nVmHWM:\t    3652 kB\nVmRSS:\t 3000 kB\n";
        assert_eq!(kib_field(status, "VmHWM:"), Some(3652));
        assert_eq!(kib_field(status, "VmSwap:"), None);
    }

    #[test]
    fn connections_leave_room_for_the_other_files() {
        assert_eq!(connections_within(Some(20_000), 10_000, 100), 10_000);
        assert_eq!(connections_within(Some(1024), 10_000, 100), 924);
        assert_eq!(connections_within(Some(50), 10_000, 100), 0);
        assert_eq!(connections_within(None, 10_000, 100), 10_000);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_can_be_measured() {
        let me = std::process::id();
        assert!(peak_memory_kib(me).is_some_and(|kib| kib > 0));
        assert!(open_files(me).is_some_and(|files| files >= 3));
        assert!(cpu_seconds(me).is_some());
    }
}
