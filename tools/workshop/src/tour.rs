//! 导览：按原文的顺序，每一章启动真正的服务器程序，再让真正的客户端程序和它对话。
//!
//! Every line a program prints is shown with the program's name in front,
//! so the transcript reads like two terminals side by side. Each chapter
//! ends with a ✓ or a ✗ and the reason; the whole tour succeeds only if
//! every exchange did.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use common::cli::{Args, Usage};
use common::say;
use process_runner::{Finished, Output, Running, Stream, TempDir, deadline};

use crate::programs;

/// How long a program may take to start, to finish its exchange, or to
/// print its line about one: its own time limit plus a margin for a busy
/// laptop (the arithmetic is in process_runner::deadline).
const PATIENCE: Duration = deadline::STEP;

/// The chapters, in the article's order: (name, article section, packages).
/// The packages are built with `--bins` only, so the tour never builds
/// event-loop-server's tokio example (a dev-dependency, not needed here).
pub const CHAPTERS: &[(&str, &str, &[&str])] = &[
    (
        "tcp",
        "常见实践 / 简单的 TCP 服务器和客户端示例",
        &["tcp-server", "tcp-client"],
    ),
    (
        "udp",
        "常见实践 / UDP 通信示例",
        &["udp-server", "udp-client"],
    ),
    (
        "threaded",
        "最佳实践 / 并发处理",
        &["threaded-server", "tcp-client"],
    ),
    ("tls", "最佳实践 / 安全考量", &["tls-server", "tls-client"]),
    (
        "event-loop",
        "原文之后 / 事件循环，并发处理的下一步",
        &["event-loop-server", "tcp-client"],
    ),
];

// The tests' deadline for a whole tour counts the chapters.
const _: () = assert!(CHAPTERS.len() as u32 <= deadline::TOUR_CHAPTERS);

/// `workshop [章节...]`: what the words mean when no subcommand is named.
pub const USAGE: Usage = Usage {
    program: "workshop",
    about: "运行导览（不写章节就运行全部）",
    arguments: &[("[章节...]", "要运行的章节，按原文的顺序，不写就是全部")],
    options: &[
        (
            "--host HOST",
            "服务器监听的地址，默认 127.0.0.1；写 0.0.0.0 让同一网络的其他电脑也能连上",
        ),
        (
            "--step",
            "每个服务器启动后暂停，按回车键再运行客户端（方便讲解）",
        ),
    ],
    notes: &[],
    examples: &[
        "cargo run -p workshop",
        "cargo run -p workshop -- tcp udp",
        "cargo run -p workshop -- --host 0.0.0.0 --step",
    ],
};

/// The chapters as `--help` lists them (the same names as [`CHAPTERS`], a
/// unit test keeps them so).
pub const CHAPTER_HELP: &[(&str, &str)] = &[
    ("tcp", "常见实践 / 简单的 TCP 服务器和客户端示例"),
    ("udp", "常见实践 / UDP 通信示例"),
    ("threaded", "最佳实践 / 并发处理（5 个客户端同时连接）"),
    (
        "tls",
        "最佳实践 / 安全考量（证书生成在临时目录里，结束后删除）",
    ),
    (
        "event-loop",
        "原文之后 / 事件循环（一个线程同时照看所有连接）",
    ),
];

/// `workshop [章节...] [--host HOST] [--step]`.
pub fn main(args: &Args) -> Result<bool> {
    let chapters = args.rest();
    known_chapters(chapters)?;
    let settings = Settings {
        host: args.option("--host").unwrap_or("127.0.0.1").to_string(),
        step: args.flag("--step"),
    };
    run(chapters, &settings)
}

/// An unknown chapter name is a typo: say which names exist.
fn known_chapters(words: &[String]) -> Result<()> {
    let names: Vec<&str> = CHAPTERS.iter().map(|c| c.0).collect();
    match words.iter().find(|w| !names.contains(&w.as_str())) {
        Some(bad) => bail!("没有叫“{bad}”的章节；可选 {}", names.join("、")),
        None => Ok(()),
    }
}

/// How the tour runs.
pub struct Settings {
    /// The address the servers listen on (`127.0.0.1`, or `0.0.0.0` for a classroom).
    pub host: String,
    /// Pause after each server starts until Enter is pressed, so a teacher
    /// can explain the server's first line before its client runs.
    pub step: bool,
}

/// Runs the named chapters (all if none) and prints a summary; true if all passed.
pub fn run(chapters: &[String], settings: &Settings) -> Result<bool> {
    let selected: Vec<_> = CHAPTERS
        .iter()
        .filter(|(name, _, _)| chapters.is_empty() || chapters.iter().any(|c| c == name))
        .collect();
    let mut packages: Vec<&str> = selected.iter().flat_map(|c| c.2.iter().copied()).collect();
    packages.sort_unstable();
    packages.dedup();
    say!("正在编译各章程序（第一次需要一两分钟，之后几乎不花时间）……");
    programs::build(&packages, false)?;

    let mut results = Vec::new();
    for (name, section, _) in selected {
        say!("\n===== {name}：{} =====", heading(section));
        let result = match *name {
            "tcp" => pair("tcp-server", "tcp-client", settings),
            "udp" => pair("udp-server", "udp-client", settings),
            "threaded" => threaded(settings),
            "event-loop" => event_loop(settings),
            _ => tls(settings),
        };
        // A Ctrl-C: the chapter's children and folder are gone already
        // (dropped on the way out); stop here, main says so.
        process_runner::check()?;
        results.push((name, section, result));
    }

    say!("\n===== 总结 =====");
    let mut all_passed = true;
    for (name, section, result) in results {
        match result {
            Ok(()) => say!("✓ {name}（{section}）：对话成功"),
            Err(e) => {
                all_passed = false;
                say!("✗ {name}（{section}）失败：{e:#}");
            }
        }
    }
    Ok(all_passed)
}

/// `原文「常见实践 / UDP 通信示例」`; a chapter beyond the article (its
/// section starts with `原文之后`) says so itself and is not put in quotes.
fn heading(section: &str) -> String {
    if section.starts_with("原文之后") {
        section.to_string()
    } else {
        format!("原文「{section}」")
    }
}

/// A server on a free port, and the address its clients should use.
fn start_server(
    name: &str,
    settings: &Settings,
    dir: Option<&Path>,
    extra: &[&str],
    output: Output,
) -> Result<(Running, String)> {
    let mut command = Command::new(programs::binary(name)?);
    command
        .arg(format!("{}:0", bracket(&settings.host)))
        .args(extra);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let server = Running::start(&mut command, name, output)?;
    let addr = server.address(PATIENCE)?;
    // A server listening on every interface (0.0.0.0) is reached via loopback.
    let reach = if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    };
    if settings.step {
        pause()?;
    }
    Ok((server, reach))
}

/// Waits for Enter (or for stdin to close), or for a Ctrl-C.
fn pause() -> Result<()> {
    say!("（服务器已启动。按回车键运行客户端……）");
    // A read from stdin cannot be interrupted, and the main thread must stay
    // free to notice a Ctrl-C (see main): the read happens on a thread of its
    // own. After a Ctrl-C that thread stays blocked until the process exits.
    let (enter, pressed) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = enter.send(());
    });
    process_runner::receive(&pressed, None)?;
    Ok(())
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Runs a client to completion and keeps what it printed, to be shown once
/// the server has said what it received; shown at once, with an error, if
/// the client failed.
fn client(label: &str, name: &str, args: &[String]) -> Result<Finished> {
    let mut command = Command::new(programs::binary(name)?);
    command.args(args);
    let client = Running::start(&mut command, label, Output::Keep)?;
    let finished = client.wait(PATIENCE)?;
    if !finished.status.success() {
        show(label, &finished);
        bail!("{label} 没有成功（见上面它打印的错误）");
    }
    Ok(finished)
}

/// A finished client's lines, labelled like the live ones: its notes on
/// stderr first (a UDP resend), then its result.
fn show(label: &str, finished: &Finished) {
    for line in finished.stderr.iter().chain(&finished.stdout) {
        say!("[{label}] {line}");
    }
}

/// TCP and UDP: one server, one client with the article's message. The
/// client's line is shown after the server's: on a projector the request
/// is seen arriving before its answer, however the two programs' output
/// happened to interleave.
fn pair(server_name: &str, client_name: &str, settings: &Settings) -> Result<()> {
    let (server, addr) = start_server(server_name, settings, None, &[], Output::Show)?;
    let finished = client(client_name, client_name, &[addr])?;
    server.line(Stream::Stdout, "收到来自", PATIENCE)?;
    show(client_name, &finished);
    Ok(())
}

/// Several clients at once against the bounded threaded server.
fn threaded(settings: &Settings) -> Result<()> {
    let (server, addr) = start_server(
        "threaded-server",
        settings,
        None,
        &["--threads", "4"],
        Output::Show,
    )?;
    let clients = start_clients(&addr)?;
    wait_for_clients(clients)?;
    // The server's five lines share one step's deadline.
    let deadline = Instant::now() + PATIENCE;
    for _ in 1..=CLIENTS {
        server.line(Stream::Stdout, "收到来自", left(deadline))?;
    }
    Ok(())
}

/// The same five clients against the event loop, while a sixth client
/// (the tour itself) is connected and says nothing: one thread, and nobody
/// waits for the silent one. When the tour then hangs up, the server says so
/// (or, on a machine so busy that the five took over 5 s, it has already
/// said that the silent one ran out of time: either line names its address).
fn event_loop(settings: &Settings) -> Result<()> {
    let (server, addr) = start_server("event-loop-server", settings, None, &[], Output::Show)?;
    let silent = TcpStream::connect(addr.as_str())
        .with_context(|| format!("导览连不上 event-loop-server（{addr}）"))?;
    let silent_addr = silent.local_addr()?.to_string();
    say!(
        "（导览注：导览自己先连上 event-loop-server，一言不发。下面 5 个客户端照样马上得到回复：\
         只有一个线程，但它不等任何一个连接。）"
    );
    let clients = start_clients(&addr)?;
    wait_for_clients(clients)?;
    drop(silent);
    // The five lines and the one about the silent client share one deadline.
    let deadline = Instant::now() + PATIENCE;
    for _ in 1..=CLIENTS {
        server.line(Stream::Stdout, "收到来自", left(deadline))?;
    }
    server.line(Stream::Stderr, &silent_addr, left(deadline))?;
    Ok(())
}

/// How many clients the concurrent chapters start at once.
const CLIENTS: usize = 5;

/// `tcp-client #1` … `#5`, each with its own message, all started at once.
fn start_clients(addr: &str) -> Result<Vec<Running>> {
    let program = programs::binary("tcp-client")?;
    let clients = (1..=CLIENTS)
        .map(|n| {
            let mut command = Command::new(&program);
            command.arg(addr).arg(format!("第 {n} 位同学的消息"));
            Running::start(&mut command, &format!("tcp-client #{n}"), Output::Show)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(clients)
}

/// The clients run at the same time, so they share one step's deadline.
fn wait_for_clients(clients: Vec<Running>) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    for client in clients {
        let label = client.label().to_string();
        if !client.wait(left(deadline))?.status.success() {
            bail!("{label} 没有成功");
        }
    }
    Ok(())
}

fn left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// TLS with a certificate the server generates in a temporary folder.
fn tls(settings: &Settings) -> Result<()> {
    let dir = TempDir::new("socket-workshop")?;
    let shown = Output::ShowEdited(without_temporary_ca);
    let (server, addr) = start_server("tls-server", settings, Some(dir.path()), &[], shown)?;
    // The generated certificate names localhost, 127.0.0.1 and ::1.
    let ca = dir.path().join("server.crt").display().to_string();
    let finished = client("tls-client", "tls-client", &[addr, "--ca".into(), ca])?;
    server.line(Stream::Stdout, "收到来自", PATIENCE)?;
    show("tls-client", &finished);
    Ok(())
}

/// tls-server's own `[tls-server] line`, except the one that tells how to
/// trust the new certificate with `--ca` and a path to copy. In the tour that
/// path is a temporary folder, deleted when the chapter ends: copied later,
/// it would fail. That line is replaced by a note, marked as the tour's.
fn without_temporary_ca(label: &str, line: &str) -> String {
    if line.starts_with("客户端用 --ca") {
        format!(
            "（导览注：{label} 在这里打印了客户端怎样用 --ca 信任它的证书。导览的证书在临时目录里，\
             这一章结束就删除，所以不列出那个路径；自己运行 cargo run -p tls-server 时，照它打印的命令做。）"
        )
    } else {
        format!("[{label}] {line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_help_lists_every_chapter_in_the_tours_order() {
        let listed: Vec<&str> = CHAPTER_HELP.iter().map(|c| c.0).collect();
        let run: Vec<&str> = CHAPTERS.iter().map(|c| c.0).collect();
        assert_eq!(listed, run);
    }

    #[test]
    fn the_tour_knows_the_event_loop_chapter_and_names_them_all_on_a_typo() {
        assert!(known_chapters(&words("threaded event-loop")).is_ok());
        let typo = known_chapters(&words("tcp eventloop"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            typo,
            "没有叫“eventloop”的章节；可选 tcp、udp、threaded、tls、event-loop"
        );
    }
}
