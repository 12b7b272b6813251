//! The board's table: one row per student (per name and machine), one cell
//! per exercise, and what each student is working on now. Reports change
//! it; nothing else does. It is written to a file after each change and
//! read back when the board starts again.
//!
//! Who is who: the first report under a name gets a token, which the
//! student's check keeps and sends with every later report. A report under
//! a name that already has a row, without that row's token, is another
//! machine using the name (a forger, or the same student who lost their
//! file): it gets a row and a token of its own, marked, and never changes
//! the first row. A token proves only that later reports come from the
//! machine that sent the first one.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::protocol::{Report, Verdict, Why};

/// Rows one computer (one IP address) may add: a student, or two sharing a laptop.
pub const NAMES_PER_COMPUTER: usize = 3;

/// Rows the board holds at all: a large class, and room for mistakes.
pub const MOST_ROWS: usize = 200;

/// A report that says it is older than this is taken as this old.
const OLDEST_REPORT: u64 = 12 * 3600;

/// One exercise of one student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Untouched,
    Failed {
        step: usize,
        attempts: u32,
        mistake: Option<String>,
        /// When the check ran (Unix seconds, the board's clock).
        at: u64,
    },
    Passed {
        attempts: u32,
        at: u64,
    },
    /// Stopped at a step whose TODO is not written yet: still writing.
    Writing {
        step: usize,
        attempts: u32,
        at: u64,
    },
}

/// What a student is working on: an exercise, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Current {
    Working { exercise: usize, since: u64 },
    AllPassed { since: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// As the student typed it (at most `LONGEST_NAME` characters); escaped when shown.
    pub name: String,
    pub token: String,
    /// The address of its first report.
    pub source: IpAddr,
    /// Another row had this name first.
    pub twin: bool,
    /// The highest report number stored: a report sent again is stored once.
    pub last_seq: u64,
    pub cells: Vec<Cell>,
    pub current: Option<Current>,
}

/// Everything the board shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The number of steps of each exercise, from the checker's registry.
    pub steps: Vec<usize>,
    pub rows: Vec<Row>,
}

/// What storing a report did.
#[derive(Debug, PartialEq, Eq)]
pub struct Stored {
    pub row: usize,
    pub token: String,
    /// A new row was added for it (then `twin` says whether it is marked).
    pub added: bool,
    /// The report had been stored before; nothing changed.
    pub again: bool,
}

impl Table {
    pub fn new(steps: Vec<usize>) -> Table {
        Table {
            steps,
            rows: Vec::new(),
        }
    }

    pub fn exercises(&self) -> usize {
        self.steps.len()
    }

    /// Stores `report`, which came from `source`, at Unix time `now`.
    pub fn store(&mut self, report: &Report, source: IpAddr, now: u64) -> Result<Stored, Why> {
        let steps = self.steps.get(report.exercise.wrapping_sub(1));
        let fits = match (steps, report.verdict) {
            (Some(_), Verdict::Passed) => true,
            (Some(&steps), Verdict::Failed { step } | Verdict::Unwritten { step }) => step <= steps,
            (None, _) => false,
        };
        if !fits {
            return Err(Why::Exercise);
        }
        let known = self
            .row_with_token(report)
            .or_else(|| self.twin_from(report, source));
        let (row, added) = match known {
            Some(row) => (row, false),
            None => (self.add_row(report, source)?, true),
        };
        let at = now.saturating_sub(report.age.min(OLDEST_REPORT));
        let entry = &mut self.rows[row];
        let again = report.seq <= entry.last_seq;
        if !again {
            entry.last_seq = report.seq;
            entry.record(report, at);
        }
        Ok(Stored {
            row,
            token: entry.token.clone(),
            added,
            again,
        })
    }

    /// The row whose token the report carries, if it is this name's.
    fn row_with_token(&self, report: &Report) -> Option<usize> {
        let token = report.token.as_deref()?;
        self.rows
            .iter()
            .position(|row| row.token == token && row.name == report.name)
    }

    /// A marked row of this name that this address added: a sender that
    /// does not keep its token (a raw socket) stays in one marked row
    /// instead of adding one per report. The first row of a name is never
    /// found this way; it takes its token.
    fn twin_from(&self, report: &Report, source: IpAddr) -> Option<usize> {
        self.rows
            .iter()
            .position(|row| row.twin && row.name == report.name && row.source == source)
    }

    fn add_row(&mut self, report: &Report, source: IpAddr) -> Result<usize, Why> {
        let from_here = self.rows.iter().filter(|r| r.source == source).count();
        if from_here >= NAMES_PER_COMPUTER {
            return Err(Why::TooManyNames);
        }
        if self.rows.len() >= MOST_ROWS {
            return Err(Why::Full);
        }
        let twin = self.rows.iter().any(|r| r.name == report.name);
        self.rows.push(Row {
            name: report.name.clone(),
            token: new_token(),
            source,
            twin,
            last_seq: 0,
            cells: vec![Cell::Untouched; self.exercises()],
            current: None,
        });
        Ok(self.rows.len() - 1)
    }
}

impl Row {
    /// Changes the cell and what the student is on. A pass stays a pass: a
    /// student trying an exercise again after passing it is not stuck.
    fn record(&mut self, report: &Report, at: u64) {
        let index = report.exercise - 1;
        match report.verdict {
            Verdict::Passed => {
                self.cells[index] = Cell::Passed {
                    attempts: report.attempts,
                    at,
                };
                self.current = Some(match self.next_unpassed(report.exercise) {
                    Some(exercise) => Current::Working {
                        exercise,
                        since: at,
                    },
                    None => Current::AllPassed { since: at },
                });
            }
            Verdict::Failed { step } | Verdict::Unwritten { step } => {
                if !matches!(self.cells[index], Cell::Passed { .. }) {
                    let attempts = report.attempts;
                    self.cells[index] = match report.verdict {
                        Verdict::Unwritten { .. } => Cell::Writing { step, attempts, at },
                        _ => Cell::Failed {
                            step,
                            attempts,
                            mistake: report.mistake.clone(),
                            at,
                        },
                    };
                }
                let already = matches!(self.current,
                    Some(Current::Working { exercise, .. }) if exercise == report.exercise);
                if !already {
                    self.current = Some(Current::Working {
                        exercise: report.exercise,
                        since: at,
                    });
                }
            }
        }
    }

    /// The first exercise after `number` not passed yet, or else the first
    /// one not passed (what `check --watch` goes on to).
    fn next_unpassed(&self, number: usize) -> Option<usize> {
        let open = |i: &usize| !matches!(self.cells[*i - 1], Cell::Passed { .. });
        let all = 1..=self.cells.len();
        all.clone()
            .filter(|i| *i > number)
            .find(open)
            .or_else(|| all.clone().find(open))
    }

    /// The cell of the exercise the student is on, if they are stuck in it.
    pub fn stuck(&self) -> Option<(usize, &Cell)> {
        let Some(Current::Working { exercise, .. }) = self.current else {
            return None;
        };
        let cell = self.cells.get(exercise - 1)?;
        matches!(cell, Cell::Failed { .. }).then_some((exercise, cell))
    }
}

/// 32 hexadecimal digits nobody can guess: std's hasher is seeded from the
/// operating system's random source once per process, and each token
/// hashes a counter and the time with it.
pub fn new_token() -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let seed = std::collections::hash_map::RandomState::new();
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut hasher = seed.build_hasher();
        hasher.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
        hasher.write_usize(i);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        *half = hasher.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}

// ---------------------------------------------------------------------------
// The state file: the table as text, written whole after each change.

const HEADER: &str = "workshop-board 1";

impl Table {
    /// The table as the state file holds it.
    ///
    /// ```text
    /// workshop-board 1
    /// row 5f0c… 192.0.2.21 first 4 working 3 1767000000 小明
    /// cell 0 1 pass 1 1766999800
    /// cell 0 2 fail 2 3 1766999900 ex2.read-once
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\n");
        for (index, row) in self.rows.iter().enumerate() {
            let (kind, exercise, since) = match row.current {
                None => ("none", 0, 0),
                Some(Current::Working { exercise, since }) => ("working", exercise, since),
                Some(Current::AllPassed { since }) => ("done", 0, since),
            };
            text += &format!(
                "row {} {} {} {} {kind} {exercise} {since} {}\n",
                row.token,
                row.source,
                if row.twin { "twin" } else { "first" },
                row.last_seq,
                encode_name(&row.name)
            );
            for (i, cell) in row.cells.iter().enumerate() {
                let exercise = i + 1;
                match cell {
                    Cell::Untouched => {}
                    Cell::Passed { attempts, at } => {
                        text += &format!("cell {index} {exercise} pass {attempts} {at}\n");
                    }
                    Cell::Writing { step, attempts, at } => {
                        text += &format!("cell {index} {exercise} todo {step} {attempts} {at}\n");
                    }
                    Cell::Failed {
                        step,
                        attempts,
                        mistake,
                        at,
                    } => {
                        let mistake = mistake.as_deref().unwrap_or("-");
                        text += &format!(
                            "cell {index} {exercise} fail {step} {attempts} {at} {mistake}\n"
                        );
                    }
                }
            }
        }
        text
    }

    /// Reads a state file back. Lines it cannot read are left out, and so
    /// are cells of exercises the registry no longer has.
    pub fn from_text(text: &str, steps: Vec<usize>) -> Result<Table, String> {
        let mut lines = text.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(format!("第一行不是“{HEADER}”"));
        }
        let mut table = Table::new(steps);
        for line in lines {
            if let Some(rest) = line.strip_prefix("row ") {
                if let Some(row) = read_row(rest, table.exercises()) {
                    table.rows.push(row);
                }
            } else if let Some(rest) = line.strip_prefix("cell ") {
                table.read_cell(rest);
            }
        }
        Ok(table)
    }

    fn read_cell(&mut self, text: &str) -> Option<()> {
        let words: Vec<&str> = text.split(' ').collect();
        let number = |i: usize| words.get(i)?.parse::<u64>().ok();
        let row = self.rows.get_mut(usize::try_from(number(0)?).ok()?)?;
        let exercise = usize::try_from(number(1)?).ok()?;
        let slot = row.cells.get_mut(exercise.checked_sub(1)?)?;
        *slot = match *words.get(2)? {
            "pass" => Cell::Passed {
                attempts: u32::try_from(number(3)?).ok()?,
                at: number(4)?,
            },
            "todo" => Cell::Writing {
                step: usize::try_from(number(3)?).ok()?,
                attempts: u32::try_from(number(4)?).ok()?,
                at: number(5)?,
            },
            "fail" => Cell::Failed {
                step: usize::try_from(number(3)?).ok()?,
                attempts: u32::try_from(number(4)?).ok()?,
                at: number(5)?,
                mistake: match *words.get(6)? {
                    "-" => None,
                    id => Some(id.to_string()),
                },
            },
            _ => return None,
        };
        Some(())
    }
}

fn read_row(text: &str, exercises: usize) -> Option<Row> {
    let mut words = text.splitn(8, ' ');
    let token = words.next()?.to_string();
    let source = words.next()?.parse().ok()?;
    let twin = words.next()? == "twin";
    let last_seq = words.next()?.parse().ok()?;
    let kind = words.next()?;
    let exercise: usize = words.next()?.parse().ok()?;
    let since = words.next()?.parse().ok()?;
    let name = decode_name(words.next()?)?;
    let current = match kind {
        "working" if (1..=exercises).contains(&exercise) => {
            Some(Current::Working { exercise, since })
        }
        "done" => Some(Current::AllPassed { since }),
        _ => None,
    };
    Some(Row {
        name,
        token,
        source,
        twin,
        last_seq,
        cells: vec![Cell::Untouched; exercises],
        current,
    })
}

/// `%` and control characters as `%XX`, so that a name with a line break
/// or a carriage return stays one line of the file and reads back the same.
fn encode_name(name: &str) -> String {
    let mut encoded = String::new();
    for c in name.chars() {
        if c == '%' || c.is_control() {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                encoded += &format!("%{byte:02X}");
            }
        } else {
            encoded.push(c);
        }
    }
    encoded
}

fn decode_name(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, after)) = rest.split_first() {
        if first == b'%' {
            let hex = std::str::from_utf8(after.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &after[2..];
        } else {
            bytes.push(first);
            rest = after;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [usize; 3] = [4, 3, 2];

    fn report(name: &str, seq: u64, exercise: usize, verdict: Verdict) -> Report {
        Report {
            seq,
            exercise,
            verdict,
            mistake: None,
            attempts: 1,
            age: 0,
            token: None,
            name: name.to_string(),
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn a_token_keeps_a_name_and_another_machine_gets_a_marked_row() {
        let mut table = Table::new(STEPS.to_vec());
        let first = table
            .store(&report("小明", 1, 1, Verdict::Passed), ip(21), 100)
            .unwrap();
        assert!(first.added && !table.rows[0].twin);
        // The same machine, with its token: the same row.
        let mut later = report("小明", 2, 2, Verdict::Failed { step: 2 });
        later.token = Some(first.token.clone());
        let same = table.store(&later, ip(21), 160).unwrap();
        assert_eq!((same.row, same.added), (0, false));
        // Another machine, without the token or with a made-up one: a row of its own.
        let forged = report("小明", 1, 3, Verdict::Passed);
        let other = table.store(&forged, ip(24), 170).unwrap();
        assert!(other.added && table.rows[1].twin);
        assert_ne!(other.token, first.token);
        assert_eq!(table.rows[0].cells[2], Cell::Untouched);
        // Again without a token from there: the same marked row.
        let again = table.store(&report("小明", 2, 1, Verdict::Passed), ip(24), 175);
        assert_eq!(again.map(|s| (s.row, s.added)), Ok((1, false)));
        // And without a token from the first row's own address: marked too.
        let lost = table.store(&report("小明", 1, 1, Verdict::Passed), ip(21), 176);
        assert_eq!(lost.map(|s| (s.row, s.added)), Ok((2, true)));
        // A token is good only for its own name.
        let mut stolen = report("小红", 1, 1, Verdict::Passed);
        stolen.token = Some(first.token);
        assert!(table.store(&stolen, ip(25), 180).unwrap().added);
    }

    #[test]
    fn a_report_sent_twice_is_stored_once_and_a_pass_stays() {
        let mut table = Table::new(STEPS.to_vec());
        let stored = table
            .store(&report("a", 5, 2, Verdict::Passed), ip(1), 100)
            .unwrap();
        let mut again = report("a", 5, 2, Verdict::Failed { step: 1 });
        again.token = Some(stored.token.clone());
        assert!(table.store(&again, ip(1), 101).unwrap().again);
        again.seq = 6;
        assert!(!table.store(&again, ip(1), 102).unwrap().again);
        assert!(matches!(table.rows[0].cells[1], Cell::Passed { .. }));
    }

    #[test]
    fn what_a_student_is_on_and_since_when() {
        let mut table = Table::new(STEPS.to_vec());
        let mut fail = report("a", 1, 2, Verdict::Failed { step: 2 });
        fail.age = 30;
        let token = table.store(&fail, ip(1), 1000).unwrap().token;
        let on_two = Some(Current::Working {
            exercise: 2,
            since: 970,
        });
        assert_eq!(table.rows[0].current, on_two);
        let mut again = report("a", 2, 2, Verdict::Failed { step: 3 });
        again.token = Some(token.clone());
        table.store(&again, ip(1), 1100).unwrap();
        assert_eq!(
            table.rows[0].current, on_two,
            "still on it since the first failure"
        );
        assert!(table.rows[0].stuck().is_some());
        let mut pass = report("a", 3, 2, Verdict::Passed);
        pass.token = Some(token);
        table.store(&pass, ip(1), 1200).unwrap();
        assert_eq!(
            table.rows[0].current,
            Some(Current::Working {
                exercise: 3,
                since: 1200
            })
        );
        assert!(table.rows[0].stuck().is_none());
        // A step whose TODO is not written yet is work in progress, not a failure.
        let writing = report("b", 1, 1, Verdict::Unwritten { step: 1 });
        table.store(&writing, ip(2), 1300).unwrap();
        assert!(matches!(
            table.rows[1].cells[0],
            Cell::Writing { step: 1, .. }
        ));
        assert!(table.rows[1].stuck().is_none());
    }

    #[test]
    fn a_computer_adds_few_names_and_no_step_outside_the_registry() {
        let mut table = Table::new(STEPS.to_vec());
        for n in 0..NAMES_PER_COMPUTER {
            let name = format!("n{n}");
            table
                .store(&report(&name, 1, 1, Verdict::Passed), ip(9), 1)
                .unwrap();
        }
        let one_more = report("n9", 1, 1, Verdict::Passed);
        assert_eq!(table.store(&one_more, ip(9), 1), Err(Why::TooManyNames));
        for (exercise, step) in [(0, 1), (4, 1), (1, 5)] {
            let bad = report("x", 1, exercise, Verdict::Failed { step });
            assert_eq!(table.store(&bad, ip(1), 1), Err(Why::Exercise));
        }
    }

    #[test]
    fn the_state_file_reads_back_as_written() {
        let mut table = Table::new(STEPS.to_vec());
        let mut odd = report("坏\r\n%0A人 x", 1, 2, Verdict::Failed { step: 0 });
        odd.mistake = Some("ex2.read-once".into());
        table.store(&odd, ip(24), 50).unwrap();
        table
            .store(&report("小明", 1, 3, Verdict::Passed), ip(21), 60)
            .unwrap();
        table
            .store(
                &report("小红", 1, 1, Verdict::Unwritten { step: 2 }),
                ip(22),
                70,
            )
            .unwrap();
        let text = table.to_text();
        assert_eq!(text.lines().count(), 7, "{text}");
        let back = Table::from_text(&text, STEPS.to_vec()).unwrap();
        assert_eq!(back, table);
        // A registry with one exercise fewer drops that column's cells.
        let fewer = Table::from_text(&text, vec![4, 3]).unwrap();
        assert_eq!(fewer.rows[1].cells, vec![Cell::Untouched; 2]);
        assert!(Table::from_text("something else", STEPS.to_vec()).is_err());
    }

    #[test]
    fn tokens_differ() {
        let a = new_token();
        assert!(super::super::protocol::is_token(&a), "{a}");
        assert_ne!(a, new_token());
    }
}
