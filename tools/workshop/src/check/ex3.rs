//! 练习 3 的检查：会超时、会重发的 UDP 客户端。它去连 udp-server、原文的 Python UDP 服务器，
//! 以及夹在中间丢包的 wiretap：丢掉第一个数据报、丢掉第一个回复、全部丢掉。

use common::UDP_MESSAGE;
use process_runner::Stream;

use super::learner::{Ctx, Learner, PATIENCE};
use super::outcome::{Check, Checked, Outcome, failed};
use super::peers::{self, Peer};

pub const CHECKS: &[Check] = &[
    Check {
        what: "连 udp-server：打印 收到 UDP 服务器的响应: UDP 数据已收到",
        wait: None,
        run: talks_to_udp_server,
    },
    Check {
        what: "连原文的 Python UDP 服务器（article/udp_server.py）",
        wait: None,
        run: talks_to_python_server,
    },
    Check {
        what: "第一个数据报在路上丢了（wiretap --udp --drop 0.5 --seed 2）：1 秒后重发，收到回复",
        wait: None,
        run: resends_a_lost_request,
    },
    Check {
        what: "第一个回复在路上丢了（wiretap --udp --drop 0.5 --seed 1）：重发，服务器收到两次，客户端收到回复",
        wait: None,
        run: resends_after_a_lost_reply,
    },
    Check {
        what: "全都丢了（wiretap --udp --drop 1）：一共发 3 次，然后打印一行“错误: 没有收到 … 的回复……”，以非零状态退出",
        wait: Some("（这一项要等 3 次 1 秒的超时）"),
        run: gives_up_clearly,
    },
];

const EXPECTED: &str = "收到 UDP 服务器的响应: UDP 数据已收到";

/// How many times the exercise sends in all (its `ATTEMPTS`).
const ATTEMPTS: usize = 3;

fn talks_to_udp_server(ctx: &Ctx) -> Checked {
    let server = peers::server("udp-server", &["127.0.0.1:0"], None)?;
    let client = Learner::start(ctx, &[&server.addr])?;
    let ran = client.finish(|| "等回复（udp-server 收到数据报就会回复）".to_string())?;
    ran.expect_line(EXPECTED)?;
    server_got_it(&server, 1)?;
    Ok(Outcome::Passed)
}

fn talks_to_python_server(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    let server = peers::python_server(python, "udp_server.py", &["127.0.0.1", "0"])?;
    let client = Learner::start(ctx, &[&server.addr])?;
    let ran = client.finish(|| "等回复（udp_server.py 收到数据报就会回复）".to_string())?;
    ran.expect_line(EXPECTED)?;
    Ok(Outcome::Passed)
}

fn resends_a_lost_request(ctx: &Ctx) -> Checked {
    through_drops(ctx, "2", 1)
}

fn resends_after_a_lost_reply(ctx: &Ctx) -> Checked {
    through_drops(ctx, "1", 2)
}

/// Through a wiretap whose seed drops one datagram (the request, or the
/// reply) and lets the next through: the client must resend and succeed,
/// and the server must have received `received` datagrams.
fn through_drops(ctx: &Ctx, seed: &str, received: usize) -> Checked {
    let server = peers::server("udp-server", &["127.0.0.1:0"], None)?;
    let tap = wiretap(&server, &["--drop", "0.5", "--seed", seed])?;
    let client = Learner::start(ctx, &[&tap.addr])?;
    let ran = client.finish(|| {
        "等回复：wiretap 丢掉了一个数据报，它永远不会到。recv_from 要有超时（set_read_timeout），超时了就重发".to_string()
    })?;
    ran.expect_line(EXPECTED).map_err(|stop| {
        stop.advice("UDP 不重传：丢了就是丢了。设读超时 REPLY_TIMEOUT，超时就用同一个 Socket 再 send_to 一次")
    })?;
    server_got_it(&server, received)?;
    Ok(Outcome::Passed)
}

fn gives_up_clearly(ctx: &Ctx) -> Checked {
    let server = peers::server("udp-server", &["127.0.0.1:0"], None)?;
    let tap = wiretap(&server, &["--drop", "1"])?;
    let client = Learner::start(ctx, &[&tap.addr])?;
    let ran = client.finish(|| {
        format!("等回复：所有数据报都被丢掉了。发 {ATTEMPTS} 次、每次等 1 秒之后，就该放弃")
    })?;
    let gave_up = ran
        .stderr
        .last()
        .is_some_and(|l| l.starts_with("错误:") && l.contains("没有收到"));
    if ran.success || !gave_up || ran.stdout.iter().any(|l| l.contains("响应")) {
        return Err(failed(
            "以非零状态退出，最后一行是 错误: 没有收到 127.0.0.1:端口 的回复：发送了 3 次……",
            ran.describe(),
        )
        .advice("ATTEMPTS 次都超时之后，返回一个错误（bail!），它会被打印成“错误: …”这一行"));
    }
    let sent = peers::lines_counted(&tap.running, from_the_client, ATTEMPTS, PATIENCE)?;
    if sent.len() != ATTEMPTS {
        return Err(failed(
            format!("一共发送 {ATTEMPTS} 次（ATTEMPTS）"),
            format!("wiretap 看到客户端发了 {} 个数据报", sent.len()),
        ));
    }
    Ok(Outcome::Passed)
}

/// wiretap in front of `server`, for UDP, with `faults`.
fn wiretap(server: &Peer, faults: &[&str]) -> Result<Peer, super::outcome::Stop> {
    let mut args = vec!["127.0.0.1:0", server.addr.as_str(), "--udp"];
    args.extend(faults);
    peers::server("wiretap", &args, None)
}

/// wiretap's line for a datagram from the client: `#1 +0.000s  客户端 … → 服务器 …  数据报 25 字节`.
fn from_the_client(line: &str) -> bool {
    line.starts_with('#') && line.contains("  客户端 ") && line.contains("数据报")
}

/// udp-server printed `收到来自 … 的 UDP 数据: 你好，UDP 服务器！` `count` times.
fn server_got_it(server: &Peer, count: usize) -> Result<(), super::outcome::Stop> {
    let wanted = |line: &str| line.ends_with(&format!("的 UDP 数据: {UDP_MESSAGE}"));
    let got = peers::lines_counted(&server.running, wanted, count, super::learner::ALREADY)?;
    if got.len() != count {
        let seen = server.running.lines_so_far(Stream::Stderr);
        return Err(failed(
            format!("udp-server 收到 {count} 次“{UDP_MESSAGE}”"),
            format!(
                "udp-server 收到了 {} 次{}",
                got.len(),
                if seen.is_empty() {
                    String::new()
                } else {
                    format!("，它说：{}", seen.join(" / "))
                }
            ),
        ));
    }
    Ok(())
}
