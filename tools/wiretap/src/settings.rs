//! 命令行里的设置：两个地址、故障、上限，以及它们哪些能一起用。

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use common::addr::HostPort;
use common::cli::Args;

use crate::faults::{self, Faults};

/// Connections (UDP: clients) relayed at the same time, unless `--max-connections`.
const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// Each TCP connection takes three threads; this keeps a typo from taking thousands.
const MOST_CONNECTIONS: usize = 1024;
/// Quiet seconds after which a connection (UDP: a client) is closed, unless `--idle`.
const DEFAULT_IDLE_SECONDS: usize = 30;
const MOST_IDLE_SECONDS: usize = 3600;
const MOST_DELAY_MS: usize = 10_000;
const MOST_CHUNK: usize = 65_536;
/// The most one TCP connection may last, however busy: a peer that trickles
/// a byte just before each idle timeout, or a `--chunk 1 --delay 10000`
/// forward of a long read, must not hold its place forever.
pub const LONGEST_CONNECTION: Duration = Duration::from_secs(600);

/// Everything the command line asked for.
#[derive(Debug)]
pub struct Settings {
    pub listen: HostPort,
    pub server: HostPort,
    pub udp: bool,
    pub faults: Faults,
    pub idle: Duration,
    pub max_connections: usize,
    pub exit_after: Option<usize>,
    pub mermaid: Option<PathBuf>,
    pub pcap: Option<PathBuf>,
    /// [`LONGEST_CONNECTION`]; a field so that a unit test can shorten it.
    pub longest_connection: Duration,
}

impl Settings {
    pub fn from_args(args: &Args) -> Result<Settings> {
        let Some(server) = args.rest().first() else {
            bail!(
                "缺少服务器地址：wiretap 要知道把数据转发给谁。请写 wiretap 监听地址 服务器地址，例如 wiretap 127.0.0.1:9998 127.0.0.1:9999"
            );
        };
        let udp = args.flag("--udp");
        let chunk = optional(args, "--chunk", MOST_CHUNK)?;
        let delay = optional(args, "--delay", MOST_DELAY_MS)?.unwrap_or(0);
        let drop = args.option("--drop").map(faults::probability).transpose()?;
        let seed = args.option("--seed").map(seed).transpose()?;
        let reset_after = optional(args, "--reset-after", usize::MAX)?;
        check_mode(udp, chunk, reset_after, drop, seed)?;
        let idle = args.number("--idle", DEFAULT_IDLE_SECONDS)?;
        if idle > MOST_IDLE_SECONDS {
            bail!("--idle {idle} 太长了：最多 {MOST_IDLE_SECONDS} 秒");
        }
        let mermaid = args.option("--mermaid").map(PathBuf::from);
        let pcap = args.option("--pcap").map(PathBuf::from);
        if mermaid.is_some() && mermaid == pcap {
            bail!(
                "--mermaid 和 --pcap 写的是同一个文件：请给它们两个不同的文件名，例如 --mermaid run.md --pcap run.pcap"
            );
        }
        Ok(Settings {
            listen: args.addr.clone(),
            server: server.parse()?,
            udp,
            faults: Faults::new(
                chunk,
                Duration::from_millis(delay as u64),
                drop.unwrap_or(0.0),
                reset_after.map(|n| n as u64),
                seed,
            ),
            idle: Duration::from_secs(idle as u64),
            max_connections: optional(args, "--max-connections", MOST_CONNECTIONS)?
                .unwrap_or(DEFAULT_MAX_CONNECTIONS),
            exit_after: optional(args, "--exit-after", usize::MAX)?,
            mermaid,
            pcap,
            longest_connection: LONGEST_CONNECTION,
        })
    }

    /// Whether `--drop` draws at random, and so the seed is worth printing
    /// (with 0 or 1 every datagram's fate is known without it).
    pub fn drops_at_random(&self) -> bool {
        self.faults.drop > 0.0 && self.faults.drop < 1.0
    }
}

/// A positive number option that may be absent, with an upper limit.
fn optional(args: &Args, name: &str, most: usize) -> Result<Option<usize>> {
    if args.option(name).is_none() {
        return Ok(None);
    }
    let value = args.number(name, 1)?;
    if value > most {
        bail!("选项 {name} 的值 {value} 太大了：最多 {most}");
    }
    Ok(Some(value))
}

fn seed(text: &str) -> Result<u64> {
    match text.parse() {
        Ok(seed) => Ok(seed),
        Err(_) => bail!("选项 --seed 的值 \"{text}\" 不对：需要一个非负整数，例如 --seed 42"),
    }
}

/// Faults that only make sense for one protocol are refused for the other,
/// with the reason: a learner who asks for them has misunderstood something.
fn check_mode(
    udp: bool,
    chunk: Option<usize>,
    reset_after: Option<usize>,
    drop: Option<f64>,
    seed: Option<u64>,
) -> Result<()> {
    if udp && chunk.is_some() {
        bail!("--chunk 只能用于 TCP：UDP 的数据报是一个整体，不能拆开转发");
    }
    if udp && reset_after.is_some() {
        bail!("--reset-after 只能用于 TCP：UDP 没有连接，也就没有什么可以重置");
    }
    if !udp && drop.is_some() {
        bail!(
            "--drop 只能和 --udp 一起用：TCP 丢了的数据会被重传，wiretap 不能替网络丢 TCP 的数据"
        );
    }
    if !udp && seed.is_some() {
        bail!("--seed 只用于 --udp 的 --drop：它决定丢哪些数据报");
    }
    Ok(())
}
