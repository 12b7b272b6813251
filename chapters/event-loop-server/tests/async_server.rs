//! examples/async_server.rs (tokio), run as a real process on port 0: the
//! same checks as `event_loop_server.rs`, so the contrast is like for like.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod shared;

use std::path::PathBuf;

fn server() -> PathBuf {
    shared::async_example()
}

#[test]
fn the_articles_python_client_gets_the_reply() {
    shared::the_articles_python_client_gets_the_reply(&server());
}

#[test]
fn our_tcp_client_gets_the_reply() {
    shared::our_tcp_client_gets_the_reply(&server());
}

#[test]
fn serves_ipv6_loopback() {
    shared::serves_ipv6_loopback(&server());
}

#[test]
fn a_silent_client_is_dropped_at_its_deadline_and_others_are_served() {
    shared::a_silent_client_is_dropped_at_its_deadline_and_others_are_served(&server());
}

#[test]
fn a_trickling_client_cannot_hold_its_connection_past_the_deadline() {
    shared::a_trickling_client_cannot_hold_its_connection_past_the_deadline(&server());
}

#[test]
fn four_hundred_resets_are_logged_and_it_keeps_serving() {
    shared::four_hundred_resets_are_logged_and_it_keeps_serving(&server());
}

#[test]
fn garbage_non_utf8_and_empty_connections_are_logged() {
    shared::garbage_non_utf8_and_empty_connections_are_logged(&server());
}

#[test]
fn a_message_longer_than_the_buffer_still_gets_a_clean_reply() {
    shared::a_message_longer_than_the_buffer_still_gets_a_clean_reply(&server());
}

#[test]
fn a_client_that_half_closes_gets_its_reply() {
    shared::a_client_that_half_closes_gets_its_reply(&server());
}

#[test]
fn keeps_serving_when_nobody_reads_its_output() {
    shared::keeps_serving_when_nobody_reads_its_output(&server());
}

#[test]
fn a_thousand_idle_clients_and_a_good_one_is_answered() {
    shared::a_thousand_idle_clients_and_a_good_one_is_answered(&server());
}

#[test]
fn at_the_cap_newcomers_wait_and_the_cap_is_logged_once() {
    shared::at_the_cap_newcomers_wait_and_the_cap_is_logged_once(&server());
}

#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_is_logged_once_a_second_with_a_count() {
    shared::running_out_of_file_descriptors_is_logged_once_a_second_with_a_count(&server());
}

#[test]
fn a_busy_port_and_a_bad_cap_are_one_clear_line() {
    shared::a_busy_port_and_a_bad_cap_are_one_clear_line(&server());
}

#[test]
fn help_is_chinese_and_states_the_deadline_and_the_cap() {
    shared::help_is_chinese_and_states_the_deadline_and_the_cap(&server());
}
