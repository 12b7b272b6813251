//! What the board knows about the exercises, from the checker's own
//! registry (the same `workshop` binary): how many there are, how many
//! steps each has, what each step is called, and the known mistakes' names.
//! A report carries only numbers and ids; the words on the screen come from
//! here, never from the network.

use crate::check::exercises::EXERCISES;

/// How many steps each exercise has, in order: the board's columns.
pub fn steps() -> Vec<usize> {
    EXERCISES.iter().map(|e| e.checks.len()).collect()
}

/// A step's short title: the check's description up to its first
/// parenthesis or colon (“回复一个字节一个字节地到达”). Step 0 is the build.
pub fn step_title(exercise: usize, step: usize) -> Option<String> {
    if step == 0 {
        return Some("编译".to_string());
    }
    let check = EXERCISES
        .get(exercise.checked_sub(1)?)?
        .checks
        .get(step - 1)?;
    // "TODO 1：端口已经被占用（…）" is about the port, not about "TODO 1".
    let what = match check.what.split_once('：') {
        Some((todo, rest)) if todo.starts_with("TODO") => rest,
        _ => check.what,
    };
    let end = what.find(['（', '：', '(']).unwrap_or(what.len());
    Some(what[..end].trim().to_string())
}

/// A known mistake's Chinese name, by its id (`ex2.read-once`). The
/// checker does not name mistakes yet: every id is shown as it is.
pub fn mistake_name(_id: &str) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_and_titles_come_from_the_checkers_list() {
        assert_eq!(steps().len(), EXERCISES.len());
        assert_eq!(
            step_title(2, 2).as_deref(),
            Some("回复一个字节一个字节地到达")
        );
        assert_eq!(step_title(2, 0).as_deref(), Some("编译"));
        assert_eq!(step_title(4, 3).as_deref(), Some("端口已经被占用"));
        assert_eq!(step_title(2, 99), None);
        assert_eq!(step_title(EXERCISES.len() + 1, 1), None);
    }
}
