//! 练习 7：消息的边界（书里的「小结与进阶 / 消息的边界」，docs/src/next-steps.md）。
//!
//! TCP 只传字节流，不记得发送方一次 `send` 了多少：两条消息可能在一次 `read` 里一起到达，
//! 一条消息也可能被拆成好几次 `read`。原文只 `recv` 一次，就当成了一条消息。
//!
//! 这个服务器和客户端约定了一个最简单的协议：每条消息以换行符 `\n` 结尾，一条连接上可以发很多条，
//! 服务器每收到一条，打印“收到来自 … 的消息: …”，回复“数据已收到”加换行。检查会这样考验它：
//!
//! - 两条消息在一次 write 里发来：要打印成两条，回复两次；
//! - 经过 `wiretap --chunk 1`，消息一个字节一个字节地到达：要等到换行符才算一条，汉字不能被切开；
//! - 一行 2000 个字节、超过了上限 1024（`MOST_BYTES`）：要拒绝，记一行，断开这个连接，接着服务别人。
//!
//! 服务器的其余部分都写好了，只有 `receive_line` 留成了 `TODO`（在文件末尾）。
//!
//! ```text
//! cargo run -p workshop -- check 7           # 检查
//! cargo run -p workshop -- check 7 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex7 -- 127.0.0.1:9999   # 自己运行
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{IO_TIMEOUT, TCP_REPLY, errors, esay, say, show_bytes};

/// 一行最长多少字节（不算结尾的换行符）。
const MOST_BYTES: usize = 1024;

const USAGE: Usage = Usage {
    program: "ex7",
    about: "练习 7：一行一条消息的 TCP 服务器。一条连接上可以发很多条消息，每条以换行结尾，每条都回复“数据已收到”和换行。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &[],
    examples: &["ex7 127.0.0.1:9999"],
};

fn main() -> ExitCode {
    // 读命令行；--help 和写错的参数在这里就处理好了。
    let args = match USAGE.parse_command_line() {
        Ok(args) => args,
        Err(exit_code) => return exit_code,
    };
    // 出错时打印一行“错误: …”，以非零状态退出。
    errors::report(serve(&args))
}

fn serve(args: &Args) -> Result<()> {
    let server_address = args.addr.bind_address()?;
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);
    loop {
        match server_socket.accept() {
            Ok((connection, client_address)) => handle_connection(&connection, client_address),
            Err(e) => common::accept_failed(&e),
        }
        // connection 在这里被 drop，连接随之关闭。
    }
}

/// 一条连接：读一行、打印、回复，直到客户端关闭连接；出错只记一行。
fn handle_connection(connection: &TcpStream, client_address: SocketAddr) {
    // 整条连接一个 5 秒的期限：一个不说话、或者永远不发换行符的客户端，不能一直占着服务器。
    let deadline = Deadline::after(IO_TIMEOUT);
    if let Err(e) = converse(connection, client_address, deadline) {
        esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
}

fn converse(
    connection: &TcpStream,
    client_address: SocketAddr,
    deadline: Deadline,
) -> io::Result<()> {
    // BufReader 一次从 Socket 读一大块，再从里面一行一行地交出来；guard 让每次读写都受期限限制。
    let mut reader = BufReader::new(deadline.guard(connection));
    let mut writer = deadline.guard(connection);
    // 一条连接上可以有很多条消息：一行一条，直到客户端关闭连接（receive_line 返回 None）。
    while let Some(message) = receive_line(&mut reader)? {
        say!("收到来自 {client_address} 的消息: {}", show_bytes(&message));
        // 每条消息一个回复，回复也以换行结尾，客户端才知道一个回复在哪里结束。
        writer.write_all(format!("{TCP_REPLY}\n").as_bytes())?;
    }
    Ok(())
}

// ===================== 下面是要你写的部分 =====================

/// TODO：读一行（以 `\n` 结尾的一条消息），返回它（不带 `\n`）；连接已经关闭、没有更多消息时返回 None。
///
/// 原文：`data = connection.recv(1024)` —— 一次读到多少就当成一条消息，这正是要改的。
///
/// `reader` 是套在连接外面的 `BufReader`：它一次从 Socket 读一大块，你可以从里面一行一行地取。
/// - `read_until(b'\n', &mut line)` 一直读，直到读到换行符（换行符也放进 `line`），或者连接关闭；
///   它返回读了几个字节，0 表示连接已经关闭、没有更多消息了。
/// - 上限：对方如果永远不发换行符，`read_until` 会一直往 `line` 里攒。先 `reader.by_ref().take(n)`
///   限制它最多读 n 个字节（`MOST_BYTES + 1`，算上换行符），读满了还没看到换行符，就返回一个错误：
///   `io::Error::new(ErrorKind::InvalidData, "一行超过 1024 字节")`。
/// - 连接在一行的中间关闭（最后没有换行符）：也返回一个错误，半行不算一条消息。
fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    Err(not_written("TODO（receive_line：读一行）"))
}

/// 还没写的那一步返回这个错误，说出是哪一步。写好后，就用不到它了。
fn not_written(step: &str) -> io::Error {
    io::Error::other(format!("还没写：{step}"))
}
