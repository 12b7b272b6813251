//! 练习 6 的检查：会验证证书的 TLS 客户端。tls-server 在临时目录里生成证书；客户端要信任对的、
//! 拒绝错的；一张只写着 localhost 的证书、连接的却是 127.0.0.1，要拒绝；回复分几块来要读全，
//! 回复到一半连接被重置要报错；--ca 文件不存在或不是证书，要说一行清楚的话；还要能和不发
//! close_notify 的原文 Python 服务器对话。

use std::net::SocketAddr;
use std::time::Duration;

use common::{TCP_REPLY, show_bytes};
use process_runner::TempDir;

use super::learner::{Ctx, Learner, Ran};
use super::outcome::{Check, Checked, Mistake, Outcome, Stop, failed};
use super::peers::{self, Peer};
use super::step::{PORT, Repeat};
use super::taps::TcpTap;
use super::tls::{Answer, TlsServer};
use super::wire::Side;

pub const CHECKS: &[Check] = &[
    Check {
        what: "连 tls-server，只信任它的证书（--ca 它生成的 server.crt）：打印 收到服务器的响应: 数据已收到",
        wait: None,
        run: trusts_the_given_certificate,
    },
    Check {
        what: "回复的内容由种子决定，分几个 TLS 记录、隔一会儿才到：读到服务器关闭为止，打印全部；回复比 1024 字节长时，只打印前 1024 字节",
        wait: None,
        run: reads_every_record,
    },
    Check {
        what: "信任的是另一张证书（另一个 tls-server 生成的）：拒绝连接，打印一行“错误: …”，以非零状态退出",
        wait: None,
        run: refuses_another_certificate,
    },
    Check {
        what: "证书上只有 localhost，连接的却是 127.0.0.1：拒绝，并说 证书上没有 \"127.0.0.1\" 这个名字",
        wait: None,
        run: refuses_another_name,
    },
    Check {
        what: "回复到一半，服务器停住了（不发完，也不关闭）：这是错误，不是回复的结尾；到自己的 10 秒期限时打印一行“错误: …”，以非零状态退出",
        wait: Some("（这一项要等客户端自己的 10 秒期限）"),
        run: a_cut_reply_is_an_error,
    },
    Check {
        what: "--ca 文件不存在、或者里面不是证书：只打印一行说出文件名的“错误: …”，以非零状态退出，不 panic",
        wait: None,
        run: a_bad_ca_file_is_one_line,
    },
    Check {
        what: "连原文的 Python TLS 服务器（article/tls_server.py，它不发 close_notify）",
        wait: None,
        run: talks_to_python_server,
    },
];

pub const TRUSTS_ANY_CERTIFICATE: Mistake = Mistake {
    id: "ex6.trusts-any-certificate",
    name: "不该信任的证书也信任了",
    tip: "只信任 --ca 文件里的证书：RootCertStore::empty() 里只放它，不要放别的，也不要写一个什么都接受的 ServerCertVerifier",
};

pub const ACCEPTS_WRONG_NAME: Mistake = Mistake {
    id: "ex6.accepts-wrong-name",
    name: "证书上没有连接的名字也接受了",
    tip: "要核对的名字是连接的地址里的主机（server_address.host，这里是 127.0.0.1），不是写死的 localhost；也不要跳过名字的检查。ServerName::try_from(server_address.host.clone())",
};

pub const NAME_MESSAGE: Mistake = Mistake {
    id: "ex6.name-message",
    name: "名字对不上时没有说清楚",
    tip: "TODO 4：rustls 报告的是 InvalidCertificate(NotValidForNameContext { .. })（或 NotValidForName）：在 explain 里给它一个分支，说 证书上没有 \"{server.host}\" 这个名字",
};

pub const READ_ONCE: Mistake = Mistake {
    id: "ex6.read-once",
    name: "只读了一次",
    tip: "回复可能分几个 TLS 记录到达，一次 read 只拿到一个。TODO 3：stream.take(BUFFER_SIZE as u64).read_to_end(&mut data)，读到服务器关闭为止",
};

pub const HARDCODED_REPLY: Mistake = Mistake {
    id: "ex6.hardcoded-reply",
    name: "打印的不是服务器的回复",
    tip: "TODO 3 要返回真正读到（解密后）的字节：服务器回复什么就打印什么。这一次的回复不是“数据已收到”",
};

pub const ERROR_AS_END: Mistake = Mistake {
    id: "ex6.error-as-end",
    name: "把读出错当成了回复的结尾",
    tip: "只有一种错误可以当作结尾：UnexpectedEof，而且已经读到了数据（Python 服务器不发 close_notify）。连接被重置、超时这些都是真的错误：返回 Err(e)，别把读到一半的回复当成全部",
};

pub const EOF_IS_ERROR: Mistake = Mistake {
    id: "ex6.eof-is-error",
    name: "没有 close_notify 就不认回复",
    tip: "原文的 Python 服务器回复之后直接关闭连接，不发 close_notify：read_to_end 返回 UnexpectedEof，可 data 里已经有回复了。这时返回 Ok(data)",
};

pub const CA_PANICS: Mistake = Mistake {
    id: "ex6.ca-panics",
    name: "--ca 文件不对就 panic",
    tip: "TODO 1：文件打不开、里面没有证书，都是学习者能改的错：返回一个说出文件名的错误（map_err(|e| anyhow!(\"无法读取证书文件 {ca_file}：{e}\"))、bail!），不要 unwrap",
};

pub const CA_UNCLEAR: Mistake = Mistake {
    id: "ex6.ca-unclear",
    name: "--ca 文件不对时没有说出是哪个文件",
    tip: "错误要说出是哪个文件：anyhow!(\"无法读取证书文件 {ca_file}：{e}\")；文件里一张证书也没有时 bail!(\"证书文件 {ca_file} 里没有证书\")",
};

pub const NO_HANDSHAKE: Mistake = Mistake {
    id: "ex6.no-handshake",
    name: "握手没有在 handshake 里做完",
    tip: "TODO 2：只要 tls.is_handshaking()，就 tls.complete_io(socket)?。什么也不做的话，握手要等到第一次写才发生：它先打印了“证书验证通过”，证书的错误才在后面冒出来，explain 也看不到它",
};

pub const NO_LIMIT: Mistake = Mistake {
    id: "ex6.no-limit",
    name: "没有 1024 字节的上限",
    tip: "TODO 3：读到服务器关闭为止，但最多 1024 字节：stream.take(BUFFER_SIZE as u64).read_to_end(&mut data)。没有 take 的话，一个发个不停的服务器能占满内存",
};

pub const EMPTY_CA: Mistake = Mistake {
    id: "ex6.empty-ca",
    name: "--ca 文件里没有证书也照样去连",
    tip: "TODO 1：pem_file_iter 在一个不是 PEM 的文件里找不到证书，不算出错，只是什么也不给：RootCertStore 是空的。这时 bail!(\"证书文件 {ca_file} 里没有证书\")，连接之前就停下，不要拿一个空的信任列表去连服务器",
};

pub const NEEDS_UTF8: Mistake = Mistake {
    id: "ex6.needs-utf8",
    name: "要求回复是完整的 UTF-8",
    tip: "回复是字节：1024 字节的上限可能正好切开一个汉字，前 1024 字节就不是完整的 UTF-8。不要 read_to_string、String::from_utf8(…)?：TODO 3 返回 Vec<u8>，打印时 show_bytes 把切开的字显示成 �",
};

pub const MISTAKES: &[&Mistake] = &[
    &TRUSTS_ANY_CERTIFICATE,
    &ACCEPTS_WRONG_NAME,
    &NAME_MESSAGE,
    &READ_ONCE,
    &HARDCODED_REPLY,
    &ERROR_AS_END,
    &EOF_IS_ERROR,
    &CA_PANICS,
    &CA_UNCLEAR,
    &NO_HANDSHAKE,
    &NO_LIMIT,
    &EMPTY_CA,
    &NEEDS_UTF8,
];

const PREFIX: &str = "收到服务器的响应: ";

/// A tls-server that made its own certificate in a folder of its own.
fn tls_server(extra: &[&str]) -> Result<(Peer, TempDir), Stop> {
    let dir = TempDir::new("socket-check")?;
    let args: Vec<&str> = ["127.0.0.1:0"].iter().chain(extra).copied().collect();
    let server = peers::server("tls-server", &args, Some(dir.path()))?;
    Ok((server, dir))
}

fn file(dir: &TempDir, name: &str) -> String {
    dir.path().join(name).display().to_string()
}

fn tap(ctx: &Ctx, target: SocketAddr) -> Result<TcpTap, Stop> {
    Ok(TcpTap::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        target,
        ctx.wire(),
    )?)
}

fn run_client(ctx: &Ctx, args: &[&str]) -> Result<Ran, Stop> {
    Learner::start(ctx, args)?.finish(hung)
}

fn trusts_the_given_certificate(ctx: &Ctx) -> Checked {
    let message = ctx.rng().word();
    let (server, dir) = tls_server(&[])?;
    let relay = tap(ctx, server.addr)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("localhost:{PORT} {message} --ca server.crt"),
        &["cargo run -p tls-server（它在当前目录生成 server.crt）".to_string()],
    ));
    let address = format!("localhost:{}", relay.addr.port());
    let ca = file(&dir, "server.crt");
    let ran = run_client(ctx, &[&address, &message, "--ca", &ca])?;
    ran.expect_line(&format!("{PREFIX}{TCP_REPLY}"))?;
    Ok(Outcome::Passed)
}

fn reads_every_record(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let size = rng.between(12, 300);
    let reply = rng.text(size);
    let pieces = cut(reply.as_bytes(), rng.between(2, 3));
    let (maker, dir) = tls_server(&[])?;
    drop(maker);
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let answer = Answer::Pieces {
        pieces: pieces.clone(),
        // A client that reads once has its first record long before the next.
        gap: Duration::from_secs(1),
    };
    let server = TlsServer::start(&cert, &key, answer, ctx.wire()).map_err(Stop::Broken)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("localhost:{PORT} --ca server.crt"),
        &[
            "cargo run -p tls-server（它的回复只有一个 TLS 记录；检查用的服务器把回复分成了几个）"
                .to_string(),
        ],
    ));
    let ca = cert.display().to_string();
    let ran = run_client(ctx, &[&server.addr.to_string(), "--ca", &ca])?;
    let line = format!("{PREFIX}{}", show_bytes(reply.as_bytes()));
    if let Err(stop) = ran.expect_line(&line) {
        let printed = ran.line_starting(PREFIX).map(|l| &l[PREFIX.len()..]);
        return Err(match printed {
            Some(p) if p == show_bytes(TCP_REPLY.as_bytes()) => stop.mistake(&HARDCODED_REPLY),
            // The start of the reply: it read once (or fewer records than came).
            Some(p) if !p.is_empty() && show_bytes(reply.as_bytes()).starts_with(p) => {
                stop.mistake(&READ_ONCE)
            }
            _ => stop,
        });
    }
    drop(server);
    stops_at_the_limit(ctx, &mut rng, &cert, &key, true)?;
    stops_at_the_limit(ctx, &mut rng, &cert, &key, false)
}

/// A reply longer than 1024 bytes, in records of a few hundred bytes: it
/// prints the first 1024 bytes. If `whole`, the 1024th byte ends a
/// character, so 1023 or 1025 bytes print differently (a cut character is
/// shown as one �); if not, it cuts one, and the first 1024 bytes are not
/// whole UTF-8 but still the reply.
fn stops_at_the_limit(
    ctx: &Ctx,
    rng: &mut super::seed::Rng,
    cert: &std::path::Path,
    key: &std::path::Path,
    whole: bool,
) -> Checked {
    let reply = loop {
        let size = rng.between(1_500, 4_000);
        let reply = rng.text(size);
        if reply.len() > common::BUFFER_SIZE && reply.is_char_boundary(common::BUFFER_SIZE) == whole
        {
            break reply;
        }
    };
    let pieces = cut(reply.as_bytes(), rng.between(4, 8));
    let answer = Answer::Pieces {
        pieces,
        gap: Duration::from_millis(100),
    };
    let server = TlsServer::start(cert, key, answer, ctx.wire()).map_err(Stop::Broken)?;
    let ca = cert.display().to_string();
    let ran = run_client(ctx, &[&server.addr.to_string(), "--ca", &ca])?;
    let first = &reply.as_bytes()[..common::BUFFER_SIZE];
    let line = format!("{PREFIX}{}", show_bytes(first));
    ran.expect_line(&line).map_err(|stop| {
        let longer = ran
            .line_starting(PREFIX)
            .is_some_and(|l| l.len() > line.len());
        let stop = match stop {
            Stop::Failed(mut f) => {
                f.expected = format!(
                    "服务器回复了 {} 字节（分几个 TLS 记录）：{} 只打印前 1024 字节，{line}",
                    reply.len(),
                    ctx.label()
                );
                Stop::Failed(f)
            }
            other => other,
        };
        let wanted_utf8 = !whole
            && ran
                .stderr
                .iter()
                .any(|l| l.contains("UTF-8") || l.contains("utf-8") || l.contains("Utf8"));
        if wanted_utf8 {
            stop.mistake(&NEEDS_UTF8)
        } else if longer || ran.line_starting(PREFIX).is_some() {
            stop.mistake(&NO_LIMIT)
        } else {
            stop
        }
    })?;
    Ok(Outcome::Passed)
}

/// `bytes` in `count` pieces, cut at character boundaries.
fn cut(bytes: &[u8], count: usize) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    let per = chars.len().div_ceil(count).max(1);
    chars
        .chunks(per)
        .map(|c| c.iter().collect::<String>().into_bytes())
        .collect()
}

fn refuses_another_certificate(ctx: &Ctx) -> Checked {
    let (_trusted, trusted_dir) = tls_server(&[])?;
    let (other, _other_dir) = tls_server(&[])?;
    let relay = tap(ctx, other.addr)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} --ca try/a/server.crt"),
        &["在 try/a 和 try/b 两个目录里各运行一次 cargo run -p tls-server，一个用端口 9998（见书里的练习 6.1）；再让 ex6 拿着 try/a 的证书去连 try/b 的服务器".to_string()],
    ));
    let ca = file(&trusted_dir, "server.crt");
    let ran = run_client(ctx, &[&relay.addr.to_string(), "--ca", &ca])?;
    refused_in_handshake(&ran, "错误:").map_err(|stop| {
        if printed_reply(&ran) {
            stop.mistake(&TRUSTS_ANY_CERTIFICATE)
        } else if claimed_verified(&ran) {
            stop.mistake(&NO_HANDSHAKE)
        } else {
            stop.advice(
                "只信任 --ca 文件里的证书：RootCertStore 里只放它，不要放别的，也不要跳过验证",
            )
        }
    })?;
    Ok(Outcome::Passed)
}

fn refuses_another_name(ctx: &Ctx) -> Checked {
    let names = [
        "--cert",
        "only.crt",
        "--key",
        "only.key",
        "--name",
        "localhost",
    ];
    let (server, dir) = tls_server(&names)?;
    let relay = tap(ctx, server.addr)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} --ca only.crt"),
        &[format!(
            "cargo run -p tls-server -- 127.0.0.1:{PORT} --cert only.crt --key only.key --name localhost"
        )],
    ));
    let ca = file(&dir, "only.crt");
    let ran = run_client(ctx, &[&relay.addr.to_string(), "--ca", &ca])?;
    refused_in_handshake(&ran, "证书上没有 \"127.0.0.1\" 这个名字").map_err(|stop| {
        if printed_reply(&ran) {
            stop.mistake(&ACCEPTS_WRONG_NAME)
        } else if claimed_verified(&ran) {
            stop.mistake(&NO_HANDSHAKE)
        } else {
            stop.mistake(&NAME_MESSAGE)
        }
    })?;
    Ok(Outcome::Passed)
}

fn a_cut_reply_is_an_error(ctx: &Ctx) -> Checked {
    let mut rng = ctx.rng();
    let part = rng.word();
    let (maker, dir) = tls_server(&[])?;
    drop(maker);
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let answer = Answer::StallAfter {
        part: part.clone().into_bytes(),
    };
    let server = TlsServer::start(&cert, &key, answer, ctx.wire()).map_err(Stop::Broken)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{} --ca server.crt", super::step::RELAY_PORT),
        &[
            "cargo run -p tls-server".to_string(),
            format!(
                "cargo run -p wiretap -- 127.0.0.1:{} 127.0.0.1:{PORT} --chunk 64 --delay 10000（只能近似：在回复中间停住的是检查自己的服务器，这里停在握手当中）",
                super::step::RELAY_PORT
            ),
        ],
    ));
    let ca = cert.display().to_string();
    let ran = run_client(ctx, &[&server.addr.to_string(), "--ca", &ca])?;
    refused(&ran, "错误:").map_err(|stop| {
        let expected =
            "回复到一半服务器停住了：不打印回复，到期限时打印一行“错误: …”，以非零状态退出";
        let stop = match stop {
            Stop::Failed(mut f) => {
                f.expected = expected.to_string();
                Stop::Failed(f)
            }
            other => other,
        };
        stop.mistake(&ERROR_AS_END)
    })?;
    Ok(Outcome::Passed)
}

fn a_bad_ca_file_is_one_line(ctx: &Ctx) -> Checked {
    let (server, dir) = tls_server(&[])?;
    let missing = file(&dir, "没有这个文件.crt");
    let garbage = dir.path().join("不是证书.crt");
    std::fs::write(&garbage, "这不是一张证书\n")?;
    let garbage = garbage.display().to_string();
    // Through the relay: a client whose --ca file gave it nothing to trust
    // must stop before it connects.
    let relay = tap(ctx, server.addr)?;
    let wire = ctx.wire();
    ctx.repeat(Repeat {
        command: format!(
            "cargo run -p exercises --bin {} -- localhost:{PORT} --ca 没有这个文件.crt",
            ctx.label()
        ),
        before: Vec::new(),
    });
    for (ca, what) in [(&missing, "不存在"), (&garbage, "里面不是证书")] {
        let before = wire.connections();
        let ran = run_client(ctx, &[&relay.addr.to_string(), "--ca", ca])?;
        let lines: Vec<&String> = ran.stderr.iter().filter(|l| !l.trim().is_empty()).collect();
        let name = std::path::Path::new(ca)
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let expected =
            format!("--ca 的文件{what}：只打印一行 错误: …（说出 {name}），以非零状态退出");
        if ran.crashed() {
            return Err(failed(expected, ran.describe()).mistake(&CA_PANICS));
        }
        let one = match lines.as_slice() {
            [line] => line.starts_with("错误:") && line.contains(&name),
            _ => false,
        };
        if wire.connections() > before {
            return Err(failed(
                expected,
                format!(
                    "{}\n它没有在读证书文件时就停下，而是拿着一个空的信任列表去连了服务器",
                    ran.describe()
                ),
            )
            .mistake(&EMPTY_CA));
        }
        if ran.success || !one || printed_reply(&ran) {
            let stop = failed(expected, ran.describe());
            let said_error = lines.iter().any(|l| l.starts_with("错误:"));
            return Err(if said_error && !ran.success {
                stop.mistake(&CA_UNCLEAR)
            } else {
                stop
            });
        }
    }
    Ok(Outcome::Passed)
}

fn talks_to_python_server(ctx: &Ctx) -> Checked {
    let Some(python) = &ctx.python else {
        return Ok(peers::no_python());
    };
    // tls-server makes the certificate and key; the Python server uses them.
    let (maker, dir) = tls_server(&[])?;
    drop(maker);
    let (cert, key) = (file(&dir, "server.crt"), file(&dir, "server.key"));
    let server = peers::python_server(python, "tls_server.py", &["127.0.0.1", "0", &cert, &key])?;
    let relay = tap(ctx, server.addr)?;
    ctx.repeat(Repeat::client(
        ctx.label(),
        &format!("127.0.0.1:{PORT} --ca server.crt"),
        &[format!(
            "python3 article/tls_server.py 127.0.0.1 {PORT} server.crt server.key（Windows：py 代替 python3；证书用 tls-server 生成的那一对）"
        )],
    ));
    let ran = run_client(ctx, &[&relay.addr.to_string(), "--ca", &cert])?;
    let wire = ctx.wire();
    let replied = (1..=wire.connections()).any(|c| wire.sent_count(c, Side::Server) > 0);
    ran.expect_line(&format!("{PREFIX}{TCP_REPLY}")).map_err(|stop| {
        let eof = ran
            .last_error()
            .is_some_and(|l| l.contains("close_notify") || l.contains("UnexpectedEof") || l.contains("unexpected end of file") || l.contains("eof"));
        if !ran.success && replied && eof {
            stop.mistake(&EOF_IS_ERROR)
        } else {
            stop.advice("Python 服务器回复之后直接关闭连接，不发 close_notify：rustls 报告 UnexpectedEof。已经读到回复的话，这不算错")
        }
    })?;
    Ok(Outcome::Passed)
}

/// It printed that the certificate was verified: a refused client must not.
fn claimed_verified(ran: &Ran) -> bool {
    ran.stdout.iter().any(|l| l.contains("证书验证通过"))
}

fn printed_reply(ran: &Ran) -> bool {
    ran.stdout.iter().any(|l| l.starts_with(PREFIX))
}

/// It refused: no reply printed, a failure exit, and a last stderr line
/// that starts with `错误:` and contains `said`.
fn refused(ran: &Ran, said: &str) -> Result<(), Stop> {
    let clear = ran
        .last_error()
        .is_some_and(|l| l.starts_with("错误:") && l.contains(said));
    if ran.success || printed_reply(ran) || !clear || ran.crashed() {
        let expected = if said == "错误:" {
            "拒绝连接：不打印回复，打印一行“错误: …”，以非零状态退出".to_string()
        } else {
            format!(
                "拒绝连接，打印一行 错误: 与 127.0.0.1:端口 的 TLS 握手失败：{said}……，以非零状态退出"
            )
        };
        return Err(failed(expected, ran.describe()));
    }
    Ok(())
}

/// Refused as `refused` says, and in the handshake: it never said the
/// certificate was verified.
fn refused_in_handshake(ran: &Ran, said: &str) -> Result<(), Stop> {
    refused(ran, said)?;
    if claimed_verified(ran) {
        return Err(failed(
            "握手时就拒绝：不打印“证书验证通过”，打印一行“错误: …”，以非零状态退出",
            ran.describe(),
        ));
    }
    Ok(())
}

fn hung() -> String {
    "握手或读回复。服务器 5 秒后就会断开它：读写都要用 guard 过的 socket（它带着期限），握手要在 complete_io 返回 (0, 0) 时停下".to_string()
}
