//! 练习 4 的检查：不会被一个客户端弄倒的服务器。一个占着端口的自己、被切开的汉字、
//! 连上就重置的客户端、一言不发的客户端：每一次之后，它都要记一行清楚的中文，接着服务 tcp-client。

use std::net::SocketAddr;

use common::{IO_TIMEOUT, TCP_REPLY, show_bytes};

use super::ex1::{exchange, tap_to};
use super::learner::{ALREADY, Ctx, Learner, PATIENCE};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers;
use super::step::{PORT, Repeat};
use super::wire::Side;

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动：第一行打印 等待客户端连接... 和监听的地址：命令行要求的地址和端口",
        wait: None,
        run: starts,
    },
    Check {
        what: "tcp-client 来连（消息由种子决定）：它收到“数据已收到”",
        wait: None,
        run: serves_tcp_client,
    },
    Check {
        what: "TODO 1：端口已经被占用（第二个 ex4 绑定同一个地址）：一行“错误: 绑定地址时出错: 地址……”，以非零状态退出",
        wait: None,
        run: a_busy_port_is_one_clear_line,
    },
    Check {
        what: "TODO 2：一个汉字被 1024 字节的边界切开（peer send 汉字 --times N）：照样打印、回复，接着服务下一个",
        wait: None,
        run: survives_a_cut_character,
    },
    Check {
        what: "TODO 3：客户端连上就重置了连接（peer reset）：用中文记一行，接着服务下一个",
        wait: None,
        run: survives_a_reset,
    },
    Check {
        what: "TODO 4：客户端连上却一言不发（peer silent）：5 秒后断开它，用中文记一行，接着服务下一个",
        wait: Some("（这一项要等服务器的 5 秒期限）"),
        run: survives_a_silent_client,
    },
];

pub const WRONG_ADDRESS: Mistake = Mistake {
    id: "ex4.wrong-address",
    name: "监听的不是要求的地址",
    tip: "绑定命令行给的地址：TcpListener::bind(server_address)。换成 0.0.0.0（所有地址）会让别的电脑也能连上这个练习用的服务器；端口也要用给的（0 表示让系统挑）",
};

pub const RAW_BIND_ERROR: Mistake = Mistake {
    id: "ex4.raw-bind-error",
    name: "绑定失败时只有系统的原话",
    tip: "TODO 1：TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?：它说“绑定地址时出错”、说出地址、说怎么办",
};

pub const BIND_PANICS: Mistake = Mistake {
    id: "ex4.bind-panics",
    name: "绑定失败时 panic 了",
    tip: "TODO 1：端口被占用是学习者能改的错，不要 unwrap / expect：panic 只给出一段英文和退出码 101。TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))? 把它变成一行中文，以非零状态退出",
};

pub const BIND_ERROR_NO_ADDRESS: Mistake = Mistake {
    id: "ex4.bind-error-no-address",
    name: "绑定失败时没有说是哪个地址",
    tip: "学习者看到“绑定地址时出错”还要知道是哪个地址：errors::bind(&args.addr, &e) 把地址和原因都说出来",
};

pub const BIND_ERROR_EXIT_0: Mistake = Mistake {
    id: "ex4.bind-error-exit-0",
    name: "绑定失败了还以 0 退出",
    tip: "打印了错误就 return Ok(())，退出码是 0，脚本和老师都以为它成功了。用 ? 把错误返回给 main：errors::report 打印这一行，并以非零状态退出",
};

pub const EXITS_ON_BAD_UTF8: Mistake = Mistake {
    id: "ex4.exits-on-bad-utf8",
    name: "收到不合法的 UTF-8 就退出了",
    tip: "TODO 2：from_utf8 遇到被切开的汉字会出错，? 让整个服务器退出。改成 show_bytes(&data[..received])，它把不合法的字节显示成 �，不会出错",
};

pub const REFUSES_BAD_UTF8: Mistake = Mistake {
    id: "ex4.refuses-bad-utf8",
    name: "收到被切开的汉字就不回复了",
    tip: "1024 字节的边界常常切开一个汉字：这不是客户端的错，照样打印（show_bytes 把它显示成 �）、照样回复“数据已收到”",
};

pub const EXITS_ON_RESET: Mistake = Mistake {
    id: "ex4.exits-on-reset",
    name: "一个客户端出错，整个服务器就退出了",
    tip: "TODO 3：receive_and_reply(…)? 把一个客户端的错误一路返回到了 main。改成 if let Err(e) = … { esay!(\"与客户端 {client_address} 通信时出错: {}\", errors::peer(&e)); }，接着 accept 下一个",
};

pub const RAW_ERROR_LOG: Mistake = Mistake {
    id: "ex4.raw-error-log",
    name: "记下的是系统的英文原话",
    tip: "记一行给人看的中文：esay!(\"与客户端 {client_address} 通信时出错: {}\", errors::peer(&e))。errors::peer 把 io::Error 说成一句中文，不要直接打印 {e}",
};

pub const NO_LOG: Mistake = Mistake {
    id: "ex4.no-log",
    name: "出错的客户端没有记一行",
    tip: "断开一个出错的客户端时，用 esay! 记一行，说出是哪个客户端（client_address）、出了什么错（errors::peer(&e)）：老师看日志才知道发生了什么",
};

pub const NO_DEADLINE: Mistake = Mistake {
    id: "ex4.no-deadline",
    name: "没有期限，一个一言不发的客户端卡住了所有人",
    tip: "TODO 4：receive_and_reply 开头 let deadline = Deadline::after(IO_TIMEOUT);，在 read 和 write_all 之前各 deadline.apply(connection)?：5 秒到了 read 就返回一个错误（TODO 3 记下它）",
};

pub const EXITS_ON_TIMEOUT: Mistake = Mistake {
    id: "ex4.exits-on-timeout",
    name: "期限到了，整个服务器退出了",
    tip: "期限到了 read 返回的错误只关于这一个客户端：记一行，接着服务下一个（TODO 3），不要用 ? 把它返回到 main",
};

pub const HIDES_BAD_UTF8: Mistake = Mistake {
    id: "ex4.hides-bad-utf8",
    name: "被切开的汉字让整条消息没有打印出来",
    tip: "TODO 2：from_utf8 出错时，不要打印空的、或者什么也不打印：show_bytes(&data[..received]) 照样打印整条消息，只把切开的那个汉字显示成 �",
};

pub const MISTAKES: &[&Mistake] = &[
    &RAW_BIND_ERROR,
    &BIND_PANICS,
    &WRONG_ADDRESS,
    &BIND_ERROR_NO_ADDRESS,
    &BIND_ERROR_EXIT_0,
    &EXITS_ON_BAD_UTF8,
    &REFUSES_BAD_UTF8,
    &HIDES_BAD_UTF8,
    &EXITS_ON_RESET,
    &RAW_ERROR_LOG,
    &NO_LOG,
    &NO_DEADLINE,
    &EXITS_ON_TIMEOUT,
];

fn starts(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat {
        command: format!(
            "cargo run -p exercises --bin {} -- 127.0.0.1:0",
            ctx.label()
        ),
        before: Vec::new(),
    });
    let (_server, addr) = Learner::server(ctx, &[])?;
    let addr = addr.parse().map_err(anyhow::Error::from)?;
    super::ex1::listens_where_asked(ctx, addr, &WRONG_ADDRESS)?;
    super::ex1::listens_on_the_given_port(ctx, &WRONG_ADDRESS)?;
    Ok(Outcome::Passed)
}

fn serves_tcp_client(ctx: &Ctx) -> Checked {
    let message = ctx.rng().word();
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p tcp-client -- 127.0.0.1:{PORT} {message}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    exchange(ctx, &mut server, &addr, &message)?;
    Ok(Outcome::Passed)
}

fn a_busy_port_is_one_clear_line(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat {
        command: format!(
            "cargo run -p exercises --bin {} -- 127.0.0.1:{PORT}",
            ctx.label()
        ),
        before: vec![format!(
            "在两个终端里各运行一次：第二个会发现端口 {PORT} 已经被第一个占用了"
        )],
    });
    let (mut first, addr) = Learner::server(ctx, &[])?;
    let second = Learner::start_as(ctx, &[&addr], &format!("{}（第二个）", ctx.label()))?;
    let ran = second.finish(|| "绑定地址：地址已被占用，bind 会立刻返回错误".to_string())?;
    let errors: Vec<&String> = ran.stderr.iter().filter(|l| !l.trim().is_empty()).collect();
    let expected = format!(
        "第二个 ex4 只打印一行，例如 错误: 绑定地址时出错: {addr} 已被占用。……，然后以非零状态退出"
    );
    let one_line = match errors.as_slice() {
        [line] => Some(line.as_str()),
        _ => None,
    };
    let names_bind = one_line.is_some_and(|l| l.contains("绑定地址时出错"));
    let names_addr = one_line.is_some_and(|l| l.contains(&addr));
    let stop = || failed(expected.clone(), ran.describe());
    if ran.crashed() {
        return Err(stop().mistake(&BIND_PANICS));
    }
    if names_bind && ran.success {
        return Err(stop().mistake(&BIND_ERROR_EXIT_0));
    }
    if !names_bind && one_line.is_some() {
        return Err(stop().mistake(&RAW_BIND_ERROR));
    }
    if names_bind && !names_addr {
        return Err(stop().mistake(&BIND_ERROR_NO_ADDRESS));
    }
    let starts_right = one_line.is_some_and(|l| l.starts_with("错误: 绑定地址时出错"));
    if ran.success || !starts_right || !ran.stdout.is_empty() {
        return Err(stop().mistake(&RAW_BIND_ERROR).advice(
            "原文的 except 打印“绑定地址时出错”；还要说出是哪个地址，然后以非零状态退出。errors::bind(&args.addr, &e) 就是这样一句话",
        ));
    }
    first.alive("另一个程序试着占用同一个端口")?;
    Ok(Outcome::Passed)
}

fn survives_a_cut_character(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    // Three bytes each: byte 1024 (= 3 × 341 + 1) is the first byte of
    // the 342nd character, whichever character it is.
    let character = *rng.pick(&['好', '数', '据', '字', '节', '网', '络']);
    let times = rng.between(342, 500);
    let times_arg = times.to_string();
    let text = character.to_string();
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- send 127.0.0.1:{PORT} {character} --times {times}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wire = ctx.wire();
    wire.mark_expected(None, Side::Server, TCP_REPLY.as_bytes());
    let tap = tap_to(&addr, &wire)?;
    peers::client(
        "peer",
        &["send", &tap.addr.to_string(), &text, "--times", &times_arg],
    )?;
    drop(tap);
    let first = &text.repeat(times).into_bytes()[..common::BUFFER_SIZE];
    let shown = show_bytes(first);
    let expected = format!("收到来自 127.0.0.1:端口 的数据: {character}{character}……{character}�");
    let replied = wire.sent(1, Side::Server) == TCP_REPLY.as_bytes();
    if !replied {
        let said = match server.stderr().last() {
            Some(line) => format!("；{} 记下的是：{line}", ctx.label()),
            None => String::new(),
        };
        let seen = server.blame(format!(
            "peer send 没有收到“数据已收到”（收到 {} 字节）{said}",
            wire.sent_count(1, Side::Server)
        ))?;
        let mistake = if server.ended() {
            &EXITS_ON_BAD_UTF8
        } else {
            &REFUSES_BAD_UTF8
        };
        return Err(failed(
            format!("{} 打印 {expected}，回复“数据已收到”", ctx.label()),
            seen,
        )
        .mistake(mistake));
    }
    let line = server
        .printed(&format!("的数据: {character}{character}"), &expected)
        .map_err(|stop| stop.or_mistake(&HIDES_BAD_UTF8))?;
    if !line.ends_with(&shown) {
        let stop = failed(
            format!("{} 打印 {expected}", ctx.label()),
            format!("它打印的是 {}", super::learner::shorten(&line)),
        );
        // The start of the message is a short read; anything else lost it.
        let data = line.split_once("的数据: ").map_or("", |(_, d)| d);
        let cut_short = !data.is_empty() && shown.starts_with(data);
        return Err(if cut_short {
            stop
        } else {
            stop.mistake(&HIDES_BAD_UTF8)
        });
    }
    then_serves_the_next(
        ctx,
        &mut server,
        &addr,
        "收到一个被切开的汉字",
        &EXITS_ON_BAD_UTF8,
    )
}

fn survives_a_reset(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- reset 127.0.0.1:{PORT}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wire = ctx.wire();
    let tap = tap_to(&addr, &wire)?;
    peers::client("peer", &["reset", &tap.addr.to_string()])?;
    // peer has gone; its connection and its reset are still on their way
    // through the relay.
    tap.settle(1, ALREADY)?;
    let client = tap.outbound().first().copied();
    drop(tap);
    if let Some(client) = client {
        // Either it logs a line about this client, or it ends.
        let name = client.to_string();
        let settled = process_runner::poll_until(process_runner::deadline::after(ALREADY), || {
            let logged = server.stderr().iter().any(|l| l.contains(&name));
            Ok((logged || !server.is_running()).then_some(()))
        })?;
        if settled.is_some() && !server.is_running() {
            let seen = server.blame(String::new())?;
            return Err(failed(
                format!("一个客户端重置了连接之后，{} 还在运行", ctx.label()),
                seen,
            )
            .mistake(&EXITS_ON_RESET));
        }
        logged_about(ctx, &server, client, "重置了连接的客户端")?;
    }
    then_serves_the_next(
        ctx,
        &mut server,
        &addr,
        "一个客户端重置了连接",
        &EXITS_ON_RESET,
    )
}

fn survives_a_silent_client(ctx: &Ctx) -> Checked {
    ctx.repeat(Repeat::against_server(
        ctx.label(),
        "",
        format!("cargo run -p peer -- silent 127.0.0.1:{PORT}"),
    ));
    let (mut server, addr) = Learner::server(ctx, &[])?;
    let wire = ctx.wire();
    let tap = tap_to(&addr, &wire)?;
    // peer silent waits up to this long itself; the server must close it long before.
    let seconds = (IO_TIMEOUT + PATIENCE).as_secs().to_string();
    let silent = peers::start(
        "peer",
        &["silent", &tap.addr.to_string(), "--seconds", &seconds],
    )?;
    silent.line(process_runner::Stream::Stdout, "已连接到", PATIENCE)?;
    let silent_client = wait_for_outbound(&tap)?;
    // tcp-client gives up after its own 10 seconds: twice the server's 5.
    let result = exchange(ctx, &mut server, &addr, "下一位同学的消息");
    if let Err(stop) = result {
        if server.ended() {
            return Err(stop.mistake(&EXITS_ON_TIMEOUT));
        }
        return Err(stop.mistake(&NO_DEADLINE).advice(format!(
            "一言不发的客户端先连上，服务器的 read 就一直等它，后面的客户端都得排队。给整个对话一个 {} 秒的期限（Deadline::after(IO_TIMEOUT)，每次读写之前 apply）",
            IO_TIMEOUT.as_secs()
        )));
    }
    logged_about(ctx, &server, silent_client, "一言不发的客户端")?;
    server
        .alive("断开一个一言不发的客户端")
        .map_err(|s| s.or_mistake(&EXITS_ON_TIMEOUT))?;
    Ok(Outcome::Passed)
}

/// The relay's connection to the server for the silent client, once made.
fn wait_for_outbound(tap: &super::taps::TcpTap) -> Result<SocketAddr, Stop> {
    let found = process_runner::poll_until(process_runner::deadline::after(ALREADY), || {
        Ok(tap.outbound().first().copied())
    })?;
    found.ok_or_else(|| Stop::Broken(anyhow::anyhow!("peer silent 连上了，中继却没有连到服务器")))
}

/// The server logged a line about `client`: naming it, in Chinese (not
/// the system's English words).
fn logged_about(ctx: &Ctx, server: &Learner, client: SocketAddr, who: &str) -> Result<(), Stop> {
    let name = client.to_string();
    let expected = format!(
        "断开{who}时，用 esay! 记一行中文，例如 与客户端 {name} 通信时出错: 连接被对方重置（errors::peer 说的那种话）"
    );
    let line = server.logged(|line| line.contains(&name), ALREADY)?;
    let Some(line) = line else {
        let said = server.stderr();
        let seen = match said.last() {
            Some(last) => format!("{} 记下的最后一行没有说是哪个客户端：{last}", ctx.label()),
            None => format!("{} 什么也没有记", ctx.label()),
        };
        let english = said.last().is_some_and(|l| is_raw(l));
        return Err(failed(expected, seen).mistake(if english { &RAW_ERROR_LOG } else { &NO_LOG }));
    };
    if is_raw(&line) {
        return Err(
            failed(expected, format!("{} 记下的是：{line}", ctx.label())).mistake(&RAW_ERROR_LOG),
        );
    }
    Ok(())
}

/// A line with the system's own words in it: `Connection reset by peer
/// (os error 104)`, `Resource temporarily unavailable`, or no Chinese at all.
fn is_raw(line: &str) -> bool {
    let chinese = line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    line.contains("os error") || !chinese
}

/// After `what` happened to it, the server must still serve tcp-client.
fn then_serves_the_next(
    ctx: &Ctx,
    server: &mut Learner,
    addr: &str,
    what: &str,
    mistake: &'static Mistake,
) -> Checked {
    exchange(ctx, server, addr, "下一位同学的消息").map_err(|stop| {
        let stop = if server.ended() { stop.or_mistake(mistake) } else { stop };
        stop.advice(format!(
            "{what}之后，服务器还要接着服务别人：一个客户端出的错，用 esay! 记一行，continue，而不是用 ? 结束整个服务器"
        ))
    })?;
    server.alive(what).map_err(|s| s.or_mistake(mistake))?;
    Ok(Outcome::Passed)
}
