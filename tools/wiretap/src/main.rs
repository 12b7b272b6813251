//! wiretap：夹在任意客户端和任意服务器之间，转发一切，并把经过的每一块数据当场显示出来。
//!
//! The article's hardest ideas happen where nobody can see them: a TCP read
//! may return part of a message or two at once, a connection ends politely
//! (FIN) or abruptly (RST), a datagram keeps its edges and can vanish.
//! wiretap sits in the middle and shows each of them as it happens, on every
//! OS, without Wireshark. Point the client at wiretap instead of the server:
//!
//! ```text
//! cargo run -p tcp-server                                          # 终端 1：服务器，localhost:9999
//! cargo run -p wiretap -- 127.0.0.1:9998 127.0.0.1:9999            # 终端 2：wiretap
//! cargo run -p tcp-client -- 127.0.0.1:9998                        # 终端 3：客户端连 wiretap
//! cargo run -p wiretap -- 127.0.0.1:9998 127.0.0.1:9999 --chunk 4  # 把每块拆成 4 字节
//! cargo run -p wiretap -- 127.0.0.1:9998 127.0.0.1:9999 --udp --drop 0.5
//! cargo run -p wiretap -- 127.0.0.1:9998 127.0.0.1:9999 --pcap tcp.pcap   # 用 Wireshark 打开
//! ```
//!
//! The modules, one concern each: `tcp` and `udp` relay, `display` turns
//! bytes into hex and text, `report` prints each event and adds it to the
//! diagram that `mermaid` writes, `pcap` and `packet` make the capture file,
//! `files` writes files whole, `own` keeps wiretap from relaying to itself,
//! `faults` holds what the learner switched on, `settings` reads the
//! command line.

mod faults;
mod files;
mod mermaid;
mod own;
mod packet;
mod pcap;
mod report;
mod settings;
mod tcp;
mod udp;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::errors;

use crate::report::Tap;
// The byte display is the library's, shared with the workshop's checker.
use crate::settings::Settings;
use wiretap::display;

const USAGE: Usage = Usage {
    program: "wiretap",
    about: "wiretap：夹在客户端和服务器之间，转发一切，并当场显示经过的每一块数据、每一次关闭（FIN）和重置（RST）。",
    arguments: &[
        (
            "LISTEN_ADDR",
            "wiretap 监听的地址，客户端连这里；端口写 0 让系统挑一个空闲端口",
        ),
        (
            "SERVER_ADDR",
            "真正的服务器的地址，wiretap 把数据转发到这里",
        ),
    ],
    options: &[
        ("--udp", "转发 UDP 数据报（不写就转发 TCP 连接）"),
        (
            "--chunk N",
            "TCP：把每次读到的数据拆成 N 字节一块转发，块之间停 20 毫秒：对方的一次 read 只能拿到一部分",
        ),
        (
            "--delay MS",
            "每次转发之前等 MS 毫秒（和 --chunk 一起用时，每一块之前都等）",
        ),
        (
            "--drop P",
            "UDP：按概率 P 丢弃数据报（两个方向都算）。P 写成 0 到 1 之间的小数：0.3 丢三成，1 全丢；也可以写 30%",
        ),
        (
            "--seed S",
            "丢包用的随机种子（非负整数）：同一个种子，丢的也一样。每个客户端各自从头抽签：丢不丢只看这是它的第几个数据报，和别的客户端谁先到无关",
        ),
        (
            "--reset-after N",
            "TCP：一共转发 N 字节之后，用 RST 重置两边的连接",
        ),
        (
            "--mermaid FILE",
            "把这一次的往来画成 Mermaid 时序图写进 FILE；FILE 以 .md 结尾时带上 ```mermaid 围栏",
        ),
        (
            "--pcap FILE",
            "把转发的数据写成抓包文件 FILE（pcap 格式），用 Wireshark 或 tshark 打开。它是按 wiretap 读写的数据重建的，不是系统真正发出的数据包",
        ),
        (
            "--exit-after N",
            "处理完 N 个连接（UDP：N 个客户端）后退出，达到上限被拒绝的不算；不写就一直运行，按 Ctrl-C 结束",
        ),
        (
            "--max-connections N",
            "同时转发的连接（UDP：客户端）上限，默认 64，最多 1024",
        ),
        (
            "--idle S",
            "两个方向都超过 S 秒没有数据，就断开这个连接（UDP：忘掉这个客户端），默认 30",
        ),
    ],
    notes: &[
        "每一块数据显示：距离连接建立的时间、方向（客户端 → 服务器 / 服务器 → 客户端）、字节数，",
        "左边是十六进制，右边是文字。被块边界切开的 UTF-8 字符标成“被截断”，下一块里会把它拼完整。",
        "一方关闭写方向（FIN），wiretap 也关闭另一边的写方向；一方重置连接（RST），wiretap 也用 RST 重置另一边。",
        "每个连接最长 10 分钟。达到连接上限时，新连接会被关闭，并打印一行说明。",
        "--mermaid 的文件在每个连接结束后（UDP：每个数据报后）整个重写，按 Ctrl-C 时留下的也是完整的图。",
        "--pcap 的文件每秒（有新数据包时）整个重写一次，退出和按 Ctrl-C 时再写最后一次。",
        "服务器地址绕回 wiretap 自己（0.0.0.0、::、::ffff:127.0.0.1 这样的写法，或者端口转发）时，wiretap 拒绝转发。",
    ],
    examples: &[
        "wiretap 127.0.0.1:9998 127.0.0.1:9999",
        "wiretap 127.0.0.1:9998 127.0.0.1:9999 --chunk 4",
        "wiretap 127.0.0.1:9998 127.0.0.1:9999 --reset-after 10 --exit-after 1",
        "wiretap 127.0.0.1:9998 127.0.0.1:9999 --udp --drop 0.5 --seed 7",
        "wiretap 127.0.0.1:9998 127.0.0.1:9999 --mermaid tcp.md --exit-after 1",
        "wiretap 127.0.0.1:9998 127.0.0.1:9999 --pcap tcp.pcap --exit-after 1",
    ],
};

fn main() -> ExitCode {
    // 1. 读命令行：--help 和写错的参数在这里就打印好了，直接退出。
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 2. 转发，直到 --exit-after 个连接结束，或者被 Ctrl-C 打断。
    let result = relay(&args);
    // 3. 出错时打印一行中文说明，以非零状态退出。
    errors::report(result)
}

fn relay(args: &Args) -> Result<()> {
    let settings = Settings::from_args(args)?;
    // 日志交给一个单独的线程去写：终端被暂停或输出没人读时，转发照常进行，不会跟着停下。
    common::log::write_in_background();
    let udp = settings.udp;
    let tap = Arc::new(Tap::new(settings));
    // Ctrl-C 先等正在写的文件写完，再写最后一次抓包文件，然后退出：不留下写了一半的文件。
    let on_signal = Arc::clone(&tap);
    let _ = ctrlc::set_handler(move || on_signal.interrupted());
    if udp { udp::run(tap) } else { tcp::run(tap) }
}
