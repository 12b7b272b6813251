//! 老师的看板：`workshop board`，投屏上一张表，谁卡在哪个练习的哪一步、犯的是哪个常见错误。
//!
//! The teacher runs `cargo run -p workshop -- board` on their laptop; each
//! student's `workshop check --report ADDR --name NAME` sends one line per
//! check run (pass or fail). The board listens on every interface (students
//! are on other machines), prints its LAN addresses and the exact command
//! students type, and shows one row per student, one cell per exercise,
//! how long each has been on their current exercise, and the steps most of
//! the class is stuck on right now.
//!
//! The parts:
//! - [`protocol`]: the report line and its reply;
//! - [`table`]: who is who (names and tokens), the cells, the state file's text;
//! - [`server`]: the event loop that takes reports, with its limits;
//! - [`store`]: the state written whole after each change, and the CSV export;
//! - [`render`], [`text`], [`screen`]: the table on the projector; [`web`]:
//!   the same table as a web page on the same port;
//! - [`registry`]: the exercises and steps, from the checker's own list.
//!
//! ```text
//! cargo run -p workshop -- board                      # 0.0.0.0:7878
//! cargo run -p workshop -- board 0.0.0.0:9000 --plain
//! cargo run -p workshop -- board --export 成绩.csv
//! ```

pub mod protocol;
pub mod registry;
mod render;
mod screen;
mod server;
mod store;
mod table;
pub mod text;
mod web;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::{Result, bail};
use common::addr::HostPort;
use common::cli::{Args, Usage};
use common::{errors, say};

use crate::check::command;

use crate::programs::workspace_root;
/// Files written whole (temporary name, then rename), for the check's side too.
pub use store::write_whole;

/// Where the board listens unless told otherwise: every interface (the
/// students are on other machines), and the port of the Rust Book's own
/// web server chapter.
pub const DEFAULT_ADDR: &str = "0.0.0.0:7878";

/// `workshop board …`.
pub const USAGE: Usage = Usage {
    program: "workshop board",
    about: "老师的看板：学生检查时加上 --report，投屏上就是一张表，谁卡在哪个练习的哪一步、犯的是哪个常见错误",
    arguments: &[(
        "[HOST:PORT]",
        "看板监听的地址，默认 0.0.0.0:7878（所有网卡：学生在别的电脑上）",
    )],
    options: &[
        (
            "--state FILE",
            "看板的状态文件，默认 exercises/.board-state；每次有变化就整个重写，重新启动看板会接着用它",
        ),
        (
            "--plain",
            "不在原处重画表格，每次有变化就在下面再打印一遍（终端不支持重画、输出不是终端时自动这样）",
        ),
        (
            "--export FILE",
            "把看板的状态文件写成 CSV（Excel 能打开），然后退出；不启动看板",
        ),
    ],
    notes: &[
        "按 Ctrl-C 停止看板。学生的命令看板启动时会打印出来：cargo run -p workshop -- check --watch --report 老师的IP:7878 --name 名字。",
    ],
    examples: &[
        "cargo run -p workshop -- board",
        "cargo run -p workshop -- board 0.0.0.0:9000 --plain",
        "cargo run -p workshop -- board --export 成绩.csv",
    ],
};

/// What `workshop board …` asked for.
#[derive(Debug, Default)]
struct Request {
    addr: Option<String>,
    state: Option<PathBuf>,
    plain: bool,
    export: Option<PathBuf>,
}

/// The state file: `--state FILE`, or `exercises/.board-state`.
fn state_path(request: &Request) -> PathBuf {
    request
        .state
        .clone()
        .unwrap_or_else(|| workspace_root().join("exercises").join(".board-state"))
}

/// `workshop board …`; it ends with Ctrl-C.
pub fn main(args: &Args) -> Result<()> {
    let request = parse(args)?;
    let state = state_path(&request);
    if let Some(to) = &request.export {
        let rows = store::export(&state, to, registry::steps(), now_unix())?;
        say!(
            "已写入 {}：{rows} 行（来自 {}）",
            to.display(),
            state.display()
        );
        return Ok(());
    }
    let table = store::load(&state, registry::steps())?;
    let addr: HostPort = request.addr.as_deref().unwrap_or(DEFAULT_ADDR).parse()?;
    let listener = TcpListener::bind(addr.bind_address()?).map_err(|e| errors::bind(&addr, &e))?;
    let bound = listener.local_addr()?;
    let (lan_lines, reachable) = common::addr::lan_report(&listener);
    let (header, intro) = introduction(bound, lan_lines, reachable, &state, table.rows.len());
    let mode = screen::choose(request.plain);
    let screen = screen::Screen::start(mode, header, intro);
    let server = server::Server::new(listener, table, state.clone(), screen)?;
    server.run(|saved| {
        let said = if saved {
            format!("看板停止了。状态保存在 {}，再运行一次 board 会接着用。", state.display())
        } else {
            format!(
                "看板停止了，但最后的状态没能保存到 {}：没有确认的报告，学生那边还留着，下次检查时会再发。",
                state.display()
            )
        };
        vec![said]
    })
}

/// The line above the table, and the lines printed once at the start: the
/// first ends with the address (as every server's first line does), then
/// where other computers reach it (`lan_lines`, `reachable`: common's) and
/// what students type.
fn introduction(
    bound: SocketAddr,
    lan_lines: Vec<String>,
    reachable: Vec<SocketAddr>,
    state: &std::path::Path,
    rows: usize,
) -> (String, Vec<String>) {
    let mut intro = vec![format!("看板已启动，等待学生的报告... {bound}")];
    intro.extend(lan_lines);
    let shown = match reachable.first() {
        Some(addr) => addr.to_string(),
        None if bound.ip().is_unspecified() => format!("老师的IP:{}", bound.port()),
        None => bound.to_string(),
    };
    let student = command(&format!("--watch --report {shown} --name 你的名字"));
    intro.push(format!("学生检查时运行：{student}"));
    intro.push(format!("用浏览器投影也行：http://{shown}/（每 5 秒刷新）"));
    let kept = if rows > 0 {
        format!("（接着上次的 {rows} 行）")
    } else {
        String::new()
    };
    intro.push(format!(
        "状态保存在 {}{kept}；按 Ctrl-C 停止看板",
        state.display()
    ));
    let header = format!("学生运行：{student}");
    (header, intro)
}

fn parse(args: &Args) -> Result<Request> {
    let request = Request {
        addr: args.rest().first().cloned(),
        state: args.option("--state").map(PathBuf::from),
        plain: args.flag("--plain"),
        export: args.option("--export").map(PathBuf::from),
    };
    if request.export.is_some() && (request.addr.is_some() || request.plain) {
        bail!("--export 只是把看板的状态文件写成 CSV，不启动看板：不要和地址、--plain 一起用");
    }
    Ok(request)
}

/// Seconds since 1970 on this machine's clock.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Request> {
        let words = line.split_whitespace().map(std::ffi::OsString::from);
        match USAGE.parse(words)? {
            common::cli::Parsed::Run(args) => parse(&args),
            common::cli::Parsed::Help => bail!("help"),
        }
    }

    #[test]
    fn options_are_read_and_mistakes_get_one_line() {
        let request = parse_line("0.0.0.0:9000 --plain --state s").unwrap();
        assert_eq!(request.addr.as_deref(), Some("0.0.0.0:9000"));
        assert!(request.plain);
        assert_eq!(request.state, Some(PathBuf::from("s")));
        for (line, said) in [
            ("--frob", "不认识的选项 --frob"),
            ("a:1 b:2", "多余的参数 \"b:2\""),
            ("--export x.csv --plain", "不启动看板"),
            ("--state", "缺少值"),
        ] {
            let error = parse_line(line).unwrap_err().to_string();
            assert!(error.contains(said), "{line}: {error}");
        }
    }
}
