//! TCP 对端：沉默的、慢慢发的、重置的、两条消息一起发或分开发的、发长消息的客户端。

use std::io::Write;
use std::thread;
use std::time::Duration;

use anyhow::{Result, bail};
use common::cli::{Args, Usage};
use common::{CLIENT_TIMEOUT, TCP_MESSAGE, say};
use socket2::SockRef;

use crate::talk::{self, Talk};

/// The largest message `--times` may build: plenty for any lesson, and a
/// typo (an extra 0 or three) does not eat the machine's memory.
const MOST_BYTES: usize = 16 << 20;

const ADDR: (&str, &str) = ("[ADDR]", "服务器地址，默认 localhost:9999");

pub const SILENT: Usage = Usage {
    program: "peer silent",
    about: "连上服务器，一个字节也不发：看服务器怎样对付沉默的客户端",
    arguments: &[ADDR],
    options: &[(
        "--seconds N",
        "最多等 N 秒，默认 60；服务器先关闭或重置连接就提前结束",
    )],
    notes: &["tcp-server 会在 5 秒后断开它；原文的服务器会一直等下去，谁也服务不了。"],
    examples: &[
        "peer silent 127.0.0.1:9999",
        "peer silent localhost:9999 --seconds 10",
    ],
};

pub fn silent(args: &Args) -> Result<()> {
    let seconds = args.number("--seconds", 60)?;
    let talk = Talk::start(talk::connect(&args.addr)?)?;
    say!("什么也不发送，等服务器关闭连接（最多 {seconds} 秒）");
    talk.finish(Duration::from_secs(seconds as u64));
    Ok(())
}

pub const TRICKLE: Usage = Usage {
    program: "peer trickle",
    about: "一个字节一个字节地慢慢发送消息：看服务器的一次 read 能拿到多少",
    arguments: &[ADDR, ("[MESSAGE]", "要发送的消息，默认“你好，服务器！”")],
    options: &[("--every MS", "每隔 MS 毫秒发一个字节，默认 200")],
    notes: &["tcp-server 只读一次：它读到第一个字节就回复、关闭，后面的字节换来的是 RST。"],
    examples: &[
        "peer trickle 127.0.0.1:9999",
        "peer trickle 127.0.0.1:9999 好 --every 500",
    ],
};

pub fn trickle(args: &Args) -> Result<()> {
    let message = args.message(TCP_MESSAGE)?;
    let every = Duration::from_millis(args.number("--every", 200)? as u64);
    let talk = Talk::start(talk::connect(&args.addr)?)?;
    let bytes = message.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 {
            thread::sleep(every);
        }
        let what = format!("第 {}/{} 个字节 {byte:02x}", index + 1, bytes.len());
        if !talk.send(&[*byte], &what) {
            break;
        }
    }
    talk.finish(CLIENT_TIMEOUT);
    Ok(())
}

pub const RESET: Usage = Usage {
    program: "peer reset",
    about: "连上服务器（可以先发一条消息），然后用 RST 重置连接，而不是正常关闭（FIN）",
    arguments: &[
        ADDR,
        ("[MESSAGE]", "重置之前先发送的消息；不写就什么也不发"),
    ],
    options: &[],
    notes: &[
        "关闭之前把 SO_LINGER 设为 0，系统就发 RST 而不是 FIN，就像程序崩溃或被强行结束时那样。",
    ],
    examples: &[
        "peer reset 127.0.0.1:9999",
        "peer reset 127.0.0.1:9999 你好",
    ],
};

pub fn reset(args: &Args) -> Result<()> {
    let stream = talk::connect(&args.addr)?;
    if !args.rest().is_empty() {
        let message = args.message("")?;
        match (&stream).write_all(message.as_bytes()) {
            Ok(()) => say!(
                "发送 {} 字节: {}",
                message.len(),
                talk::describe(&message, 1)
            ),
            Err(e) => say!("发送失败: {}", common::errors::peer(&e)),
        }
    }
    // SO_LINGER 0：close 时丢掉没发完的数据，发出 RST。
    SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
    drop(stream);
    say!("用 RST 重置了连接（SO_LINGER 设为 0 后关闭 Socket）");
    Ok(())
}

const FIRST: (&str, &str) = ("[FIRST]", "第一条消息，默认“第一条消息”");
const SECOND: (&str, &str) = ("[SECOND]", "第二条消息，默认“第二条消息”");

/// The two messages of `together` and `apart`.
fn two_messages(args: &Args) -> Result<(String, String)> {
    let first = args.message("第一条消息")?;
    let second = match args.rest().get(1) {
        Some(second) if second.is_empty() => bail!("第二条消息是空的：请写一条消息，例如 \"你好\""),
        Some(second) => second.clone(),
        None => "第二条消息".to_string(),
    };
    Ok((first, second))
}

pub const TOGETHER: Usage = Usage {
    program: "peer together",
    about: "用一次 write 发送两条消息：服务器的一次 read 会把它们一起读到（TCP 不保留消息的边界）",
    arguments: &[ADDR, FIRST, SECOND],
    options: &[],
    notes: &[],
    examples: &[
        "peer together 127.0.0.1:9999",
        "peer together 127.0.0.1:9999 你好 再见",
    ],
};

pub fn together(args: &Args) -> Result<()> {
    let (first, second) = two_messages(args)?;
    let talk = Talk::start(talk::connect(&args.addr)?)?;
    let both = format!("{first}{second}");
    let what = format!(
        "两条消息，一次 write: “{}” + “{}”",
        talk::describe(&first, 1),
        talk::describe(&second, 1)
    );
    talk.send(both.as_bytes(), &what);
    talk.finish(CLIENT_TIMEOUT);
    Ok(())
}

pub const APART: Usage = Usage {
    program: "peer apart",
    about: "先发第一条消息，隔一会儿再发第二条：看只读一次的服务器把第二条怎么了",
    arguments: &[ADDR, FIRST, SECOND],
    options: &[("--gap MS", "两条消息之间隔 MS 毫秒，默认 1000")],
    notes: &[],
    examples: &[
        "peer apart 127.0.0.1:9999",
        "peer apart 127.0.0.1:9999 你好 再见 --gap 3000",
    ],
};

pub fn apart(args: &Args) -> Result<()> {
    let (first, second) = two_messages(args)?;
    let gap = Duration::from_millis(args.number("--gap", 1000)? as u64);
    let talk = Talk::start(talk::connect(&args.addr)?)?;
    if talk.send(first.as_bytes(), &talk::describe(&first, 1)) {
        thread::sleep(gap);
        talk.send(second.as_bytes(), &talk::describe(&second, 1));
    }
    talk.finish(CLIENT_TIMEOUT);
    Ok(())
}

pub const SEND: Usage = Usage {
    program: "peer send",
    about: "发送一条消息并打印服务器的回复；--times 把消息重复多次，不用 shell 就能造出长消息",
    arguments: &[ADDR, ("[MESSAGE]", "要发送的消息，默认“你好，服务器！”")],
    options: &[(
        "--times N",
        "把消息重复 N 次，一次 write 发出去，默认 1（例如 好 --times 400 是 1200 字节）",
    )],
    notes: &[
        "发送之后一直读，直到服务器关闭连接，最多等 10 秒。消息最长 16 MiB。",
        "第 1024 个字节落在第 342 个“好”的中间：只读一次 1024 字节的服务器会把它显示成 �。",
    ],
    examples: &[
        "peer send 127.0.0.1:9999 好 --times 400",
        "peer send 127.0.0.1:9999 x --times 2000",
        "peer send 127.0.0.1:9999 \"自己的消息\"",
    ],
};

pub fn send(args: &Args) -> Result<()> {
    let message = args.message(TCP_MESSAGE)?;
    let times = args.number("--times", 1)?;
    if message.len().saturating_mul(times) > MOST_BYTES {
        bail!(
            "消息太长了：{} 字节 × {times} 超过了 16 MiB 的上限；请把 --times 改小",
            message.len()
        );
    }
    let bytes = message.repeat(times);
    let talk = Talk::start(talk::connect(&args.addr)?)?;
    talk.send(bytes.as_bytes(), &talk::describe(&message, times));
    talk.finish(CLIENT_TIMEOUT);
    Ok(())
}

pub const LINES: Usage = Usage {
    program: "peer lines",
    about: "把几行消息（每行以换行结尾）用一次 write 发出去，然后关闭写方向（FIN），打印服务器的每一次回复：一行一条消息的协议用它来试",
    arguments: &[ADDR],
    options: &[
        (
            "--line TEXT",
            "一行的文字（不带换行），可以写多次；不写就是“第一条”“第二条”两行",
        ),
        (
            "--times N",
            "每一行的文字重复 N 次，默认 1（例如 --line x --times 1024 是 1024 字节的一行）",
        ),
        (
            "--blank",
            "先发一个空行（只有换行符）：空行也是一条消息，内容是空的",
        ),
        (
            "--unfinished TEXT",
            "最后再发 TEXT，不带换行：一行只发了一半就关闭",
        ),
    ],
    notes: &["发送之后一直读，直到服务器关闭连接，最多等 10 秒。全部最长 16 MiB。"],
    examples: &[
        "peer lines 127.0.0.1:9999 --line 第一条 --line 第二条",
        "peer lines 127.0.0.1:9999 --line x --times 1024",
        "peer lines 127.0.0.1:9999 --line 你好 --unfinished 半行",
    ],
};

pub fn lines(args: &Args) -> Result<()> {
    let times = args.number("--times", 1)?;
    let mut texts: Vec<String> = args.options("--line").map(String::from).collect();
    if texts.is_empty() && args.option("--unfinished").is_none() && !args.flag("--blank") {
        texts = vec!["第一条".to_string(), "第二条".to_string()];
    }
    // An empty `--line ""` is lost on the way in Windows PowerShell 5.1,
    // which drops empty arguments to programs: a flag of its own says it.
    if args.flag("--blank") {
        texts.insert(0, String::new());
    }
    let mut bytes = Vec::new();
    for text in &texts {
        if text.len().saturating_mul(times) > MOST_BYTES {
            bail!(
                "一行太长了：{} 字节 × {times} 超过了 16 MiB 的上限",
                text.len()
            );
        }
        bytes.extend_from_slice(text.repeat(times).as_bytes());
        bytes.push(b'\n');
    }
    if let Some(half) = args.option("--unfinished") {
        bytes.extend_from_slice(half.as_bytes());
    }
    if bytes.len() > MOST_BYTES {
        bail!(
            "消息太长了：一共 {} 字节，超过了 16 MiB 的上限",
            bytes.len()
        );
    }
    let stream = talk::connect(&args.addr)?;
    let writer = stream.try_clone()?;
    let talk = Talk::start(stream)?;
    let what = format!(
        "{} 行{}",
        texts.len(),
        match args.option("--unfinished") {
            Some(half) => format!("，再加不带换行的“{}”", talk::describe(half, 1)),
            None => String::new(),
        }
    );
    if talk.send(&bytes, &what) {
        // 不再发送：服务器读到 0 字节，就知道消息都到了。
        let _ = writer.shutdown(std::net::Shutdown::Write);
        say!("关闭了写方向（FIN）");
    }
    talk.finish(CLIENT_TIMEOUT);
    Ok(())
}
