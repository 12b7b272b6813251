//! A child process with its output read line by line, killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::say;

use crate::cancel::{Received, check, poll_until, receive};
use crate::{Error, Waited, deadline};

/// Which of the child's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What happens to each line the child prints.
#[derive(Debug, Clone, Copy)]
pub enum Output {
    /// Printed as `[label] line` (through `say!`, which cannot panic when our
    /// stdout is closed) and kept for the waits.
    Show,
    /// Like [`Output::Show`], but `edit(label, line)` gives the text to print:
    /// for a line that would mislead where it is shown. The waits still get
    /// the line as the child printed it.
    ShowEdited(fn(&str, &str) -> String),
    /// Kept for the waits, printed nowhere.
    Keep,
    /// Like [`Output::Keep`] for a child that may print without end (a
    /// learner's program under check): at most this many bytes of each
    /// stream are kept, a line longer than that is cut, and everything past
    /// the limit is read, counted ([`Running::dropped`]) and thrown away.
    Capped(usize),
    /// The first [`DISCARD_AFTER`] lines of each stream (a server's address)
    /// are kept, the rest is read and thrown away: a benchmarked server may
    /// print a line per request, and keeping them would grow without end.
    Discard,
}

/// With [`Output::Discard`], how many lines of each stream are kept.
pub const DISCARD_AFTER: usize = 10;

/// A child process, killed and reaped when dropped, whatever happened.
#[derive(Debug)]
pub struct Running {
    child: Child,
    label: String,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// The threads reading stdout and stderr; each ends when its pipe closes.
    readers: Vec<JoinHandle<()>>,
    /// Started by [`Running::start_group`]: the whole group is killed.
    /// Unix only: elsewhere there is no process group to kill (see there).
    #[cfg(unix)]
    group: bool,
    /// Started by [`Running::start_contained`]: the group is killed even
    /// after the leader has been reaped, because what it started may live on.
    contained: bool,
    /// Bytes of stdout and stderr read and thrown away ([`Output::Capped`]).
    dropped: [Arc<AtomicU64>; 2],
    /// Waited for already: its id may belong to another process by now.
    reaped: bool,
}

/// How a child ended, with the lines no wait had taken yet.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// What [`Running::wait_for_exit`] found.
#[derive(Debug)]
pub struct Exited {
    pub finished: Finished,
    /// The child had exited, but its stdout or stderr was still open after
    /// the grace time: a process it started holds them.
    pub held_open: bool,
    /// Bytes of stdout and stderr thrown away ([`Output::Capped`]).
    pub dropped: [u64; 2],
}

impl Running {
    /// Starts `command` with stdin closed and both outputs read line by
    /// line; `label` names it in echoed lines and in errors. Refuses with
    /// [`Error::Cancelled`] once the run is cancelled.
    pub fn start(command: &mut Command, label: &str, output: Output) -> Result<Running, Error> {
        Self::spawn(command, label, output, None, false)
    }

    /// Like [`Running::start_group`], for a program nobody vouches for (a
    /// learner's program under check): on Unix it leads a process group of
    /// its own, and dropping it kills that group even after the program
    /// itself has exited and been reaped, so a child it left behind (a
    /// server it started, a process holding its output) ends too. A child
    /// that leaves the group (`setsid`) is beyond this; on Linux a caller
    /// that is a child subreaper can find it among its own children.
    pub fn start_contained(
        command: &mut Command,
        label: &str,
        output: Output,
    ) -> Result<Running, Error> {
        let mut running = Self::spawn(command, label, output, None, true)?;
        running.contained = true;
        Ok(running)
    }

    /// Like [`Running::start`], with `input` written to the child's stdin,
    /// which is then closed.
    pub fn start_with_input(
        command: &mut Command,
        label: &str,
        output: Output,
        input: &[u8],
    ) -> Result<Running, Error> {
        Self::spawn(command, label, output, Some(input.to_vec()), false)
    }

    /// Like [`Running::start`], for a program that starts programs of its
    /// own (cargo starts rustc): on Unix the child leads a new process group,
    /// and dropping it kills the whole group, so no grandchild outlives it.
    /// (Elsewhere it is [`Running::start`]; on Windows cargo puts its own
    /// children in a job object that ends with it.)
    pub fn start_group(
        command: &mut Command,
        label: &str,
        output: Output,
    ) -> Result<Running, Error> {
        Self::spawn(command, label, output, None, true)
    }

    fn spawn(
        command: &mut Command,
        label: &str,
        output: Output,
        input: Option<Vec<u8>>,
        group: bool,
    ) -> Result<Running, Error> {
        check()?; // no new child once cancelled
        let stdin = if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Python before 3.15 writes a pipe in the ANSI code page on
            // Windows (cp1252 cannot encode the article's first print);
            // this makes it UTF-8 there too. No other program reads it.
            .env("PYTHONUTF8", "1");
        #[cfg(unix)]
        if group {
            std::os::unix::process::CommandExt::process_group(command, 0);
        }
        // Windows: cargo ends its own children (a job object), see start_group.
        #[cfg(not(unix))]
        let _ = group;
        let mut child = command.spawn().map_err(|source| Error::Start {
            label: label.to_string(),
            source,
        })?;
        if let (Some(input), Some(stdin)) = (input, child.stdin.take()) {
            write_in_background(stdin, input);
        }
        let dropped = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
        let (stdout, out_reader) =
            forward(child.stdout.take(), label, output, Arc::clone(&dropped[0]));
        let (stderr, err_reader) =
            forward(child.stderr.take(), label, output, Arc::clone(&dropped[1]));
        Ok(Running {
            child,
            label: label.to_string(),
            stdout,
            stderr,
            readers: out_reader.into_iter().chain(err_reader).collect(),
            #[cfg(unix)]
            group,
            contained: false,
            dropped,
            reaped: false,
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The OS process id, for reading its resource use.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// How many bytes of `stream` were read and thrown away because they
    /// came past the limit of [`Output::Capped`] (0 with any other output).
    pub fn dropped(&self, stream: Stream) -> u64 {
        let index = match stream {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        };
        self.dropped[index].load(Ordering::SeqCst)
    }

    /// The next line on `stream`; `None` once the stream has closed (the
    /// child exited).
    pub fn next_line(&self, stream: Stream, patience: Duration) -> Result<Option<String>, Error> {
        let deadline = deadline::after(patience);
        match receive(self.lines(stream), deadline)? {
            Received::Value(line) => Ok(Some(line)),
            Received::Closed => {
                self.settle(deadline)?;
                Ok(None)
            }
            Received::TimedOut => Err(self.timed_out(Waited::NextLine, patience, Vec::new())),
        }
    }

    /// The next line on `stream` that contains `needle`; the lines before it
    /// are passed over.
    pub fn line(&self, stream: Stream, needle: &str, patience: Duration) -> Result<String, Error> {
        let deadline = deadline::after(patience);
        let waited = || Waited::Line(needle.to_string());
        let mut seen = Vec::new();
        loop {
            match receive(self.lines(stream), deadline)? {
                Received::Value(line) if line.contains(needle) => return Ok(line),
                Received::Value(line) => seen.push(line),
                Received::Closed => return Err(self.closed(waited(), seen, deadline)),
                Received::TimedOut => return Err(self.timed_out(waited(), patience, seen)),
            }
        }
    }

    /// The address a server listens on, read off the end of its first
    /// stdout line (`等待客户端连接... 127.0.0.1:40123`).
    pub fn address(&self, patience: Duration) -> Result<SocketAddr, Error> {
        let deadline = deadline::after(patience);
        match receive(&self.stdout, deadline)? {
            Received::Value(line) => address_in(&line).ok_or_else(|| Error::NoAddress {
                label: self.label.clone(),
                line,
            }),
            Received::Closed => Err(self.closed(Waited::Address, Vec::new(), deadline)),
            Received::TimedOut => Err(self.timed_out(Waited::Address, patience, Vec::new())),
        }
    }

    /// The lines printed on `stream` so far and not yet taken, without waiting.
    pub fn lines_so_far(&self, stream: Stream) -> Vec<String> {
        self.lines(stream).try_iter().collect()
    }

    /// Stops reading `stream`, as `program | head -1` does after its first
    /// line: the pipe closes once the child writes again, and its writes
    /// fail from then on.
    pub fn stop_reading(&mut self, stream: Stream) {
        let closed = mpsc::channel().1;
        match stream {
            Stream::Stdout => self.stdout = closed,
            Stream::Stderr => self.stderr = closed,
        }
    }

    /// Whether the child is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.try_wait(), Ok(None))
    }

    /// Waits for the child to exit on its own. A child still running after
    /// `patience` is killed (by the drop) and reported with what it printed.
    pub fn wait(mut self, patience: Duration) -> Result<Finished, Error> {
        let deadline = deadline::after(patience);
        // The pipes close when the child exits: once both have, every line it
        // printed has been read, and the transcript is complete.
        let (stdout, out_closed) = drain(&self.stdout, deadline)?;
        let (stderr, err_closed) = drain(&self.stderr, deadline)?;
        let status = if out_closed && err_closed {
            poll_until(deadline, || self.try_wait())?
        } else {
            None
        };
        match status {
            Some(status) => Ok(Finished {
                status,
                stdout,
                stderr,
            }),
            None => Err(self.timed_out(Waited::Exit, patience, [stdout, stderr].concat())),
        }
    }

    /// Waits for the child itself to exit, not for its output to close:
    /// a child may exit while a process it started still holds its stdout
    /// or stderr open, and [`Running::wait`] would then wait for that
    /// process instead. After the exit, the output gets `grace` to close.
    /// A child still running after `patience` is reported like
    /// [`Running::wait`] does. The lines it printed so far come back
    /// either way; [`Exited::held_open`] says whether its output outlived it.
    pub fn wait_for_exit(mut self, patience: Duration, grace: Duration) -> Result<Exited, Error> {
        let deadline = deadline::after(patience);
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let status = poll_until(deadline, || {
            stdout.extend(self.stdout.try_iter());
            stderr.extend(self.stderr.try_iter());
            self.try_wait()
        })?;
        let Some(status) = status else {
            return Err(self.timed_out(Waited::Exit, patience, [stdout, stderr].concat()));
        };
        let after = deadline::after(grace);
        let (more_out, out_closed) = drain(&self.stdout, after)?;
        let (more_err, err_closed) = drain(&self.stderr, after)?;
        stdout.extend(more_out);
        stderr.extend(more_err);
        Ok(Exited {
            finished: Finished {
                status,
                stdout,
                stderr,
            },
            held_open: !(out_closed && err_closed),
            dropped: [self.dropped(Stream::Stdout), self.dropped(Stream::Stderr)],
        })
    }

    fn lines(&self, stream: Stream) -> &Receiver<String> {
        match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        }
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        let status = self.child.try_wait().map_err(|source| Error::Io {
            what: format!("无法查看 {} 是否已经结束", self.label),
            source,
        })?;
        self.reaped |= status.is_some();
        Ok(status)
    }

    fn timed_out(&self, waited: Waited, patience: Duration, seen: Vec<String>) -> Error {
        Error::TimedOut {
            label: self.label.clone(),
            waited,
            patience,
            seen,
        }
    }

    /// The error for a stream that closed before what was waited for. The
    /// child has most likely exited, and its other stream is closing too:
    /// that reader is given until `deadline` to finish, so that every line
    /// the child printed (the error that explains it, on stderr) has been
    /// echoed before the caller reports the failure below it.
    fn closed(&self, waited: Waited, seen: Vec<String>, deadline: Option<Instant>) -> Error {
        if let Err(cancelled) = self.settle(deadline) {
            return cancelled;
        }
        Error::Closed {
            label: self.label.clone(),
            waited,
            seen,
        }
    }

    /// Waits until both readers have finished (or the deadline passes). The
    /// lines stay in their channels for later waits.
    fn settle(&self, deadline: Option<Instant>) -> Result<(), Error> {
        let done = || Ok(self.readers.iter().all(|r| r.is_finished()).then_some(()));
        poll_until(deadline, done)?;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A contained child's group may outlive the child: end it anyway.
        // The group's id cannot be taken by another group while a member
        // of this one is alive, and with none left the kill finds nothing.
        // (Elsewhere there is no group: the kill below ends the child only.)
        if self.contained {
            #[cfg(unix)]
            kill_group(self.child.id());
        }
        if self.reaped {
            return;
        }
        // Not reaped yet, so the id (and the group it leads) is still ours,
        // even if the child has exited in the meantime.
        #[cfg(unix)]
        if self.group {
            kill_group(self.child.id());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills every process in the group `leader` leads (SIGKILL, as std's own
/// `Child::kill` does for one process).
#[cfg(unix)]
fn kill_group(leader: u32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(leader) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// The socket address that ends `line`, if any.
pub fn address_in(line: &str) -> Option<SocketAddr> {
    line.split_whitespace().last()?.parse().ok()
}

/// Collects lines until the stream closes (true) or the deadline passes (false).
fn drain(
    lines: &Receiver<String>,
    deadline: Option<Instant>,
) -> Result<(Vec<String>, bool), Error> {
    let mut all = Vec::new();
    loop {
        match receive(lines, deadline)? {
            Received::Value(line) => all.push(line),
            Received::Closed => return Ok((all, true)),
            Received::TimedOut => return Ok((all, false)),
        }
    }
}

/// Writes `input` to the child on a thread of its own, so a child that
/// does not read cannot block us; the pipe closes when the thread ends.
fn write_in_background(mut stdin: ChildStdin, input: Vec<u8>) {
    thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
}

/// Reads a pipe line by line on a thread of its own, echoing and keeping
/// each line as `output` says. The receiver closes when the pipe does. When
/// nobody receives any more, the thread stops reading and closes the pipe.
/// A line is echoed before it is passed on: a wait that got it, or saw the
/// stream close, comes after its echo in the transcript.
fn forward(
    pipe: Option<impl Read + Send + 'static>,
    label: &str,
    output: Output,
    dropped: Arc<AtomicU64>,
) -> (Receiver<String>, Option<JoinHandle<()>>) {
    let (sender, lines) = mpsc::channel();
    let Some(pipe) = pipe else {
        return (lines, None); // no pipe: the sender is dropped here, the stream is closed
    };
    let label = label.to_string();
    if let Output::Capped(limit) = output {
        let reader = thread::spawn(move || keep_capped(pipe, limit, &sender, &dropped));
        return (lines, Some(reader));
    }
    let reader = thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut number = 0;
        while let Some(line) = read_line(&mut reader) {
            echo(output, &label, &line);
            let keep = !matches!(output, Output::Discard) || number < DISCARD_AFTER;
            number += 1;
            if keep && sender.send(line).is_err() {
                break;
            }
        }
    });
    (lines, Some(reader))
}

/// [`Output::Capped`]: passes lines on until `limit` bytes have been kept,
/// cutting a longer line at the limit, then reads the rest of the pipe
/// only to count it. The pipe stays drained, so the child never blocks
/// on a full pipe, and nothing it prints can grow our memory past `limit`.
fn keep_capped(pipe: impl Read, limit: usize, sender: &mpsc::Sender<String>, dropped: &AtomicU64) {
    let mut reader = BufReader::new(pipe);
    let mut kept = 0;
    loop {
        let room = limit.saturating_sub(kept);
        let mut bytes = Vec::new();
        // At most `room` bytes of this line (plus its line break) are kept.
        let taken = (&mut reader)
            .take(room as u64 + 1)
            .read_until(b'\n', &mut bytes);
        match taken {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let whole = bytes.last() == Some(&b'\n');
        if !whole {
            // Past the limit: the rest of this line, and of the pipe, is counted only.
            let past = bytes.len().saturating_sub(room);
            dropped.fetch_add(past as u64, Ordering::SeqCst);
            bytes.truncate(room);
            kept = limit;
        } else {
            kept += bytes.len();
        }
        if !bytes.is_empty() || whole {
            let text = String::from_utf8_lossy(&bytes);
            let line = text.trim_end_matches(['\n', '\r']).to_string();
            if sender.send(line).is_err() {
                return;
            }
        }
        if kept >= limit {
            break;
        }
    }
    let mut scratch = [0; 8192];
    loop {
        match reader.read(&mut scratch) {
            Ok(0) | Err(_) => return,
            Ok(size) => {
                dropped.fetch_add(size as u64, Ordering::SeqCst);
            }
        }
    }
}

/// One line without its line ending; bytes that are not UTF-8 become �, so
/// an odd byte never stops the transcript. `None` at the end of the pipe.
fn read_line(reader: &mut impl BufRead) -> Option<String> {
    let mut bytes = Vec::new();
    match reader.read_until(b'\n', &mut bytes) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            let text = String::from_utf8_lossy(&bytes);
            Some(text.trim_end_matches(['\n', '\r']).to_string())
        }
    }
}

fn echo(output: Output, label: &str, line: &str) {
    match output {
        Output::Show => say!("[{label}] {line}"),
        Output::ShowEdited(edit) => say!("{}", edit(label, line)),
        Output::Keep | Output::Capped(_) | Output::Discard => {}
    }
}
