//! 三种做法并排：线程池（threaded-server）、事件循环（event-loop-server）、async（async_server）。
//!
//! One run measures all three, one after the other on the same machine:
//!
//! 1. requests per second under the closed-loop load of `workshop load`,
//!    and the server's own CPU time per request (Linux's /proc);
//! 2. the server's peak memory while 10,000 idle connections are open
//!    (the bench opens them itself, from one thread: [`Crowd`]);
//! 3. how many silent, reconnecting clients it survives while a good client
//!    is still answered in time ([`starve`]).
//!
//! Each measurement starts its own server, so that one cannot leave
//! connections, queues or memory behind for the next. The targets come from
//! the issue that added the event loop and are printed as information.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use common::say;
use process_runner::deadline;

use crate::bench::{self, ratio_at_least, ratio_at_most};
use crate::chart::{self, Axis, Bar, Chart};
use crate::crowd::{Crowd, WhenDropped};
use crate::load;
use crate::programs;
use crate::starve::{self, Climb, GoodClient, Server};
use crate::system::{self, FileLimit};

/// Idle connections for the memory measurement.
pub const IDLE: usize = 10_000;

/// How long the idle connections may take to be accepted: short of the
/// servers' 5 s deadline, after which they would start dropping them.
const IDLE_WINDOW: Duration = deadline::SERVER_LIMIT.saturating_sub(Duration::from_secs(1));

/// Below this, 10,000 idle connections are "cheap" (the target).
const MEMORY_TARGET_MIB: f64 = 64.0;

/// The event loop must survive this many silent clients (the target).
const SILENT_TARGET: usize = 5000;

/// What was measured for one server.
struct Measured {
    server: Server,
    per_second: f64,
    cpu_per_request: Option<f64>,
    idle: Option<Idle>,
    climb: Climb,
}

/// The idle-connection measurement.
#[derive(Debug, Clone, Copy)]
struct Idle {
    /// The most connections the server held at once (its open files, minus
    /// those it had before the first one came).
    held: usize,
    peak_kib: u64,
}

/// `bench shapes`; returns the pool's ladder, which `bench starve` reuses.
pub fn run(clients: usize, seconds: u64, svg: Option<&Path>) -> Result<Climb> {
    let files = system::raise_open_files(IDLE + starve::FILE_RESERVE);
    // With examples: async_server is one (it needs tokio, which the tour never
    // builds). tcp-client is the good client of the silent-client ladder.
    programs::build(
        &["threaded-server", "event-loop-server", "tcp-client"],
        true,
    )?;
    let plan = Plan {
        clients,
        duration: Duration::from_secs(seconds),
        idle: system::connections_within(files.limit, IDLE, starve::FILE_RESERVE),
        max_silent: system::connections_within(files.limit, usize::MAX, starve::FILE_RESERVE),
        good: GoodClient {
            label: "tcp-client",
            program: programs::binary("tcp-client")?,
            args: Vec::new(),
        },
    };
    introduce(&plan, &files);
    let measured = measure_all(contenders()?, &plan)?;
    print_table(&measured, plan.idle);
    show_targets(&measured, plan.idle);
    chart::save(svg, &memory_chart(&measured, plan.idle));
    chart::save(svg, &silent_chart(&measured));
    Ok(measured[0].climb.clone())
}

/// How much of everything: load clients and time, idle connections, the
/// most silent clients the limit on open files allows, and the good client.
struct Plan {
    clients: usize,
    duration: Duration,
    idle: usize,
    max_silent: usize,
    good: GoodClient,
}

/// The pool first: the others are compared with it.
fn contenders() -> Result<[Server; 3]> {
    Ok([
        server(
            "threaded-server",
            "256 个线程的线程池",
            programs::binary("threaded-server")?,
        ),
        server(
            "event-loop-server",
            "一个线程 + mio",
            programs::binary("event-loop-server")?,
        ),
        server(
            "async_server",
            "一个线程 + tokio",
            programs::example("async_server")?,
        ),
    ])
}

/// The three measurements, each for every server before the next one, so
/// that a machine busier in one minute than in another affects all alike.
fn measure_all(servers: [Server; 3], plan: &Plan) -> Result<Vec<Measured>> {
    say!(
        "1/3 压力测试（{} 个客户端，每个服务器 {} 秒）",
        plan.clients,
        plan.duration.as_secs()
    );
    let mut rates = Vec::new();
    for server in &servers {
        rates.push(throughput(server, plan.clients, plan.duration)?);
    }
    say!("2/3 {} 个空闲连接", plan.idle);
    let mut idles = Vec::new();
    for server in &servers {
        idles.push(idle_memory(server, plan.idle)?);
    }
    say!("3/3 沉默的客户端（每级一个新的服务器）");
    let mut climbs = Vec::new();
    for server in &servers {
        let ladder = starve::MANY_LADDER;
        climbs.push(starve::climb_for(
            server,
            &plan.good,
            ladder,
            plan.max_silent,
        )?);
    }
    let measured = servers
        .into_iter()
        .zip(rates)
        .zip(idles.into_iter().zip(climbs));
    Ok(measured
        .map(|((server, (per_second, cpu)), (idle, climb))| Measured {
            server,
            per_second,
            cpu_per_request: cpu,
            idle,
            climb,
        })
        .collect())
}

fn server(label: &'static str, shape: &'static str, program: std::path::PathBuf) -> Server {
    Server {
        label,
        shape,
        program,
        args: vec!["127.0.0.1:0".into()],
        dir: None,
    }
}

fn introduce(plan: &Plan, files: &FileLimit) {
    let (clients, seconds, idle) = (plan.clients, plan.duration.as_secs(), plan.idle);
    say!(
        "三种做法并排：线程池、事件循环、async，同一台机器、同一次运行，每项测量都启动一个新的服务器。"
    );
    say!(
        "请求/秒：{clients} 个客户端不停地连接、发送、读回复、关闭，{seconds} 秒。CPU/请求：服务器进程自己用掉的 CPU 时间。"
    );
    say!(
        "空闲连接：一次打开 {idle} 个什么也不发的连接，数服务器同时持有多少个，读它的内存峰值（VmHWM）。"
    );
    starve::explain();
    if let Some(note) = &files.note {
        say!("{note}");
    }
    if idle < IDLE {
        say!("打开文件数的上限只够 {idle} 个空闲连接，下面用这么多测（不是 {IDLE} 个）。");
    }
    say!();
}

/// Requests per second, and the server's CPU seconds per request.
fn throughput(server: &Server, clients: usize, duration: Duration) -> Result<(f64, Option<f64>)> {
    let (running, addr) = server.start()?;
    // A short warm-up, so the first connections' one-off costs are not measured.
    load::run(addr, clients, Duration::from_millis(300))?;
    let before = system::cpu_seconds(running.id());
    let report = load::run(addr, clients, duration)?;
    let after = system::cpu_seconds(running.id());
    if report.requests == 0 {
        bail!(
            "{} 在 {} 秒内没有完成一次请求，无法测量",
            server.label,
            duration.as_secs()
        );
    }
    let cpu = before
        .zip(after)
        .map(|(before, after)| (after - before) / report.requests as f64);
    say!(
        "  {}：{:.0} 请求/秒，CPU/请求 {}，错误 {}",
        server.label,
        report.per_second(),
        micros(cpu),
        report.errors
    );
    Ok((report.per_second(), cpu))
}

/// Opens `count` idle connections and reads how many the server holds at
/// once and its peak memory. `None` where /proc cannot tell.
fn idle_memory(server: &Server, count: usize) -> Result<Option<Idle>> {
    if !system::has_proc() || count == 0 {
        return Ok(None);
    }
    let (running, addr) = server.start()?;
    let pid = running.id();
    let before = system::open_files(pid).unwrap_or(0);
    let crowd = Crowd::start(addr, count, WhenDropped::Leave)
        .context("无法打开空闲的连接（mio 的事件循环）")?;
    let mut held = 0;
    // Until the server holds every connection, or the window closes.
    process_runner::poll_until(deadline::after(IDLE_WINDOW), || {
        let now = system::open_files(pid).unwrap_or(0).saturating_sub(before);
        held = held.max(now);
        Ok((held >= count).then_some(()))
    })?;
    let peak_kib = system::peak_memory_kib(pid).unwrap_or(0);
    let opened = crowd.connected();
    drop(running); // before the crowd leaves, so that it does not log 10,000 closes
    crowd.stop();
    say!(
        "  {}：同时持有 {held} 个（客户端这边连上 {opened} 个），内存峰值 {}",
        server.label,
        mib(Some(peak_kib))
    );
    Ok(Some(Idle { held, peak_kib }))
}

/// Peak memory while holding the idle connections, as a bar chart.
fn memory_chart(measured: &[Measured], idle: usize) -> Chart {
    Chart {
        file: "bench-shapes-memory.svg",
        title: format!("{idle} 个空闲连接：服务器的内存峰值（越短越好）"),
        measure: "线程池只同时持有它服务得过来的那些，事件循环和 async 持有全部".into(),
        axis: Axis {
            unit: "MiB",
            per_unit: 1024.0,
        },
        bars: measured
            .iter()
            .filter_map(|m| {
                let idle = m.idle?;
                Some(Bar {
                    label: m.server.label.to_string(),
                    value: idle.peak_kib as f64,
                    shown: format!("{}，持有 {} 个", mib(Some(idle.peak_kib)), idle.held),
                })
            })
            .collect(),
        note: chart::made_by("shapes"),
    }
}

/// The most silent, reconnecting clients each server survived.
fn silent_chart(measured: &[Measured]) -> Chart {
    Chart {
        file: "bench-shapes-silent.svg",
        title: "沉默、不停重连的客户端：撑住的最多数目（越长越好）".into(),
        measure: "撑住：好客户端（tcp-client，整个对话 10 秒的期限）每次都得到了回复；每一级一个新的服务器".into(),
        axis: Axis::of("个沉默的客户端"),
        bars: measured
            .iter()
            .map(|m| Bar {
                label: m.server.label.to_string(),
                value: m.climb.most_survived().unwrap_or(0) as f64,
                shown: m.climb.shown(),
            })
            .collect(),
        note: chart::made_by("shapes"),
    }
}

fn print_table(measured: &[Measured], idle: usize) {
    say!();
    let widths = [20, 10, 10, 16, 12, 10, 10];
    let header = [
        "服务器".to_string(),
        "请求/秒".into(),
        "CPU/请求".into(),
        format!("{idle} 个空闲连接"),
        "内存峰值".into(),
        "沉默：撑住".into(),
        "饿死于".into(),
    ];
    say!("{}", bench::row(&header, &widths));
    for m in measured {
        let (held, memory) = match m.idle {
            Some(idle) => (format!("持有 {}", idle.held), mib(Some(idle.peak_kib))),
            None => ("无法测量".to_string(), "无法测量".to_string()),
        };
        let (survived, starved) = starve::climb_cells(&m.climb);
        let cells = [
            m.server.label.to_string(),
            format!("{:.0}", m.per_second),
            micros(m.cpu_per_request),
            held,
            memory,
            survived,
            starved,
        ];
        say!("{}", bench::row(&cells, &widths));
    }
    for m in measured {
        say!("  {}：{}", m.server.label, m.server.shape);
    }
}

/// The targets for the event loop, and the same lines for async,
/// as information: the exit status says only that the benchmark ran.
fn show_targets(measured: &[Measured], idle: usize) {
    let [pool, others @ ..] = measured else {
        return;
    };
    say!("\n目标（只作参考，不影响退出状态）：");
    for m in others {
        let name = format!("{} / {}", m.server.label, pool.server.label);
        ratio_at_least(
            &format!("{name}（请求/秒）"),
            m.per_second,
            pool.per_second,
            0.9,
        );
        match (m.cpu_per_request, pool.cpu_per_request) {
            (Some(cpu), Some(pool_cpu)) => ratio_at_most(
                &format!("{name}（每个请求的 CPU 时间）"),
                cpu,
                pool_cpu,
                1.1,
            ),
            _ => say!("{name}（每个请求的 CPU 时间）：无法测量（需要 Linux 的 /proc）"),
        }
        match m.idle {
            Some(held) => {
                let all = held.held >= idle;
                let mib = held.peak_kib as f64 / 1024.0;
                say!(
                    "{}：{idle} 个空闲连接，持有 {} 个，内存峰值 {mib:.1} MiB（目标：全部持有，< {MEMORY_TARGET_MIB} MiB）{}",
                    m.server.label,
                    held.held,
                    bench::mark(all && mib < MEMORY_TARGET_MIB)
                );
            }
            None => say!(
                "{}：空闲连接的内存无法测量（需要 Linux 的 /proc）",
                m.server.label
            ),
        }
        let survived = m.climb.most_survived().unwrap_or(0);
        let pool_survived = pool.climb.most_survived().unwrap_or(0);
        say!(
            "{}：撑住 {survived} 个沉默的客户端（目标 ≥ {SILENT_TARGET}；{} 撑住 {pool_survived} 个）{}",
            m.server.label,
            pool.server.label,
            bench::mark(survived >= SILENT_TARGET)
        );
    }
}

fn micros(seconds: Option<f64>) -> String {
    seconds.map_or("无法测量".to_string(), |s| format!("{:.1} µs", s * 1e6))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("无法测量".to_string(), |kib| {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    })
}
