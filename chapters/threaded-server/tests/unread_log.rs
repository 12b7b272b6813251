//! Issue 21, finding 1: a log nobody reads must not stop the server. The
//! server's stdout and stderr are pipes that the test stops reading after
//! the first line (a paused terminal does the same), then resumes. Both the
//! pool (`threaded-server`) and the article's thread-per-connection shape
//! (`examples/spawn_per_connection.rs`) are checked.
//!
//! On the code before the fix this failed: once the pipe was full, every
//! worker that logged a request waited in `say!`, and the next request got
//! no reply within the test's patience (the deadlines still dropped silent
//! clients, because their line goes to stderr).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::Path;

use testkit::unread::{Exchange, keeps_serving_while_nobody_reads, tcp_ask};

const SERVER: &str = env!("CARGO_BIN_EXE_threaded-server");

const ARTICLE: Exchange<'static> = Exchange {
    ask: &tcp_ask,
    reply: "数据已收到".as_bytes(),
    data_marker: "的数据: ",
    lines_per_request: 1,
    drops_silent_clients: true,
    startup_lines: 0,
};

#[test]
fn the_pool_serves_ten_thousand_requests_and_drops_a_silent_client_while_nobody_reads_its_log() {
    let server = Path::new(SERVER);
    let args = ["127.0.0.1:0", "--threads", "4"];
    keeps_serving_while_nobody_reads(server, &args, None, &ARTICLE, 10_000);
}

#[test]
fn a_thread_per_connection_serves_ten_thousand_requests_and_drops_a_silent_client_while_nobody_reads_its_log()
 {
    let example = testkit::example("threaded-server", "spawn_per_connection");
    keeps_serving_while_nobody_reads(&example, &["127.0.0.1:0"], None, &ARTICLE, 10_000);
}
