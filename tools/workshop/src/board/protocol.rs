//! The board's protocol: one line of text per report, one line back.
//!
//! A check run with `--report` connects to the board, writes one line per
//! report (the reports the board has not confirmed yet, oldest first, then
//! the new one), closes its sending side and reads one reply per line. Both
//! directions are plain text, so `wiretap` shows the whole exchange:
//!
//! ```text
//! → report v=1 seq=3 ex=2 result=fail step=2 mistake=ex2.read-once attempts=2 age=0 token=- name=小明
//! ← ok seq=3 token=5f0c…（32 个十六进制数字）
//! ```
//!
//! A report carries only what the check knows about the run: the exercise,
//! passed or the step that failed (0: it did not compile; `result=todo`:
//! the step's TODO is not written yet), the known
//! mistake's id if one was recognised, how many times this exercise was
//! checked, how many seconds ago the check ran (a report kept while the
//! board was away arrives late; a duration needs no shared clock), the
//! board's token for this name (`-` the first time), and the name, last, so
//! that it may contain spaces. Never source code. The board shows names of
//! steps and mistakes from its own registry, never text a report brought,
//! except the student's name, which it escapes.
//!
//! Replies, one per line and in order:
//! - `ok seq=N token=T`: stored (and written to disk); keep T for this name;
//! - `busy seq=N`: not now (too many reports at once); send it again later;
//! - `refused seq=N why=W`: never accepted (the exercise does not exist, …);
//!   do not send it again.

use std::fmt;

/// Longest line either side sends or accepts, in bytes: a report with the
/// longest name is about 150.
pub const LONGEST_LINE: usize = 320;

/// Longest name the board accepts, in characters (the check's own limit,
/// in screen columns, is stricter).
pub const LONGEST_NAME: usize = 24;

/// Longest mistake id: `ex2.read-once` and its kind.
pub const LONGEST_MISTAKE: usize = 40;

/// A token is 32 hexadecimal digits.
pub const TOKEN_DIGITS: usize = 32;

/// Most attempts a report may claim; more is a lie or a stuck `--watch`.
pub const MOST_ATTEMPTS: u32 = 99_999;

/// What a check run found, as a report carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Stopped at this step: 1 is the first check, 0 the build.
    Failed {
        step: usize,
    },
    /// Stopped at this step because its TODO is not written yet: the
    /// student is working through the exercise, not stuck.
    Unwritten {
        step: usize,
    },
}

/// One report, as sent and as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Numbered by the sending machine, so that a report sent twice (its
    /// reply was lost) is stored once.
    pub seq: u64,
    pub exercise: usize,
    pub verdict: Verdict,
    /// A known mistake's id, such as `ex2.read-once`.
    pub mistake: Option<String>,
    pub attempts: u32,
    /// Seconds since the check ran.
    pub age: u64,
    pub token: Option<String>,
    pub name: String,
}

/// Why a line was refused, as a short ASCII word on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Not a report line at all.
    Malformed,
    /// A version of the protocol this board does not speak.
    Version,
    /// Longer than [`LONGEST_LINE`].
    TooLong,
    /// No such exercise, or no such step in it.
    Exercise,
    /// The name is empty or too long.
    Name,
    /// This computer has already reported under too many names.
    TooManyNames,
    /// The board has as many rows as it will show.
    Full,
}

impl Why {
    pub const ALL: [Why; 7] = [
        Why::Malformed,
        Why::Version,
        Why::TooLong,
        Why::Exercise,
        Why::Name,
        Why::TooManyNames,
        Why::Full,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Why::Malformed => "malformed",
            Why::Version => "version",
            Why::TooLong => "too-long",
            Why::Exercise => "exercise",
            Why::Name => "name",
            Why::TooManyNames => "too-many-names",
            Why::Full => "full",
        }
    }

    /// What the check tells the student about it.
    pub fn explain(self) -> &'static str {
        match self {
            Why::Malformed | Why::Version | Why::TooLong => {
                "看板不认识这份报告的格式：老师的 workshop 和你的不是同一个版本吗？请 git pull 之后再试"
            }
            Why::Exercise => "看板不认识这个练习或这一步：老师的 workshop 和你的不是同一个版本吗？",
            Why::Name => "看板不接受这个名字：请换一个短一点的名字",
            Why::TooManyNames => "这台电脑已经用好几个名字报告过了，看板不再接受新的名字",
            Why::Full => "看板已经满了，不再接受新的名字：请告诉老师",
        }
    }
}

/// The board's answer to one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ok {
        seq: u64,
        token: String,
    },
    Busy {
        seq: u64,
    },
    /// `seq` is `None` when the line was too broken to have one.
    Refused {
        seq: Option<u64>,
        why: Why,
    },
}

impl Report {
    /// The line on the wire, without its `\n`.
    pub fn line(&self) -> String {
        let mut line = format!("report v=1 seq={} ex={}", self.seq, self.exercise);
        match self.verdict {
            Verdict::Passed => line += " result=pass",
            Verdict::Failed { step } => line += &format!(" result=fail step={step}"),
            Verdict::Unwritten { step } => line += &format!(" result=todo step={step}"),
        }
        if let Some(mistake) = &self.mistake {
            line += &format!(" mistake={mistake}");
        }
        line += &format!(
            " attempts={} age={} token={} name={}",
            self.attempts,
            self.age,
            self.token.as_deref().unwrap_or("-"),
            self.name
        );
        line
    }

    /// Reads one line (without its `\n`). Only its form is checked here:
    /// whether the exercise and step exist is the board's business.
    pub fn parse(line: &[u8]) -> Result<Report, (Option<u64>, Why)> {
        if line.len() > LONGEST_LINE {
            return Err((None, Why::TooLong));
        }
        let line = String::from_utf8_lossy(line);
        let line = line.strip_suffix('\r').unwrap_or(&line);
        let Some(rest) = line.strip_prefix("report ") else {
            return Err((None, Why::Malformed));
        };
        // Everything after `name=` is the name, spaces and all.
        let (fields, name) = match rest.split_once(" name=") {
            Some((fields, name)) => (fields, name),
            None => return Err((None, Why::Malformed)),
        };
        let mut found = Fields::default();
        for field in fields.split(' ') {
            let Some((key, value)) = field.split_once('=') else {
                return Err((None, Why::Malformed));
            };
            found.set(key, value);
        }
        let seq = found.seq.as_deref().and_then(number::<u64>);
        let refuse = |why| Err((seq, why));
        if found.version.as_deref() != Some("1") {
            return refuse(Why::Version);
        }
        let (Some(seq), Some(exercise), Some(attempts), Some(age)) = (
            seq,
            found.exercise.as_deref().and_then(number::<usize>),
            found.attempts.as_deref().and_then(number::<u32>),
            found.age.as_deref().and_then(number::<u64>),
        ) else {
            return refuse(Why::Malformed);
        };
        let verdict = match (found.result.as_deref(), found.step.as_deref()) {
            (Some("pass"), None) => Verdict::Passed,
            (Some("fail"), Some(step)) => match number::<usize>(step) {
                Some(step) => Verdict::Failed { step },
                None => return refuse(Why::Malformed),
            },
            (Some("todo"), Some(step)) => match number::<usize>(step) {
                Some(step) => Verdict::Unwritten { step },
                None => return refuse(Why::Malformed),
            },
            _ => return refuse(Why::Malformed),
        };
        let mistake = match found.mistake {
            Some(id) if is_mistake_id(&id) => Some(id),
            Some(_) => return refuse(Why::Malformed),
            None => None,
        };
        let token = match found.token.as_deref() {
            Some("-") => None,
            Some(token) if is_token(token) => Some(token.to_string()),
            _ => return refuse(Why::Malformed),
        };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > LONGEST_NAME {
            return refuse(Why::Name);
        }
        if seq == 0 || attempts == 0 || attempts > MOST_ATTEMPTS {
            return refuse(Why::Malformed);
        }
        Ok(Report {
            seq,
            exercise,
            verdict,
            mistake,
            attempts,
            age,
            token,
            name: name.to_string(),
        })
    }
}

/// The fields of a report line, as text, before they are checked.
#[derive(Default)]
struct Fields {
    version: Option<String>,
    seq: Option<String>,
    exercise: Option<String>,
    result: Option<String>,
    step: Option<String>,
    mistake: Option<String>,
    attempts: Option<String>,
    age: Option<String>,
    token: Option<String>,
}

impl Fields {
    /// Keys it does not know are left out: a later version may add some.
    fn set(&mut self, key: &str, value: &str) {
        let slot = match key {
            "v" => &mut self.version,
            "seq" => &mut self.seq,
            "ex" => &mut self.exercise,
            "result" => &mut self.result,
            "step" => &mut self.step,
            "mistake" => &mut self.mistake,
            "attempts" => &mut self.attempts,
            "age" => &mut self.age,
            "token" => &mut self.token,
            _ => return,
        };
        *slot = Some(value.to_string());
    }
}

/// Digits only (no sign, no spaces), and not so many that they overflow.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `ex2.read-once`: lower-case ASCII letters, digits, `.`, `-` and `_`.
pub fn is_mistake_id(id: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    (1..=LONGEST_MISTAKE).contains(&id.len()) && id.bytes().all(allowed)
}

/// 32 lower-case hexadecimal digits.
pub fn is_token(token: &str) -> bool {
    token.len() == TOKEN_DIGITS
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Ok { seq, token } => write!(f, "ok seq={seq} token={token}"),
            Reply::Busy { seq } => write!(f, "busy seq={seq}"),
            Reply::Refused {
                seq: Some(seq),
                why,
            } => {
                write!(f, "refused seq={seq} why={}", why.word())
            }
            Reply::Refused { seq: None, why } => write!(f, "refused seq=- why={}", why.word()),
        }
    }
}

impl Reply {
    /// Reads one reply line (without its `\n`); `None` if it is not one.
    pub fn parse(line: &str) -> Option<Reply> {
        let mut words = line.trim_end_matches('\r').split(' ');
        let kind = words.next()?;
        let seq_text = words.next()?.strip_prefix("seq=")?;
        let seq = number::<u64>(seq_text);
        let reply = match kind {
            "ok" => {
                let token = words.next()?.strip_prefix("token=")?;
                if !is_token(token) {
                    return None;
                }
                Reply::Ok {
                    seq: seq?,
                    token: token.to_string(),
                }
            }
            "busy" => Reply::Busy { seq: seq? },
            "refused" => {
                let word = words.next()?.strip_prefix("why=")?;
                let why = Why::ALL.into_iter().find(|w| w.word() == word)?;
                Reply::Refused { seq, why }
            }
            _ => return None,
        };
        words.next().is_none().then_some(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            seq: 3,
            exercise: 2,
            verdict: Verdict::Failed { step: 2 },
            mistake: Some("ex2.read-once".to_string()),
            attempts: 2,
            age: 0,
            token: None,
            name: "小 明".to_string(),
        }
    }

    #[test]
    fn a_report_reads_back_as_written_and_stays_short() {
        let report = report();
        let line = report.line();
        assert_eq!(
            line,
            "report v=1 seq=3 ex=2 result=fail step=2 mistake=ex2.read-once attempts=2 age=0 token=- name=小 明"
        );
        assert_eq!(Report::parse(line.as_bytes()), Ok(report.clone()));
        let longest = Report {
            seq: u64::MAX,
            attempts: MOST_ATTEMPTS,
            age: u64::MAX,
            token: Some("a".repeat(TOKEN_DIGITS)),
            mistake: Some("m".repeat(LONGEST_MISTAKE)),
            name: "长".repeat(LONGEST_NAME),
            ..report
        };
        assert!(longest.line().len() <= LONGEST_LINE, "{}", longest.line());
        assert_eq!(Report::parse(longest.line().as_bytes()), Ok(longest));
    }

    #[test]
    fn a_broken_line_is_refused_with_its_seq_where_it_has_one() {
        let good = report().line();
        let cases = [
            ("hello", (None, Why::Malformed)),
            (&good.replace("v=1", "v=2"), (Some(3), Why::Version)),
            (&good.replace("seq=3", "seq=-3"), (None, Why::Malformed)),
            (&good.replace("step=2", "step=x"), (Some(3), Why::Malformed)),
            (&good.replace(" step=2", ""), (Some(3), Why::Malformed)),
            (
                &good.replace("ex2.read-once", "EX2;rm"),
                (Some(3), Why::Malformed),
            ),
            (
                &good.replace("token=-", "token=abc"),
                (Some(3), Why::Malformed),
            ),
            (
                &good.replace("attempts=2", "attempts=0"),
                (Some(3), Why::Malformed),
            ),
            (
                &good.replace("name=小 明", "name=   "),
                (Some(3), Why::Name),
            ),
            (
                &good.replace("name=小 明", &format!("name={}", "x".repeat(25))),
                (Some(3), Why::Name),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(Report::parse(line.as_bytes()), Err(expected), "{line}");
        }
        let long = format!("{good}{}", " ".repeat(LONGEST_LINE));
        assert_eq!(Report::parse(long.as_bytes()), Err((None, Why::TooLong)));
    }

    #[test]
    fn a_step_not_written_yet_has_a_word_of_its_own() {
        let writing = Report {
            verdict: Verdict::Unwritten { step: 1 },
            mistake: None,
            ..report()
        };
        let line = writing.line();
        assert!(
            line.contains(" ex=2 result=todo step=1 attempts=2 "),
            "{line}"
        );
        assert_eq!(Report::parse(line.as_bytes()), Ok(writing));
    }

    #[test]
    fn unknown_fields_are_left_for_a_later_version() {
        let line = report().line().replace(" age=0", " age=0 colour=blue");
        assert_eq!(Report::parse(line.as_bytes()), Ok(report()));
    }

    #[test]
    fn replies_read_back_and_nothing_else_passes_for_one() {
        let token = "0123456789abcdef0123456789abcdef".to_string();
        for reply in [
            Reply::Ok { seq: 7, token },
            Reply::Busy { seq: 7 },
            Reply::Refused {
                seq: Some(7),
                why: Why::TooManyNames,
            },
            Reply::Refused {
                seq: None,
                why: Why::Malformed,
            },
        ] {
            assert_eq!(Reply::parse(&reply.to_string()), Some(reply));
        }
        for bad in [
            "数据已收到",
            "ok seq=7",
            "ok seq=7 token=xyz",
            "busy seq=7 more",
        ] {
            assert_eq!(Reply::parse(bad), None, "{bad}");
        }
    }
}
