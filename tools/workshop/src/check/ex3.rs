//! 练习 3 的检查：会超时、会重发的 UDP 客户端。它去连 udp-server、回复由种子决定的 peer udp-reply
//! （有时还有另一个端口先插一句嘴）、原文的 Python UDP 服务器，以及检查自己夹在中间丢包的中继：
//! 丢掉第一个数据报、丢掉第一个回复、全部丢掉。中继记下每一个数据报，出错时显示出来。

use std::net::SocketAddr;
use std::time::Duration;

use common::{UDP_REPLY, show_bytes};
use process_runner::Stream;

use super::learner::{Ctx, Learner, Ran};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers::{self, Peer};
use super::step::{PORT, RELAY_PORT, Repeat};
use super::taps::{Drops, UdpTap};
use super::wire::Side;

pub const CHECKS: &[Check] = &[
    Check {
        what: "连 udp-server（消息由种子决定）：打印 收到 UDP 服务器的响应: UDP 数据已收到",
        wait: None,
        run: talks_to_udp_server,
    },
    Check {
        what: "回复的内容由种子决定、正好 1024 字节（peer udp-reply）：打印服务器真正回复的",
        wait: None,
        run: prints_what_came,
    },
    Check {
        what: "回复之前，另一个端口先发来一个数据报（peer udp-reply --foreign）：它不是服务器的回复，不算",
        wait: None,
        run: ignores_other_senders,
    },
    Check {
        what: "连原文的 Python UDP 服务器（article/udp_server.py）",
        wait: None,
        run: talks_to_python_server,
    },
    Check {
        what: "第一个数据报在路上丢了：1 秒后用同一个 Socket 重发，收到回复",
        wait: None,
        run: resends_a_lost_request,
    },
    Check {
        what: "第一个回复在路上丢了：重发，服务器收到两次，客户端收到回复",
        wait: None,
        run: resends_after_a_lost_reply,
    },
    Check {
        what: "全都丢了：一共发 3 次，每次等 1 秒，然后打印一行“错误: 没有收到 … 的回复……”，以非零状态退出",
        wait: Some("（这一项要等 3 次 1 秒的超时）"),
        run: gives_up_clearly,
    },
];

pub const NO_SEND: Mistake = Mistake {
    id: "ex3.no-send",
    name: "没有发送数据报",
    tip: "先 client_socket.send_to(message, server_address)?，再 recv_from 等回复。直接打印一行“收到 UDP 服务器的响应”是骗不过检查的：回复每次都不一样",
};

pub const HARDCODED_REPLY: Mistake = Mistake {
    id: "ex3.hardcoded-reply",
    name: "打印的不是服务器的回复",
    tip: "返回 recv_from 真正收到的字节 data[..size]：服务器回复什么就打印什么。这一次的回复不是“UDP 数据已收到”",
};

pub const WHOLE_BUFFER: Mistake = Mistake {
    id: "ex3.whole-buffer",
    name: "返回了整个缓冲区",
    tip: "recv_from 返回 (size, from)：回复是 data[..size]，后面没收到的都是 0",
};

pub const SHORT_BUFFER: Mistake = Mistake {
    id: "ex3.short-buffer",
    name: "缓冲区太小，回复被截断了",
    tip: "一个数据报要一次收完：比缓冲区长的部分会被丢掉。缓冲区要有 1024 字节（BUFFER_SIZE），原文是 recvfrom(1024)",
};

pub const ANY_SENDER: Mistake = Mistake {
    id: "ex3.any-sender",
    name: "把别人发来的数据报当成了回复",
    tip: "recv_from 返回 (size, from)：from 是发送方的地址。from 不是 server_address 的数据报不是回复，也不是错误：记一行，接着等（或者重发）；不要把它打印出来当回复，也不要因为它就报错退出",
};

pub const NO_TIMEOUT: Mistake = Mistake {
    id: "ex3.no-timeout",
    name: "没有超时，丢了就一直等",
    tip: "先 client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?：recv_from 等 1 秒没有数据就返回一个错误（errors::is_timeout 认得它），而不是永远等下去",
};

pub const NO_RETRY: Mistake = Mistake {
    id: "ex3.no-retry",
    name: "超时了不重发",
    tip: "UDP 不重传：丢了就是丢了。超时之后用同一个 Socket 再 send_to 一次，一共发 ATTEMPTS（3）次，都没有回复才放弃",
};

pub const WRONG_ATTEMPTS: Mistake = Mistake {
    id: "ex3.wrong-attempts",
    name: "发送的次数不是 3 次",
    tip: "for attempt in 1..=ATTEMPTS { send_to …; recv_from … }：第一次加上两次重发，一共 ATTEMPTS（3）次，不多不少",
};

pub const NEW_SOCKET: Mistake = Mistake {
    id: "ex3.new-socket",
    name: "重发时换了一个 Socket",
    tip: "每次重发都用传进来的同一个 client_socket：服务器把回复发回它收到的数据报的来源，换了 Socket，之前那次请求的回复就收不到了",
};

pub const GIVES_UP_EARLY: Mistake = Mistake {
    id: "ex3.gives-up-early",
    name: "最后一次发送之后没有等回复就放弃了",
    tip: "第 3 次发送之后也要等 REPLY_TIMEOUT：它的回复可能正在路上。每次都是 send_to 然后 recv_from，最后一次 recv_from 也超时了，才返回错误",
};

pub const NO_WAIT: Mistake = Mistake {
    id: "ex3.no-wait",
    name: "没等够 1 秒就重发",
    tip: "每次发送之后等 REPLY_TIMEOUT（1 秒）：set_read_timeout(Some(REPLY_TIMEOUT))，超时了才重发",
};

pub const UNCLEAR_GIVE_UP: Mistake = Mistake {
    id: "ex3.unclear-give-up",
    name: "放弃的时候没有说清楚",
    tip: "ATTEMPTS 次都超时之后，返回一个错误：bail!(\"没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次……\")，它会被打印成一行“错误: …”，程序以非零状态退出",
};

pub const MISTAKES: &[&Mistake] = &[
    &NO_SEND,
    &HARDCODED_REPLY,
    &WHOLE_BUFFER,
    &SHORT_BUFFER,
    &ANY_SENDER,
    &NO_TIMEOUT,
    &NO_RETRY,
    &WRONG_ATTEMPTS,
    &NEW_SOCKET,
    &NO_WAIT,
    &GIVES_UP_EARLY,
    &UNCLEAR_GIVE_UP,
];

const PREFIX: &str = "收到 UDP 服务器的响应: ";

/// How many times the exercise sends in all (its `ATTEMPTS`), and how long
/// it waits after each (its `REPLY_TIMEOUT`).
const ATTEMPTS: usize = 3;
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// A timer fires no earlier than asked; 100 ms covers a clock's coarseness.
const TIMER_SLACK: Duration = Duration::from_millis(100);

/// udp-server, with the checker's relay (dropping as `drops` says) in front.
fn udp_server(ctx: &Ctx, drops: Drops) -> Result<(Peer, UdpTap), Stop> {
    let server = peers::server("udp-server", &["127.0.0.1:0"], None)?;
    let tap = UdpTap::start(server.addr, drops, ctx.wire())?;
    Ok((server, tap))
}

/// The learner's client sending `message` to `addr`, run to its end.
fn run_client(ctx: &Ctx, addr: SocketAddr, message: &str, hung: &'static str) -> Result<Ran, Stop> {
    let client = Learner::start(ctx, &[&addr.to_string(), message])?;
    client.finish(|| hung.to_string())
}

fn talks_to_udp_server(ctx: &Ctx) -> Checked {
    let message = ctx.rng().word();
    let (server, tap) = udp_server(ctx, Drops::default())?;
    ctx.wire()
        .mark_expected(None, Side::Client, message.as_bytes());
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} {message}"),
        &["cargo run -p udp-server".to_string()],
    ));
    let ran = run_client(
        ctx,
        tap.addr,
        &message,
        "等回复（udp-server 收到数据报就会回复）",
    )?;
    sent_something(ctx, &ran, &tap)?;
    expect_reply(&ran, UDP_REPLY.as_bytes())?;
    server_got(&server, &message, 1)?;
    Ok(Outcome::Passed)
}

fn prints_what_came(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // Exactly 1024 bytes, the most the client reads (the article's
    // recvfrom(1024)): a buffer any smaller loses the end, whatever the
    // seed. The content is the seed's.
    let mut reply = rng.text(common::BUFFER_SIZE);
    reply.push_str(&"x".repeat(common::BUFFER_SIZE - reply.len()));
    let message = rng.word();
    let server = peers::server("peer", &["udp-reply", "127.0.0.1:0", &reply], None)?;
    let tap = UdpTap::start(server.addr, Drops::default(), ctx.wire())?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} {message}"),
        &[format!(
            "cargo run -p peer -- udp-reply 127.0.0.1:{PORT} {reply}"
        )],
    ));
    let ran = run_client(
        ctx,
        tap.addr,
        &message,
        "等回复（peer udp-reply 收到数据报就会回复）",
    )?;
    sent_something(ctx, &ran, &tap)?;
    expect_reply(&ran, reply.as_bytes())?;
    Ok(Outcome::Passed)
}

fn ignores_other_senders(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let reply = rng.word();
    let foreign = format!("{}{}", rng.word(), rng.word());
    let message = rng.word();
    let args = ["udp-reply", "127.0.0.1:0", &reply, "--foreign", &foreign];
    let server = peers::server("peer", &args, None)?;
    let tap = UdpTap::start(server.addr, Drops::default(), ctx.wire())?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} {message}"),
        &[format!(
            "cargo run -p peer -- udp-reply 127.0.0.1:{PORT} {reply} --foreign {foreign}"
        )],
    ));
    let ran = run_client(
        ctx,
        tap.addr,
        &message,
        "等回复（服务器回复了，另一个端口也发来了一个）",
    )?;
    sent_something(ctx, &ran, &tap)?;
    let took_foreign = ran
        .line_starting(PREFIX)
        .is_some_and(|line| line.ends_with(&show_bytes(foreign.as_bytes())));
    if took_foreign {
        return Err(failed(
            format!("{} 打印 {PREFIX}{reply}（服务器的回复）", ctx.label()),
            format!(
                "{}\n它打印的是另一个端口发来的“{foreign}”：那不是服务器",
                ran.describe()
            ),
        )
        .mistake(&ANY_SENDER));
    }
    // Steps 1 and 2 showed it can take a reply; what is new here is the
    // foreign datagram. A client that gave up without printing the reply
    // the server did send was thrown by it.
    let gave_up = !ran.success && ran.line_starting(PREFIX).is_none();
    expect_reply(&ran, reply.as_bytes()).map_err(|stop| {
        if gave_up {
            stop.or_mistake(&ANY_SENDER)
        } else {
            stop
        }
    })?;
    Ok(Outcome::Passed)
}

fn talks_to_python_server(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    let message = ctx.rng().word();
    let server = peers::python_server(python, "udp_server.py", &["127.0.0.1", "0"])?;
    let tap = UdpTap::start(server.addr, Drops::default(), ctx.wire())?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} {message}"),
        &[format!(
            "python3 article/udp_server.py 127.0.0.1 {PORT}（Windows：py article/udp_server.py 127.0.0.1 {PORT}）"
        )],
    ));
    let ran = run_client(
        ctx,
        tap.addr,
        &message,
        "等回复（udp_server.py 收到数据报就会回复）",
    )?;
    sent_something(ctx, &ran, &tap)?;
    expect_reply(&ran, UDP_REPLY.as_bytes())?;
    Ok(Outcome::Passed)
}

fn resends_a_lost_request(ctx: &Ctx) -> Checked {
    let drops = Drops {
        requests: 1,
        ..Drops::default()
    };
    through_drops(ctx, drops, "2", 1)
}

fn resends_after_a_lost_reply(ctx: &Ctx) -> Checked {
    let drops = Drops {
        replies: 1,
        ..Drops::default()
    };
    through_drops(ctx, drops, "1", 2)
}

/// Through the relay dropping as `drops` says: the client must resend and
/// succeed, and udp-server must have received `received` datagrams.
/// `wiretap_seed` is the `wiretap --drop 0.5 --seed` that loses the same
/// datagram, for repeating the step by hand.
fn through_drops(ctx: &Ctx, drops: Drops, wiretap_seed: &str, received: usize) -> Checked {
    let message = ctx.rng().word();
    let (server, tap) = udp_server(ctx, drops)?;
    repeat_through_wiretap(ctx, &message, &format!("--drop 0.5 --seed {wiretap_seed}"));
    let ran = run_client(
        ctx,
        tap.addr,
        &message,
        "等回复：丢了的数据报永远不会到。recv_from 要有超时（set_read_timeout），超时了就重发",
    )
    .map_err(|stop| stop.or_mistake(&NO_TIMEOUT))?;
    sent_something(ctx, &ran, &tap)?;
    resent_properly(ctx, &tap, ATTEMPTS)?;
    if !ran.success && tap.requests().len() < 2 {
        return Err(failed(
            format!("{} 重发，收到回复，打印 {PREFIX}{UDP_REPLY}", ctx.label()),
            format!("{}\n它只发了 1 次就放弃了", ran.describe()),
        )
        .mistake(&NO_RETRY));
    }
    expect_reply(&ran, UDP_REPLY.as_bytes()).map_err(|stop| {
        stop.advice("UDP 不重传：丢了就是丢了。设读超时 REPLY_TIMEOUT，超时就用同一个 Socket 再 send_to 一次")
    })?;
    server_got(&server, &message, received)?;
    Ok(Outcome::Passed)
}

fn gives_up_clearly(ctx: &Ctx) -> Checked {
    let message = ctx.rng().word();
    let drops = Drops {
        all: true,
        ..Drops::default()
    };
    let (_server, tap) = udp_server(ctx, drops)?;
    repeat_through_wiretap(ctx, &message, "--drop 1");
    let ran = run_client(
        ctx,
        tap.addr,
        &message,
        "等回复：所有数据报都被丢掉了。发 3 次、每次等 1 秒之后，就该放弃",
    )
    .map_err(|stop| stop.or_mistake(&NO_TIMEOUT))?;
    sent_something(ctx, &ran, &tap)?;
    let sent = tap.requests().len();
    if sent < 2 && ran.stdout.iter().all(|l| !l.starts_with(PREFIX)) {
        return Err(failed(
            format!("一共发送 {ATTEMPTS} 次（ATTEMPTS），然后放弃"),
            format!("{}\n它只发了 1 次", ran.describe()),
        )
        .mistake(&NO_RETRY));
    }
    resent_properly(ctx, &tap, usize::MAX)?;
    if sent != ATTEMPTS {
        return Err(failed(
            format!("一共发送 {ATTEMPTS} 次（ATTEMPTS），然后放弃"),
            format!("它一共发送了 {sent} 次"),
        )
        .mistake(&WRONG_ATTEMPTS));
    }
    // Each of the sends is followed by a full wait, the last one too: it
    // cannot give up before ATTEMPTS timeouts have passed since it started.
    // (A busy machine only makes it later.)
    let took = ran.ended.saturating_duration_since(ran.started);
    let soonest = (REPLY_TIMEOUT * ATTEMPTS as u32).saturating_sub(TIMER_SLACK);
    if took < soonest {
        return Err(failed(
            format!(
                "发送 {ATTEMPTS} 次，每次之后等 {} 秒：至少 {:.1} 秒之后才放弃",
                REPLY_TIMEOUT.as_secs(),
                soonest.as_secs_f64()
            ),
            format!(
                "{}\n它启动后 {:.1} 秒就结束了：最后一次发送之后没有等满 {} 秒",
                ran.describe(),
                took.as_secs_f64(),
                REPLY_TIMEOUT.as_secs()
            ),
        )
        .mistake(&GIVES_UP_EARLY));
    }
    let gave_up = ran
        .last_error()
        .is_some_and(|l| l.starts_with("错误:") && l.contains("没有收到"));
    if ran.success || !gave_up || ran.stdout.iter().any(|l| l.contains("响应")) {
        return Err(failed(
            "以非零状态退出，最后一行是 错误: 没有收到 127.0.0.1:端口 的回复：发送了 3 次……",
            ran.describe(),
        )
        .mistake(&UNCLEAR_GIVE_UP));
    }
    Ok(Outcome::Passed)
}

fn repeat_through_wiretap(ctx: &Ctx, message: &str, faults: &str) {
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{RELAY_PORT} {message}"),
        &[
            "cargo run -p udp-server".to_string(),
            format!(
                "cargo run -p wiretap -- 127.0.0.1:{RELAY_PORT} 127.0.0.1:{PORT} --udp {faults}"
            ),
        ],
    ));
}

/// A client that printed something without sending a datagram at all.
fn sent_something(ctx: &Ctx, ran: &Ran, tap: &UdpTap) -> Result<(), Stop> {
    // The client has ended: what it sent last is counted before anything is judged.
    tap.settle(super::learner::ALREADY)?;
    if !tap.requests().is_empty() {
        return Ok(());
    }
    Err(failed(
        format!("{} 把消息发给服务器，打印服务器的回复", ctx.label()),
        format!("{}\n线路上没有任何数据报：它一个也没有发", ran.describe()),
    )
    .mistake(&NO_SEND))
}

/// The resends (up to the first `up_to` requests) came from the socket of
/// the first send, each after a full timeout.
fn resent_properly(ctx: &Ctx, tap: &UdpTap, up_to: usize) -> Result<(), Stop> {
    let requests = tap.requests();
    let requests = &requests[..requests.len().min(up_to)];
    let Some((_, first)) = requests.first() else {
        return Ok(());
    };
    if let Some((_, other)) = requests.iter().find(|(_, from)| from != first) {
        return Err(failed(
            "每次重发都从同一个 Socket（同一个端口）发出",
            format!(
                "第一次从 {first} 发出，后来又从 {other} 发出：{} 换了 Socket",
                ctx.label()
            ),
        )
        .mistake(&NEW_SOCKET));
    }
    // The k-th send cannot come before k-1 full timeouts have passed since
    // the client started (the relay started just before it). Measured from
    // there, not between two sends: a busy machine may show us one datagram
    // late and the next on time, but never one early.
    for (k, (at, _)) in requests.iter().enumerate() {
        let soonest = (REPLY_TIMEOUT * k as u32).saturating_sub(TIMER_SLACK);
        if *at < soonest {
            return Err(failed(
                format!(
                    "每次发送之后等 {} 秒，没有回复才重发",
                    REPLY_TIMEOUT.as_secs()
                ),
                format!(
                    "第 {} 次发送在它启动后 {:.3} 秒就到了：它没等够 {} 次超时",
                    k + 1,
                    at.as_secs_f64(),
                    k
                ),
            )
            .mistake(&NO_WAIT));
        }
    }
    Ok(())
}

/// It printed `收到 UDP 服务器的响应: REPLY` and exited successfully.
fn expect_reply(ran: &Ran, reply: &[u8]) -> Result<(), Stop> {
    let line = format!("{PREFIX}{}", show_bytes(reply));
    let Err(stop) = ran.expect_line(&line) else {
        return Ok(());
    };
    let Some(printed) = ran.line_starting(PREFIX).map(|l| &l[PREFIX.len()..]) else {
        return Err(stop);
    };
    let shown = show_bytes(reply);
    Err(
        if printed == show_bytes(UDP_REPLY.as_bytes()) && reply != UDP_REPLY.as_bytes() {
            stop.mistake(&HARDCODED_REPLY)
        } else if printed.starts_with(&shown) && printed[shown.len()..].starts_with("\\x00") {
            stop.mistake(&WHOLE_BUFFER)
        } else if (1..reply.len()).any(|n| show_bytes(&reply[..n]) == printed) {
            stop.mistake(&SHORT_BUFFER)
        } else {
            stop
        },
    )
}

/// udp-server printed `收到来自 … 的 UDP 数据: MESSAGE` `count` times.
fn server_got(server: &Peer, message: &str, count: usize) -> Result<(), Stop> {
    let wanted = |line: &str| line.ends_with(&format!("的 UDP 数据: {message}"));
    let got = peers::lines_counted(&server.running, wanted, count, super::learner::ALREADY)?;
    if got.len() != count {
        let seen = server.running.lines_so_far(Stream::Stderr);
        return Err(failed(
            format!("udp-server 收到 {count} 次“{message}”"),
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
