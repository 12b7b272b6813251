//! 练习 2 的检查：原文的 TCP 客户端，但要读完整个回复。它去连本章的 tcp-server、
//! 一个把回复拆成 1 字节一块的 wiretap，和原文的 Python 服务器。

use process_runner::Stream;

use common::TCP_REPLY;

use super::learner::{Ctx, Learner};
use super::outcome::{Check, Checked, Outcome};
use super::peers::{self, Peer};

pub const CHECKS: &[Check] = &[
    Check {
        what: "连 tcp-server（地址写 localhost:端口）：打印 收到服务器的响应: 数据已收到",
        wait: None,
        run: talks_to_tcp_server,
    },
    Check {
        what: "回复一个字节一个字节地到达（wiretap --chunk 1）：仍然打印完整的回复",
        wait: None,
        run: reads_the_whole_reply,
    },
    Check {
        what: "连原文的 Python 服务器（article/tcp_server.py）",
        wait: None,
        run: talks_to_python_server,
    },
];

const EXPECTED: &str = "收到服务器的响应: 数据已收到";

fn talks_to_tcp_server(ctx: &Ctx) -> Checked {
    let server = peers::server("tcp-server", &["127.0.0.1:0"], None)?;
    // The article connects to ('localhost', 9999); localhost may be ::1 first.
    let port = peers::host_and_port(&server.addr).1;
    let client = Learner::start(ctx, &[&format!("localhost:{port}")])?;
    let ran = client.finish(|| hung_in(&server))?;
    ran.expect_line(EXPECTED).map_err(|stop| {
        stop.advice("连接要试 localhost 的每一个地址（它可能先是 ::1）：server_address.resolve() 给出全部地址，逐个 connect_timeout")
    })?;
    Ok(Outcome::Passed)
}

fn reads_the_whole_reply(ctx: &Ctx) -> Checked {
    let server = peers::server("tcp-server", &["127.0.0.1:0"], None)?;
    let tap = peers::server(
        "wiretap",
        &["127.0.0.1:0", &server.addr, "--chunk", "1"],
        None,
    )?;
    let client = Learner::start(ctx, &[&tap.addr])?;
    let ran = client.finish(|| hung_in(&server))?;
    ran.expect_line(EXPECTED).map_err(|stop| {
        stop.advice(format!(
            "“{TCP_REPLY}”是 15 个字节，经过 wiretap --chunk 1 一个字节一块地到达：一次 read 只拿到已经到达的那一块。\
             要一直读，直到 read 返回 0（服务器关闭了连接）。自己看一看：先运行 tcp-server，再 \
             cargo run -p wiretap -- 127.0.0.1:9998 127.0.0.1:9999 --chunk 1，然后 cargo run -p exercises --bin ex2 -- 127.0.0.1:9998"
        ))
    })?;
    Ok(Outcome::Passed)
}

fn talks_to_python_server(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    let server = peers::python_server(python, "tcp_server.py", &["127.0.0.1", "0"])?;
    let client = Learner::start(ctx, &[&server.addr])?;
    let ran = client.finish(|| hung_in(&server))?;
    ran.expect_line(EXPECTED)?;
    Ok(Outcome::Passed)
}

/// Where a client that never ended was stuck, judged by what the server
/// printed: it replies (and closes) right after printing the message.
fn hung_in(server: &Peer) -> String {
    let printed = server.running.lines_so_far(Stream::Stdout);
    if printed.iter().any(|line| line.starts_with("收到来自")) {
        "读回复。服务器已经收到消息、回复并关闭了连接：read 返回 0 时就该停下".to_string()
    } else {
        "连接或发送。服务器没有收到消息：看看连接和 write_all 那两步".to_string()
    }
}
