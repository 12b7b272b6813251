//! What can go wrong while running a child, in sentences a learner reads
//! (the workshop prints them as they are; testkit words its own panics from
//! the fields). A sentence names the program by its label.

use std::fmt;
use std::io;
use std::time::Duration;

/// What a wait was waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited {
    /// Any next line.
    NextLine,
    /// A line containing this text.
    Line(String),
    /// A server's first line, which ends with its address.
    Address,
    /// The child's exit.
    Exit,
}

#[derive(Debug)]
pub enum Error {
    /// [`cancel`](crate::cancel) was called (Ctrl-C): stop, and let the
    /// `Drop`s clean up on the way out.
    Cancelled,
    /// The program could not be started (not found, not executable…).
    Start { label: String, source: io::Error },
    /// The deadline came first. `seen`: the lines read while waiting.
    TimedOut {
        label: String,
        waited: Waited,
        patience: Duration,
        seen: Vec<String>,
    },
    /// The output closed (the child exited) before what was waited for.
    Closed {
        label: String,
        waited: Waited,
        seen: Vec<String>,
    },
    /// A server's first line does not end with an address.
    NoAddress { label: String, line: String },
    /// Anything else the OS refused: `what` could not be done.
    Io { what: String, source: io::Error },
}

impl Error {
    /// Whether this is [`Error::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Cancelled => write!(f, "已取消（收到了 Ctrl-C 或结束信号）"),
            Error::Start { label, source } => write!(f, "无法启动 {label}：{source}"),
            Error::TimedOut {
                label,
                waited,
                patience,
                ..
            } => timed_out(f, label, waited, *patience),
            Error::Closed { label, waited, .. } => closed(f, label, waited),
            Error::NoAddress { label, line } => {
                write!(f, "{label} 的第一行“{line}”末尾不是监听地址")
            }
            Error::Io { what, source } => write!(f, "{what}：{source}"),
        }
    }
}

fn timed_out(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    waited: &Waited,
    patience: Duration,
) -> fmt::Result {
    let seconds = patience.as_secs();
    match waited {
        Waited::NextLine => write!(f, "{label} 在 {seconds} 秒内什么也没有打印"),
        Waited::Line(needle) => write!(f, "{label} 在 {seconds} 秒内没有打印“{needle}”"),
        Waited::Address => write!(f, "{label} 在 {seconds} 秒内没有打印监听地址"),
        Waited::Exit => write!(f, "{label} 在 {seconds} 秒内没有结束"),
    }
}

fn closed(f: &mut fmt::Formatter<'_>, label: &str, waited: &Waited) -> fmt::Result {
    match waited {
        Waited::Address => write!(
            f,
            "{label} 没有启动成功：它没有打印监听地址（原因见上面它打印的错误）"
        ),
        Waited::Line(needle) => write!(f, "{label} 没有打印“{needle}”就退出了"),
        Waited::NextLine | Waited::Exit => write!(f, "{label} 已经退出"),
    }
}

/// No `source()`: each sentence already ends with the OS's reason, and
/// anyhow's `{:#}` would print it twice.
impl std::error::Error for Error {}
