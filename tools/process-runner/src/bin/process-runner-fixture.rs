//! A stand-in child for process-runner's own tests, which cannot assume
//! any other program exists on every OS. Not for users.
//!
//! process-runner-fixture lines N       N numbered lines on stdout, exit 0
//! process-runner-fixture fail TEXT     TEXT on stderr, exit 3
//! process-runner-fixture fail-lines N  N lines on stderr, exit 3
//! process-runner-fixture listen        a server: its address, then waits
//! process-runner-fixture cat           stdin to stdout
//! process-runner-fixture not-utf8      a line with bytes that are not UTF-8
//! process-runner-fixture sleep         waits until killed
//! process-runner-fixture parent        starts `sleep`, prints its id, waits
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fixture; a panic fails the test

use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout();
    match args.first().map(String::as_str) {
        Some("lines") => {
            for n in 1..=args[1].parse::<usize>().unwrap() {
                writeln!(out, "line {n}").unwrap();
            }
        }
        Some("fail") => {
            eprintln!("{}", args[1]);
            return ExitCode::from(3);
        }
        Some("fail-lines") => {
            let mut err = std::io::stderr().lock();
            for n in 1..=args[1].parse::<usize>().unwrap() {
                writeln!(err, "error {n}").unwrap();
            }
            return ExitCode::from(3);
        }
        Some("listen") => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            writeln!(out, "listening on {}", listener.local_addr().unwrap()).unwrap();
            for stream in listener.incoming() {
                drop(stream);
            }
        }
        Some("cat") => {
            let mut input = Vec::new();
            std::io::stdin().read_to_end(&mut input).unwrap();
            out.write_all(&input).unwrap();
        }
        Some("not-utf8") => out.write_all(b"ok \xff\xfe end\r\n").unwrap(),
        Some("sleep") => sleep(),
        Some("parent") => {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .arg("sleep")
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            writeln!(out, "child {}", child.id()).unwrap();
            let _ = child.wait(); // forever: it sleeps until killed
            sleep();
        }
        _ => return ExitCode::from(2),
    }
    ExitCode::SUCCESS
}

fn sleep() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
