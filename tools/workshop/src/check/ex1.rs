//! 练习 1 的检查：原文的 TCP 服务器。真正的客户端来连它：本章的 tcp-client（长短、内容都由种子
//! 决定的消息），一个什么也不发的客户端，原文的 Python 客户端。每一次连接都经过检查自己的中继，
//! 出错时能显示线路上的每一个字节。

use std::net::SocketAddr;
use std::sync::Arc;

use common::{TCP_MESSAGE, TCP_REPLY, show_bytes};

use super::learner::{Ctx, Learner};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers::{self, Conn, Ending};
use super::step::{PORT, Repeat};
use super::taps::TcpTap;
use super::wire::{Side, Wire};

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动：第一行打印 等待客户端连接... 和它被要求监听的地址（两个同时启动，各用系统挑的端口；再给一个具体的端口）",
        wait: None,
        run: starts,
    },
    Check {
        what: "tcp-client 来连：它收到“数据已收到”，服务器打印“收到来自 … 的数据: 你好，服务器！”",
        wait: None,
        run: serves_tcp_client,
    },
    Check {
        what: "一个接一个地服务：又来了三个客户端，消息的长短、内容都不一样（最长的正好 1024 字节）",
        wait: None,
        run: serves_one_after_another,
    },
    Check {
        what: "没有请求就没有回复：一个客户端连上、什么也不发就关闭（FIN），服务器不回复它，接着服务别人",
        wait: None,
        run: no_request_no_reply,
    },
    Check {
        what: "原文的 Python 客户端（article/tcp_client.py）来连",
        wait: None,
        run: serves_python_client,
    },
];

pub const WRONG_ADDRESS: Mistake = Mistake {
    id: "ex1.wrong-address",
    name: "监听的不是要求的地址",
    tip: "绑定命令行给的地址：TcpListener::bind(server_address)。写成 0.0.0.0 或别的地址，会让别的电脑也能连上、或者连不上；端口也要用给的（0 表示让系统挑）",
};

pub const FIXED_PORT: Mistake = Mistake {
    id: "ex1.fixed-port",
    name: "端口写死了",
    tip: "两个服务器同时启动时，第二个绑定失败了：它没有用命令行给的端口 0，而是用了写死的端口。TcpListener::bind(server_address)，server_address 已经是命令行给的地址",
};

pub const NO_REPLY: Mistake = Mistake {
    id: "ex1.no-reply",
    name: "没有回复",
    tip: "TODO 4：connection.write_all(TCP_REPLY.as_bytes()) 把“数据已收到”发回去（as_bytes 把 &str 变成字节）。只返回 Ok(()) 的话，客户端什么也收不到",
};

pub const WRONG_REPLY: Mistake = Mistake {
    id: "ex1.wrong-reply",
    name: "回复的不是“数据已收到”",
    tip: "回复要一个字节不差：TCP_REPLY.as_bytes()，不加换行，不回显客户端的消息。上面线路里 ^^ 标出了第一个不一样的字节",
};

pub const READS_UNTIL_CLOSE: Mistake = Mistake {
    id: "ex1.reads-until-close",
    name: "读了一次还在等（读到对方关闭、或读满缓冲区）",
    tip: "原文只 recv 一次：connection.read(&mut 缓冲区) 有数据就返回。read_to_end、read_exact 会一直等更多的字节，可客户端发完消息就在等回复，两边就互相等着",
};

pub const WHOLE_BUFFER: Mistake = Mistake {
    id: "ex1.whole-buffer",
    name: "打印了整个缓冲区",
    tip: "read 返回读到了几个字节（n）：数据是 缓冲区[..n]，后面没读到的都是 0。返回 data[..received].to_vec()",
};

pub const SHORT_READ: Mistake = Mistake {
    id: "ex1.short-read",
    name: "只读到了消息的一部分",
    tip: "缓冲区要有 1024 字节（BUFFER_SIZE），原文是 recv(1024)：let mut data = [0; BUFFER_SIZE];",
};

pub const PRINTS_OTHER: Mistake = Mistake {
    id: "ex1.prints-other",
    name: "打印的不是收到的消息",
    tip: "打印的要是这一次读到的字节（show_bytes(&data)），而不是写死的“你好，服务器！”：每个客户端发的都不一样",
};

pub const WRONG_CLIENT: Mistake = Mistake {
    id: "ex1.wrong-client-address",
    name: "打印的客户端地址不对",
    tip: "“收到来自 … ”后面是 accept 返回的 client_address（对方的地址），不是服务器自己的地址",
};

pub const REPLY_WITHOUT_REQUEST: Mistake = Mistake {
    id: "ex1.reply-without-request",
    name: "没收到请求也回复",
    tip: "先 read，读到了数据才回复：read 返回 0 说明客户端什么也没发就关了连接（原文的 if data:），这时不回复。回复写在 read 之前也不行",
};

pub const STOPS_AFTER_ONE: Mistake = Mistake {
    id: "ex1.stops-after-one",
    name: "服务了一个客户端就不再服务",
    tip: "accept、读、回复要放在 loop 里：服务完一个客户端，回到 accept 等下一个。一个客户端出的错也不能让循环结束",
};

pub const NEVER_CLOSES: Mistake = Mistake {
    id: "ex1.never-closes",
    name: "回复之后没有关闭连接",
    tip: "回复之后要关闭连接：connection 离开作用域（被 drop）就关闭了。别把它存进 Vec、也别在别处留着它：客户端要读到服务器关闭（read 返回 0），才知道回复完了",
};

pub const MISTAKES: &[&Mistake] = &[
    &WRONG_ADDRESS,
    &FIXED_PORT,
    &NO_REPLY,
    &WRONG_REPLY,
    &READS_UNTIL_CLOSE,
    &WHOLE_BUFFER,
    &SHORT_READ,
    &PRINTS_OTHER,
    &WRONG_CLIENT,
    &REPLY_WITHOUT_REQUEST,
    &STOPS_AFTER_ONE,
    &NEVER_CLOSES,
];

fn starts(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat {
        command: format!(
            "cargo run -p exercises --bin {} -- 127.0.0.1:0",
            ctx.label()
        ),
        before: vec!["在两个终端里各运行一次，两个都要启动，第一行末尾是各自的端口".into()],
    });
    let first = Learner::start(ctx, &["127.0.0.1:0"])?;
    let second = Learner::start_as(ctx, &["127.0.0.1:0"], &format!("{}（第二个）", ctx.label()))?;
    // Both were asked for port 0; if either finds its port taken, it
    // chose a port of its own (the other copy, or anything else, holds it).
    let in_use = |learner: &Learner| {
        learner
            .stderr()
            .iter()
            .any(|l| l.contains("已被占用") || l.contains("in use"))
    };
    let addr = first.address().map_err(|stop| {
        if in_use(&first) {
            stop.mistake(&FIXED_PORT)
        } else {
            stop
        }
    })?;
    listens_where_asked(ctx, addr, &WRONG_ADDRESS)?;
    match second.address() {
        Ok(other) if other.port() != addr.port() => {
            listens_where_asked(ctx, other, &WRONG_ADDRESS)?
        }
        Ok(other) => {
            return Err(failed(
                "两个服务器各用系统挑的端口（端口 0）",
                format!("两个都说自己在 {other}"),
            )
            .mistake(&FIXED_PORT));
        }
        Err(stop) => return Err(stop.mistake(&FIXED_PORT)),
    }
    drop((first, second));
    listens_on_the_given_port(ctx, &WRONG_ADDRESS)?;
    Ok(Outcome::Passed)
}

/// Started with a port of our choosing (one that was free a moment ago),
/// it listens on that port: a server that always lets the system pick one
/// passes every start with port 0. If another program takes the port in
/// between, another one is tried.
pub fn listens_on_the_given_port(ctx: &Ctx, mistake: &'static Mistake) -> Result<(), Stop> {
    let mut tries = 0;
    loop {
        tries += 1;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let asked = format!("127.0.0.1:{port}");
        let label = format!("{}（端口 {port}）", ctx.label());
        let learner = Learner::start_as(ctx, &[&asked], &label)?;
        let taken = || {
            learner
                .stderr()
                .iter()
                .any(|l| l.contains("已被占用") || l.contains("in use"))
        };
        match learner.address() {
            Ok(addr) if addr.port() == port => return listens_where_asked(ctx, addr, mistake),
            Ok(addr) => {
                return Err(failed(
                    format!("命令行给的是 {asked}：监听它，第一行说的就是它"),
                    format!("第一行说的是 {addr}：{label} 没有用命令行给的端口"),
                )
                .mistake(mistake));
            }
            Err(_) if taken() && tries < 3 => continue,
            Err(stop) => return Err(stop),
        }
    }
}

/// The address on the first line is 127.0.0.1 with a port of its own, and
/// (on Linux, where all of 127.0.0.0/8 is this machine) nothing answers on
/// another loopback address: it listens where it was asked, not everywhere.
/// A server that listens elsewhere is `mistake` (each exercise has its own).
pub fn listens_where_asked(
    ctx: &Ctx,
    addr: SocketAddr,
    mistake: &'static Mistake,
) -> Result<(), Stop> {
    let expected = "监听 127.0.0.1:端口（命令行给的是 127.0.0.1:0），第一行说的就是它";
    if !addr.ip().is_loopback() || addr.ip().to_string() != "127.0.0.1" || addr.port() == 0 {
        return Err(failed(expected, format!("第一行说的是 {addr}")).mistake(mistake));
    }
    if cfg!(target_os = "linux") {
        let elsewhere = SocketAddr::from(([127, 0, 0, 2], addr.port()));
        if std::net::TcpStream::connect_timeout(&elsewhere, super::learner::ALREADY).is_ok() {
            return Err(failed(
                expected,
                format!(
                    "第一行说 {addr}，可 {elsewhere} 也连得上：{} 监听的是所有地址（0.0.0.0），不是 127.0.0.1",
                    ctx.label()
                ),
            )
            .mistake(mistake));
        }
    }
    Ok(())
}

fn serves_tcp_client(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p tcp-client -- 127.0.0.1:{PORT}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    exchange(ctx, &mut server, &addr, TCP_MESSAGE)?;
    Ok(Outcome::Passed)
}

/// A message of `bytes` bytes at most, as a phrase repeated: what `peer
/// send PHRASE --times N` sends, so the step can be repeated by hand.
pub fn repeated(rng: &mut super::seed::Rng, bytes: usize) -> (String, usize) {
    let word = rng.word();
    let times = (bytes / word.len()).max(1);
    (word, times)
}

fn serves_one_after_another(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // One short, one of some hundred bytes, and one of exactly 1024 bytes,
    // the limit: a buffer any smaller cuts it, whatever the seed.
    let sizes = [rng.between(1, 30), rng.between(100, 600)];
    let mut messages: Vec<String> = sizes
        .iter()
        .map(|&size| {
            let (word, times) = repeated(&mut rng, size);
            word.repeat(times)
        })
        .collect();
    let mut longest = rng.text(common::BUFFER_SIZE);
    longest.push_str(&"x".repeat(common::BUFFER_SIZE - longest.len()));
    messages.push(longest);
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!(
            "cargo run -p peer -- send 127.0.0.1:{PORT} x --times {}",
            common::BUFFER_SIZE
        ),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    for (n, message) in messages.iter().enumerate() {
        exchange(ctx, &mut server, &addr, message).map_err(|stop| {
            if n > 0 && server.ended() {
                stop.or_mistake(&STOPS_AFTER_ONE)
            } else {
                stop
            }
        })?;
    }
    server
        .alive("服务了三个客户端")
        .map_err(|s| s.or_mistake(&STOPS_AFTER_ONE))?;
    Ok(Outcome::Passed)
}

fn no_request_no_reply(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- silent 127.0.0.1:{PORT} --seconds 3"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Server, b"");
    let expected =
        "什么也收不到：客户端没有发请求，服务器读到 0 字节（对方关闭了连接），不回复，关闭连接";
    let mut conn = Conn::open(addr.parse().map_err(anyhow::Error::from)?, &wire)
        .map_err(|e| server.failed_talk(expected, &e))?;
    conn.finish_sending();
    let received = conn.read_until_closed(super::learner::PATIENCE)?;
    if received.count > 0 {
        let seen = server.blame(format!(
            "什么也没发，却收到了 {} 字节：“{}”",
            received.count,
            show_bytes(&received.bytes)
        ))?;
        return Err(failed(expected, seen).mistake(&REPLY_WITHOUT_REQUEST));
    }
    if received.ending == Ending::TimedOut {
        return Err(failed(
            expected,
            format!(
                "{} 秒过去了，服务器既没有回复，也没有关闭连接：它还在等这个客户端（read 返回 0 时就该结束这个连接）",
                super::learner::PATIENCE.as_secs()
            ),
        )
        .mistake(&READS_UNTIL_CLOSE));
    }
    exchange(ctx, &mut server, &addr, "下一位同学的消息")
        .map_err(|stop| stop.or_mistake(&STOPS_AFTER_ONE))?;
    Ok(Outcome::Passed)
}

fn serves_python_client(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("python3 article/tcp_client.py 127.0.0.1 {PORT}（Windows：py article/tcp_client.py 127.0.0.1 {PORT}）"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Server, TCP_REPLY.as_bytes());
    let tap = tap_to(&addr, &wire)?;
    let (host, port) = peers::host_and_port(tap.addr);
    let client = peers::python_client(python, "tcp_client.py", &[&host, &port])?;
    let expected = format!("收到服务器的响应: {TCP_REPLY}");
    if peers::last_line(&client) != expected {
        return Err(judged_by_the_wire(
            &mut server,
            &wire,
            format!("tcp_client.py 打印 {expected}"),
            peers::said("tcp_client.py", &client),
        ));
    }
    server.printed(
        &format!(" 的数据: {TCP_MESSAGE}"),
        &format!("收到来自 127.0.0.1:端口 的数据: {TCP_MESSAGE}"),
    )?;
    Ok(Outcome::Passed)
}

/// The checker's relay in front of the learner's server at `addr`.
pub fn tap_to(addr: &str, wire: &Arc<Wire>) -> Result<TcpTap, Stop> {
    let target: SocketAddr = addr.parse().map_err(anyhow::Error::from)?;
    Ok(TcpTap::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        target,
        Arc::clone(wire),
    )?)
}

/// A peer's failure, blamed on the learner's server when the wire shows
/// its reply was wrong (or it ended), on the checker otherwise: a peer
/// that got the right bytes and still failed is not the learner's doing.
fn judged_by_the_wire(server: &mut Learner, wire: &Wire, expected: String, said: String) -> Stop {
    let conns = wire.connections();
    // The right bytes, then a FIN, before the client gave up: what the peer
    // needed. If it failed anyway, the peer (or the checker) is what broke.
    let served_right = conns > 0
        && (1..=conns).all(|c| {
            let fin = wire.fin_at(c, Side::Server);
            let client_gave_up = wire.fin_at(c, Side::Client);
            wire.sent(c, Side::Server) == TCP_REPLY.as_bytes()
                && fin.is_some()
                && client_gave_up.is_none_or(|gave_up| fin <= Some(gave_up))
        });
    if (served_right || conns == 0) && !server.ended() {
        let wire_says = if conns == 0 {
            "线路上没有任何连接：它还没有连到服务器就失败了"
        } else {
            "线路上服务器的回复和关闭都是对的"
        };
        return Stop::Broken(anyhow::anyhow!("{expected}，可是{said}；{wire_says}"));
    }
    match server.blame(said) {
        Ok(seen) if server.ended() => failed(expected, seen),
        Ok(seen) => reply_mistake(failed(expected, seen), wire, conns.max(1)),
        Err(stop) => stop,
    }
}

/// What the wire says about a wrong reply on connection `conn`.
fn reply_mistake(stop: Stop, wire: &Wire, conn: usize) -> Stop {
    let replied = wire.sent(conn, Side::Server);
    let closed = wire.fin_at(conn, Side::Server).is_some();
    let got_request = wire.sent_count(conn, Side::Client) > 0;
    // It replied only once the client, tired of waiting, closed its side.
    let after_the_client_left = match (
        wire.first_data_at(conn, Side::Server),
        wire.fin_at(conn, Side::Client),
    ) {
        (Some(reply), Some(gave_up)) => reply >= gave_up,
        _ => false,
    };
    if got_request && ((replied.is_empty() && !closed) || after_the_client_left) {
        return stop.or_mistake(&READS_UNTIL_CLOSE);
    }
    if replied.is_empty() {
        return stop.or_mistake(&NO_REPLY);
    }
    if replied != TCP_REPLY.as_bytes() {
        return stop.or_mistake(&WRONG_REPLY);
    }
    if !closed {
        return stop.or_mistake(&NEVER_CLOSES);
    }
    stop
}

/// tcp-client sends `message` through the checker's relay and must print
/// the reply; the server must print the message with the client's address.
/// Shared with exercise 4.
pub fn exchange(ctx: &Ctx, server: &mut Learner, addr: &str, message: &str) -> Result<(), Stop> {
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Server, TCP_REPLY.as_bytes());
    let tap = tap_to(addr, &wire)?;
    let client = peers::client("tcp-client", &[&tap.addr.to_string(), message])?;
    let expected = format!("收到服务器的响应: {TCP_REPLY}");
    if !client.status.success() || peers::last_line(&client) != expected {
        let said = peers::said("tcp-client", &client);
        let stop = judged_by_the_wire(server, &wire, format!("tcp-client 打印 {expected}"), said);
        // A message the server printed cut short explains more than the reply.
        let stop = match message_mistake(server, message) {
            Some(mistake) => stop.mistake(mistake),
            None => stop,
        };
        return Err(stop.advice(
            "tcp-client 读回复一直读到服务器关闭连接：服务器要回复“数据已收到”，然后关闭连接（connection 离开作用域）",
        ));
    }
    let client_addr = tap.outbound().last().copied();
    drop(tap);
    printed_message(server, message, client_addr)
}

/// The server printed `收到来自 ADDR 的数据: MESSAGE` for this client.
/// Which mistake prints `data` for `message`.
fn printed_mistake(data: &str, message: &str) -> &'static Mistake {
    let shown = show_bytes(message.as_bytes());
    let bytes = message.as_bytes();
    if data.starts_with(&shown) && data[shown.len()..].starts_with("\\x00") {
        &WHOLE_BUFFER
    } else if (1..bytes.len()).any(|n| show_bytes(&bytes[..n]) == data) {
        &SHORT_READ
    } else {
        &PRINTS_OTHER
    }
}

/// The mistake in what the server printed about `message` so far, if it
/// printed a line for it that is not right (without waiting).
fn message_mistake(server: &Learner, message: &str) -> Option<&'static Mistake> {
    let shown = show_bytes(message.as_bytes());
    let line = server
        .stdout_unmatched()
        .into_iter()
        .rev()
        .find(|l| l.starts_with("收到来自 "))?;
    let data = line.split_once(" 的数据: ")?.1.to_string();
    (data != shown).then(|| printed_mistake(&data, message))
}

fn printed_message(
    server: &mut Learner,
    message: &str,
    client: Option<SocketAddr>,
) -> Result<(), Stop> {
    let shown = show_bytes(message.as_bytes());
    let client_text = client.map_or("127.0.0.1:端口".to_string(), |c| c.to_string());
    let expected = format!(
        "收到来自 {client_text} 的数据: {}",
        super::learner::shorten(&shown)
    );
    let line = server.printed("收到来自", &expected)?;
    let Some((from, data)) = line
        .strip_prefix("收到来自 ")
        .and_then(|rest| rest.split_once(" 的数据: "))
    else {
        return Err(failed(
            format!("{} 打印 {expected}", server.label()),
            format!("它打印的是 {}", super::learner::shorten(&line)),
        ));
    };
    if data != shown {
        let stop = failed(
            format!("{} 打印 {expected}", server.label()),
            format!("它打印的是 {}", super::learner::shorten(&line)),
        );
        return Err(stop.mistake(printed_mistake(data, message)));
    }
    if let Some(client) = client
        && from != client.to_string()
    {
        return Err(failed(
            format!("{} 打印 {expected}", server.label()),
            format!(
                "它打印的是 {}：客户端的地址是 {client}",
                super::learner::shorten(&line)
            ),
        )
        .mistake(&WRONG_CLIENT));
    }
    Ok(())
}
