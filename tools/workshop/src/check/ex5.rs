//! 练习 5 的检查：线程数有上限的服务器。20 个 tcp-client 同时来；一个一言不发的连接
//! 不耽误别人；4 个一言不发的连接占满 4 个线程时，第 5 个要等。一言不发的连接和第 5 个客户端
//! 是检查自己的 Socket：这样能看清事情发生的先后。

use std::net::TcpStream;
use std::time::Duration;

use common::{IO_TIMEOUT, TCP_REPLY};
use process_runner::{Running, deadline, poll_until};

use super::learner::{Ctx, Learner, PATIENCE};
use super::outcome::{Check, Checked, Outcome, Stop, failed};
use super::peers::{self, Ending};

/// The pool size the checks start the server with.
const THREADS: usize = 4;
const THREADS_ARG: &str = "4";
/// How many clients come at once.
const CLIENTS: usize = 20;

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动（--threads 4）：第一行打印 等待客户端连接... 和监听的地址",
        wait: None,
        run: starts,
    },
    Check {
        what: "20 个 tcp-client 同时来：个个都收到“数据已收到”，服务器打印 20 行“收到来自 …”",
        wait: None,
        run: serves_twenty_at_once,
    },
    Check {
        what: "一个连接一言不发，占着一个线程：别的客户端照样马上得到回复",
        wait: None,
        run: a_silent_client_holds_up_nobody,
    },
    Check {
        what: "同时服务的客户端不超过 --threads 4：4 个一言不发的连接占满线程时，第 5 个要等其中一个被断开",
        wait: Some("（这一项要等服务器的 5 秒期限）"),
        run: never_more_than_the_pool,
    },
];

fn starts(ctx: &Ctx) -> Checked {
    Learner::server(ctx, &["--threads", THREADS_ARG])?;
    Ok(Outcome::Passed)
}

fn serves_twenty_at_once(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &["--threads", THREADS_ARG])?;
    let clients = (1..=CLIENTS)
        .map(|n| {
            let message = format!("第 {n} 位同学的消息");
            Ok((n, peers::start("tcp-client", &[&addr, &message])?))
        })
        .collect::<Result<Vec<(usize, Running)>, Stop>>()?;
    // They run at the same time, and each ends by its own 10-second limit.
    let mut served = 0;
    let mut failure = None;
    for (n, client) in clients {
        let finished = client.wait(PATIENCE)?;
        if finished.status.success()
            && peers::last_line(&finished) == format!("收到服务器的响应: {TCP_REPLY}")
        {
            served += 1;
        } else if failure.is_none() {
            failure = Some(peers::said(&format!("第 {n} 个 tcp-client"), &finished));
        }
    }
    if let Some(seen) = failure {
        let seen = server.blame(format!("{CLIENTS} 个里只有 {served} 个收到了回复；{seen}"))?;
        return Err(failed(
            format!("{CLIENTS} 个 tcp-client 都收到 收到服务器的响应: {TCP_REPLY}"),
            seen,
        ));
    }
    let messages: Vec<String> = (1..=CLIENTS)
        .map(|n| format!("的数据: 第 {n} 位同学的消息"))
        .collect();
    server.printed_all(
        &messages,
        "20 行 收到来自 127.0.0.1:端口 的数据: 第 n 位同学的消息（顺序不限）",
    )?;
    server.alive("同时服务 20 个客户端")?;
    Ok(Outcome::Passed)
}

fn a_silent_client_holds_up_nobody(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &["--threads", THREADS_ARG])?;
    let silent = peers::connect(&addr)?;
    let reply = ask(&mut server, &addr)?;
    // The server drops a silent client after its 5 seconds; had it served
    // us only after that, the silent one would be closed by now.
    if peers::is_closed(&silent) {
        return Err(failed(
            "一言不发的连接还开着（它要占一个线程 5 秒），别的客户端已经得到了回复",
            format!(
                "回复“{}”来得太晚：服务器先等那个一言不发的连接等满了 {} 秒、断开了它，才服务下一个。它一次只服务一个客户端",
                String::from_utf8_lossy(&reply),
                IO_TIMEOUT.as_secs()
            ),
        )
        .advice("每个连接要交给一个工作线程，接受连接的循环马上回去接受下一个"));
    }
    drop(silent);
    server.alive("一个一言不发的连接和一个客户端")?;
    Ok(Outcome::Passed)
}

fn never_more_than_the_pool(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &["--threads", THREADS_ARG])?;
    let silent = (0..THREADS)
        .map(|_| peers::connect(&addr))
        .collect::<Result<Vec<TcpStream>, Stop>>()?;
    // All four are accepted and each holds a worker; the fifth can only be
    // served once the server drops one of them (its 5-second limit).
    ask(&mut server, &addr)?;
    // The server closed that one before it served us; give its FIN the
    // moment a busy machine may take to be seen.
    let settled = deadline::after(Duration::from_secs(1));
    let freed = poll_until(settled, || {
        Ok(silent.iter().any(peers::is_closed).then_some(()))
    })?;
    if freed.is_none() {
        return Err(failed(
            format!(
                "第 5 个客户端等到 4 个一言不发的连接之一被断开（{} 秒后）才得到回复：只有 {THREADS} 个线程",
                IO_TIMEOUT.as_secs()
            ),
            "第 5 个客户端马上就得到了回复，而 4 个一言不发的连接都还开着：服务器同时服务了 5 个客户端，比 --threads 4 多",
        )
        .advice("只在启动时开 threads 个线程，之后不再开新的；每个连接放进通道，由空闲的线程取走"));
    }
    server.alive("服务了第 5 个客户端")?;
    Ok(Outcome::Passed)
}

/// The checker's own client: sends a message, reads the reply to the end.
fn ask(server: &mut Learner, addr: &str) -> Result<Vec<u8>, Stop> {
    let message = "检查程序的消息";
    let (reply, ending) = peers::send_and_read(addr, message.as_bytes())?;
    if reply != TCP_REPLY.as_bytes() || ending == Ending::TimedOut {
        let seen = if ending == Ending::TimedOut {
            format!("{} 秒内没有收到回复", PATIENCE.as_secs())
        } else {
            format!(
                "收到的是“{}”（{ending:?}）",
                String::from_utf8_lossy(&reply)
            )
        };
        return Err(failed(
            format!("收到“{TCP_REPLY}”，然后连接关闭"),
            server.blame(seen)?,
        ));
    }
    server.printed(
        &format!("的数据: {message}"),
        &format!("收到来自 127.0.0.1:端口 的数据: {message}"),
    )?;
    Ok(reply)
}
