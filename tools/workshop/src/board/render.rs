//! The table as text for the projector: one line per student, a compact
//! cell per exercise, and under it what most of the class is stuck on.
//!
//! ```text
//! 学生                1     2     3     4     5     6     7     在做
//! 小明                ✓     ✓     ·     ·     ·     ·     ·     3  4分
//! 小红                ✓     ✗2·3  ·     ·     ·     ·     ·     2  12分
//! ```
//!
//! `✓` passed, `✗2·3` stopped at step 2 on the 3rd check (step 0: it did
//! not compile), `·` not reported yet. 30 students and 7 exercises make 38
//! lines of at most 100 columns: at 1024×768 that is a 20-pixel line, a
//! font a projector shows to the back of the room.
//!
//! Every line is a list of cells, each at a fixed column. On a terminal
//! that redraws, each cell is placed by moving the cursor to its column
//! (`ESC [ n G`), so a character whose width the terminal counts
//! differently from us cannot shift the cells after it.

use std::collections::BTreeMap;

use super::registry;
use super::table::{Cell, Current, Row, Table};
use super::text::{escape, fit, width};

/// Columns for the name (a twin's mark included).
pub const NAME_COLUMNS: usize = 20;
/// Columns per exercise cell, the space after it included.
pub const CELL_COLUMNS: usize = 6;
/// How many "stuck on" lines are shown.
const STUCK_LINES: usize = 3;
/// The line under the table that says what the cells mean.
const LEGEND: &str = "✓ 通过  ✗2·3 第 2 步没过，第 3 次检查（0 步是编译）  写1·2 第 1 步还没写  · 没做  （另一台）重名";

/// The widest a line may be (the projector's budget).
pub const MOST_COLUMNS: usize = 100;
/// A twin row's mark after the name.
pub const TWIN_MARK: &str = "（另一台）";

/// One piece of a line, starting at a column (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub column: usize,
    pub text: String,
}

/// One line of the frame.
pub type Line = Vec<Piece>;

/// What the board refused from one address, for the line under the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusals {
    pub source: String,
    /// More connections at once than one computer may have.
    pub connections: u64,
    /// Reports faster than one computer may send.
    pub too_fast: u64,
    /// New names past the limit per computer (or past the board's size).
    pub names: u64,
    /// Lines that are not reports, or too long.
    pub malformed: u64,
    /// Connections still open at their deadline.
    pub timed_out: u64,
}

impl Refusals {
    pub fn total(&self) -> u64 {
        self.connections + self.too_fast + self.names + self.malformed + self.timed_out
    }

    pub fn describe(&self) -> String {
        let parts = [
            ("连接太多", self.connections),
            ("报告太快", self.too_fast),
            ("名字太多", self.names),
            ("格式不对", self.malformed),
            ("超时", self.timed_out),
        ];
        let said: Vec<String> = parts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{what} {n}"))
            .collect();
        format!("{} {}", self.source, said.join("、"))
    }
}

/// Everything one frame shows.
pub struct View<'a> {
    pub table: &'a Table,
    /// Unix seconds, for "how long on it".
    pub now: u64,
    /// The line above the table: where the board is, what students type.
    pub header: &'a str,
    /// Sources with refusals, most refused first.
    pub refused: &'a [Refusals],
    /// The latest thing that happened (a new name, a twin, a save that failed).
    pub event: Option<&'a str>,
}

/// The whole frame.
pub fn frame(view: &View) -> Vec<Line> {
    let mut lines = vec![plain(view.header)];
    lines.push(column_titles(view.table.exercises()));
    for row in &view.table.rows {
        lines.push(row_line(row, view.now));
    }
    if view.table.rows.is_empty() {
        lines.push(plain("还没有人报告。"));
    }
    lines.extend(stuck_lines(view.table).into_iter().map(|l| plain(&l)));
    lines.push(plain(LEGEND));
    if let Some((first, others)) = view.refused.split_first() {
        let others = if others.is_empty() {
            String::new()
        } else {
            format!("（还有 {} 个地址）", others.len())
        };
        lines.push(plain(&format!("挡下的：{}{others}", first.describe())));
    }
    if let Some(event) = view.event {
        lines.push(plain(&format!("最近：{event}")));
    }
    lines
}

/// A line of one piece, cut to [`MOST_COLUMNS`].
fn plain(text: &str) -> Line {
    vec![Piece {
        column: 0,
        text: fit(text, MOST_COLUMNS),
    }]
}

/// Where exercise `index` (0-based) starts.
fn cell_column(index: usize) -> usize {
    NAME_COLUMNS + index * CELL_COLUMNS
}

fn column_titles(exercises: usize) -> Line {
    let mut line = plain("学生");
    for index in 0..exercises {
        line.push(Piece {
            column: cell_column(index),
            text: (index + 1).to_string(),
        });
    }
    line.push(Piece {
        column: cell_column(exercises),
        text: "在做".to_string(),
    });
    line
}

/// The name as shown: escaped, with the twin mark, cut to its column.
pub fn shown_name(row: &Row) -> String {
    let room = NAME_COLUMNS - 1;
    let name = escape(&row.name);
    if row.twin {
        let mark = width(TWIN_MARK);
        format!("{}{TWIN_MARK}", fit(&name, room - mark))
    } else {
        fit(&name, room)
    }
}

fn row_line(row: &Row, now: u64) -> Line {
    let mut line = plain(&shown_name(row));
    for (index, state) in row.cells.iter().enumerate() {
        line.push(Piece {
            column: cell_column(index),
            text: cell_text(state),
        });
    }
    line.push(Piece {
        column: cell_column(row.cells.len()),
        text: current_text(row.current, now),
    });
    line
}

/// `✓`, `✗2·3` or `·`.
pub fn cell_text(state: &Cell) -> String {
    match state {
        Cell::Untouched => "·".to_string(),
        Cell::Passed { .. } => "✓".to_string(),
        Cell::Failed { step, attempts, .. } => format!("✗{step}·{}", count(*attempts)),
        Cell::Writing { step, attempts, .. } => format!("写{step}·{}", count(*attempts)),
    }
}

/// A number of attempts in at most three columns.
fn count(attempts: u32) -> String {
    if attempts > 99 {
        "99+".to_string()
    } else {
        attempts.to_string()
    }
}

/// `3  12分`: on exercise 3 for 12 minutes; or `全部通过`.
pub fn current_text(current: Option<Current>, now: u64) -> String {
    match current {
        None => String::new(),
        Some(Current::AllPassed { .. }) => "全部通过".to_string(),
        Some(Current::Working { exercise, since }) => {
            let minutes = now.saturating_sub(since) / 60;
            format!("{exercise}  {}分", minutes.min(999))
        }
    }
}

/// "练习 2 第 2 步（回复一个字节一个字节地到达）：5 人", for the steps the
/// most students are stuck on right now (their latest report failed there).
pub fn stuck_lines(table: &Table) -> Vec<String> {
    let mut groups: BTreeMap<(usize, usize, Option<String>), usize> = BTreeMap::new();
    for row in &table.rows {
        if let Some((exercise, Cell::Failed { step, mistake, .. })) = row.stuck() {
            *groups
                .entry((exercise, *step, mistake.clone()))
                .or_insert(0) += 1;
        }
    }
    if groups.is_empty() {
        return vec!["卡住的：没有".to_string()];
    }
    let mut ranked: Vec<_> = groups.into_iter().collect();
    // Most students first; among equals, the earlier exercise and step.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(STUCK_LINES)
        .map(|((exercise, step, mistake), count)| {
            let title = registry::step_title(exercise, step).unwrap_or_default();
            let mistake = match mistake.as_deref() {
                Some(id) => format!("“{}”", registry::mistake_name(id).unwrap_or(id)),
                None => String::new(),
            };
            format!("卡住的：练习 {exercise} 第 {step} 步（{title}）{mistake}：{count} 人")
        })
        .collect()
}

/// The frame as plain text, cells padded with spaces.
pub fn to_plain(lines: &[Line]) -> String {
    let mut text = String::new();
    for line in lines {
        let mut used = 0;
        let mut out = String::new();
        for piece in line {
            if piece.column > used {
                out += &" ".repeat(piece.column - used);
                used = piece.column;
            }
            out += &piece.text;
            used += width(&piece.text);
        }
        text += out.trim_end();
        text.push('\n');
    }
    text
}

/// The frame for a terminal that redraws: from the top-left corner, each
/// cell at its column, each line cleared to its end, and everything below
/// the last line cleared.
pub fn to_ansi(lines: &[Line]) -> String {
    let mut text = String::from("\x1b[H");
    for line in lines {
        for piece in line {
            text += &format!("\x1b[{}G{}", piece.column + 1, piece.text);
        }
        text += "\x1b[K\r\n";
    }
    text += "\x1b[J";
    text
}

/// A cell's text as the CSV export has it: the whole story in words.
pub fn cell_words(state: &Cell) -> String {
    match state {
        Cell::Untouched => String::new(),
        Cell::Passed { attempts, .. } => format!("通过（检查了 {attempts} 次）"),
        Cell::Writing { step, attempts, .. } => {
            format!("第 {step} 步的 TODO 还没写（检查了 {attempts} 次）")
        }
        Cell::Failed {
            step,
            attempts,
            mistake,
            ..
        } => {
            let mistake = match mistake.as_deref() {
                Some(id) => format!("，{}", registry::mistake_name(id).unwrap_or(id)),
                None => String::new(),
            };
            format!("第 {step} 步没通过（检查了 {attempts} 次{mistake}）")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::protocol::{Report, Verdict};
    use std::net::IpAddr;

    fn class(students: usize) -> Table {
        let mut table = Table::new(registry::steps());
        for n in 0..students {
            let source = IpAddr::from([10, 0, (n / 200) as u8, (n % 200) as u8]);
            for exercise in 1..=table.exercises() {
                let report = Report {
                    seq: exercise as u64,
                    exercise,
                    verdict: Verdict::Failed { step: 3 },
                    mistake: Some("ex2.read-once".into()),
                    attempts: 120,
                    age: 0,
                    token: table.rows.get(n).map(|r| r.token.clone()),
                    name: format!("{}{n}", "长".repeat(30)),
                };
                let _ = table.store(&report, source, 0);
            }
        }
        table
    }

    #[test]
    fn thirty_students_fit_a_projector_at_1024_by_768() {
        let table = class(30);
        let refused = vec![
            Refusals {
                source: "192.0.2.240".into(),
                connections: 99_999,
                too_fast: 99_999,
                names: 99_999,
                malformed: 99_999,
                timed_out: 99_999,
            };
            2
        ];
        let header = "学生运行：cargo run -p workshop -- check --watch --report 192.168.100.200:65535 --name 你的名字";
        let view = View {
            table: &table,
            now: 999_999,
            header,
            refused: &refused,
            event: Some(
                "“长长长长长长长长长长长长”从 192.168.100.200 报告，没有这个名字的令牌：另起一行",
            ),
        };
        assert!(width(LEGEND) <= MOST_COLUMNS, "the legend is never cut");
        let text = to_plain(&frame(&view));
        assert!(text.lines().count() <= 38, "{text}");
        for line in text.lines() {
            assert!(width(line) <= 100, "{} columns: {line}", width(line));
        }
    }

    #[test]
    fn a_name_never_leaves_its_column_or_its_line() {
        let mut table = class(1);
        table.rows[0].name = "\x1b[2J\r\n坏人🎉e\u{301}".repeat(3);
        let line = row_line(&table.rows[0], 0);
        assert!(width(&line[0].text) < NAME_COLUMNS, "{:?}", line[0]);
        assert!(!line[0].text.chars().any(char::is_control));
        assert_eq!(line[1].column, NAME_COLUMNS);
        assert_eq!(line[1].text, "✗3·99+");
    }

    #[test]
    fn the_steps_most_students_are_stuck_on_come_first() {
        let mut table = Table::new(registry::steps());
        let source = |n: u8| IpAddr::from([192, 0, 2, n]);
        let fail = |name: &str, exercise, step| Report {
            seq: 1,
            exercise,
            verdict: Verdict::Failed { step },
            mistake: None,
            attempts: 1,
            age: 0,
            token: None,
            name: name.into(),
        };
        table.store(&fail("a", 1, 1), source(1), 0).unwrap();
        table.store(&fail("b", 2, 2), source(2), 0).unwrap();
        table.store(&fail("c", 2, 2), source(3), 0).unwrap();
        let title = |exercise, step| registry::step_title(exercise, step).unwrap();
        assert_eq!(
            stuck_lines(&table),
            [
                format!("卡住的：练习 2 第 2 步（{}）：2 人", title(2, 2)),
                format!("卡住的：练习 1 第 1 步（{}）：1 人", title(1, 1)),
            ]
        );
    }
}
