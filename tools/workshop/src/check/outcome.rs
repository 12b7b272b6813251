//! What one check found, and how it is printed: a Chinese ✓ or ✗, and under
//! a ✗ what was expected and what was seen.

use common::say;

use super::learner::Ctx;

/// One check of an exercise.
pub struct Check {
    /// What it checks, as the learner reads it after ✓ or ✗.
    pub what: &'static str,
    /// Said before it runs, for a check that takes a while by design (it
    /// waits for a time limit to pass).
    pub wait: Option<&'static str>,
    pub run: fn(&Ctx) -> Checked,
}

/// What a check that did not stop found.
#[derive(Debug)]
pub enum Outcome {
    Passed,
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
}

pub type Checked = Result<Outcome, Stop>;

/// A ✗ with what was expected and what was seen.
pub fn failed(expected: impl Into<String>, seen: impl Into<String>) -> Stop {
    Stop::Failed(Failed {
        expected: expected.into(),
        seen: seen.into(),
        advice: None,
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

/// Prints a check's line: `✓ 2/4 …`, `✗ 2/4 …` with what was expected and
/// seen, or `- 2/4 …（跳过：…）`.
pub fn print(index: usize, total: usize, what: &str, result: &Checked) {
    let number = format!("{index}/{total}");
    match result {
        Ok(Outcome::Passed) => say!("✓ {number} {what}"),
        Ok(Outcome::Skipped(why)) => say!("- {number} {what}（跳过：{why}）"),
        Err(Stop::Failed(failed)) => {
            say!("✗ {number} {what}");
            labelled("应该", &failed.expected);
            labelled("实际", &failed.seen);
            // A TODO still returning its "not written yet" error says all
            // there is to say; advice about the finished step would mislead.
            let advice = if failed.seen.contains("还没写：") {
                Some(NOT_WRITTEN)
            } else {
                failed.advice.as_deref()
            };
            if let Some(advice) = advice {
                labelled("提示", advice);
            }
        }
        Err(Stop::Broken(error)) => {
            say!("✗ {number} {what}");
            labelled(
                "出错",
                &format!("检查本身没能进行（这不是你的程序的问题）：{error:#}。请把这几行告诉老师"),
            );
        }
        Err(Stop::Cancelled) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_cancel_inside_anyhow_is_still_a_cancel() {
        let error = anyhow::Error::from(process_runner::Error::Cancelled);
        assert!(matches!(Stop::from(error), Stop::Cancelled));
    }
}
