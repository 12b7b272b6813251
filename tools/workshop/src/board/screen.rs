//! The projector: a thread of its own draws the table, so that the loop
//! that accepts and reads reports never waits for the terminal.
//!
//! A terminal can stop reading: Ctrl-S, a click into a Windows console
//! (QuickEdit selects text and freezes the program's next write until the
//! selection ends), a pipe nobody reads. Then a write blocks. Only this
//! thread ever writes; the loop hands it the latest table through a slot
//! that holds one, replacing what it did not draw yet. However long the
//! terminal sleeps, the loop goes on, and when it wakes it shows the table
//! as it is now, not a backlog.
//!
//! Two ways of drawing:
//! - **redraw**: on a terminal that understands ANSI escapes (every Unix
//!   terminal, Windows Terminal, and the classic Windows console once
//!   virtual-terminal processing is switched on), the table is drawn over
//!   itself in place, and again every 20 seconds so the minutes move;
//! - **plain lines**: when stdout is not a terminal, `--plain` was given, or
//!   the console cannot be switched, every change prints the whole table
//!   again under the last one, between `=====` lines, so the newest table
//!   is always at the bottom.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::now_unix;
use super::render::{self, Refusals, View};
use super::table::Table;

/// How the table is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Redraw,
    Plain,
}

/// Redraw at least this often, so that "在做 … 分" moves on its own.
const REFRESH: Duration = Duration::from_secs(20);
/// Draw at most this often: a burst of reports becomes one drawing.
const SETTLE: Duration = Duration::from_millis(150);
/// Events waiting to be printed in plain mode; older ones are counted and dropped.
const MOST_EVENTS: usize = 50;

/// What the loop last handed over.
pub struct Snapshot {
    pub table: Table,
    pub refused: Vec<Refusals>,
}

#[derive(Default)]
struct Slot {
    /// Lines to print once, before the first table (where to connect).
    intro: Vec<String>,
    snapshot: Option<Snapshot>,
    events: VecDeque<String>,
    dropped_events: usize,
    stop: bool,
    /// Lines to print after the last table.
    closing: Vec<String>,
}

struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

/// The handle the loop keeps.
pub struct Screen {
    shared: Arc<Shared>,
    done: Receiver<()>,
}

/// Redraw if stdout is a terminal that can, plain lines otherwise.
pub fn choose(plain: bool) -> Mode {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    if plain || dumb || !std::io::stdout().is_terminal() {
        return Mode::Plain;
    }
    if virtual_terminal() {
        Mode::Redraw
    } else {
        Mode::Plain
    }
}

/// The classic Windows console draws escapes as text until it is told
/// otherwise (SetConsoleMode with ENABLE_VIRTUAL_TERMINAL_PROCESSING,
/// Windows 10 and later); anstyle-query makes that call. If it fails (an
/// older Windows), the board prints plain lines instead.
#[cfg(windows)]
fn virtual_terminal() -> bool {
    anstyle_query::windows::enable_virtual_terminal_processing().is_ok()
}

#[cfg(not(windows))]
fn virtual_terminal() -> bool {
    true
}

impl Screen {
    /// Starts the drawing thread. `header` is the line above the table.
    pub fn start(mode: Mode, header: String, intro: Vec<String>) -> Screen {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                intro,
                ..Slot::default()
            }),
            changed: Condvar::new(),
        });
        let (done_tx, done) = mpsc::channel();
        let drawer = Arc::clone(&shared);
        thread::spawn(move || {
            draw_until_stopped(&drawer, mode, &header);
            let _ = done_tx.send(());
        });
        Screen { shared, done }
    }

    fn with_slot(&self, change: impl FnOnce(&mut Slot)) {
        let mut slot = self
            .shared
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        change(&mut slot);
        self.shared.changed.notify_one();
    }

    /// The table to show; replaces one not drawn yet.
    pub fn show(&self, snapshot: Snapshot) {
        self.with_slot(|slot| slot.snapshot = Some(snapshot));
    }

    /// Something the teacher should know (a new name, a twin, a save that failed).
    pub fn event(&self, text: String) {
        self.with_slot(|slot| {
            if slot.events.len() >= MOST_EVENTS {
                slot.events.pop_front();
                slot.dropped_events += 1;
            }
            slot.events.push_back(text);
        });
    }

    /// Draws the last table and puts the terminal back as it was; waits
    /// for that at most `patience` (the terminal may be paused: then the
    /// process ends without it).
    pub fn finish(self, closing: Vec<String>, patience: Duration) {
        self.with_slot(|slot| {
            slot.stop = true;
            slot.closing = closing;
        });
        let _ = self.done.recv_timeout(patience);
    }
}

/// The drawing thread: waits for something new (or the refresh), draws it.
fn draw_until_stopped(shared: &Shared, mode: Mode, header: &str) {
    let mut shown: Option<Snapshot> = None;
    let mut last_event: Option<String> = None;
    let mut started = false;
    loop {
        let (intro, snapshot, events, dropped, stop, closing) = {
            let slot = shared.slot.lock().unwrap_or_else(PoisonError::into_inner);
            let (mut slot, _) = shared
                .changed
                .wait_timeout_while(slot, REFRESH, |s| {
                    s.snapshot.is_none() && s.events.is_empty() && s.intro.is_empty() && !s.stop
                })
                .unwrap_or_else(PoisonError::into_inner);
            let dropped = std::mem::take(&mut slot.dropped_events);
            (
                std::mem::take(&mut slot.intro),
                slot.snapshot.take(),
                std::mem::take(&mut slot.events),
                dropped,
                slot.stop,
                std::mem::take(&mut slot.closing),
            )
        };
        let mut out = String::new();
        for line in intro {
            out += &line;
            out.push('\n');
        }
        let fresh = snapshot.is_some();
        if let Some(snapshot) = snapshot {
            shown = Some(snapshot);
        }
        if dropped > 0 {
            last_event = Some(format!("（另有 {dropped} 条消息来不及显示）"));
        }
        for event in events {
            if mode == Mode::Plain {
                out += &format!("[看板] {event}\n");
            }
            last_event = Some(event);
        }
        let redraw_now = mode == Mode::Redraw && shown.is_some();
        if let Some(snapshot) = &shown
            && (fresh || redraw_now || stop)
        {
            let view = View {
                table: &snapshot.table,
                now: now_unix(),
                header,
                refused: &snapshot.refused,
                event: if mode == Mode::Redraw {
                    last_event.as_deref()
                } else {
                    None
                },
            };
            let lines = render::frame(&view);
            match mode {
                Mode::Plain => {
                    out += &format!("===== 看板（{} 行）=====\n", snapshot.table.rows.len());
                    out += &render::to_plain(&lines);
                    out += "=====\n";
                }
                Mode::Redraw => {
                    if !started {
                        // Clear once, hide the cursor, and cut lines wider
                        // than the window instead of wrapping them.
                        out += "\x1b[2J\x1b[?25l\x1b[?7l";
                        started = true;
                    }
                    out += &render::to_ansi(&lines);
                }
            }
        }
        if stop && mode == Mode::Redraw {
            out += "\x1b[?25h\x1b[?7h";
        }
        for line in closing {
            out += &line;
            out.push('\n');
        }
        write_all(&out);
        if stop {
            return;
        }
        let drew = Instant::now();
        // Let a burst of changes gather into the next drawing.
        thread::sleep(SETTLE.saturating_sub(drew.elapsed()));
    }
}

/// Writes to stdout, or gives up quietly: the board goes on without a screen.
fn write_all(text: &str) {
    if text.is_empty() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
