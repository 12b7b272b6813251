//! What a check varies, and the one number it all comes from.
//!
//! A program that only works for the article's exact bytes (`数据已收到`,
//! one message, four threads) is not right. So every check picks its
//! messages, replies, lengths, thread counts and cut points afresh on each
//! run, from a seed the check prints; `check N --seed S` picks the same
//! ones again, so a failure can be repeated exactly.
//!
//! Each step has its own generator, made from the seed and the step's
//! number: what one step draws does not shift what the next one gets.
//!
//! The texts are made of CJK characters, ASCII letters and digits and a few
//! full-width marks: nothing a shell or PowerShell would treat specially, so
//! the command the checker prints to repeat a step works when typed.

use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh seed when the learner did not give one: the clock and our
/// process id, which differ from run to run.
pub fn fresh() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.as_nanos() as u64);
    // Short enough to type; 6 digits is plenty of variety for a check.
    mix(nanos ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000
}

/// A small, fast generator (SplitMix64): the same seed gives the same
/// numbers on every OS and every Rust version, which `rand` does not promise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of `step` (1, 2, …) under `seed`.
    pub fn new(seed: u64, step: usize) -> Rng {
        Rng(mix(seed ^ (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        let span = (high.saturating_sub(low) as u64).saturating_add(1);
        low + (self.next() % span) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.between(0, items.len() - 1)]
    }

    /// A short phrase, 2 to 6 characters: a learner can type it.
    pub fn word(&mut self) -> String {
        let count = self.between(2, 6);
        (0..count).map(|_| *self.pick(LETTERS)).collect()
    }

    /// A text of about `bytes` bytes (never more), made of phrases.
    pub fn text(&mut self, bytes: usize) -> String {
        let mut text = String::new();
        loop {
            let c = *self.pick(LETTERS);
            if text.len() + c.len_utf8() > bytes {
                return text;
            }
            text.push(c);
        }
    }
}

/// What texts are made of: CJK characters (3 bytes in UTF-8), ASCII letters
/// and digits (1 byte), full-width marks (3 bytes). No spaces or quotes.
const LETTERS: &[char] = &[
    '数', '据', '已', '收', '到', '你', '好', '服', '务', '器', '字', '节', '流', '连', '接', '消',
    '息', '边', '界', '读', '写', '回', '复', '套', '口', '网', '络', 'a', 'b', 'c', 'x', 'y', 'z',
    'Q', '7', '3', '0', '，', '！', '。',
];

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_step_give_the_same_choices() {
        let a: Vec<usize> = (0..20).map(|_| Rng::new(42, 3).between(0, 1000)).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut one = Rng::new(42, 3);
        let mut two = Rng::new(42, 3);
        assert_eq!(one.text(300), two.text(300));
        assert_ne!(Rng::new(42, 3).word(), Rng::new(42, 4).word());
    }

    #[test]
    fn numbers_stay_in_range_and_texts_within_their_size() {
        let mut rng = Rng::new(7, 1);
        for _ in 0..1000 {
            let n = rng.between(2, 5);
            assert!((2..=5).contains(&n));
            let text = rng.text(100);
            assert!(text.len() <= 100 && text.len() >= 97, "{}", text.len());
            assert!(!text.contains([' ', '"', '\'', '$', ',']));
        }
        assert!(fresh() < 1_000_000);
    }
}
