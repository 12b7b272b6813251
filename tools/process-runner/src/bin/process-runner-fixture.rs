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
//! process-runner-fixture leave         starts `sleep` holding our stdout, prints its id, exits
//! process-runner-fixture flood N       N bytes of `x` on stdout without a line break, then `end`

use std::io::{self, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("process-runner-fixture: {e}");
            ExitCode::from(4)
        }
    }
}

/// The count given after the subcommand.
fn count(args: &[String]) -> io::Result<usize> {
    args.get(1)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| io::Error::other("a count is needed"))
}

fn run(args: &[String]) -> io::Result<ExitCode> {
    let mut out = std::io::stdout();
    match args.first().map(String::as_str) {
        Some("lines") => {
            for n in 1..=count(args)? {
                writeln!(out, "line {n}")?;
            }
        }
        Some("fail") => {
            eprintln!("{}", args.get(1).map_or("", String::as_str));
            return Ok(ExitCode::from(3));
        }
        Some("fail-lines") => {
            let mut err = std::io::stderr().lock();
            for n in 1..=count(args)? {
                writeln!(err, "error {n}")?;
            }
            return Ok(ExitCode::from(3));
        }
        Some("listen") => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            writeln!(out, "listening on {}", listener.local_addr()?)?;
            for stream in listener.incoming() {
                drop(stream);
            }
        }
        Some("cat") => {
            let mut input = Vec::new();
            std::io::stdin().read_to_end(&mut input)?;
            out.write_all(&input)?;
        }
        Some("not-utf8") => out.write_all(b"ok \xff\xfe end\r\n")?,
        Some("sleep") => sleep(),
        Some("parent") => {
            let mut child = Command::new(std::env::current_exe()?)
                .arg("sleep")
                .stdout(Stdio::null())
                .spawn()?;
            writeln!(out, "child {}", child.id())?;
            let _ = child.wait(); // forever: it sleeps until killed
            sleep();
        }
        Some("leave") => {
            // The child inherits our stdout and keeps it open after we exit.
            let child = Command::new(std::env::current_exe()?)
                .arg("sleep")
                .spawn()?;
            writeln!(out, "child {}", child.id())?;
        }
        Some("flood") => {
            let chunk = [b'x'; 8192];
            let mut left = count(args)?;
            while left > 0 {
                let size = left.min(chunk.len());
                out.write_all(&chunk[..size])?;
                left -= size;
            }
            writeln!(out, "\nend")?;
        }
        _ => return Ok(ExitCode::from(2)),
    }
    Ok(ExitCode::SUCCESS)
}

fn sleep() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
