//! 练习 2 的检查：原文的 TCP 客户端，但要读完整个回复。它去连本章的 tcp-server、回复长短内容
//! 都不一样的 peer reply（一次发完、分块慢慢发、比 1024 字节还多）、一个字节一块的 wiretap，
//! 和原文的 Python 服务器。每一次连接都经过检查自己的中继，出错时能显示线路上的每一个字节。

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{CLIENT_TIMEOUT, TCP_MESSAGE, TCP_REPLY, show_bytes};

use super::ex1::repeated;
use super::learner::{Ctx, Learner, Ran};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers::{self, Peer};
use super::step::{PORT, RELAY_PORT, Repeat};
use super::taps::TcpTap;
use super::wire::{Side, Wire};

pub const CHECKS: &[Check] = &[
    Check {
        what: "连 tcp-server（地址写 localhost:端口，消息由种子决定）：打印 收到服务器的响应: 数据已收到",
        wait: None,
        run: talks_to_tcp_server,
    },
    Check {
        what: "回复的长短、内容都不是“数据已收到”（peer reply）：打印服务器真正回复的，服务器一关闭就结束",
        wait: None,
        run: prints_what_came,
    },
    Check {
        what: "回复分成几块、块之间停一停（peer reply --chunk --gap）：一直读到服务器关闭连接",
        wait: None,
        run: reads_every_piece,
    },
    Check {
        what: "回复一个字节一个字节地到达（wiretap --chunk 1）：仍然打印完整的回复",
        wait: None,
        run: reads_the_whole_reply,
    },
    Check {
        what: "服务器发的比 1024 字节多、还不关闭（peer reply --hold）：读满 1024 字节就停下（第 1024 字节切开一个汉字时也一样）",
        wait: None,
        run: stops_at_the_limit,
    },
    Check {
        what: "回复到一半，连接被重置了（wiretap --reset-after）：这是错误，不是回复的结尾：打印一行“错误: …”，以非零状态退出",
        wait: None,
        run: reset_is_an_error,
    },
    Check {
        what: "连原文的 Python 服务器（article/tcp_server.py）",
        wait: None,
        run: talks_to_python_server,
    },
];

pub const NO_CONNECT: Mistake = Mistake {
    id: "ex2.no-connect",
    name: "没有连接服务器",
    tip: "TODO 1：真的去连：server_address.resolve()? 给出每一个地址，逐个 TcpStream::connect_timeout(&addr, IO_TIMEOUT)，连上了就返回它。直接打印一行“收到服务器的响应”是骗不过检查的：回复每次都不一样",
};

pub const FIRST_ADDRESS_ONLY: Mistake = Mistake {
    id: "ex2.first-address-only",
    name: "只试了名字的第一个地址",
    tip: "localhost 可能先是 ::1，而服务器只监听 127.0.0.1：resolve() 给出的地址要一个一个地试，前一个连不上就试下一个，都不行才报错",
};

pub const WRONG_MESSAGE: Mistake = Mistake {
    id: "ex2.wrong-message",
    name: "发送的不是给定的消息",
    tip: "TODO 2：发送的是参数 message（命令行上给的那条），server.write_all(message)，一个字节不多、一个字节不少",
};

pub const HARDCODED_REPLY: Mistake = Mistake {
    id: "ex2.hardcoded-reply",
    name: "打印的不是服务器的回复",
    tip: "TODO 3 要返回真正读到的字节：服务器回复什么就打印什么。这一次的回复不是“数据已收到”",
};

pub const READ_ONCE: Mistake = Mistake {
    id: "ex2.read-once",
    name: "只读了一次",
    tip: "一次 read 只拿到已经到达的那一块，回复可能分好几块到达。要在循环里一直 read，把每次读到的接到 Vec 后面，直到 read 返回 0（服务器关闭了连接），最多 1024 字节",
};

pub const FIXED_SIZE: Mistake = Mistake {
    id: "ex2.fixed-size",
    name: "按固定的字节数读",
    tip: "回复有多长事先不知道：不要 read_exact 固定的字节数，也不要只用很小的缓冲区。一直读到 read 返回 0，最多 1024 字节",
};

pub const WHOLE_BUFFER: Mistake = Mistake {
    id: "ex2.whole-buffer",
    name: "返回了整个缓冲区",
    tip: "read 返回读到了几个字节（n）：回复是 缓冲区[..n]，后面没读到的都是 0",
};

pub const SPINS_AFTER_FIN: Mistake = Mistake {
    id: "ex2.spins-after-fin",
    name: "服务器关闭连接之后还在读",
    tip: "read 返回 0 就说明服务器关闭了连接，回复到此为止：这时跳出循环。不停下的话，它会一直读到自己的 10 秒期限",
};

pub const NO_LIMIT: Mistake = Mistake {
    id: "ex2.no-limit",
    name: "没有 1024 字节的上限",
    tip: "读满 1024 字节（BUFFER_SIZE）就停下，不等服务器关闭：server.take(BUFFER_SIZE as u64).read_to_end(&mut data)，或者在循环里数着。没有上限的话，一个发个不停的服务器能占满内存",
};

pub const ERROR_AS_END: Mistake = Mistake {
    id: "ex2.error-as-end",
    name: "把出错当成了回复的结尾",
    tip: "只有 read 返回 0（服务器关闭了连接）才是回复的结尾。read 返回的错误（连接被重置、超时）要用 ? 交上去，不能 break 了事：不然半截回复会被当成完整的回复打印出来，还以状态 0 退出",
};

pub const NEEDS_UTF8: Mistake = Mistake {
    id: "ex2.needs-utf8",
    name: "要求回复是完整的 UTF-8",
    tip: "回复是字节：1024 字节的上限可能正好切开一个汉字，前 1024 字节就不是完整的 UTF-8。不要 read_to_string、String::from_utf8(…)?：TODO 3 返回 Vec<u8>，打印时 show_bytes 把切开的字显示成 �",
};

pub const MISTAKES: &[&Mistake] = &[
    &NO_CONNECT,
    &FIRST_ADDRESS_ONLY,
    &WRONG_MESSAGE,
    &HARDCODED_REPLY,
    &READ_ONCE,
    &FIXED_SIZE,
    &WHOLE_BUFFER,
    &SPINS_AFTER_FIN,
    &NO_LIMIT,
    &ERROR_AS_END,
    &NEEDS_UTF8,
];

const PREFIX: &str = "收到服务器的响应: ";

fn talks_to_tcp_server(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let message = rng.word();
    let server = peers::server("tcp-server", &["127.0.0.1:0"], None)?;
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Client, message.as_bytes());
    // The article connects to ('localhost', 9999). Where localhost stands
    // for two addresses, the relay listens on the second: a client that
    // tries only the first is refused there.
    let (listen, mut second) = localhost_target();
    let tap = match TcpTap::start(SocketAddr::new(listen, 0), server.addr, Arc::clone(&wire)) {
        Ok(tap) => tap,
        Err(_) => {
            second = false;
            tap_from_loopback(server.addr, &wire)?
        }
    };
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("localhost:{PORT} {message}"),
        &["cargo run -p tcp-server".to_string()],
    ));
    let client = Learner::start(ctx, &[&format!("localhost:{}", tap.addr.port()), &message])?;
    let ran = client.finish(|| hung_in(&wire))?;
    if wire.connections() == 0 {
        let stop = failed(
            format!(
                "{} 连上 localhost:端口，发送 {message}，打印 {PREFIX}{TCP_REPLY}",
                ctx.label()
            ),
            format!("{}\n线路上没有任何连接", ran.describe()),
        );
        return Err(if second && !ran.success {
            stop.mistake(&FIRST_ADDRESS_ONLY)
        } else {
            stop.mistake(&NO_CONNECT)
        });
    }
    if wire.sent(1, Side::Client) != message.as_bytes() {
        return Err(failed(
            format!("{} 发送命令行上的消息“{message}”", ctx.label()),
            format!(
                "{} 发送的是“{}”",
                ctx.label(),
                show_bytes(&wire.sent(1, Side::Client))
            ),
        )
        .mistake(&WRONG_MESSAGE));
    }
    expect_reply(&ran, TCP_REPLY.as_bytes(), &wire)?;
    drop(tap);
    let got = peers::lines_counted(
        &server.running,
        |l| l.ends_with(&format!("的数据: {message}")),
        1,
        super::learner::ALREADY,
    )?;
    if got.is_empty() {
        return Err(failed(
            format!("tcp-server 打印 收到来自 … 的数据: {message}"),
            "tcp-server 没有收到这条消息".to_string(),
        )
        .mistake(&WRONG_MESSAGE));
    }
    Ok(Outcome::Passed)
}

/// Where localhost's second address is (the relay listens there), and
/// whether it has two; 127.0.0.1 otherwise.
fn localhost_target() -> (IpAddr, bool) {
    let addrs: Vec<IpAddr> = ("localhost", 0)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default();
    let mut distinct = addrs.clone();
    distinct.dedup();
    match distinct.get(1) {
        Some(second) if distinct.len() >= 2 => (*second, true),
        _ => (IpAddr::V4(Ipv4Addr::LOCALHOST), false),
    }
}

fn tap_from_loopback(target: SocketAddr, wire: &Arc<Wire>) -> std::io::Result<TcpTap> {
    TcpTap::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        target,
        Arc::clone(wire),
    )
}

/// A peer reply server with `args` behind the checker's relay.
fn reply_server(args: &[&str], wire: &Arc<Wire>) -> Result<(Peer, TcpTap), Stop> {
    let mut all = vec!["reply", "127.0.0.1:0"];
    all.extend(args);
    let server = peers::server("peer", &all, None)?;
    let tap = tap_from_loopback(server.addr, wire)?;
    Ok((server, tap))
}

fn prints_what_came(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // Any length up to the limit, except the 15 bytes of “数据已收到”: a
    // client that reads exactly 15 bytes must not pass by luck.
    let (word, times) = loop {
        let size = rng.between(1, 1024);
        let (word, times) = repeated(&mut rng, size);
        if word.len() * times != TCP_REPLY.len() {
            break (word, times);
        }
    };
    let reply = word.repeat(times);
    let times_arg = times.to_string();
    let wire = ctx.wire();
    let (_server, tap) = reply_server(&[&word, "--times", &times_arg], &wire)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT}"),
        &[format!(
            "cargo run -p peer -- reply 127.0.0.1:{PORT} {word} --times {times}"
        )],
    ));
    let ran = run_client(ctx, &tap)?;
    no_connection(ctx, &ran, &wire)?;
    expect_reply(&ran, reply.as_bytes(), &wire)?;
    ended_promptly(ctx, &ran, &wire)?;
    Ok(Outcome::Passed)
}

fn reads_every_piece(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let size = rng.between(20, 90);
    let (word, times) = repeated(&mut rng, size);
    let reply = word.repeat(times);
    let pieces = rng.between(3, 5);
    let chunk = reply.len().div_ceil(pieces).to_string();
    let times_arg = times.to_string();
    // Long enough that a client which reads once has read and printed the
    // first piece before the second comes, even on a busy machine; short
    // enough that five pieces fit in its 10 s.
    let gap = "1000";
    let wire = ctx.wire();
    let args = [
        word.as_str(),
        "--times",
        &times_arg,
        "--chunk",
        &chunk,
        "--gap",
        gap,
    ];
    let (_server, tap) = reply_server(&args, &wire)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT}"),
        &[format!(
            "cargo run -p peer -- reply 127.0.0.1:{PORT} {word} --times {times} --chunk {chunk} --gap {gap}"
        )],
    ));
    let ran = run_client(ctx, &tap)?;
    no_connection(ctx, &ran, &wire)?;
    expect_reply(&ran, reply.as_bytes(), &wire)?;
    ended_promptly(ctx, &ran, &wire)?;
    Ok(Outcome::Passed)
}

fn reads_the_whole_reply(ctx: &Ctx) -> Checked {
    let server = peers::server("tcp-server", &["127.0.0.1:0"], None)?;
    let server_addr = server.addr.to_string();
    let wiretap = peers::server(
        "wiretap",
        &["127.0.0.1:0", &server_addr, "--chunk", "1"],
        None,
    )?;
    let wire = ctx.wire();
    let tap = tap_from_loopback(wiretap.addr, &wire)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{RELAY_PORT}"),
        &[
            "cargo run -p tcp-server".to_string(),
            format!("cargo run -p wiretap -- 127.0.0.1:{RELAY_PORT} 127.0.0.1:{PORT} --chunk 1"),
        ],
    ));
    let ran = run_client(ctx, &tap)?;
    no_connection(ctx, &ran, &wire)?;
    expect_reply(&ran, TCP_REPLY.as_bytes(), &wire)?;
    Ok(Outcome::Passed)
}

fn stops_at_the_limit(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // First the 1024th byte ends a character: a client that keeps 1023 or
    // 1025 bytes prints a different line (a cut character is shown as one
    // �, whether one or two of its bytes are there). Then it falls inside
    // one: the first 1024 bytes are not whole UTF-8, and still the reply.
    stops_at(ctx, &mut rng, true)?;
    stops_at(ctx, &mut rng, false)?;
    Ok(Outcome::Passed)
}

/// One run of step 5: a reply of a few thousand bytes, in pieces, and no
/// FIN for 8 s; byte 1024 ends a character if `whole`, cuts one if not.
fn stops_at(ctx: &Ctx, rng: &mut super::seed::Rng, whole: bool) -> Result<(), Stop> {
    let (word, times, reply) = loop {
        let size = rng.between(3_000, 6_000);
        let (word, times) = repeated(rng, size);
        let reply = word.repeat(times);
        if reply.is_char_boundary(common::BUFFER_SIZE) == whole {
            break (word, times, reply);
        }
    };
    let times_arg = times.to_string();
    // Pieces of 600 to 1000 bytes, 250 ms apart: the first read gets one
    // piece, less than 1024 bytes, so a client that reads a whole buffer
    // each time it is under the limit ends up with more than 1024.
    let chunk = rng.between(600, 1_000);
    let chunk_arg = chunk.to_string();
    let gap = 250;
    let gap_arg = gap.to_string();
    let pieces = reply.len().div_ceil(chunk);
    // The FIN comes 8 s after the first piece: after a client that stops
    // at 1024 bytes has long ended, before a client's own 10 s limit.
    let hold = (CLIENT_TIMEOUT - Duration::from_secs(2))
        .saturating_sub(Duration::from_millis((gap * pieces) as u64))
        .as_millis()
        .to_string();
    let wire = ctx.wire();
    let conn = wire.connections() + 1;
    let args = [
        word.as_str(),
        "--times",
        &times_arg,
        "--chunk",
        &chunk_arg,
        "--gap",
        &gap_arg,
        "--hold",
        &hold,
    ];
    let (_server, tap) = reply_server(&args, &wire)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT}"),
        &[format!(
            "cargo run -p peer -- reply 127.0.0.1:{PORT} {word} --times {times} --chunk {chunk} --gap {gap} --hold {hold}"
        )],
    ));
    let ran = run_client(ctx, &tap)?;
    if wire.connections() < conn {
        no_connection(ctx, &ran, &wire)?;
    }
    let first = &reply.as_bytes()[..common::BUFFER_SIZE];
    let line = format!("{PREFIX}{}", show_bytes(first));
    let waited_for_fin = wire.fin_at(conn, Side::Server).is_some();
    if !ran.success || ran.stdout.last() != Some(&line) || waited_for_fin {
        let seen = if waited_for_fin && ran.stdout.last() == Some(&line) {
            format!(
                "{} 打印的是前 1024 字节，可它是等到服务器 {} 毫秒后关闭连接才结束的：它一直读到了最后",
                ctx.label(),
                hold
            )
        } else {
            ran.describe()
        };
        let cut = if whole {
            ""
        } else {
            "（第 1024 字节在一个汉字的中间：前 1024 字节不是完整的 UTF-8，照样打印，切开的字显示成 �）"
        };
        let stop = failed(
            format!(
                "{} 读满 1024 字节就停下，打印 {PREFIX}（回复的前 1024 字节），不等服务器关闭{cut}",
                ctx.label()
            ),
            seen,
        );
        let wanted_utf8 = !whole
            && ran
                .stderr
                .iter()
                .any(|l| l.contains("UTF-8") || l.contains("utf-8") || l.contains("Utf8"));
        return Err(if wanted_utf8 {
            stop.mistake(&NEEDS_UTF8)
        } else {
            stop.mistake(&NO_LIMIT)
        });
    }
    Ok(())
}

fn reset_is_an_error(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let size = rng.between(100, 900);
    let (word, times) = repeated(&mut rng, size);
    let reply = word.repeat(times);
    let times_arg = times.to_string();
    // The relay passes the client's message and part of the reply, then
    // resets both sides. The part is read before the reset is: Linux keeps
    // what arrived before a RST readable, and reports the reset after it.
    let part = rng.between(1, reply.len() - 1);
    let budget = (TCP_MESSAGE.len() + part).to_string();
    // The server keeps the connection open: the reset is the only ending.
    let hold = CLIENT_TIMEOUT.as_millis().to_string();
    let server = peers::server(
        "peer",
        &[
            "reply",
            "127.0.0.1:0",
            &word,
            "--times",
            &times_arg,
            "--hold",
            &hold,
        ],
        None,
    )?;
    let server_addr = server.addr.to_string();
    let wiretap = peers::server(
        "wiretap",
        &["127.0.0.1:0", &server_addr, "--reset-after", &budget],
        None,
    )?;
    let wire = ctx.wire();
    let tap = tap_from_loopback(wiretap.addr, &wire)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{RELAY_PORT}"),
        &[
            format!(
                "cargo run -p peer -- reply 127.0.0.1:{PORT} {word} --times {times} --hold {hold}"
            ),
            format!(
                "cargo run -p wiretap -- 127.0.0.1:{RELAY_PORT} 127.0.0.1:{PORT} --reset-after {budget}"
            ),
        ],
    ));
    let ran = run_client(ctx, &tap)?;
    no_connection(ctx, &ran, &wire)?;
    if wire.sent(1, Side::Client) != TCP_MESSAGE.as_bytes() {
        return Err(failed(
            format!("{} 发送默认的消息“{TCP_MESSAGE}”", ctx.label()),
            format!(
                "{} 发送的是“{}”",
                ctx.label(),
                show_bytes(&wire.sent(1, Side::Client))
            ),
        )
        .mistake(&WRONG_MESSAGE));
    }
    let expected = format!(
        "连接在回复的第 {part} 字节之后被重置：{} 打印一行“错误: …”，以非零状态退出，不打印 {PREFIX}…",
        ctx.label()
    );
    if ran.success || ran.line_starting(PREFIX).is_some() {
        return Err(failed(expected, ran.describe()).mistake(&ERROR_AS_END));
    }
    if ran.crashed() || ran.last_error().is_none() {
        return Err(failed(expected, ran.describe()));
    }
    Ok(Outcome::Passed)
}

fn talks_to_python_server(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    let server = peers::python_server(python, "tcp_server.py", &["127.0.0.1", "0"])?;
    let wire = ctx.wire();
    let tap = tap_from_loopback(server.addr, &wire)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT}"),
        &[format!(
            "python3 article/tcp_server.py 127.0.0.1 {PORT}（Windows：py article/tcp_server.py 127.0.0.1 {PORT}）"
        )],
    ));
    let ran = run_client(ctx, &tap)?;
    no_connection(ctx, &ran, &wire)?;
    expect_reply(&ran, TCP_REPLY.as_bytes(), &wire)?;
    Ok(Outcome::Passed)
}

/// The learner's client against the relay `tap`, run to its end.
fn run_client(ctx: &Ctx, tap: &TcpTap) -> Result<Ran, Stop> {
    let wire = ctx.wire();
    let client = Learner::start(ctx, &[&tap.addr.to_string()])?;
    client.finish(|| hung_in(&wire))
}

/// A client that ended without ever connecting.
fn no_connection(ctx: &Ctx, ran: &Ran, wire: &Wire) -> Result<(), Stop> {
    if wire.connections() > 0 {
        return Ok(());
    }
    Err(failed(
        format!("{} 连接服务器，发送消息，打印服务器的回复", ctx.label()),
        format!("{}\n线路上没有任何连接：它没有连接服务器", ran.describe()),
    )
    .mistake(&NO_CONNECT))
}

/// It printed `收到服务器的响应: REPLY` for exactly the bytes the server
/// sent, and exited successfully; otherwise the ✗ names the likely mistake.
fn expect_reply(ran: &Ran, reply: &[u8], wire: &Wire) -> Result<(), Stop> {
    wire.mark_expected(None, Side::Server, reply);
    let line = format!("{PREFIX}{}", show_bytes(reply));
    if ran.success && ran.stdout.last() == Some(&line) {
        return Ok(());
    }
    let stop = ran
        .expect_line(&line)
        .err()
        .unwrap_or_else(|| failed(format!("{} 打印 {line}", ran.label), ran.describe()));
    let Some(printed) = ran.line_starting(PREFIX).map(|l| &l[PREFIX.len()..]) else {
        let error = ran.last_error().unwrap_or("");
        let fixed = ["fill whole buffer", "early eof", "UnexpectedEof"]
            .iter()
            .any(|e| error.contains(e));
        return Err(if fixed {
            stop.mistake(&FIXED_SIZE)
        } else {
            stop
        });
    };
    let shown = show_bytes(reply);
    Err(
        if printed == show_bytes(TCP_REPLY.as_bytes()) && reply != TCP_REPLY.as_bytes() {
            stop.mistake(&HARDCODED_REPLY)
        } else if printed.starts_with(&shown) && printed[shown.len()..].starts_with("\\x00") {
            stop.mistake(&WHOLE_BUFFER)
        } else if is_cut_short(printed, reply) {
            // The start of a reply that came in several pieces: it read once
            // (one piece, or more if it was slow to read). Of a reply that
            // came whole: it read too few bytes.
            if wire.first_chunk(1, Side::Server) < reply.len() {
                stop.mistake(&READ_ONCE)
            } else {
                stop.mistake(&FIXED_SIZE)
            }
        } else {
            stop
        },
    )
}

/// Whether `printed` is what the first bytes of `reply` look like.
fn is_cut_short(printed: &str, reply: &[u8]) -> bool {
    (1..reply.len()).any(|n| show_bytes(&reply[..n]) == printed)
}

/// It ended at the server's FIN, not at its own time limit. A client that
/// keeps reading after the FIN stops only when its 10 seconds (its
/// `CLIENT_TIMEOUT`, counted from after it connected) are up, so it cannot
/// have ended within 10 s of being started; one that stops at the FIN ends
/// as soon as the FIN comes, well inside that. A busy machine only makes
/// the right client later, never the wrong one earlier.
fn ended_promptly(ctx: &Ctx, ran: &Ran, wire: &Wire) -> Result<(), Stop> {
    let Some(fin) = wire.fin_at(1, Side::Server) else {
        return Ok(());
    };
    let took = ran.ended.saturating_duration_since(ran.started);
    if took < CLIENT_TIMEOUT {
        return Ok(());
    }
    let closed: Instant = wire.started() + fin;
    let lag = ran.ended.saturating_duration_since(closed);
    Err(failed(
        format!(
            "服务器关闭连接（FIN）之后，{} 马上结束，不等到自己的 {} 秒期限",
            ctx.label(),
            CLIENT_TIMEOUT.as_secs()
        ),
        format!(
            "服务器关闭连接 {:.1} 秒之后 {} 才结束（一共用了 {:.1} 秒）：read 返回 0 之后它还在读，直到自己的期限",
            lag.as_secs_f64(),
            ctx.label(),
            took.as_secs_f64()
        ),
    )
    .mistake(&SPINS_AFTER_FIN))
}

/// Where a client that never ended was stuck, judged by the wire.
fn hung_in(wire: &Wire) -> String {
    if wire.connections() == 0 {
        return "连接。线路上没有任何连接".to_string();
    }
    if wire.sent_count(1, Side::Client) == 0 {
        return "发送。它连上了，可一个字节也没有发".to_string();
    }
    if wire.fin_at(1, Side::Server).is_some() {
        return "读回复。服务器已经回复并关闭了连接：read 返回 0 时就该停下".to_string();
    }
    "读回复。服务器还没有关闭连接".to_string()
}
