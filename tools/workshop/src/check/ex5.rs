//! 练习 5 的检查：线程数有上限的服务器。--threads 的值由种子决定（而且不是默认的 4）；
//! 一群 tcp-client 同时来；一个一言不发的连接不耽误别人；--threads 个一言不发的连接占满线程时，
//! 再来的客户端要等，而这几个连接是同时被服务的（同时被断开）。一言不发的连接和后来的客户端是
//! 检查自己的 Socket：这样能看清事情发生的先后。

use std::time::{Duration, Instant};

use common::{IO_TIMEOUT, TCP_REPLY};
use process_runner::{Running, poll_until};

use super::learner::{Ctx, Learner, PATIENCE};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers::{self, Conn, Ending};
use super::step::{PORT, Repeat};
use super::wire::Side;

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动（--threads N，N 由种子决定）：第一行打印 等待客户端连接... 和监听的地址",
        wait: None,
        run: starts,
    },
    Check {
        what: "一群 tcp-client 同时来：个个都收到“数据已收到”，服务器为每一个打印一行“收到来自 …”",
        wait: None,
        run: serves_a_crowd,
    },
    Check {
        what: "一个连接一言不发，占着一个线程：别的客户端照样马上得到回复",
        wait: None,
        run: a_silent_client_holds_up_nobody,
    },
    Check {
        what: "同时服务的客户端正好是 --threads 个（一小一大两个 N 各试一次）：N 个一言不发的连接占满线程时，下一个客户端要等，N 个连接同时被断开",
        wait: Some("（这一项要等服务器的 5 秒期限，两次）"),
        run: exactly_the_pool,
    },
];

pub const ONE_AT_A_TIME: Mistake = Mistake {
    id: "ex5.one-at-a-time",
    name: "一次只服务一个客户端",
    tip: "要么连接还在接受连接的循环里服务，要么取客户端时拿着的锁一直没放开：while let Ok(c) = clients.lock().unwrap().recv() 的锁要到循环体结束才放开。写成 let next = clients.lock()….recv();，这一句结束锁就放开了，再 handle_connection",
};

pub const TOO_MANY: Mistake = Mistake {
    id: "ex5.too-many",
    name: "同时服务的比 --threads 多",
    tip: "线程数要用 --threads 给的 threads（不是写死的 4），只在启动时开 threads 个，之后不再开新的：每个连接放进通道，由空闲的线程取走",
};

pub const TOO_FEW: Mistake = Mistake {
    id: "ex5.too-few",
    name: "同时服务的比 --threads 少",
    tip: "for _ in 0..threads 正好开 threads 个工作线程（不是 0..threads - 1，也不是写死的 4）：--threads 6 就要能同时服务 6 个客户端",
};

pub const WORKER_QUITS: Mistake = Mistake {
    id: "ex5.worker-quits",
    name: "工作线程服务一个客户端就结束了",
    tip: "每个工作线程是一个 loop：取一个客户端、服务它、再取下一个；只有 recv() 返回错误（发送端没了）时才 return",
};

pub const MISTAKES: &[&Mistake] = &[&ONE_AT_A_TIME, &TOO_MANY, &TOO_FEW, &WORKER_QUITS];

/// The pool size for this step: from the seed, never the default 4, so a
/// pool that ignores `--threads` is seen.
fn threads(ctx: &Ctx) -> usize {
    *ctx.rng().pick(&[2, 3, 5, 6])
}

fn start(ctx: &Ctx, threads: usize) -> Result<(Learner, String), Stop> {
    Learner::server(ctx, &["--threads", &threads.to_string()])
}

fn starts(ctx: &Ctx) -> Checked {
    let n = threads(ctx);
    ctx.repeat(Repeat {
        command: format!(
            "cargo run -p exercises --bin {} -- 127.0.0.1:0 --threads {n}",
            ctx.label()
        ),
        before: Vec::new(),
    });
    start(ctx, n)?;
    Ok(Outcome::Passed)
}

fn serves_a_crowd(ctx: &Ctx) -> Checked {
    let n = threads(ctx);
    let clients = ctx.rng().between(12, 24);
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        &format!(" --threads {n}"),
        format!("cargo run -p tcp-client -- 127.0.0.1:{PORT} 第1位同学的消息"),
    ));
    let (mut server, addr) = start(ctx, n)?;
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Server, TCP_REPLY.as_bytes());
    let tap = super::ex1::tap_to(&addr, &wire)?;
    let tap_addr = tap.addr.to_string();
    let started = (1..=clients)
        .map(|k| {
            let message = format!("第{k}位同学的消息");
            Ok((k, peers::start("tcp-client", &[&tap_addr, &message])?))
        })
        .collect::<Result<Vec<(usize, Running)>, Stop>>()?;
    // They run at the same time, and each ends by its own 10-second limit.
    let mut served = 0;
    let mut failure = None;
    for (k, client) in started {
        let finished = client.wait(PATIENCE)?;
        if finished.status.success()
            && peers::last_line(&finished) == format!("收到服务器的响应: {TCP_REPLY}")
        {
            served += 1;
        } else if failure.is_none() {
            failure = Some(peers::said(&format!("第 {k} 个 tcp-client"), &finished));
        }
    }
    drop(tap);
    if let Some(seen) = failure {
        let seen = server.blame(format!("{clients} 个里只有 {served} 个收到了回复；{seen}"))?;
        let stop = failed(
            format!("{clients} 个 tcp-client 都收到 收到服务器的响应: {TCP_REPLY}"),
            seen,
        );
        return Err(if served == n {
            stop.mistake(&WORKER_QUITS)
        } else {
            stop
        });
    }
    let messages: Vec<String> = (1..=clients)
        .map(|k| format!("的数据: 第{k}位同学的消息"))
        .collect();
    server.printed_all(
        &messages,
        &format!("{clients} 行 收到来自 127.0.0.1:端口 的数据: 第k位同学的消息（顺序不限）"),
    )?;
    server.alive("同时服务一群客户端")?;
    Ok(Outcome::Passed)
}

fn a_silent_client_holds_up_nobody(ctx: &Ctx) -> Checked {
    let n = threads(ctx);
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        &format!(" --threads {n}"),
        format!("cargo run -p peer -- send 127.0.0.1:{PORT}（先在另一个终端运行 cargo run -p peer -- silent 127.0.0.1:{PORT}）"),
    ));
    let (mut server, addr) = start(ctx, n)?;
    let wire = ctx.wire();
    let target = addr.parse().map_err(anyhow::Error::from)?;
    let silent = Conn::open(target, &wire)
        .map_err(|e| server.failed_talk("一言不发的连接连上服务器", &e))?;
    let reply = ask(&mut server, &addr, &wire)?;
    // The server drops a silent client after its 5 seconds; had it served
    // us only after that, the silent one would be closed by now.
    if silent.is_closed() {
        return Err(failed(
            "一言不发的连接还开着（它要占一个线程 5 秒），别的客户端已经得到了回复",
            format!(
                "回复“{}”来得太晚：服务器先等那个一言不发的连接等满了 {} 秒、断开了它，才服务下一个。它一次只服务一个客户端",
                String::from_utf8_lossy(&reply),
                IO_TIMEOUT.as_secs()
            ),
        )
        .mistake(&ONE_AT_A_TIME));
    }
    drop(silent);
    server.alive("一个一言不发的连接和一个客户端")?;
    Ok(Outcome::Passed)
}

/// By when every silent connection must have been closed, counted from
/// when they were opened: one a worker took at once is closed 5 s after it
/// was taken; one that had to wait for a worker is closed no sooner than
/// 10 s after it was opened (5 s waiting, 5 s served). Half way between:
/// a busy machine only makes us see a close later, never sooner, so a pool
/// with too few workers cannot pass, and a right one fails only if we see
/// its closes 2.5 s late.
const ALL_CLOSED_WITHIN: Duration = Duration::from_millis(IO_TIMEOUT.as_millis() as u64 * 3 / 2);

/// Two pool sizes, one of {2, 3} and one of {5, 6}, in the seed's order:
/// a pool capped at four, or of at least four, is right for one of them
/// only, so it fails under every seed, not under half of them.
fn exactly_the_pool(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let small = *rng.pick(&[2, 3]);
    let large = *rng.pick(&[5, 6]);
    let sizes = if rng.between(0, 1) == 0 {
        [small, large]
    } else {
        [large, small]
    };
    for n in sizes {
        fills_the_pool(ctx, n)?;
    }
    Ok(Outcome::Passed)
}

/// `--threads n`: n silent connections fill the pool, the next client
/// waits for one of them to be dropped, and all n are dropped together.
fn fills_the_pool(ctx: &Ctx, n: usize) -> Result<(), Stop> {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        &format!(" --threads {n}"),
        format!(
            "cargo run -p peer -- send 127.0.0.1:{PORT}（先在 {n} 个终端里各运行一次 cargo run -p peer -- silent 127.0.0.1:{PORT}）"
        ),
    ));
    let (mut server, addr) = start(ctx, n)?;
    let wire = ctx.wire();
    let target = addr.parse().map_err(anyhow::Error::from)?;
    let opened = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..n {
        let conn = Conn::open(target, &wire)
            .map_err(|e| server.failed_talk("一言不发的连接连上服务器", &e))?;
        silent.push(conn);
    }
    // Each of the n holds a worker; the next client can only be served
    // once the server drops one of them (its 5-second limit).
    ask(&mut server, &addr, &wire)?;
    let open_then = silent.iter().filter(|c| !c.is_closed()).count();
    if open_then == n {
        return Err(failed(
            format!(
                "--threads {n}：{n} 个一言不发的连接占满了线程，下一个客户端要等其中一个被断开（{} 秒后）才得到回复",
                IO_TIMEOUT.as_secs()
            ),
            format!(
                "下一个客户端马上就得到了回复，而 {n} 个一言不发的连接都还开着：服务器同时服务了 {} 个客户端，比 --threads {n} 多",
                n + 1
            ),
        )
        .mistake(&TOO_MANY));
    }
    // All n were taken at once, so all n are closed within their 5 s, and
    // the next client is answered right after. Seen only now, a close says
    // nothing of when it happened: with one worker for two silent
    // connections the reply comes after both were served, one after the
    // other (10 s), and by then both are closed. So the reply's own time
    // is held to the same bound.
    let by = opened + ALL_CLOSED_WITHIN;
    let answered_after = opened.elapsed();
    if answered_after > ALL_CLOSED_WITHIN {
        return Err(failed(
            format!(
                "--threads {n}：{n} 个一言不发的连接同时被服务，{} 秒的期限一到就一起被断开，下一个客户端随即得到回复",
                IO_TIMEOUT.as_secs()
            ),
            format!(
                "下一个客户端过了 {:.1} 秒才得到回复（应在 {} 秒内）：一言不发的连接在排队，一个接一个被服务。同时服务的比 {n} 个少",
                answered_after.as_secs_f64(),
                ALL_CLOSED_WITHIN.as_secs_f64()
            ),
        )
        .mistake(&TOO_FEW));
    }
    let all_closed = poll_until(Some(by), || {
        Ok(silent.iter().all(Conn::is_closed).then_some(()))
    })?;
    if all_closed.is_none() {
        let open = silent.iter().filter(|c| !c.is_closed()).count();
        return Err(failed(
            format!(
                "--threads {n}：{n} 个一言不发的连接同时被服务，{} 秒的期限一到就一起被断开",
                IO_TIMEOUT.as_secs()
            ),
            format!(
                "{} 秒过去了，{n} 个里还有 {open} 个没有被断开：它们在排队，等别的连接断开之后才轮到。同时服务的比 {n} 个少",
                ALL_CLOSED_WITHIN.as_secs()
            ),
        )
        .mistake(&TOO_FEW));
    }
    server.alive("服务了占满线程之后的下一个客户端")?;
    Ok(())
}

/// The checker's own client: sends a message, reads the reply to the end;
/// the reply.
fn ask(
    server: &mut Learner,
    addr: &str,
    wire: &std::sync::Arc<super::wire::Wire>,
) -> Result<Vec<u8>, Stop> {
    let message = "检查程序的消息";
    let target = addr.parse().map_err(anyhow::Error::from)?;
    let expected = format!("收到“{TCP_REPLY}”，然后连接关闭");
    let (conn, received) = peers::talk(server, target, message.as_bytes(), wire, &expected)?;
    if received.bytes != TCP_REPLY.as_bytes() || received.ending == Ending::TimedOut {
        let seen = if received.ending == Ending::TimedOut {
            format!("{} 秒内没有收到回复", PATIENCE.as_secs())
        } else {
            format!(
                "收到的是“{}”（{:?}）",
                String::from_utf8_lossy(&received.bytes),
                received.ending
            )
        };
        wire.mark_expected(Some(conn.id), Side::Server, TCP_REPLY.as_bytes());
        return Err(failed(expected, server.blame(seen)?));
    }
    server.printed(
        &format!("的数据: {message}"),
        &format!("收到来自 127.0.0.1:端口 的数据: {message}"),
    )?;
    Ok(received.bytes)
}
