//! 练习 1 的检查：原文的 TCP 服务器。真正的客户端来连它：本章的 tcp-client，
//! 两个接连来的客户端，原文的 Python 客户端。

use common::{TCP_MESSAGE, TCP_REPLY};

use super::learner::{Ctx, Learner};
use super::outcome::{Check, Checked, Outcome, Stop, failed};
use super::peers;

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动：第一行打印 等待客户端连接... 和监听的地址",
        wait: None,
        run: starts,
    },
    Check {
        what: "tcp-client 来连：它收到“数据已收到”，服务器打印“收到来自 … 的数据: 你好，服务器！”",
        wait: None,
        run: serves_tcp_client,
    },
    Check {
        what: "一个接一个地服务：又来了两个客户端，各发一条自己的消息",
        wait: None,
        run: serves_one_after_another,
    },
    Check {
        what: "原文的 Python 客户端（article/tcp_client.py）来连",
        wait: None,
        run: serves_python_client,
    },
];

fn starts(ctx: &Ctx) -> Checked {
    Learner::server(ctx, &[])?;
    Ok(Outcome::Passed)
}

fn serves_tcp_client(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    exchange(&mut server, &addr, TCP_MESSAGE)?;
    Ok(Outcome::Passed)
}

fn serves_one_after_another(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    for message in ["第二位同学的消息", "第三位同学的消息"] {
        exchange(&mut server, &addr, message)?;
    }
    server.alive("服务了两个客户端")?;
    Ok(Outcome::Passed)
}

fn serves_python_client(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let (host, port) = peers::host_and_port(&addr);
    let client = peers::python_client(python, "tcp_client.py", &[&host, &port])?;
    let expected = format!("收到服务器的响应: {TCP_REPLY}");
    if peers::last_line(&client) != expected {
        let seen = server.blame(peers::said("tcp_client.py", &client))?;
        return Err(failed(format!("tcp_client.py 打印 {expected}"), seen));
    }
    server.printed(
        &format!(" 的数据: {TCP_MESSAGE}"),
        &format!("收到来自 ('127.0.0.1', 端口) 的数据: {TCP_MESSAGE}"),
    )?;
    Ok(Outcome::Passed)
}

/// tcp-client sends `message` and must print the reply; the server must
/// print the message. Shared with exercise 4.
pub fn exchange(server: &mut Learner, addr: &str, message: &str) -> Result<(), Stop> {
    let client = peers::client("tcp-client", &[addr, message])?;
    let expected = format!("收到服务器的响应: {TCP_REPLY}");
    if !client.status.success() || peers::last_line(&client) != expected {
        let said = peers::said("tcp-client", &client);
        let seen = server.blame(said.clone())?;
        let failure = failed(format!("tcp-client 打印 {expected}"), seen.clone());
        // When the server exited or panicked, that is the news; otherwise
        // the client's side of the story needs a word on what it expects.
        return Err(if seen == said {
            failure.advice(
                "tcp-client 读回复一直读到服务器关闭连接：服务器要回复“数据已收到”，然后关闭连接（connection 离开作用域）",
            )
        } else {
            failure
        });
    }
    server.printed(
        &format!(" 的数据: {message}"),
        &format!("收到来自 127.0.0.1:端口 的数据: {message}"),
    )?;
    Ok(())
}
