//! Issue 21, finding 1: a log nobody reads must not stop the event loop.
//! The server's stdout and stderr are pipes that the test stops reading
//! after the first line (a paused terminal does the same), then resumes.
//! Both the mio loop and the tokio example are checked.
//!
//! On the code before the fix this failed: the one thread that runs every
//! connection waited in `say!` once the pipe was full (after about a
//! thousand requests), so nobody was answered and no deadline fired: a
//! silent client was still held long after its 5 seconds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod shared;

use std::path::Path;

use testkit::unread::{Exchange, keeps_serving_while_nobody_reads, tcp_ask};

const ARTICLE: Exchange<'static> = Exchange {
    ask: &tcp_ask,
    reply: "数据已收到".as_bytes(),
    data_marker: "的数据: ",
    lines_per_request: 1,
    drops_silent_clients: true,
    startup_lines: 0,
};

#[test]
fn the_event_loop_serves_ten_thousand_requests_and_drops_a_silent_client_while_nobody_reads_its_log()
 {
    let server = Path::new(shared::EVENT_LOOP);
    keeps_serving_while_nobody_reads(server, &["127.0.0.1:0"], None, &ARTICLE, 10_000);
}

#[test]
fn the_async_server_serves_ten_thousand_requests_and_drops_a_silent_client_while_nobody_reads_its_log()
 {
    let server = shared::async_example();
    keeps_serving_while_nobody_reads(&server, &["127.0.0.1:0"], None, &ARTICLE, 10_000);
}
