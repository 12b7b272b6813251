//! 安全考量一章的基准：完整 TLS 握手时，服务器每次握手花多少 CPU 时间。
//!
//! `openssl s_time -new` makes one full handshake after another against each
//! server in turn. On a two-core machine the client, not the server, bounds
//! how many handshakes happen per second, so the wall-clock rate says little
//! about the server. What is compared instead is the CPU time the server
//! process itself used (user + system, from the OS's process accounting),
//! divided by the handshakes it completed. All three servers use the same
//! ECDSA P-256 certificate, which `tls-server` generates in a temp folder.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail};
use common::say;
use process_runner::{Output, Running, Stream, TempDir, deadline};

use crate::bench::{self, STARTUP, ratio_at_most};
use crate::chart::{self, Axis, Bar, Chart};
use crate::programs;
use crate::system;

/// One measured server: label, handshakes completed, server CPU seconds.
struct Measured {
    label: &'static str,
    handshakes: u64,
    cpu_seconds: Option<f64>,
}

impl Measured {
    fn cpu_per_handshake(&self) -> Option<f64> {
        let cpu = self.cpu_seconds?;
        (self.handshakes > 0).then(|| cpu / self.handshakes as f64)
    }
}

// ANCHOR: tls_bench
/// Runs the TLS benchmark and prints its table; false if it was skipped.
pub fn run(seconds: u64, svg: Option<&Path>) -> Result<bool> {
    if !has_openssl() {
        say!("跳过 TLS 基准：这台机器上没有 openssl 命令（需要它的 s_time 和 s_server）");
        return Ok(false);
    }
    programs::build(&["tls-server"], false)?;
    let dir = TempDir::new("socket-workshop")?;
    generate_certificate(dir.path())?;

    say!("安全考量基准：openssl s_time -new，每个服务器 {seconds} 秒，每次都是完整握手；");
    say!("三个服务器用同一份 ECDSA P-256 证书。比较的是服务器进程自己的 CPU 时间。\n");
    let mut results = vec![measure_tls_server(dir.path(), seconds)?];
    match bench::python() {
        Some(python) => results.push(measure_python(python, dir.path(), seconds)?),
        None => say!(
            "跳过原文风格的 Python 服务器：这台机器上没有 Python 3（python3、python 或 py -3）"
        ),
    }
    results.push(measure_s_server(dir.path(), seconds)?);

    say!(
        "{:<24} {:>8} {:>16}",
        "服务器",
        "握手次数",
        "服务器 CPU/握手"
    );
    for result in &results {
        let per = result
            .cpu_per_handshake()
            .map_or("（无法测量）".to_string(), |s| {
                format!("{:.0} µs", s * 1e6)
            });
        say!("{:<27} {:>12} {:>21}", result.label, result.handshakes, per);
    }
    say!();
    show_target(&results);
    chart::save(svg, &handshake_chart(&results, seconds));
    Ok(true)
}
// ANCHOR_END: tls_bench

/// The server CPU per handshake as a bar chart (servers whose CPU time could
/// not be read are left out).
fn handshake_chart(results: &[Measured], seconds: u64) -> Chart {
    Chart {
        file: "bench-tls.svg",
        title: "安全考量：服务器每次完整握手用掉的 CPU 时间（越短越好）".into(),
        measure: format!(
            "openssl s_time -new，每个服务器 {seconds} 秒，同一份 ECDSA P-256 证书，同一次运行"
        ),
        axis: Axis::of("µs（每次握手的 CPU 时间）"),
        bars: results
            .iter()
            .filter_map(|result| {
                let per = result.cpu_per_handshake()? * 1e6;
                Some(Bar {
                    label: result.label.to_string(),
                    value: per,
                    shown: format!("{per:.0} µs"),
                })
            })
            .collect(),
        note: chart::made_by("tls"),
    }
}

/// Prints the ratio beside the target, as information.
fn show_target(results: &[Measured]) {
    let per = |label: &str| {
        results
            .iter()
            .find(|r| r.label == label)
            .and_then(Measured::cpu_per_handshake)
    };
    match (per("tls-server"), per("openssl s_server")) {
        (Some(ours), Some(openssl)) => ratio_at_most(
            "tls-server / openssl s_server（每次握手的 CPU 时间）",
            ours,
            openssl,
            0.5,
        ),
        _ => say!("这台机器上读不到进程的 CPU 时间（需要 Linux 的 /proc），无法计算比值"),
    }
}

fn has_openssl() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts tls-server once in `dir` so that it writes server.crt / server.key.
pub fn generate_certificate(dir: &Path) -> Result<()> {
    let server = start_tls_server(dir)?;
    server.address(STARTUP)?;
    drop(server);
    if !dir.join("server.crt").exists() {
        bail!("tls-server 没有在 {} 生成证书", dir.display());
    }
    Ok(())
}

fn start_tls_server(dir: &Path) -> Result<Running> {
    let mut command = Command::new(programs::binary("tls-server")?);
    command.arg("127.0.0.1:0").current_dir(dir);
    Ok(Running::start(&mut command, "tls-server", Output::Discard)?)
}

fn measure_tls_server(dir: &Path, seconds: u64) -> Result<Measured> {
    let server = start_tls_server(dir)?;
    let addr = server.address(STARTUP)?;
    time_handshakes("tls-server", &server, &addr.to_string(), dir, seconds)
}

fn measure_python(python: &Path, dir: &Path, seconds: u64) -> Result<Measured> {
    let script = bench::article_script("tls_server.py");
    let args = [
        script.as_str(),
        "127.0.0.1",
        "0",
        "server.crt",
        "server.key",
    ];
    let mut command = Command::new(python);
    command.args(args).current_dir(dir);
    let server = Running::start(&mut command, "python", Output::Discard)?;
    let addr = server.address(STARTUP)?;
    time_handshakes(
        "python tls_server.py",
        &server,
        &addr.to_string(),
        dir,
        seconds,
    )
}

fn measure_s_server(dir: &Path, seconds: u64) -> Result<Measured> {
    // s_server does not print the port it got, so pick a free one first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let accept = format!("127.0.0.1:{port}");
    let args = [
        "s_server",
        "-accept",
        &accept,
        "-cert",
        "server.crt",
        "-key",
        "server.key",
        "-www",
    ];
    let mut command = Command::new("openssl");
    command.args(args).current_dir(dir);
    let server = Running::start(&mut command, "openssl s_server", Output::Discard)?;
    server.line(Stream::Stdout, "ACCEPT", STARTUP)?;
    time_handshakes("openssl s_server", &server, &accept, dir, seconds)
}

/// Drives `openssl s_time -new` at `addr` and reads the server's CPU time
/// before and after. A server that completed no handshake could not be
/// measured: that is an error, not a result.
fn time_handshakes(
    label: &'static str,
    server: &Running,
    addr: &str,
    dir: &Path,
    seconds: u64,
) -> Result<Measured> {
    let before = system::cpu_seconds(server.id());
    let mut command = Command::new("openssl");
    command
        .args(["s_time", "-connect", addr, "-new", "-CAfile", "server.crt"])
        .args(["-time", &seconds.to_string()])
        .current_dir(dir);
    let s_time = Running::start(&mut command, "openssl s_time", Output::Keep)?;
    // It runs for `seconds`, then needs one step to finish and report.
    let finished = s_time.wait(Duration::from_secs(seconds) + deadline::STEP)?;
    let after = system::cpu_seconds(server.id());
    let handshakes = finished
        .stdout
        .iter()
        .filter(|line| line.contains("connections in") && line.contains("real seconds"))
        .find_map(|line| line.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    if handshakes == 0 {
        bail!("{label} 在 {seconds} 秒内没有完成一次 TLS 握手，无法测量");
    }
    let cpu_seconds = before.zip(after).map(|(b, a)| a - b);
    Ok(Measured {
        label,
        handshakes,
        cpu_seconds,
    })
}
