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
    Some(short(check.what))
}

/// A check's description up to its first parenthesis or colon, after a
/// leading `TODO N：` ("TODO 1：端口已经被占用（…）" is about the port).
fn short(what: &str) -> String {
    let what = match what.split_once('：') {
        Some((todo, rest)) if todo.starts_with("TODO") => rest,
        _ => what,
    };
    let end = what.find(['（', '：', '(']).unwrap_or(what.len());
    what[..end].trim().to_string()
}

/// A known mistake's Chinese name, by its id (`ex2.read-once`), from the
/// checker's list of the mistakes each exercise's checks recognise.
pub fn mistake_name(id: &str) -> Option<&'static str> {
    EXERCISES
        .iter()
        .flat_map(|e| e.mistakes.iter())
        .find(|m| m.id == id)
        .map(|m| m.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_and_titles_come_from_the_checkers_list() {
        assert_eq!(steps().len(), EXERCISES.len());
        for (index, exercise) in EXERCISES.iter().enumerate() {
            for step in 1..=exercise.checks.len() {
                let title = step_title(index + 1, step).unwrap();
                assert!(!title.is_empty() && title.len() < 120, "{title}");
            }
            assert_eq!(step_title(index + 1, exercise.checks.len() + 1), None);
        }
        assert_eq!(step_title(2, 0).as_deref(), Some("编译"));
        assert_eq!(mistake_name("ex2.read-once"), Some("只读了一次"));
        assert_eq!(mistake_name("ex2.no-such-thing"), None);
        assert_eq!(step_title(EXERCISES.len() + 1, 1), None);
    }

    #[test]
    fn a_title_is_the_description_up_to_its_details() {
        let cases = [
            (
                "回复一个字节一个字节地到达（wiretap --chunk 1）：仍然打印完整的回复",
                "回复一个字节一个字节地到达",
            ),
            (
                "TODO 1：端口已经被占用（第二个 ex4 绑定同一个地址）：……",
                "端口已经被占用",
            ),
            ("tcp-client 来连：它收到“数据已收到”", "tcp-client 来连"),
            (
                "连原文的 Python 服务器 (article/tcp_server.py)",
                "连原文的 Python 服务器",
            ),
        ];
        for (what, title) in cases {
            assert_eq!(short(what), title);
        }
    }
}
