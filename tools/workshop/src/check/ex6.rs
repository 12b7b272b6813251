//! 练习 6 的检查：会验证证书的 TLS 客户端。tls-server 在临时目录里生成证书；客户端要信任对的、
//! 拒绝错的，要认出证书上没有它连接的名字，还要能和不发 close_notify 的原文 Python 服务器对话。

use process_runner::TempDir;

use super::learner::{Ctx, Learner, Ran};
use super::outcome::{Check, Checked, Outcome, Stop, failed};
use super::peers::{self, Peer};

pub const CHECKS: &[Check] = &[
    Check {
        what: "连 tls-server，只信任它的证书（--ca 它生成的 server.crt）：打印 收到服务器的响应: 数据已收到",
        wait: None,
        run: trusts_the_given_certificate,
    },
    Check {
        what: "信任的是另一张证书（另一个 tls-server 生成的）：拒绝连接，打印一行“错误: …”，以非零状态退出",
        wait: None,
        run: refuses_another_certificate,
    },
    Check {
        what: "证书上只有 example.com，连接的却是 127.0.0.1：拒绝，并说 证书上没有 \"127.0.0.1\" 这个名字",
        wait: None,
        run: refuses_another_name,
    },
    Check {
        what: "连原文的 Python TLS 服务器（article/tls_server.py，它不发 close_notify）",
        wait: None,
        run: talks_to_python_server,
    },
];

const EXPECTED: &str = "收到服务器的响应: 数据已收到";

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

fn trusts_the_given_certificate(ctx: &Ctx) -> Checked {
    let (server, dir) = tls_server(&[])?;
    let port = peers::host_and_port(&server.addr).1;
    let address = format!("localhost:{port}");
    let ca = file(&dir, "server.crt");
    let client = Learner::start(ctx, &[&address, "--ca", &ca])?;
    let ran = client.finish(hung)?;
    ran.expect_line(EXPECTED)?;
    Ok(Outcome::Passed)
}

fn refuses_another_certificate(ctx: &Ctx) -> Checked {
    let (_trusted, trusted_dir) = tls_server(&[])?;
    let (other, _other_dir) = tls_server(&[])?;
    let ca = file(&trusted_dir, "server.crt");
    let client = Learner::start(ctx, &[&other.addr, "--ca", &ca])?;
    let ran = client.finish(hung)?;
    refused(&ran, "错误:").map_err(|stop| {
        stop.advice("只信任 --ca 文件里的证书：RootCertStore 里只放它，不要放别的，也不要跳过验证")
    })?;
    Ok(Outcome::Passed)
}

fn refuses_another_name(ctx: &Ctx) -> Checked {
    let names = [
        "--cert",
        "other.crt",
        "--key",
        "other.key",
        "--name",
        "example.com",
    ];
    let (server, dir) = tls_server(&names)?;
    let ca = file(&dir, "other.crt");
    let client = Learner::start(ctx, &[&server.addr, "--ca", &ca])?;
    let ran = client.finish(hung)?;
    refused(&ran, "证书上没有 \"127.0.0.1\" 这个名字").map_err(|stop| {
        stop.advice("rustls 报告的是 InvalidCertificate(NotValidForNameContext { .. })：在 explain 里给它一个分支（TODO 4）")
    })?;
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
    let client = Learner::start(ctx, &[&server.addr, "--ca", &cert])?;
    let ran = client.finish(hung)?;
    ran.expect_line(EXPECTED).map_err(|stop| {
        stop.advice("Python 服务器回复之后直接关闭连接，不发 close_notify：rustls 报告 UnexpectedEof。已经读到回复的话，这不算错")
    })?;
    Ok(Outcome::Passed)
}

/// It refused: no reply printed, a failure exit, and a last stderr line
/// that starts with `错误:` and contains `said`.
fn refused(ran: &Ran, said: &str) -> Result<(), Stop> {
    let last = ran.stderr.iter().rev().find(|l| !l.trim().is_empty());
    let clear = last.is_some_and(|l| l.starts_with("错误:") && l.contains(said));
    let replied = ran.stdout.iter().any(|l| l.contains("收到服务器的响应"));
    if ran.success || replied || !clear {
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

fn hung() -> String {
    "握手或读回复。tls-server 5 秒后就会断开它：读写都要用 guard 过的 socket（它带着期限），握手要在 complete_io 返回 (0, 0) 时停下".to_string()
}
