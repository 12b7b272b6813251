//! 练习 4 的检查：不会被一个客户端弄倒的服务器。一个占着端口的自己、被切开的汉字、
//! 连上就重置的客户端、一言不发的客户端：每一次之后，它都要接着服务 tcp-client。

use common::{IO_TIMEOUT, TCP_MESSAGE};

use super::ex1::exchange;
use super::learner::{ALREADY, Ctx, Learner, PATIENCE};
use super::outcome::{Check, Checked, Outcome, failed};
use super::peers;

pub const CHECKS: &[Check] = &[
    Check {
        what: "启动：第一行打印 等待客户端连接... 和监听的地址",
        wait: None,
        run: starts,
    },
    Check {
        what: "tcp-client 来连：它收到“数据已收到”",
        wait: None,
        run: serves_tcp_client,
    },
    Check {
        what: "TODO 1：端口已经被占用（第二个 ex4 绑定同一个地址）：一行“错误: 绑定地址时出错: 地址……”，以非零状态退出",
        wait: None,
        run: a_busy_port_is_one_clear_line,
    },
    Check {
        what: "TODO 2：一个汉字被 1024 字节的边界切开（peer send 好 --times 400）：照样打印、回复，接着服务下一个",
        wait: None,
        run: survives_a_cut_character,
    },
    Check {
        what: "TODO 3：客户端连上就重置了连接（peer reset）：记一行，接着服务下一个",
        wait: None,
        run: survives_a_reset,
    },
    Check {
        what: "TODO 4：客户端连上却一言不发（peer silent）：5 秒后断开它，接着服务下一个",
        wait: Some("（这一项要等服务器的 5 秒期限）"),
        run: survives_a_silent_client,
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

fn a_busy_port_is_one_clear_line(ctx: &Ctx) -> Checked {
    let (mut first, addr) = Learner::server(ctx, &[])?;
    let second = Learner::start(ctx, &[&addr])?;
    let ran = second.finish(|| "绑定地址：地址已被占用，bind 会立刻返回错误".to_string())?;
    let errors: Vec<&String> = ran.stderr.iter().filter(|l| !l.trim().is_empty()).collect();
    let clear = match errors.as_slice() {
        [line] => line.starts_with("错误: 绑定地址时出错") && line.contains(&addr),
        _ => false,
    };
    if ran.success || !clear || !ran.stdout.is_empty() {
        return Err(failed(
            format!("第二个 ex4 只打印一行，例如 错误: 绑定地址时出错: {addr} 已被占用。……，然后以非零状态退出"),
            ran.describe(),
        )
        .advice("原文的 except 打印“绑定地址时出错”；还要说出是哪个地址。errors::bind(&args.addr, &e) 就是这样一句话"));
    }
    first.alive("另一个程序试着占用同一个端口")?;
    Ok(Outcome::Passed)
}

fn survives_a_cut_character(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    // 1200 bytes; the 1024th is the first byte of the 342nd 好.
    peers::client("peer", &["send", &addr, "好", "--times", "400"])?;
    server
        .printed(
            "的数据: 好好好",
            "收到来自 127.0.0.1:端口 的数据: 好好好……好�",
        )
        .map_err(|stop| {
            stop.advice("from_utf8 遇到被切开的汉字会出错：用 show_bytes，它把不合法的字节显示成 �")
        })?;
    then_serves_the_next(&mut server, &addr, "收到一个被切开的汉字")
}

fn survives_a_reset(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    peers::client("peer", &["reset", &addr])?;
    then_serves_the_next(&mut server, &addr, "一个客户端重置了连接")
}

fn survives_a_silent_client(ctx: &Ctx) -> Checked {
    let (mut server, addr) = Learner::server(ctx, &[])?;
    // peer silent waits up to this long itself; the server must close it long before.
    let seconds = (IO_TIMEOUT + PATIENCE).as_secs().to_string();
    let silent = peers::start("peer", &["silent", &addr, "--seconds", &seconds])?;
    silent.line(process_runner::Stream::Stdout, "已连接到", PATIENCE)?;
    // tcp-client gives up after its own 10 seconds: twice the server's 5.
    let result = exchange(&mut server, &addr, TCP_MESSAGE);
    result.map_err(|stop| {
        stop.advice(format!(
            "一言不发的客户端先连上，服务器的 read 就一直等它，后面的客户端都得排队。给整个对话一个 {} 秒的期限（Deadline::after(IO_TIMEOUT)，每次读写之前 apply）",
            IO_TIMEOUT.as_secs()
        ))
    })?;
    // The server dropped the silent client: a line about it on stderr.
    if server.logged("", ALREADY)?.is_none() {
        return Err(failed(
            "断开一言不发的客户端时，用 esay! 记一行，例如 与客户端 127.0.0.1:端口 通信时出错: 5 秒内没有完成对话，断开",
            "ex4 什么也没有记",
        ));
    }
    server.alive("断开一个一言不发的客户端")?;
    Ok(Outcome::Passed)
}

/// After `what` happened to it, the server must still serve tcp-client.
fn then_serves_the_next(server: &mut Learner, addr: &str, what: &str) -> Checked {
    exchange(server, addr, "下一位同学的消息").map_err(|stop| {
        stop.advice(format!(
            "{what}之后，服务器还要接着服务别人：一个客户端出的错，用 esay! 记一行，continue，而不是用 ? 结束整个服务器"
        ))
    })?;
    server.alive(what)?;
    Ok(Outcome::Passed)
}
