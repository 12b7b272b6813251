//! Every exercise program, untouched or solved, answers `--help` in Chinese
//! with its own name and an example, before any of its TODOs runs: the
//! first thing a learner types works. (Building these programs here is also
//! what lets the book's `cargo run -p exercises --bin exN -- …` commands be
//! checked against their options.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use testkit::run;

const PROGRAMS: [(&str, &str); 7] = [
    ("ex1", env!("CARGO_BIN_EXE_ex1")),
    ("ex2", env!("CARGO_BIN_EXE_ex2")),
    ("ex3", env!("CARGO_BIN_EXE_ex3")),
    ("ex4", env!("CARGO_BIN_EXE_ex4")),
    ("ex5", env!("CARGO_BIN_EXE_ex5")),
    ("ex6", env!("CARGO_BIN_EXE_ex6")),
    ("ex7", env!("CARGO_BIN_EXE_ex7")),
];

#[test]
fn every_exercise_answers_help_in_chinese_with_an_example() {
    for (name, program) in PROGRAMS {
        let help = run(program, &["--help"]);
        assert!(help.status.success(), "{name}: {help:?}");
        assert!(
            help.stdout.contains(&format!("用法: {name}")),
            "{name}: {}",
            help.stdout
        );
        assert!(help.stdout.contains("示例:"), "{name}: {}", help.stdout);
        assert!(
            help.stdout.contains(&format!("练习 {}", &name[2..])),
            "{name}: {}",
            help.stdout
        );
    }
}
