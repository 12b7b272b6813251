//! `--report ADDR --name 小明`: each exercise a learner finishes is told to
//! the teacher's `threaded-server`, the concurrency chapter's own program,
//! which prints `收到来自 … 的数据: 小明 完成了练习 1（TCP 服务器）` on the
//! projector. One line per connection, as `tcp-client` sends it: the teacher
//! runs nothing else.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use anyhow::{Result, bail};
use common::addr::HostPort;
use common::deadline::Deadline;
use common::{BUFFER_SIZE, CLIENT_TIMEOUT, IO_TIMEOUT, TCP_REPLY, errors, say};

use super::exercises::Exercise;

/// A name longer than this is a typo or a joke; the projector has one line per report.
const LONGEST_NAME: usize = 20;

/// Where to report, and as whom.
#[derive(Debug)]
pub struct Reporter {
    addr: HostPort,
    name: String,
}

impl Reporter {
    pub fn new(addr: HostPort, name: &str) -> Result<Reporter> {
        let name = name.trim();
        if name.is_empty() {
            bail!("--name 是空的：请写上你的名字，例如 --name 小明");
        }
        if name.chars().count() > LONGEST_NAME {
            bail!("--name 太长了：最多 {LONGEST_NAME} 个字");
        }
        if name.chars().any(char::is_control) {
            bail!("--name 里有换行或别的控制字符：请只写名字");
        }
        Ok(Reporter {
            addr,
            name: name.to_string(),
        })
    }

    /// The line for one finished exercise.
    pub fn line(&self, exercise: &Exercise) -> String {
        format!(
            "{} 完成了练习 {}（{}）",
            self.name, exercise.number, exercise.title
        )
    }

    /// The line for the last one.
    pub fn all_done(&self, count: usize) -> String {
        format!("{} 完成了全部 {count} 个练习！", self.name)
    }

    /// Sends `line`, and says whether the teacher got it. A teacher's
    /// server that cannot be reached does not change the check's result.
    pub fn send(&self, line: &str) {
        match self.try_send(line) {
            Ok(()) => say!("已经告诉老师（{}）：{line}", self.addr),
            Err(e) => say!("没能告诉老师（{e:#}）；检查的结果不受影响"),
        }
    }

    fn try_send(&self, line: &str) -> Result<()> {
        // threaded-server reads once, at most 1024 bytes: a report is one such read.
        if line.len() > BUFFER_SIZE {
            bail!("报告太长了（{} 字节）", line.len());
        }
        let stream = connect_each(&self.addr)?;
        let deadline = Deadline::after(CLIENT_TIMEOUT);
        let mut server = deadline.guard(&stream);
        server.write_all(line.as_bytes())?;
        let _ = stream.shutdown(Shutdown::Write);
        let mut reply = Vec::new();
        deadline
            .guard(&stream)
            .take(BUFFER_SIZE as u64)
            .read_to_end(&mut reply)?;
        if reply != TCP_REPLY.as_bytes() {
            bail!(
                "{} 回复的不是“{TCP_REPLY}”，它是老师的 threaded-server 吗",
                self.addr
            );
        }
        Ok(())
    }
}

/// Connects to each address the name stands for in turn, each with the
/// 5-second limit, and explains the last failure in one Chinese sentence.
fn connect_each(server: &HostPort) -> Result<TcpStream> {
    let mut last_error = None;
    for address in server.resolve()? {
        match TcpStream::connect_timeout(&address, IO_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = Some((address, e)),
        }
    }
    match last_error {
        Some((tried, e)) => Err(errors::connect(server, tried, &e, IO_TIMEOUT)),
        // resolve() never returns an empty list; this is only a fallback.
        None => bail!("找不到主机 \"{}\"", server.host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_lines_stay_short() {
        let addr: HostPort = "127.0.0.1:9999".parse().unwrap();
        let reporter = Reporter::new(addr.clone(), " 小明 ").unwrap();
        let exercise = &super::super::exercises::EXERCISES[0];
        assert_eq!(reporter.line(exercise), "小明 完成了练习 1（TCP 服务器）");
        for bad in ["", "  ", "a\nb", &"长".repeat(21)] {
            assert!(Reporter::new(addr.clone(), bad).is_err(), "{bad:?}");
        }
        let longest = Reporter::new(addr, &"长".repeat(20)).unwrap();
        for exercise in super::super::exercises::EXERCISES {
            assert!(longest.line(exercise).len() <= BUFFER_SIZE);
        }
    }
}
