//! 日志：`say!` 和 `esay!` 背后的那一点机制，让没人读的日志挡不住服务器。
//!
//! Writing a line can wait. A terminal paused with Ctrl-S, a Windows console
//! in which someone has started selecting text with the mouse (QuickEdit),
//! a pipe into a program that has stopped reading: the pipe or the console
//! takes a few kilobytes and then `write` waits until somebody reads. Python's
//! `print` and Rust's `println!` wait with it, and a server that logs every
//! request stops serving. One click in the teacher's console window would
//! freeze the classroom's server.
//!
//! So there are two ways a line goes out:
//!
//! - **At once** (the default, for clients and tools): [`say!`](crate::say)
//!   writes the line before it returns, like `println!`, so a program that
//!   prints a reply and exits has printed it.
//! - **In the background** (servers call [`write_in_background`] once): a
//!   line goes into a queue and returns at once; a thread of its own writes
//!   the queue out, in order, and it alone waits when the output is blocked.
//!   The queue holds at most [`QUEUE_LIMIT`] bytes. Lines that do not fit
//!   are dropped and counted, and once the output moves again the log says
//!   where and how many: `（省略了 N 行日志：……）`. Adding a line takes a lock for
//!   a moment and never waits for the output, so accepting, reading,
//!   replying and every deadline go on whatever happens to the log.
//!
//! One queue holds both streams, so stdout and stderr lines come out in the
//! order they happened. When the program ends through
//! [`errors::report`](crate::errors::report), it first waits for the queue
//! to be written ([`flush`]), as long as the writer makes progress.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

/// Which output a line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// stdout: what the program has to say (`say!`).
    Out,
    /// stderr: problems (`esay!`).
    Err,
}

/// At most this many bytes of log wait to be written. A line is about 60 to
/// 150 bytes, so this is a few thousand lines: a server's busiest seconds,
/// far more than a terminal needs to catch up after a hiccup, and a bounded
/// amount of memory when nobody reads at all.
pub const QUEUE_LIMIT: usize = 256 * 1024;

/// [`flush`] gives up when the writer has written nothing for this long:
/// nobody is reading, and the program should not hang on its way out.
const FLUSH_PATIENCE: Duration = Duration::from_secs(2);

/// Writes one line: at once, or into the background queue once
/// [`write_in_background`] has been called. A line that cannot be written
/// (stdout closed) is dropped: a server must keep answering its clients
/// whatever happened to its log. This is what `say!` and `esay!` call.
pub fn line(stream: Stream, text: fmt::Arguments<'_>) {
    if IN_BACKGROUND.load(Ordering::Acquire) {
        QUEUE.push(stream, text.to_string());
    } else {
        write_line(stream, &text);
    }
}

/// From now on, lines are written by a thread of their own (see the
/// [module](self)). Servers call it once before their first line; calling
/// it again does nothing. If the thread cannot be started, lines go on
/// being written at once.
pub fn write_in_background() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if STARTED.swap(true, Ordering::AcqRel) {
        return;
    }
    let writer = thread::Builder::new()
        .name("log-writer".to_string())
        .spawn(|| QUEUE.write_forever());
    if writer.is_ok() {
        IN_BACKGROUND.store(true, Ordering::Release);
    }
}

/// Waits until every queued line is written, or until the writer has made
/// no progress for [`FLUSH_PATIENCE`] (then what is left is lost). Does
/// nothing when lines are written at once.
pub fn flush() {
    if IN_BACKGROUND.load(Ordering::Acquire) {
        QUEUE.flush();
    }
}

static IN_BACKGROUND: AtomicBool = AtomicBool::new(false);
static QUEUE: Queue = Queue::new();

/// The lines waiting for the writer thread.
struct Queue {
    state: Mutex<State>,
    /// Signalled when there is something for the writer to do.
    work: Condvar,
    /// Signalled each time the writer has written a batch.
    progress: Condvar,
}

struct State {
    waiting: VecDeque<Entry>,
    /// Bytes of the lines waiting or being written: the part the limit counts.
    bytes: usize,
    /// Per stream, lines dropped since the last one that was queued.
    dropped: [u64; 2],
    /// Batches written so far, for [`Queue::flush`] to see progress.
    batches: u64,
}

struct Entry {
    stream: Stream,
    text: String,
    /// Lines of this stream dropped just before this one.
    dropped_before: u64,
}

impl Queue {
    const fn new() -> Queue {
        Queue {
            state: Mutex::new(State {
                waiting: VecDeque::new(),
                bytes: 0,
                dropped: [0; 2],
                batches: 0,
            }),
            work: Condvar::new(),
            progress: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a line, or counts it as dropped when the queue is full. A line
    /// longer than the whole limit still goes in when the queue is empty.
    fn push(&self, stream: Stream, text: String) {
        let size = text.len() + 1;
        let mut state = self.lock();
        let slot = slot(stream);
        if state.bytes > 0 && state.bytes + size > QUEUE_LIMIT {
            state.dropped[slot] += 1;
            return;
        }
        let dropped_before = std::mem::take(&mut state.dropped[slot]);
        state.bytes += size;
        state.waiting.push_back(Entry {
            stream,
            text,
            dropped_before,
        });
        drop(state);
        self.work.notify_one();
    }

    /// The writer thread: takes everything waiting, writes it without
    /// holding the lock, and counts it as written only afterwards, so a
    /// blocked write keeps its lines inside the limit.
    fn write_forever(&self) {
        loop {
            let (batch, dropped) = self.next_batch();
            let mut size = 0;
            for entry in batch {
                size += entry.text.len() + 1;
                if entry.dropped_before > 0 {
                    write_line(entry.stream, &notice(entry.dropped_before));
                }
                write_line(entry.stream, &entry.text);
            }
            // Lines dropped after the last one that fitted: said as soon as
            // the output moves again, even if nothing more is logged.
            for (stream, count) in [(Stream::Out, dropped[0]), (Stream::Err, dropped[1])] {
                if count > 0 {
                    write_line(stream, &notice(count));
                }
            }
            let mut state = self.lock();
            state.bytes -= size;
            state.batches += 1;
            drop(state);
            self.progress.notify_all();
        }
    }

    /// Waits for lines (or a count of dropped ones) and takes them. The
    /// counts are taken only once no line is waiting: a count with a line
    /// after it travels with that line instead.
    fn next_batch(&self) -> (VecDeque<Entry>, [u64; 2]) {
        let mut state = self.lock();
        loop {
            if !state.waiting.is_empty() {
                return (std::mem::take(&mut state.waiting), [0; 2]);
            }
            if state.dropped != [0; 2] {
                return (VecDeque::new(), std::mem::take(&mut state.dropped));
            }
            state = self
                .work
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn flush(&self) {
        let mut state = self.lock();
        loop {
            if state.bytes == 0 && state.dropped == [0; 2] {
                return;
            }
            let before = state.batches;
            // Wakes the writer for counts of dropped lines, which no push announced.
            self.work.notify_one();
            let (next, _) = self
                .progress
                .wait_timeout(state, FLUSH_PATIENCE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if state.batches == before {
                return; // nobody reads: give up rather than hang on the way out.
            }
        }
    }
}

fn slot(stream: Stream) -> usize {
    match stream {
        Stream::Out => 0,
        Stream::Err => 1,
    }
}

/// The line that stands where `count` lines were dropped.
fn notice(count: u64) -> String {
    format!("（省略了 {count} 行日志：输出没有被及时读走，服务器没有停下来等它）")
}

fn write_line(stream: Stream, text: &dyn fmt::Display) {
    // 写不出去（stdout 已关闭）就算了：不能因为日志而 panic 或停下。
    let _ = match stream {
        Stream::Out => writeln!(io::stdout(), "{text}"),
        Stream::Err => writeln!(io::stderr(), "{text}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue's bookkeeping, without a writer thread: lines beyond the
    /// limit are counted per stream and the count travels with the next
    /// line of that stream.
    #[test]
    fn lines_beyond_the_limit_are_counted_and_the_count_comes_back_in_order() {
        let queue = Queue::new();
        let quarter = "x".repeat(QUEUE_LIMIT / 4 - 1); // a quarter of the limit with its line break
        for _ in 0..6 {
            queue.push(Stream::Out, quarter.clone());
        }
        queue.push(Stream::Err, "错误".to_string());
        let (batch, dropped) = queue.next_batch();
        assert_eq!(batch.len(), 4);
        assert_eq!(dropped, [0; 2]);
        // Taken but not written yet: the queue is still full.
        queue.push(Stream::Out, "后来的".to_string());
        assert_eq!(queue.lock().dropped, [3, 1]);
        // Written: room again, and the next line carries the count.
        queue.lock().bytes = 0;
        queue.push(Stream::Out, "再后来的".to_string());
        let (batch, _) = queue.next_batch();
        assert_eq!(batch[0].text, "再后来的");
        assert_eq!(batch[0].dropped_before, 3);
        // The stderr count, with no line after it, comes on its own.
        let (batch, dropped) = queue.next_batch();
        assert!(batch.is_empty());
        assert_eq!(dropped, [0, 1]);
        assert!(notice(7).contains("省略了 7 行日志"));
    }

    #[test]
    fn a_line_longer_than_the_limit_still_goes_through_an_empty_queue() {
        let queue = Queue::new();
        queue.push(Stream::Out, "y".repeat(QUEUE_LIMIT * 2));
        assert_eq!(queue.next_batch().0.len(), 1);
    }
}
