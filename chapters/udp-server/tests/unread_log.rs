//! Issue 21, finding 1: a log nobody reads must not stop the server. The
//! server's stdout and stderr are pipes that the test stops reading after
//! the first line (a paused terminal does the same), then resumes. UDP has
//! no connection to hold, so there is no silent client to drop.
//!
//! On the code before the fix this failed: the pipe filled after about a
//! thousand datagrams, `say!` waited for a reader, and the next datagram
//! got no reply within the test's patience.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::Path;

use testkit::unread::{Exchange, keeps_serving_while_nobody_reads, udp_ask};

const SERVER: &str = env!("CARGO_BIN_EXE_udp-server");

const ARTICLE: Exchange<'static> = Exchange {
    ask: &udp_ask,
    reply: "UDP 数据已收到".as_bytes(),
    data_marker: "的 UDP 数据: ",
    lines_per_request: 1,
    drops_silent_clients: false,
    startup_lines: 0,
};

#[test]
fn answers_ten_thousand_datagrams_while_nobody_reads_its_log() {
    let server = Path::new(SERVER);
    keeps_serving_while_nobody_reads(server, &["127.0.0.1:0"], None, &ARTICLE, 10_000);
}
