//! 练习 7 的检查：一行一条消息的服务器。检查自己的 Socket 发出 peer 发不出的字节：
//! 几行在一次 write 里（行数、内容由种子决定），经过 wiretap --chunk 1 一个字节一块，
//! 正好 1024 字节的一行，2000 字节的一行，半行就关闭，还有一行没有换行的 64 MiB——
//! 服务器要在读的时候就截住它，内存不能跟着涨（Linux 上从 /proc 量它的峰值）。

use std::net::SocketAddr;

use common::{IO_TIMEOUT, show_bytes};

use super::learner::{ALREADY, Ctx, Learner};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers::{self, Conn, Ending};
use super::step::{PORT, RELAY_PORT, Repeat};
use super::wire::Side;

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动：第一行打印 等待客户端连接... 和监听的地址",
        wait: None,
        run: starts,
    },
    Check {
        what: "几条消息在一次 write 里到达（“第一条\\n第二条\\n…”）：打印成几条，回复几次",
        wait: None,
        run: messages_in_one_write,
    },
    Check {
        what: "消息一个字节一个字节地到达（wiretap --chunk 1 --delay 100）：等到换行符才算一条，汉字不被切开",
        wait: None,
        run: one_byte_at_a_time,
    },
    Check {
        what: "正好 1024 字节的一行（上限就是 1024）：照样是一条消息，打印、回复",
        wait: None,
        run: the_longest_line_is_fine,
    },
    Check {
        what: "一行超过上限 1024 字节（长度由种子决定），再一行 1025 字节：都不回复，记一行，断开这个连接，接着服务下一个",
        wait: None,
        run: refuses_an_oversized_line,
    },
    Check {
        what: "半行之后连接就关闭了（最后没有换行符）：半行不算一条消息，不打印、不回复；半行之后连接被重置：记一行，接着服务下一个",
        wait: None,
        run: half_a_line_is_no_message,
    },
    Check {
        what: "一行 64 MiB 还没有换行：读到上限就断开，不把它读进内存（Linux 上内存峰值最多涨 16 MiB）",
        wait: None,
        run: a_huge_line_is_cut_off_while_reading,
    },
];

pub const READ_IS_MESSAGE: Mistake = Mistake {
    id: "ex7.read-is-message",
    name: "把一次 read 当成了一条消息",
    tip: "一次 read 拿到的可能是几条消息连在一起，也可能是半条：按换行符切开。BufReader 的 read_until(b'\\n', &mut line) 正好读到换行符为止，多读的字节留在它的缓冲区里，下次再交给你",
};

pub const ONE_MESSAGE_ONLY: Mistake = Mistake {
    id: "ex7.one-message-only",
    name: "一条连接只处理了一条消息",
    tip: "一条连接上可以有很多条消息：receive_line 每次只读一行，converse 的 while let 循环会一直调用它，直到它返回 None（连接关闭）。不要在读完一行之后就返回 None",
};

pub const KEEPS_NEWLINE: Mistake = Mistake {
    id: "ex7.keeps-newline",
    name: "返回的消息还带着换行符",
    tip: "read_until 把换行符也放进了 line：返回之前 line.pop() 去掉最后的 '\\n'",
};

pub const NO_LIMIT: Mistake = Mistake {
    id: "ex7.no-limit",
    name: "没有一行 1024 字节的上限",
    tip: "reader.by_ref().take(MOST_BYTES as u64 + 1).read_until(b'\\n', &mut line)：读满了还没看到换行符，就返回 io::Error::new(ErrorKind::InvalidData, \"一行超过 1024 字节\")",
};

pub const OFF_BY_ONE: Mistake = Mistake {
    id: "ex7.off-by-one",
    name: "上限差了一个字节",
    tip: "上限是 1024 字节（不算换行符）：take 要 MOST_BYTES + 1（算上换行符），读满 MOST_BYTES + 1 个字节还没有换行符才算超长。正好 1024 字节的一行是合法的",
};

pub const LIMIT_AFTER_READ: Mistake = Mistake {
    id: "ex7.limit-after-read",
    name: "整行读完了才检查长度",
    tip: "先读完整行再看它长不长，对方一行不发换行符就能让服务器的内存一直涨。要在读的时候就限制：reader.by_ref().take(MOST_BYTES as u64 + 1).read_until(…)，最多读这么多",
};

pub const HALF_LINE_COUNTED: Mistake = Mistake {
    id: "ex7.half-line-counted",
    name: "把关闭前的半行当成了一条消息",
    tip: "read_until 读到连接关闭时，line 的最后不是 '\\n'：这是半行，对方没有发完。返回一个错误（例如 UnexpectedEof “连接在一行的中间关闭了”），不要把它当成消息",
};

pub const DIES_ON_LONG_LINE: Mistake = Mistake {
    id: "ex7.dies-on-long-line",
    name: "一行太长，整个服务器就结束了",
    tip: "超长的一行只关于这一个客户端：receive_line 返回一个 io::Error，converse 把它返回给 handle_connection，那里记一行，接着服务下一个。不要 unwrap、panic!，也不要让错误一路返回到 main",
};

pub const NO_LOG: Mistake = Mistake {
    id: "ex7.no-log",
    name: "断开超长的一行时没有记一行",
    tip: "receive_line 返回错误就行：handle_connection 会用 esay! 记一行“与客户端 … 通信时出错: …”。不要悄悄地返回 Ok(None)",
};

pub const EMPTY_LINE: Mistake = Mistake {
    id: "ex7.empty-line",
    name: "空行没有当成一条消息",
    tip: "只有换行符的一行也是一条消息（内容是空的）：read_until 读到了 1 个字节（那个 '\\n'），去掉它之后 line 是空的，照样返回 Some(line)。只有 read_until 返回 0（连接关闭了）才返回 None",
};

pub const DIES_ON_READ_ERROR: Mistake = Mistake {
    id: "ex7.dies-on-read-error",
    name: "一个客户端读出错，整个服务器就结束了",
    tip: "receive_line 里不要 unwrap / expect 读的结果：客户端重置了连接、超过了期限，read 都会返回错误，那只是这一个客户端的事。用 ? 把错误交上去，handle_connection 记一行，接着服务下一个",
};

pub const MISTAKES: &[&Mistake] = &[
    &READ_IS_MESSAGE,
    &ONE_MESSAGE_ONLY,
    &KEEPS_NEWLINE,
    &NO_LIMIT,
    &OFF_BY_ONE,
    &LIMIT_AFTER_READ,
    &HALF_LINE_COUNTED,
    &DIES_ON_LONG_LINE,
    &NO_LOG,
    &EMPTY_LINE,
    &DIES_ON_READ_ERROR,
];

/// What the server replies to each message.
const REPLY: &str = "数据已收到\n";

/// The longest line the exercise takes (its `MOST_BYTES`).
const MOST_BYTES: usize = 1024;

/// The huge line: far past the limit, and far past what the socket buffers
/// on both sides can hold (a few MiB), so a server that stops reading at the
/// limit is seen to: our writes fail long before the end.
const HUGE: usize = 64 << 20;

/// A server that cut the huge line off let us write at most the limit plus
/// what the two sockets' buffers took: well under half of it.
const WRITTEN_AT_MOST: usize = HUGE / 2;

/// How much the server's peak memory may grow while the huge line comes:
/// its buffers and a line of 1025 bytes need a few KiB; 16 MiB is far
/// above that and far below the 64 MiB a server that reads it all needs.
const MEMORY_GROWTH: u64 = 16 << 20;

fn starts(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat {
        command: format!(
            "cargo run -p exercises --bin {} -- 127.0.0.1:0",
            ctx.label()
        ),
        before: Vec::new(),
    });
    Learner::server(ctx, &[])?;
    Ok(Outcome::Passed)
}

/// `peer lines` options that send `messages`.
fn lines_args(messages: &[String]) -> String {
    messages
        .iter()
        .map(|m| format!("--line {m}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn messages_in_one_write(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let count = rng.between(2, 4);
    // First an empty line: a message too, with nothing in it.
    let messages: Vec<String> = std::iter::once(String::new())
        .chain((0..count).map(|_| rng.word()))
        .collect();
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!(
            "cargo run -p peer -- lines 127.0.0.1:{PORT} --blank {}",
            lines_args(&messages[1..])
        ),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    converse(ctx, &mut server, target(&addr)?, &messages, None)?;
    server.alive("一条连接上的几条消息")?;
    Ok(Outcome::Passed)
}

fn one_byte_at_a_time(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // Two short lines, a byte every 100 ms: about 1.5 s in all, inside the
    // server's 5 s, and slow enough that a server which takes what has
    // arrived as a line sees pieces even on a busy machine.
    let messages: Vec<String> = (0..2)
        .map(|_| {
            format!(
                "{}{}",
                rng.pick(&['你', '好', '数']),
                rng.pick(&['据', '网', 'x'])
            )
        })
        .collect();
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!(
            "cargo run -p peer -- lines 127.0.0.1:{RELAY_PORT} {}（先在另一个终端运行 cargo run -p wiretap -- 127.0.0.1:{RELAY_PORT} 127.0.0.1:{PORT} --chunk 1 --delay 100）",
            lines_args(&messages)
        ),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wiretap = peers::server(
        "wiretap",
        &["127.0.0.1:0", &addr, "--chunk", "1", "--delay", "100"],
        None,
    )?;
    converse(ctx, &mut server, wiretap.addr, &messages, None).map_err(|stop| {
        stop.advice("一次 read 可能只拿到一个字节，连一个汉字都不完整：要攒到换行符才算一条消息")
    })?;
    server.alive("一个字节一个字节地到达的消息")?;
    Ok(Outcome::Passed)
}

fn the_longest_line_is_fine(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // Exactly 1024 bytes: three-byte characters, then ASCII to fill up.
    let wide = rng.between(0, 300);
    let mut line: String = (0..wide).map(|_| *rng.pick(&['好', '数', '据'])).collect();
    line.push_str(&"x".repeat(MOST_BYTES - line.len()));
    let shown_in_command = format!("--line x --times {MOST_BYTES}");
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- lines 127.0.0.1:{PORT} {shown_in_command}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    converse(ctx, &mut server, target(&addr)?, &[line], Some(&OFF_BY_ONE))?;
    server.alive("正好 1024 字节的一行")?;
    Ok(Outcome::Passed)
}

fn refuses_an_oversized_line(ctx: &Ctx) -> Checked {
    let size = ctx.rng().between(MOST_BYTES + 2, 4000);
    let (mut server, addr) = Learner::server(ctx, &[])?;
    // A line far over the limit, then one just over it (1025 bytes): a
    // limit one byte too high lets the second through.
    refuses_a_line(ctx, &mut server, &addr, size, &NO_LIMIT)?;
    refuses_a_line(ctx, &mut server, &addr, MOST_BYTES + 1, &OFF_BY_ONE)?;
    Ok(Outcome::Passed)
}

/// One connection sends a line of `size` bytes: the server must not reply,
/// must log a line, close, and serve the next client. A reply is `replied`.
fn refuses_a_line(
    ctx: &Ctx,
    server: &mut Learner,
    addr: &str,
    size: usize,
    replied: &'static Mistake,
) -> Result<(), Stop> {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- lines 127.0.0.1:{PORT} --line x --times {size}"),
    ));
    let wire = ctx.wire();
    let long = format!("{}\n", "x".repeat(size));
    let expected = format!("一行 {size} 字节（上限 {MOST_BYTES}）：不回复这一行，断开这个连接");
    let logged_before = server.stderr().len();
    let (conn, received) = peers::talk(server, target(addr)?, long.as_bytes(), &wire, &expected)?;
    wire.mark_expected(Some(conn.id), Side::Server, b"");
    if received.count > 0 {
        let stop = failed(
            expected,
            format!(
                "服务器回复了“{}”",
                show_bytes(&received.bytes).trim_end_matches("\\n")
            ),
        );
        return Err(stop.mistake(replied));
    }
    let logged = {
        let server: &Learner = server;
        server.logged(|_| server.stderr().len() > logged_before, ALREADY)?
    };
    if server.ended() {
        let seen = server.blame(String::new())?;
        return Err(failed("断开这个连接，接着服务下一个", seen).mistake(&DIES_ON_LONG_LINE));
    }
    if logged.is_none() {
        return Err(failed(
            format!("用 esay! 记一行，例如 与客户端 127.0.0.1:端口 通信时出错: 一行超过 {MOST_BYTES} 字节……"),
            format!("{} 什么也没有记", ctx.label()),
        )
        .mistake(&NO_LOG));
    }
    converse(
        ctx,
        server,
        target(addr)?,
        &["下一位同学的消息".to_string()],
        None,
    )
    .map_err(|s| s.or_mistake(&DIES_ON_LONG_LINE))
}

fn half_a_line_is_no_message(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let whole = rng.word();
    let half = rng.word();
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- lines 127.0.0.1:{PORT} --line {whole} --unfinished {half}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Server, REPLY.as_bytes());
    let bytes = format!("{whole}\n{half}");
    let expected = format!("回复一次（只为“{whole}”），半行“{half}”不打印、不回复");
    let (_, received) = peers::talk(
        &mut server,
        target(&addr)?,
        bytes.as_bytes(),
        &wire,
        &expected,
    )?;
    server.printed(
        &format!("的消息: {whole}"),
        &format!("收到来自 127.0.0.1:端口 的消息: {whole}"),
    )?;
    // The server serves one connection after the other: once it has
    // printed the next client's message, whatever it printed about the
    // half line is printed too.
    let next = format!("下一位同学的消息{}", rng.word());
    let (_, _) = peers::talk(
        &mut server,
        target(&addr)?,
        format!("{next}\n").as_bytes(),
        &wire,
        &expected,
    )?;
    server.printed(
        &format!("的消息: {next}"),
        &format!("收到来自 127.0.0.1:端口 的消息: {next}"),
    )?;
    let half_printed = server
        .stdout()
        .iter()
        .any(|line| line.ends_with(&format!("的消息: {half}")));
    if half_printed || received.bytes != REPLY.as_bytes() {
        let seen = if half_printed {
            format!("{} 把半行“{half}”也打印成了一条消息", ctx.label())
        } else {
            format!("收到的回复是“{}”", show_bytes(&received.bytes))
        };
        return Err(failed(expected, seen).mistake(&HALF_LINE_COUNTED));
    }
    server.alive("半行之后关闭的连接")?;
    a_reset_after_half_a_line(ctx, &mut server, &addr, &half)
}

/// A client sends half a line and resets the connection: the server's
/// read fails, which is that client's error only.
fn a_reset_after_half_a_line(ctx: &Ctx, server: &mut Learner, addr: &str, half: &str) -> Checked {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- reset 127.0.0.1:{PORT}（它连上就重置连接；然后再用 cargo run -p peer -- lines 127.0.0.1:{PORT} 看服务器还在不在）"),
    ));
    let wire = ctx.wire();
    let mut conn = Conn::open(target(addr)?, &wire)
        .map_err(|e| server.failed_talk("连上服务器，发半行，然后重置连接", &e))?;
    conn.send(half.as_bytes())?;
    super::taps::reset(&conn.stream);
    wire.reset(conn.id, Side::Client);
    drop(conn);
    let next = format!("重置之后的消息{half}");
    if let Err(stop) = converse(ctx, server, target(addr)?, &[next], None) {
        return Err(if server.ended() {
            let stop = match stop {
                Stop::Failed(mut f) => {
                    f.expected =
                        format!("一个客户端发了半行“{half}”就重置了连接：记一行，接着服务下一个");
                    Stop::Failed(f)
                }
                other => other,
            };
            stop.mistake(&DIES_ON_READ_ERROR)
        } else {
            stop
        });
    }
    server.alive("一个客户端重置了连接")?;
    Ok(Outcome::Passed)
}

fn a_huge_line_is_cut_off_while_reading(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- send 127.0.0.1:{PORT} x --times 16000000"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let before = peak_memory(&server);
    let wire = ctx.wire();
    let expected = format!(
        "读到 {} 字节还没有换行符，就断开这个连接：64 MiB 里只有一小部分被读走",
        MOST_BYTES + 1
    );
    let mut conn =
        Conn::open(target(&addr)?, &wire).map_err(|e| server.failed_talk(&expected, &e))?;
    let written = write_until_refused(&mut conn, HUGE);
    let after = peak_memory(&server);
    if server.ended() {
        let seen = server.blame(String::new())?;
        return Err(failed(expected, seen).mistake(&DIES_ON_LONG_LINE));
    }
    if let (Some(before), Some(after)) = (before, after)
        && after.saturating_sub(before) > MEMORY_GROWTH
    {
        return Err(failed(
            format!("{expected}；内存峰值最多涨 {} MiB", MEMORY_GROWTH >> 20),
            format!(
                "{} 的内存峰值从 {} MiB 涨到了 {} MiB：它把这一行读进了内存",
                ctx.label(),
                before >> 20,
                after >> 20
            ),
        )
        .mistake(&LIMIT_AFTER_READ));
    }
    if written > WRITTEN_AT_MOST {
        return Err(failed(
            expected,
            format!(
                "服务器读走了 {} MiB 还没有断开（一共发了 {} MiB）：它把这一行读完了才检查长度",
                written >> 20,
                HUGE >> 20
            ),
        )
        .mistake(&LIMIT_AFTER_READ));
    }
    drop(conn);
    converse(
        ctx,
        &mut server,
        target(&addr)?,
        &["下一位同学的消息".to_string()],
        None,
    )
    .map_err(|s| s.or_mistake(&DIES_ON_LONG_LINE))?;
    if before.is_none() || after.is_none() {
        return Ok(Outcome::PassedBut(
            "这台电脑上量不了内存的峰值（只有 Linux 的 /proc 给得出），只检查了它及时断开了连接"
                .into(),
        ));
    }
    Ok(Outcome::Passed)
}

/// Writes up to `total` bytes of `x` (no line break); how many were taken
/// before the server closed the connection (or its deadline passed).
fn write_until_refused(conn: &mut Conn, total: usize) -> usize {
    let chunk = vec![b'x'; 256 * 1024];
    let mut written = 0;
    let _ = conn
        .stream
        .set_write_timeout(Some(IO_TIMEOUT + std::time::Duration::from_secs(1)));
    while written < total {
        if process_runner::is_cancelled() {
            break;
        }
        let size = chunk.len().min(total - written);
        match std::io::Write::write(&mut conn.stream, &chunk[..size]) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                // The wire keeps only the first bytes of it; the count is all.
                conn.sent(&chunk[..n]);
                written += n;
            }
        }
    }
    written
}

/// The server's peak resident memory in bytes (Linux: VmHWM in
/// /proc/PID/status); `None` elsewhere, where only the cut-off is checked.
fn peak_memory(server: &Learner) -> Option<u64> {
    let pid = server.id()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn target(addr: &str) -> Result<SocketAddr, Stop> {
    Ok(addr.parse().map_err(anyhow::Error::from)?)
}

/// Sends `messages` as lines in one write, then ends our side: the server
/// must reply once per message, print each, and close.
fn converse(
    ctx: &Ctx,
    server: &mut Learner,
    to: SocketAddr,
    messages: &[String],
    mistake: Option<&'static Mistake>,
) -> Result<(), Stop> {
    let wire = ctx.wire();
    let expected_reply = REPLY.repeat(messages.len());
    wire.mark_expected(None, Side::Server, expected_reply.as_bytes());
    let bytes: String = messages.iter().map(|m| format!("{m}\n")).collect();
    let expected = if messages.iter().any(String::is_empty) {
        format!(
            "收到 {} 个“数据已收到\\n”（空行也是一条消息），然后连接关闭",
            messages.len()
        )
    } else {
        format!("收到 {} 个“数据已收到\\n”，然后连接关闭", messages.len())
    };
    let (_, received) = peers::talk(server, to, bytes.as_bytes(), &wire, &expected)?;
    if received.bytes != expected_reply.as_bytes() || received.ending == Ending::TimedOut {
        let how = match received.ending {
            Ending::Closed => "然后关闭了连接",
            Ending::Reset => "然后重置了连接",
            Ending::TimedOut => "然后就不动了",
        };
        let got = show_bytes(&received.bytes);
        let seen = if got.is_empty() {
            format!("什么也没有收到，{how}")
        } else {
            format!("收到的是“{got}”，{how}")
        };
        let stop = failed(expected, server.blame(seen)?);
        // As many replies as there were messages before the empty line:
        // the empty line ended the conversation (or was skipped, one short).
        let before_empty = messages.iter().position(String::is_empty);
        let stopped_at_empty = before_empty.is_some_and(|at| {
            received.bytes == REPLY.repeat(at).as_bytes()
                || received.bytes == REPLY.repeat(messages.len() - 1).as_bytes()
        });
        let stop = match mistake {
            Some(mistake) => stop.mistake(mistake),
            None if server.ended() => stop,
            None if stopped_at_empty => stop.mistake(&EMPTY_LINE),
            None => {
                // Only the first message, whole: the connection ended after it.
                let first = format!("的消息: {}", show_bytes(messages[0].as_bytes()));
                let only_first = messages.len() > 1
                    && received.bytes == REPLY.as_bytes()
                    && server.stdout().iter().any(|l| l.ends_with(&first));
                if only_first {
                    stop.mistake(&ONE_MESSAGE_ONLY)
                } else {
                    stop.mistake(&READ_IS_MESSAGE)
                }
            }
        };
        return Err(stop);
    }
    for message in messages {
        let want = format!("的消息: {}", show_bytes(message.as_bytes()));
        let line = server.printed(
            "收到来自",
            &format!(
                "收到来自 127.0.0.1:端口 的消息: {}",
                super::learner::shorten(message)
            ),
        )?;
        if !line.ends_with(&want) {
            let stop = failed(
                format!(
                    "{} 打印 收到来自 127.0.0.1:端口 的消息: {}",
                    ctx.label(),
                    super::learner::shorten(message)
                ),
                format!(
                    "{} 打印的是 {}",
                    ctx.label(),
                    super::learner::shorten(&line)
                ),
            );
            let kept_newline = line.ends_with(&format!("{want}\\n"));
            return Err(match (kept_newline, mistake) {
                (true, _) => stop.mistake(&KEEPS_NEWLINE),
                (false, Some(mistake)) => stop.mistake(mistake),
                (false, None) => stop.mistake(&READ_IS_MESSAGE),
            });
        }
    }
    Ok(())
}
