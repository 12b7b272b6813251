//! What one check found, and how it is printed: a Chinese ✓ or ✗, and under
//! a ✗ what was expected and what was seen, the mistake it looks like and a
//! tip about that mistake, what crossed the wire (as wiretap shows it), what
//! the learner's program printed, and one command to repeat the step by hand.

use common::say;

use super::learner::{Ctx, OUTPUT_KEPT, Transcript};
use super::step::Repeat;

/// One check of an exercise.
pub struct Check {
    /// What it checks, as the learner reads it after ✓ or ✗.
    pub what: &'static str,
    /// Said before it runs, for a check that takes a while by design (it
    /// waits for a time limit to pass).
    pub wait: Option<&'static str>,
    pub run: fn(&Ctx) -> Checked,
}

/// A mistake learners make, which a check recognises by what it does.
#[derive(Debug)]
pub struct Mistake {
    /// Stable and short, for programs (the teacher's board): `ex2.read-once`.
    pub id: &'static str,
    /// What the learner reads: `只读了一次`.
    pub name: &'static str,
    /// What to do about it.
    pub tip: &'static str,
}

/// What a check that did not stop found.
#[derive(Debug)]
pub enum Outcome {
    Passed,
    /// Passed, with part of it not checkable on this machine, and why.
    PassedBut(String),
    /// Not run on this machine, and why (no python3).
    Skipped(String),
}

/// Why a check stopped without passing.
#[derive(Debug)]
pub enum Stop {
    /// The learner's program did not do what was expected.
    Failed(Failed),
    /// Something the check needs did not work (a chapter program would not
    /// start): not the learner's doing.
    Broken(anyhow::Error),
    /// Ctrl-C: stop at once; the `Drop`s clean up.
    Cancelled,
}

/// A ✗: what should have happened, what did, and what may help.
#[derive(Debug)]
pub struct Failed {
    pub expected: String,
    pub seen: String,
    pub advice: Option<String>,
    pub mistake: Option<&'static Mistake>,
}

pub type Checked = Result<Outcome, Stop>;

/// A ✗ with what was expected and what was seen.
pub fn failed(expected: impl Into<String>, seen: impl Into<String>) -> Stop {
    Stop::Failed(Failed {
        expected: expected.into(),
        seen: seen.into(),
        advice: None,
        mistake: None,
    })
}

impl Stop {
    /// The same ✗ with a sentence on what to look at. Only a ✗ gets one;
    /// the caller who knows more (the check, around a shared step) has the
    /// last word.
    pub fn advice(self, advice: impl Into<String>) -> Stop {
        match self {
            Stop::Failed(mut failed) => {
                failed.advice = Some(advice.into());
                Stop::Failed(failed)
            }
            other => other,
        }
    }

    /// The same ✗, recognised as `mistake`.
    pub fn mistake(self, mistake: &'static Mistake) -> Stop {
        match self {
            Stop::Failed(mut failed) => {
                failed.mistake = Some(mistake);
                Stop::Failed(failed)
            }
            other => other,
        }
    }

    /// The same ✗, recognised as `mistake` unless something more specific
    /// already recognised it.
    pub fn or_mistake(self, mistake: &'static Mistake) -> Stop {
        match self {
            Stop::Failed(failed) if failed.mistake.is_some() => Stop::Failed(failed),
            other => other.mistake(mistake),
        }
    }

    /// The recognised mistake, if any.
    pub fn recognised(&self) -> Option<&'static Mistake> {
        match self {
            Stop::Failed(failed) => failed.mistake,
            _ => None,
        }
    }
}

impl From<process_runner::Error> for Stop {
    fn from(error: process_runner::Error) -> Stop {
        if error.is_cancelled() {
            Stop::Cancelled
        } else {
            Stop::Broken(error.into())
        }
    }
}

impl From<anyhow::Error> for Stop {
    fn from(error: anyhow::Error) -> Stop {
        let cancelled = error
            .downcast_ref::<process_runner::Error>()
            .is_some_and(process_runner::Error::is_cancelled);
        if cancelled {
            Stop::Cancelled
        } else {
            Stop::Broken(error)
        }
    }
}

impl From<std::io::Error> for Stop {
    fn from(error: std::io::Error) -> Stop {
        Stop::Broken(error.into())
    }
}

/// What a step left behind for its ✗ block.
pub struct Evidence<'a> {
    pub wire: Vec<String>,
    pub outputs: &'a [Transcript],
    pub repeat: Option<&'a Repeat>,
}

impl Evidence<'_> {
    /// Whether the learner's program said that a TODO is not written yet:
    /// then that is the whole story, whatever the symptom looked like.
    pub fn not_written(&self) -> bool {
        self.outputs.iter().any(|t| {
            t.stdout
                .iter()
                .chain(&t.stderr)
                .any(|l| l.contains(NOT_WRITTEN_MARK))
        })
    }
}

/// What every exercise's `not_written` error starts with.
const NOT_WRITTEN_MARK: &str = "还没写：";

/// Prints a check's line: `✓ 2/4 …`, `✗ 2/4 …` with what was expected and
/// seen and the rest of the block, or `- 2/4 …（跳过：…）`.
pub fn print(index: usize, total: usize, what: &str, result: &Checked, evidence: &Evidence) {
    let number = format!("{index}/{total}");
    match result {
        Ok(Outcome::Passed) => say!("✓ {number} {what}"),
        Ok(Outcome::PassedBut(note)) => say!("✓ {number} {what}（{note}）"),
        Ok(Outcome::Skipped(why)) => say!("- {number} {what}（跳过：{why}）"),
        Err(Stop::Failed(failed)) => {
            say!("✗ {number} {what}");
            labelled("应该", &failed.expected);
            labelled("实际", &failed.seen);
            // A TODO still returning its "not written yet" error says all
            // there is to say; advice about the finished step would mislead.
            let not_written = failed.seen.contains(NOT_WRITTEN_MARK) || evidence.not_written();
            if let (Some(mistake), false) = (failed.mistake, not_written) {
                labelled("常见错误", &format!("{}（{}）", mistake.name, mistake.id));
            }
            let advice = if not_written {
                Some(NOT_WRITTEN)
            } else {
                failed.mistake.map(|m| m.tip).or(failed.advice.as_deref())
            };
            if let Some(advice) = advice {
                labelled("提示", advice);
            }
            print_evidence(evidence);
        }
        Err(Stop::Broken(error)) => {
            say!("✗ {number} {what}");
            labelled(
                "出错",
                &format!("检查本身没能进行（这不是你的程序的问题）：{error:#}。请把这几行告诉老师"),
            );
            print_evidence(evidence);
        }
        Err(Stop::Cancelled) => {}
    }
}

/// The wire, the learner's own output, and how to repeat the step.
fn print_evidence(evidence: &Evidence) {
    if !evidence.wire.is_empty() {
        say!(
            "    线路上（和 wiretap 的显示一样：每一块是一次读到的字节，左边十六进制，右边文字）："
        );
        for line in &evidence.wire {
            say!("      {line}");
        }
    }
    // The first program's output always (it may have said nothing); the
    // others' only if they said something.
    let said = |t: &&Transcript| !t.stdout.is_empty() || !t.stderr.is_empty() || t.dropped > 0;
    let first = evidence.outputs.first();
    for transcript in first
        .into_iter()
        .chain(evidence.outputs.iter().skip(1).filter(said))
    {
        for line in transcript.render() {
            say!("    {line}");
        }
    }
    if let Some(repeat) = evidence.repeat {
        labelled("自己重复这一步", &repeat.command);
        for before in &repeat.before {
            say!("          （{before}）");
        }
    }
}

/// What to do about a step that still says “还没写”.
const NOT_WRITTEN: &str =
    "这一步还没写：打开练习的文件，找到它说的那个 TODO，把 Err(not_written(…)) 换成真正的代码";

/// The checks after a failed one, which did not run.
pub fn print_not_run(index: usize, total: usize, what: &str) {
    say!("· {index}/{total} {what}（没有运行：先让上面那一项通过）");
}

/// `    应该：text`, with the text's later lines indented under its first.
fn labelled(label: &str, text: &str) {
    let mut lines = text.lines();
    say!("    {label}：{}", lines.next().unwrap_or(""));
    for line in lines {
        say!("          {line}");
    }
}

/// The cap on each of the learner's outputs, in words, for the output header.
pub fn output_cap() -> String {
    format!("{} KiB", OUTPUT_KEPT / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: Mistake = Mistake {
        id: "ex0.one",
        name: "一",
        tip: "一的提示",
    };
    const TWO: Mistake = Mistake {
        id: "ex0.two",
        name: "二",
        tip: "二的提示",
    };

    #[test]
    fn advice_is_given_only_to_a_failure_and_the_last_word_wins() {
        let stop = failed("a", "b").advice("inner").advice("outer");
        let Stop::Failed(failed) = stop else {
            panic!("expected a failure");
        };
        assert_eq!(failed.advice.as_deref(), Some("outer"));
        let broken = Stop::Broken(anyhow::anyhow!("x")).advice("ignored");
        assert!(matches!(broken, Stop::Broken(_)));
    }

    #[test]
    fn the_first_recognised_mistake_stays_unless_overruled() {
        let stop = failed("a", "b").mistake(&ONE).or_mistake(&TWO);
        assert_eq!(stop.recognised().map(|m| m.id), Some("ex0.one"));
        let stop = stop.mistake(&TWO);
        assert_eq!(stop.recognised().map(|m| m.id), Some("ex0.two"));
        assert!(Stop::Cancelled.mistake(&ONE).recognised().is_none());
    }

    #[test]
    fn a_cancel_inside_anyhow_is_still_a_cancel() {
        let error = anyhow::Error::from(process_runner::Error::Cancelled);
        assert!(matches!(Stop::from(error), Stop::Cancelled));
    }
}
