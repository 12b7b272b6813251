//! 饥饿测试：要多少个一言不发、被断开就立刻重连的客户端，才能让一个好客户端等不到回复？
//!
//! A silent client connects and sends nothing; the server's deadline drops
//! it after 5 s; it connects again at once. A server that serves one client
//! at a time is held 5 s by each, a pool of 256 threads by each 256, and an
//! event loop by none of them, as long as it has file descriptors.
//!
//! The ladder: for each rung N, a fresh server (so that no queue or
//! TIME_WAIT left by the rung before counts against it), N silent clients
//! ([`Crowd`]), and then a good client, again and again for one round of
//! the server's deadline. The good client is the chapter's own client
//! program (`tcp-client`, `tls-client`) run as a process, so it gives up
//! exactly when a learner's would: 5 s to connect, then `CLIENT_TIMEOUT`
//! (10 s) for the whole exchange. One good client not answered, and the
//! server is starved at N; the ladder stops there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use common::say;
use process_runner::{Output, Running, Stream, TempDir, deadline};

use crate::bench::{self, STARTUP};
use crate::chart::{self, Axis, Bar, Chart};
use crate::crowd::{Crowd, WhenDropped};
use crate::programs;
use crate::system;
use crate::tls_bench;

/// Rungs for servers that serve many clients at once. The pool's edge is
/// expected near 800: 256 workers, each held 5 s, so a good client behind N
/// silent ones waits about (N − 256) / 256 × 5 s, 10.6 s for N = 800 (but
/// it rarely arrives behind all of them). The event loop's target is 5,000,
/// and 9,500 stays under its default cap of 10,000 connections.
pub const MANY_LADDER: &[usize] = &[400, 800, 1200, 1600, 3200, 5000, 9500];

/// Rungs for servers that serve one client at a time: each silent client
/// holds them 5 s, so two cost a good client up to 10 s, its whole limit.
pub const ONE_LADDER: &[usize] = &[1, 2, 3, 4, 6, 8];

/// How long the silent clients get to connect before the good client comes:
/// long enough for 9,500 on a busy laptop, short of the server's 5 s
/// deadline so that the first round of drops has not started yet.
const OPENING: Duration = Duration::from_secs(2);

/// How long after the silent clients have connected the good client first
/// comes: half-way through their first 5 s. Coming in the same millisecond
/// as them would make it wait for whole holds to the millisecond (two silent
/// clients hold tcp-server exactly 10 s, the good client's whole limit), and
/// whether it is answered would be a coin toss; half-way is where a client
/// arriving at any moment lands on average.
const FIRST_VISIT: Duration = Duration::from_millis(deadline::SERVER_LIMIT.as_millis() as u64 / 2);

/// How long the rung lasts from the moment the silent clients have
/// connected: one round of the server's deadline (5 s) and a second more, so
/// that they have all been dropped and come back at least once while the
/// good client tries.
const WINDOW: Duration = deadline::SERVER_LIMIT.saturating_add(Duration::from_secs(1));

/// The pause between two visits of the good client.
const BETWEEN_VISITS: Duration = Duration::from_millis(500);

/// Files a process needs besides its connections (terminal, pipes, the
/// listener, the event queue): the fd limit minus this bounds a rung.
pub const FILE_RESERVE: usize = 100;

/// A server to start afresh for each rung.
pub struct Server {
    pub label: &'static str,
    /// What kind of server it is, for the table: "一次服务一个"…
    pub shape: &'static str,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The folder to start it in (tls-server finds its certificate there).
    pub dir: Option<PathBuf>,
}

impl Server {
    /// Starts the server on a free port; its output is read and thrown away.
    pub fn start(&self) -> Result<(Running, SocketAddr)> {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        let server = Running::start(&mut command, self.label, Output::Discard)?;
        let addr = server.address(STARTUP)?;
        Ok((server, addr))
    }
}

/// The good client: a chapter's client program, with its own time limits.
pub struct GoodClient {
    pub label: &'static str,
    pub program: PathBuf,
    /// What follows the address on its command line (`--ca FILE`).
    pub args: Vec<String>,
}

/// One visit of the good client.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Visit {
    Answered(Duration),
    /// Not answered; the client's own last line says why.
    Refused(String),
}

impl GoodClient {
    /// Runs the client once. Its time is taken when it prints the reply
    /// (the line arrives at once), not when its exit is noticed (looked for
    /// every 50 ms, which would blur the quick answers). It includes starting
    /// the program: a few milliseconds.
    fn visit(&self, server: SocketAddr) -> Result<Visit> {
        let mut command = Command::new(&self.program);
        command.arg(server.to_string()).args(&self.args);
        let started = Instant::now();
        let client = Running::start(&mut command, self.label, Output::Keep)?;
        // The client gives up on its own after 5 s + 10 s; STEP is longer.
        let reply = client.line(Stream::Stdout, REPLY_LINE, deadline::STEP);
        let took = started.elapsed();
        let finished = client.wait(deadline::STEP)?;
        match reply {
            Ok(_) if finished.status.success() => return Ok(Visit::Answered(took)),
            Err(e) if e.is_cancelled() => return Err(e.into()),
            _ => {}
        }
        let why = finished.stderr.last().cloned().unwrap_or_default();
        Ok(Visit::Refused(format!(
            "{} 在 {:.1} 秒后放弃：{why}",
            self.label,
            started.elapsed().as_secs_f64()
        )))
    }
}

/// What `tcp-client` and `tls-client` print when they have the reply.
const REPLY_LINE: &str = "收到服务器的响应";

/// What happened at one rung of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Rung {
    pub silent: usize,
    /// Visits of the good client that were answered.
    pub answered: usize,
    /// The longest of those answers took.
    pub slowest: Duration,
    /// Why the good client was not answered, if it once was not.
    pub starved: Option<String>,
}

impl Rung {
    pub fn survived(&self) -> bool {
        self.starved.is_none() && self.answered > 0
    }
}

/// A whole ladder: the last rung survived and the first one not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Climb {
    pub survived: Option<Rung>,
    pub starved: Option<Rung>,
    /// Rungs left out because the limit on open files is below them.
    pub beyond_limit: Vec<usize>,
}

impl Climb {
    /// The most silent clients the server survived, if any.
    pub fn most_survived(&self) -> Option<usize> {
        self.survived.as_ref().map(|rung| rung.silent)
    }

    /// The survival count as a chart writes it after its bar: with where
    /// the server starved, or, if it never did, that the highest rung tried
    /// is only where the measuring stopped, not a limit of the server.
    pub fn shown(&self) -> String {
        let survived = self.most_survived().unwrap_or(0);
        match &self.starved {
            Some(rung) => format!("{survived} 个（{} 个时饿死）", rung.silent),
            None => format!("≥ {survived} 个（测到的最高一级也撑住了）"),
        }
    }
}

/// Climbs `rungs` with `try_rung`, stopping at the first one the server
/// does not survive; rungs above `max_silent` are not tried.
pub fn climb(
    rungs: &[usize],
    max_silent: usize,
    mut try_rung: impl FnMut(usize) -> Result<Rung>,
) -> Result<Climb> {
    let mut climb = Climb::default();
    for &silent in rungs {
        if silent > max_silent {
            climb.beyond_limit.push(silent);
            continue;
        }
        let rung = try_rung(silent)?;
        if !rung.survived() {
            climb.starved = Some(rung);
            break;
        }
        climb.survived = Some(rung);
    }
    Ok(climb)
}

/// Climbs the ladder for one server, printing a line per rung.
pub fn climb_for(
    server: &Server,
    good: &GoodClient,
    rungs: &[usize],
    max_silent: usize,
) -> Result<Climb> {
    climb(rungs, max_silent, |silent| {
        let rung = try_rung(server, good, silent)?;
        say!("  {}", describe(server.label, &rung));
        Ok(rung)
    })
}

/// One rung: a fresh server, `silent` silent clients, and the good client
/// coming back for [`WINDOW`] or until it is not answered.
fn try_rung(server: &Server, good: &GoodClient, silent: usize) -> Result<Rung> {
    let (running, addr) = server.start()?;
    let crowd = Crowd::start(addr, silent, WhenDropped::Reconnect)
        .context("无法启动沉默的客户端（mio 的事件循环）")?;
    crowd.wait_until_connected(OPENING)?;
    let window_end = Instant::now() + WINDOW;
    pause(FIRST_VISIT)?;
    let mut rung = Rung {
        silent,
        answered: 0,
        slowest: Duration::ZERO,
        starved: None,
    };
    loop {
        match good.visit(addr)? {
            Visit::Answered(took) => {
                rung.answered += 1;
                rung.slowest = rung.slowest.max(took);
            }
            Visit::Refused(why) => {
                rung.starved = Some(why);
                break;
            }
        }
        if Instant::now() >= window_end {
            break;
        }
        pause(BETWEEN_VISITS)?;
    }
    // The server first, so that it does not log 10,000 closes for nothing.
    drop(running);
    crowd.stop();
    Ok(rung)
}

/// A sleep that a Ctrl-C ends.
fn pause(length: Duration) -> Result<()> {
    process_runner::poll_until(deadline::after(length), || Ok(None::<()>))?;
    Ok(())
}

/// `threaded-server：400 个沉默的客户端 → 好客户端 9 次都得到回复，最慢 3.2 秒`
pub fn describe(label: &str, rung: &Rung) -> String {
    let start = format!("{label}：{} 个沉默的客户端 → ", rung.silent);
    match &rung.starved {
        None => format!(
            "{start}好客户端来了 {} 次，都得到了回复，最慢 {}",
            rung.answered,
            seconds(rung.slowest)
        ),
        Some(why) => format!(
            "{start}第 {} 个好客户端没有得到回复（{why}）",
            rung.answered + 1
        ),
    }
}

/// `7.69 秒`, or `3 毫秒` below a second, where hundredths of a second
/// would round a quick answer to nothing.
pub fn seconds(duration: Duration) -> String {
    if duration < Duration::from_millis(1) {
        "不到 1 毫秒".to_string()
    } else if duration < Duration::from_secs(1) {
        format!("{} 毫秒", duration.as_millis())
    } else {
        format!("{:.2} 秒", duration.as_secs_f64())
    }
}

/// The table cells for a climb: most survived, starved at.
pub fn climb_cells(climb: &Climb) -> (String, String) {
    let survived = climb
        .most_survived()
        .map_or("0".to_string(), |n| n.to_string());
    let starved = match (&climb.starved, climb.beyond_limit.first()) {
        (Some(rung), _) => rung.silent.to_string(),
        (None, Some(limit)) => format!("（{limit} 超出文件数上限）"),
        (None, None) => "—".to_string(),
    };
    (survived, starved)
}

/// `bench starve`: a one-at-a-time server, the TLS one, and the pool.
/// `pool`: the pool's ladder, if `bench shapes` has just climbed it.
pub fn run(pool: Option<Climb>, svg: Option<&Path>) -> Result<()> {
    let files = system::raise_open_files(MANY_LADDER[MANY_LADDER.len() - 1] + FILE_RESERVE);
    let packages = ["tcp-server", "tls-server", "threaded-server"];
    programs::build(
        &[&packages[..], &["tcp-client", "tls-client"]].concat(),
        false,
    )?;
    let dir = TempDir::new("socket-workshop")?;
    tls_bench::generate_certificate(dir.path())?;

    say!("饥饿基准：多少个沉默的客户端，让好客户端等不到回复？");
    explain();
    if let Some(note) = &files.note {
        say!("{note}");
    }
    say!();
    let max_silent = system::connections_within(files.limit, usize::MAX, FILE_RESERVE);
    let tcp_client = good_client("tcp-client", Vec::new())?;
    let ca = dir.path().join("server.crt").display().to_string();
    let tls_client = good_client("tls-client", vec!["--ca".into(), ca])?;
    let mut rows = Vec::new();
    for (server, good, rungs) in [
        (
            server("tcp-server", "一次服务一个", None)?,
            &tcp_client,
            ONE_LADDER,
        ),
        (
            server("tls-server", "一次服务一个", Some(dir.path()))?,
            &tls_client,
            ONE_LADDER,
        ),
    ] {
        let climb = climb_for(&server, good, rungs, max_silent)?;
        rows.push((server, climb));
    }
    let pool_server = server("threaded-server", "256 个线程的线程池", None)?;
    let pool = match pool {
        Some(climb) => climb,
        None => climb_for(&pool_server, &tcp_client, MANY_LADDER, max_silent)?,
    };
    rows.push((pool_server, pool));
    print_table(&rows);
    chart::save(svg, &starve_chart(&rows));
    Ok(())
}

/// What the silent-client ladder does, for the top of a table.
pub fn explain() {
    say!(
        "沉默的客户端连上后什么也不发，被服务器断开就立刻重连。每一级启动一个新的服务器，先让 N 个"
    );
    say!(
        "这样的客户端连上；从那时起的第 2.5 秒到第 6 秒，每隔半秒来一个好客户端：各章自己的客户端程序，"
    );
    say!(
        "连接最多等 5 秒，之后整个对话最多 10 秒。有一个好客户端没得到回复，服务器就在这一级被“饿死”了，"
    );
    say!("不再往上测。");
}

fn server(name: &'static str, shape: &'static str, dir: Option<&Path>) -> Result<Server> {
    Ok(Server {
        label: name,
        shape,
        program: programs::binary(name)?,
        args: vec!["127.0.0.1:0".into()],
        dir: dir.map(Path::to_path_buf),
    })
}

fn good_client(name: &'static str, args: Vec<String>) -> Result<GoodClient> {
    Ok(GoodClient {
        label: name,
        program: programs::binary(name)?,
        args,
    })
}

/// The most silent clients each server survived, as a bar chart.
fn starve_chart(rows: &[(Server, Climb)]) -> Chart {
    Chart {
        file: "bench-starve.svg",
        title: "沉默的客户端：撑住的最多数目（越长越好）".into(),
        measure:
            "撑住：好客户端每次都在期限内得到了回复；一次服务一个的服务器，和 256 个线程的线程池"
                .into(),
        axis: Axis::of("个沉默的客户端"),
        bars: rows
            .iter()
            .map(|(server, climb)| Bar {
                label: format!("{}（{}）", server.label, server.shape),
                value: climb.most_survived().unwrap_or(0) as f64,
                shown: climb.shown(),
            })
            .collect(),
        note: chart::made_by("starve"),
    }
}

fn print_table(rows: &[(Server, Climb)]) {
    say!();
    let widths = [18, 20, 12, 10, 20];
    let header = ["服务器", "做法", "撑住", "饿死于", "好客户端最慢一次"];
    say!("{}", bench::row(&header.map(String::from), &widths));
    for (server, climb) in rows {
        let (survived, starved) = climb_cells(climb);
        let slowest = climb
            .survived
            .as_ref()
            .map_or("—".to_string(), |rung| seconds(rung.slowest));
        let cells = [
            server.label.to_string(),
            server.shape.to_string(),
            survived,
            starved,
            slowest,
        ];
        say!("{}", bench::row(&cells, &widths));
    }
    say!(
        "（撑住：好客户端每次都在期限内得到回复的最多沉默客户端数；饿死于：第一次有好客户端等不到回复的数目。）"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(silent: usize, survived: bool) -> Rung {
        Rung {
            silent,
            answered: if survived { 3 } else { 1 },
            slowest: Duration::from_millis(5),
            starved: (!survived).then(|| "放弃".to_string()),
        }
    }

    #[test]
    fn the_ladder_stops_at_the_first_rung_not_survived() {
        let mut tried = Vec::new();
        let climb = climb(&[100, 200, 400, 800, 1600], usize::MAX, |n| {
            tried.push(n);
            Ok(rung(n, n < 800))
        })
        .unwrap();
        assert_eq!(tried, [100, 200, 400, 800]);
        assert_eq!(climb.most_survived(), Some(400));
        assert_eq!(climb.starved.as_ref().map(|r| r.silent), Some(800));
        assert_eq!(climb_cells(&climb), ("400".into(), "800".into()));
    }

    #[test]
    fn a_server_starved_at_the_first_rung_survived_none() {
        let climb = climb(&[1, 2, 3], usize::MAX, |n| Ok(rung(n, false))).unwrap();
        assert_eq!(climb.most_survived(), None);
        assert_eq!(climb_cells(&climb), ("0".into(), "1".into()));
    }

    #[test]
    fn rungs_beyond_the_file_limit_are_left_out_and_said() {
        let climb = climb(&[200, 5000, 9500], 6000, |n| Ok(rung(n, true))).unwrap();
        assert_eq!(climb.most_survived(), Some(5000));
        assert_eq!(climb.beyond_limit, [9500]);
        assert_eq!(climb_cells(&climb).1, "（9500 超出文件数上限）");
        let all = climb_cells(&Climb {
            survived: Some(rung(9500, true)),
            ..Climb::default()
        });
        assert_eq!(all, ("9500".into(), "—".into()));
    }

    #[test]
    fn waits_are_shown_in_seconds_or_milliseconds() {
        assert_eq!(seconds(Duration::from_millis(7690)), "7.69 秒");
        assert_eq!(seconds(Duration::from_micros(3400)), "3 毫秒");
        assert_eq!(seconds(Duration::from_micros(200)), "不到 1 毫秒");
    }

    #[test]
    fn an_answer_with_no_visit_is_not_survival() {
        let none = Rung {
            answered: 0,
            starved: None,
            ..rung(1, true)
        };
        assert!(!none.survived());
    }

    #[test]
    fn the_window_covers_one_round_of_the_server_deadline() {
        assert!(WINDOW > deadline::SERVER_LIMIT);
        assert!(OPENING < deadline::SERVER_LIMIT);
        assert_eq!(FIRST_VISIT, Duration::from_millis(2500));
    }
}
