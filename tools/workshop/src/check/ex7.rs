//! 练习 7 的检查：一行一条消息的服务器。检查自己的 Socket 发出 peer 发不出的字节：
//! 两行在一次 write 里，经过 wiretap --chunk 1 一个字节一块，一行 2000 字节。

use super::learner::{Ctx, Learner};
use super::outcome::{Check, Checked, Outcome, Stop, failed};
use super::peers::{self, Ending};

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动：第一行打印 等待客户端连接... 和监听的地址",
        wait: None,
        run: starts,
    },
    Check {
        what: "两条消息在一次 write 里到达（“第一条\\n第二条\\n”）：打印成两条，回复两次",
        wait: None,
        run: two_messages_in_one_read,
    },
    Check {
        what: "消息一个字节一个字节地到达（wiretap --chunk 1）：等到换行符才算一条，汉字不被切开",
        wait: None,
        run: one_byte_at_a_time,
    },
    Check {
        what: "一行 2000 字节，超过上限 1024：不回复，记一行，断开这个连接，接着服务下一个",
        wait: None,
        run: refuses_an_oversized_line,
    },
];

/// What the server replies to each message.
const REPLY: &str = "数据已收到\n";

fn starts(ctx: &Ctx) -> Checked {
    Learner::server(ctx, &[])?;
    Ok(Outcome::Passed)
}

fn two_messages_in_one_read(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    converse(&mut server, &addr, &["第一条", "第二条"]).map_err(|stop| {
        stop.advice("一次 read 拿到的是两条消息连在一起：按换行符切开，BufReader 的 read_until(b'\\n', …) 正好做这件事")
    })?;
    server.alive("一条连接上的两条消息")?;
    Ok(Outcome::Passed)
}

fn one_byte_at_a_time(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let tap = peers::server("wiretap", &["127.0.0.1:0", &addr, "--chunk", "1"], None)?;
    converse(&mut server, &tap.addr, &["你好", "再见"]).map_err(|stop| {
        stop.advice("一次 read 可能只拿到一个字节，连一个汉字都不完整：要攒到换行符才算一条消息")
    })?;
    server.alive("一个字节一个字节地到达的消息")?;
    Ok(Outcome::Passed)
}

fn refuses_an_oversized_line(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let long = format!("{}\n", "x".repeat(2000));
    let (reply, _) = peers::send_and_read(&addr, long.as_bytes())?;
    if !reply.is_empty() {
        return Err(failed(
            "不回复这一行，断开这个连接",
            format!("服务器回复了“{}”", String::from_utf8_lossy(&reply).trim_end()),
        )
        .advice("read_until 之前用 take(MOST_BYTES as u64 + 1) 限制它最多读多少；读满了还没看到换行符，就返回 InvalidData 错误"));
    }
    if server.logged("", super::learner::ALREADY)?.is_none() {
        return Err(failed(
            "用 esay! 记一行，例如 与客户端 127.0.0.1:端口 通信时出错: 一行超过 1024 字节……",
            "ex7 什么也没有记",
        ));
    }
    converse(&mut server, &addr, &["下一位同学的消息"])?;
    Ok(Outcome::Passed)
}

/// Sends `messages` as lines in one write, then ends our side: the server
/// must reply once per message, print each, and close.
fn converse(server: &mut Learner, addr: &str, messages: &[&str]) -> Result<(), Stop> {
    let bytes: String = messages.iter().map(|m| format!("{m}\n")).collect();
    let (reply, ending) = peers::send_and_read(addr, bytes.as_bytes())?;
    let expected = REPLY.repeat(messages.len());
    if reply != expected.as_bytes() || ending == Ending::TimedOut {
        let got = String::from_utf8_lossy(&reply);
        let how = match ending {
            Ending::Closed => "然后关闭了连接",
            Ending::Reset => "然后重置了连接",
            Ending::TimedOut => "然后就不动了",
        };
        let seen = if got.is_empty() {
            format!("什么也没有收到，{how}")
        } else {
            format!("收到的是“{}”，{how}", got.trim_end().replace('\n', "\\n"))
        };
        return Err(failed(
            format!("收到 {} 个“数据已收到\\n”，然后连接关闭", messages.len()),
            server.blame(seen)?,
        ));
    }
    for message in messages {
        let line = server.printed(
            "收到来自",
            &format!("收到来自 127.0.0.1:端口 的消息: {message}"),
        )?;
        if !line.ends_with(&format!("的消息: {message}")) {
            return Err(failed(
                format!("ex7 打印 收到来自 127.0.0.1:端口 的消息: {message}"),
                format!("ex7 打印的是 {}", super::learner::shorten(&line)),
            ));
        }
    }
    Ok(())
}
