//! Nothing a learner's program starts outlives the check.
//!
//! The learner's program runs in a process group of its own
//! ([`process_runner::Running::start_contained`]), and the whole group is
//! killed when the step ends, even if the program itself has exited. A
//! process that left the group (`setsid`, a daemon's double fork) escapes
//! that. On Linux the checker is therefore a *child subreaper*
//! (`prctl(PR_SET_CHILD_SUBREAPER)`): such an orphan becomes our child
//! instead of init's, and after each step every child we did not start on
//! purpose is killed and reaped. Elsewhere the group is all there is.
//!
//! Between steps no process of ours should be running at all: every peer
//! and learner of a step is dropped (killed and reaped) when its step
//! returns. So whatever is still our child then is a leftover.

use std::time::Duration;

/// Makes this process the reaper of its orphaned descendants (Linux).
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    {
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
}

/// Kills and reaps every child of ours still alive (Linux; elsewhere there
/// is nothing to find), looking again until none is left or `patience` is
/// over. Returns whether it is known that none is left: `Some(true)` on
/// Linux once none is, `None` where it cannot be known.
pub fn end_leftovers(patience: Duration) -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        let deadline = std::time::Instant::now() + patience;
        loop {
            let children = linux::children();
            if children.is_empty() {
                return Some(true);
            }
            for pid in &children {
                linux::kill_and_reap(*pid);
            }
            if std::time::Instant::now() >= deadline {
                return Some(linux::children().is_empty());
            }
            std::thread::sleep(process_runner::TICK.min(Duration::from_millis(10)));
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = patience;
        None
    }
}

/// How many leftovers there are right now (Linux; 0 elsewhere).
pub fn leftovers() -> usize {
    escaped(&[])
}

/// How many of our children are alive outside the process groups `groups`
/// (the learner's programs lead those, and killing them kills their
/// members): what left the group to outlive the learner's program.
pub fn escaped(groups: &[u32]) -> usize {
    #[cfg(target_os = "linux")]
    {
        linux::children()
            .into_iter()
            .filter(|pid| linux::is_alive(*pid))
            .filter(|pid| linux::group_of(*pid).is_none_or(|g| !groups.contains(&g)))
            .count()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = groups;
        0
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::{WaitPidFlag, waitpid};
    use nix::unistd::{Pid, getpid};

    /// Our children, from `/proc/*/stat` (field 4 is the parent's id).
    pub fn children() -> Vec<i32> {
        let me = getpid().as_raw();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| parent_of(*pid) == Some(me))
            .collect()
    }

    /// The fields after the name in `/proc/PID/stat`: `state ppid pgrp …`
    /// (the name may hold spaces and parentheses, so it is skipped whole).
    fn fields(pid: i32) -> Option<Vec<String>> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = stat.rsplit_once(')')?.1;
        Some(after.split_whitespace().map(String::from).collect())
    }

    fn parent_of(pid: i32) -> Option<i32> {
        fields(pid)?.get(1)?.parse().ok()
    }

    pub fn group_of(pid: i32) -> Option<u32> {
        fields(pid)?.get(2)?.parse().ok()
    }

    /// Not a zombie waiting to be reaped (nor dead).
    pub fn is_alive(pid: i32) -> bool {
        fields(pid).is_some_and(|f| f.first().is_some_and(|s| s != "Z" && s != "X"))
    }

    pub fn kill_and_reap(pid: i32) {
        let pid = Pid::from_raw(pid);
        let _ = kill(pid, Signal::SIGKILL);
        // It dies at once; reap it (a zombie is still our child).
        let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
    }
}
