//! How wiretap shows bytes, for the programs that show a wire the same way.
//!
//! wiretap itself is the binary beside this (`src/main.rs`). The one part
//! other tools share is [`display`]: the workshop's exercise checker prints,
//! under a failed check, what crossed the wire in wiretap's own format
//! (hex on the left, escaped text on the right, cut characters marked), so
//! a learner who has used wiretap reads it at once.

pub mod display;
