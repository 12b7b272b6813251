//! 压力测试客户端：C 个客户端线程，各自不停地“连接、发送、读回复、关闭”，持续 D 秒。
//!
//! This is a closed-loop load generator: each client sends its next request
//! only after the previous reply came back, like a class full of students
//! pressing Enter again and again. It reports requests per second, the 50th
//! and 99th percentile of one exchange's duration, and how many exchanges
//! failed. It speaks the article's protocol, so it works against every TCP
//! server in the workspace and the article's Python servers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::cli::{Args, Usage};
use common::{TCP_MESSAGE, TCP_REPLY, esay, say};
use process_runner::Error;

use crate::bench::{CLIENTS, SECONDS, clients_and_seconds};

/// `workshop load …`.
pub const USAGE: Usage = Usage {
    program: "workshop load",
    about: "压力测试：N 个客户端不停地连接、发送、读回复、关闭",
    arguments: &[(
        "[ADDR]",
        "服务器地址，默认 localhost:9999；它要按原文的协议回复",
    )],
    options: &[CLIENTS, SECONDS],
    notes: &[],
    examples: &["cargo run --release -p workshop -- load 127.0.0.1:9999"],
};

/// `workshop load [ADDR]`: load on a server someone else started. Fails only
/// if nothing could be measured (errors are counted and shown, as information).
pub fn main(args: &Args) -> anyhow::Result<bool> {
    let (clients, seconds) = clients_and_seconds(args)?;
    let server = args.addr.resolve()?[0];
    let report = run(server, clients, Duration::from_secs(seconds))?;
    say!(
        "{clients} 个客户端，{seconds} 秒：{:.0} 请求/秒，p50 {:?}，p99 {:?}，错误 {}",
        report.per_second(),
        report.p50,
        report.p99,
        report.errors
    );
    if report.requests == 0 {
        esay!("没有一次请求成功：{server} 上没有按原文协议回复的服务器在运行吗？");
    }
    Ok(report.requests > 0)
}

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Report {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Runs `clients` closed-loop clients against `server` for `duration`.
/// A Ctrl-C ends the run at once with [`Error::Cancelled`].
pub fn run(server: SocketAddr, clients: usize, duration: Duration) -> Result<Report, Error> {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..clients)
        .map(|_| thread::spawn(move || client_loop(server, deadline)))
        .collect();
    // Waiting here rather than in join(), so that a Ctrl-C is noticed. The
    // workers notice it too, after their current exchange (at most the
    // timeouts in `exchange`); a cancelled run does not wait for them, they
    // hold nothing to clean up and end with the process.
    process_runner::poll_until(None, || {
        Ok(workers.iter().all(|w| w.is_finished()).then_some(()))
    })?;
    let mut latencies = Vec::new();
    let mut errors = 0;
    // When the last client finished, not when we noticed (up to a poll later).
    let mut finished = started;
    for worker in workers {
        // A client thread cannot panic (it only counts errors), but if one
        // did, its requests are simply missing from the totals.
        if let Ok((mut own, own_errors, own_end)) = worker.join() {
            latencies.append(&mut own);
            errors += own_errors;
            finished = finished.max(own_end);
        }
    }
    let elapsed = finished - started;
    latencies.sort_unstable();
    Ok(Report {
        requests: latencies.len() as u64,
        errors,
        elapsed,
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
    })
}

/// One client: exchange after exchange until the deadline; returns the
/// duration of each good exchange, the number of failed ones, and when it
/// stopped.
fn client_loop(server: SocketAddr, deadline: Instant) -> (Vec<Duration>, u64, Instant) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    while Instant::now() < deadline && !process_runner::is_cancelled() {
        let started = Instant::now();
        match exchange(server) {
            Ok(true) => latencies.push(started.elapsed()),
            _ => errors += 1,
        }
    }
    (latencies, errors, Instant::now())
}

/// connect, sendall, read until the server closes, close; true if the reply
/// was the article's.
fn exchange(server: SocketAddr) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect_timeout(&server, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(TCP_MESSAGE.as_bytes())?;
    let mut reply = Vec::with_capacity(TCP_REPLY.len());
    stream.read_to_end(&mut reply)?;
    Ok(reply == TCP_REPLY.as_bytes())
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = (sorted.len() * percent / 100).min(sorted.len() - 1);
    sorted[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_from_the_sorted_list() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50), Duration::from_millis(51));
        assert_eq!(percentile(&sorted, 99), Duration::from_millis(100));
        assert_eq!(percentile(&[], 99), Duration::ZERO);
    }
}
