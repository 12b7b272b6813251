//! A program that misbehaves on purpose, for the checker's tests: started
//! by `workshop check N --program check-fixture` in place of a learner's
//! program, it does what `WORKSHOP_FIXTURE` says.
//!
//! - `silent`: prints nothing and exits at once;
//! - `wrong-line`: prints `你好，世界` and exits;
//! - `hang`: prints nothing and sleeps for ten minutes;
//! - `panic`: panics with `测试用的 panic`.
//!
//! Not a program for learners; it exists so the tests can prove that each
//! of these gets a clear ✗ and leaves nothing running.

use std::process::ExitCode;
use std::time::Duration;

use common::{esay, say};

fn main() -> ExitCode {
    match std::env::var("WORKSHOP_FIXTURE").as_deref() {
        Ok("silent") => ExitCode::SUCCESS,
        Ok("wrong-line") => {
            say!("你好，世界");
            ExitCode::SUCCESS
        }
        Ok("hang") => {
            std::thread::sleep(Duration::from_secs(600));
            ExitCode::SUCCESS
        }
        Ok("panic") => panic!("测试用的 panic"),
        _ => {
            esay!("check-fixture: WORKSHOP_FIXTURE 要写 silent、wrong-line、hang 或 panic");
            ExitCode::from(2)
        }
    }
}
