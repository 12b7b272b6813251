//! 可以打开的故障：拆块、延迟、丢包、重置。看看各章的程序能不能挺过去。
//!
//! Each fault makes visible something the network is allowed to do anyway:
//! hand the far side part of a message (`--chunk`), be slow (`--delay`),
//! lose a datagram (`--drop`), or cut a connection off (`--reset-after`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};

/// The pause between two `--chunk` pieces when no `--delay` is given: long
/// enough that the far side's read returns before the next piece arrives.
pub const CHUNK_PAUSE: Duration = Duration::from_millis(20);

/// What the learner switched on.
#[derive(Debug)]
pub struct Faults {
    /// `--chunk N`: forward in pieces of at most N bytes.
    pub chunk: Option<usize>,
    /// `--delay MS`: wait this long before each forward (each piece).
    pub delay: Duration,
    /// `--drop P`: the chance that a datagram is dropped, 0.0 to 1.0.
    pub drop: f64,
    /// `--reset-after N`: reset both sides once N bytes have been forwarded.
    pub reset_after: Option<u64>,
    /// The seed the drops are drawn from (given with `--seed`, or made up).
    pub seed: u64,
}

impl Faults {
    pub fn new(
        chunk: Option<usize>,
        delay: Duration,
        drop: f64,
        reset_after: Option<u64>,
        seed: Option<u64>,
    ) -> Faults {
        Faults {
            chunk,
            delay,
            drop,
            reset_after,
            seed: seed.unwrap_or_else(made_up_seed),
        }
    }

    /// The pieces one read is forwarded in: itself, or `--chunk`-sized parts.
    pub fn pieces<'a>(&self, data: &'a [u8]) -> std::slice::Chunks<'a, u8> {
        data.chunks(self.chunk.unwrap_or(data.len()).max(1))
    }

    /// How long to wait before forwarding piece number `index` (from 0).
    pub fn pause_before(&self, index: usize) -> Option<Duration> {
        if !self.delay.is_zero() {
            Some(self.delay)
        } else if index > 0 {
            Some(CHUNK_PAUSE)
        } else {
            None
        }
    }

    /// What will happen to a read of `size` bytes, for the log; empty when
    /// it is forwarded as it is.
    pub fn plan(&self, size: usize) -> String {
        let delay = self.delay.as_millis();
        match self.chunk {
            Some(chunk) if size > chunk => {
                let pause = if delay > 0 {
                    delay
                } else {
                    CHUNK_PAUSE.as_millis()
                };
                format!(
                    "（按 --chunk {chunk} 分 {} 块转发，每块之前停 {pause} 毫秒）",
                    size.div_ceil(chunk)
                )
            }
            _ if delay > 0 => format!("（等 {delay} 毫秒再转发）"),
            _ => String::new(),
        }
    }

    /// [`Faults::plan`] in a few words, for a diagram arrow.
    pub fn short_plan(&self, size: usize) -> String {
        let delay = self.delay.as_millis();
        match self.chunk {
            Some(chunk) if size > chunk => format!("（分 {} 块转发）", size.div_ceil(chunk)),
            _ if delay > 0 => format!("（晚 {delay} 毫秒转发）"),
            _ => String::new(),
        }
    }

    /// The drop decisions for one client's datagrams in one direction
    /// (`stream` tells the directions apart). Each client draws from the
    /// start of its own streams, so the server's replies, or another client
    /// arriving a little earlier or later, do not change which of this
    /// client's datagrams are dropped: the same seed gives the same drops.
    pub fn dropper(&self, stream: u64) -> Dropper {
        Dropper {
            random: Random(mix(self.seed ^ mix(stream))),
            chance: self.drop,
        }
    }
}

/// One stream of drop decisions; see [`Faults::dropper`].
#[derive(Debug)]
pub struct Dropper {
    random: Random,
    chance: f64,
}

impl Dropper {
    /// Whether to drop the next datagram.
    pub fn drops(&mut self) -> bool {
        self.chance > 0.0 && self.random.fraction() < self.chance
    }
}

/// A seed from the clock, for runs without `--seed`; it is printed, so an
/// interesting run can be repeated.
fn made_up_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id())) % 1_000_000
}

/// SplitMix64: a few lines of arithmetic, good enough to decide drops, so
/// the workspace needs no `rand` crate for it.
#[derive(Debug)]
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in [0, 1).
    fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64's scrambling step: nearby inputs give unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Reads `--drop`: a fraction from 0 to 1 (`0.3`), or a percentage (`30%`).
pub fn probability(text: &str) -> Result<f64> {
    let wrong = || {
        format!(
            "选项 --drop 的值 \"{text}\" 不对：丢包概率写成 0 到 1 之间的小数（0.3 表示丢三成，1 表示全丢），或写成百分数（30%）"
        )
    };
    let (number, scale) = match text.trim().strip_suffix('%') {
        Some(percent) => (percent, 100.0),
        None => (text.trim(), 1.0),
    };
    match number.parse::<f64>() {
        Ok(value) if (0.0..=scale).contains(&value) => Ok(value / scale),
        _ => bail!(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_are_fractions_or_percentages() {
        assert_eq!(probability("1").unwrap(), 1.0);
        assert_eq!(probability("0.25").unwrap(), 0.25);
        assert_eq!(probability("30%").unwrap(), 0.3);
        assert_eq!(probability("0").unwrap(), 0.0);
        for bad in ["30", "-0.1", "1.5", "abc", "120%", ""] {
            let error = probability(bad).unwrap_err().to_string();
            assert!(error.contains("0.3 表示丢三成"), "{bad}: {error}");
        }
    }

    fn draws(seed: u64, stream: u64, chance: f64) -> Vec<bool> {
        let faults = Faults::new(None, Duration::ZERO, chance, None, Some(seed));
        let mut dropper = faults.dropper(stream);
        (0..64).map(|_| dropper.drops()).collect()
    }

    #[test]
    fn the_same_seed_drops_the_same_datagrams_in_each_stream() {
        assert_eq!(draws(7, 0, 0.5), draws(7, 0, 0.5));
        assert_ne!(draws(7, 0, 0.5), draws(8, 0, 0.5));
        assert_ne!(draws(7, 0, 0.5), draws(7, 1, 0.5));
        let drops = draws(7, 0, 0.5).iter().filter(|&&d| d).count();
        assert!((16..=48).contains(&drops), "{drops} of 64 at 50%");
    }

    #[test]
    fn all_and_nothing_are_exact() {
        assert!(draws(1, 3, 1.0).iter().all(|&d| d));
        assert!(draws(1, 3, 0.0).iter().all(|&d| !d));
    }

    #[test]
    fn chunks_and_pauses() {
        let faults = Faults::new(Some(4), Duration::ZERO, 0.0, None, Some(1));
        let pieces: Vec<&[u8]> = faults.pieces(b"abcdefghij").collect();
        assert_eq!(pieces, [&b"abcd"[..], b"efgh", b"ij"]);
        assert_eq!(faults.pause_before(0), None);
        assert_eq!(faults.pause_before(1), Some(CHUNK_PAUSE));
        assert!(faults.plan(21).contains("分 6 块"), "{}", faults.plan(21));
        assert_eq!(faults.plan(3), "");
        let plain = Faults::new(None, Duration::ZERO, 0.0, None, Some(1));
        assert_eq!(plain.pieces(b"abc").count(), 1);
        assert_eq!(plain.pieces(b"").count(), 0);
    }
}
