//! 练习 5：线程数有上限的服务器（原文「最佳实践 / 并发处理」，书里的 docs/src/concurrency.md）。
//!
//! 原文每来一个连接就开一个新线程：同时连上来一千个客户端，就是一千个线程。
//! 这个服务器改用一个线程池（和 Rust Book 最后一章的 ThreadPool 一样）：启动时创建固定数量的
//! 工作线程（`--threads N`，默认 4），接受连接的循环把每个连接放进一个“等候室”（通道），
//! 空闲的工作线程从里面取出来服务。检查会这样考验它：
//!
//! - 20 个客户端同时连上来，个个都得到“数据已收到”；
//! - 一个连上却一言不发的客户端，不耽误别人（它占着一个工作线程，别的线程照样干活）；
//! - 同时服务的客户端从不超过 `--threads`：4 个一言不发的客户端占满了 4 个线程时，
//!   第 5 个客户端要等其中一个被断开（5 秒的期限到了）才得到服务。
//!
//! 接受连接的循环和每个连接怎样服务（`handle_connection`）都写好了，
//! 只有 `start_pool` 留成了 `TODO`（在文件末尾）。
//!
//! ```text
//! cargo run -p workshop -- check 5           # 检查：20 个 tcp-client 同时连，以及一言不发的客户端
//! cargo run -p workshop -- check 5 --hint    # 卡住了：先给一点提示，再问给得更多
//! cargo run -p exercises --bin ex5 -- 127.0.0.1:9999 --threads 2   # 自己运行
//! ```

// 练习写完之前，有些 use、变量和函数还用不到；这一行让编译器先不提醒它们。
#![allow(unused_imports, unused_variables, dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use anyhow::{Context, Result, bail};
use common::cli::{Args, Usage};
use common::deadline::Deadline;
use common::{BUFFER_SIZE, IO_TIMEOUT, TCP_REPLY, errors, esay, say, show_bytes};

/// 默认的工作线程数。
const DEFAULT_THREADS: usize = 4;
/// `--threads` 的上限：防止多打了几个 0。
const MAX_THREADS: usize = 256;
/// 工作线程都忙时，最多有多少个已接受的连接排队等候。
const WAITING_ROOM: usize = 64;

/// 一个已接受的连接和客户端的地址：交给工作线程的就是它。
type Client = (TcpStream, SocketAddr);

const USAGE: Usage = Usage {
    program: "ex5",
    about: "练习 5：线程数有上限的 TCP 服务器。固定数量的工作线程轮流服务客户端，协议和 tcp-server 一样。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[("--threads N", "工作线程数，默认 4，最多 256")],
    notes: &[],
    examples: &["ex5 127.0.0.1:9999", "ex5 127.0.0.1:9999 --threads 2"],
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
    let threads = args.number("--threads", DEFAULT_THREADS)?;
    if threads > MAX_THREADS {
        bail!("--threads {threads} 太多了：最多 {MAX_THREADS} 个");
    }
    let server_address = args.addr.bind_address()?;
    // server_socket.bind(server_address); server_socket.listen(5)
    let server_socket =
        TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?;
    // 原文每来一个连接就 threading.Thread(...).start()，线程数没有上限。
    // 这里先创建固定数量的工作线程，再把每个连接交给它们。
    let waiting_room = start_pool(threads)?;
    say!("等待客户端连接... {}", server_socket.local_addr()?);

    loop {
        // connection, client_address = server_socket.accept()
        match server_socket.accept() {
            // 原文：client_thread = threading.Thread(target=handle_connection, args=(...))
            //       client_thread.start()
            // 这里不开新线程，而是把连接放进等候室，由空闲的工作线程取走。等候室满了，send 就等着。
            Ok(client) => {
                if waiting_room.send(client).is_err() {
                    bail!("所有工作线程都已退出，服务器无法继续");
                }
            }
            Err(e) => common::accept_failed(&e),
        }
    }
}

/// 原文的 `handle_connection(connection, client_address)`，在工作线程里运行。
fn handle_connection(mut connection: TcpStream, client_address: SocketAddr) {
    // 整个对话 5 秒：一个不说话的客户端最多占着一个工作线程 5 秒。
    let deadline = Deadline::after(IO_TIMEOUT);
    // try:
    if let Err(e) = receive_and_reply(&mut connection, client_address, deadline) {
        esay!("与客户端 {client_address} 通信时出错: {}", errors::peer(&e));
    }
    // finally: connection.close() —— 先关闭写方向，再读掉客户端多发的字节，关闭才是 FIN 而不是 RST。
    let _ = connection.shutdown(Shutdown::Write);
    let mut scratch = [0; BUFFER_SIZE];
    while let Ok(read) = deadline
        .apply(&connection)
        .and_then(|()| connection.read(&mut scratch))
    {
        if read == 0 {
            break;
        }
    }
}

fn receive_and_reply(
    connection: &mut TcpStream,
    client_address: SocketAddr,
    deadline: Deadline,
) -> io::Result<()> {
    // data = connection.recv(1024)
    let mut data = [0; BUFFER_SIZE];
    deadline.apply(connection)?;
    let received = connection.read(&mut data)?;
    // if data:
    if received == 0 {
        esay!("客户端 {client_address} 没有发送数据就关闭了连接");
        return Ok(());
    }
    // print(f'收到来自 {client_address} 的数据: {data.decode()}')
    say!(
        "收到来自 {client_address} 的数据: {}",
        show_bytes(&data[..received])
    );
    // connection.sendall(b'数据已收到')
    deadline.apply(connection)?;
    connection.write_all(TCP_REPLY.as_bytes())
}

// ===================== 下面是要你写的部分 =====================

/// TODO：启动 `threads` 个工作线程，返回“等候室”的发送端。
///
/// 原文：
/// ```python
/// client_thread = threading.Thread(target=handle_connection, args=(connection, client_address))
/// client_thread.start()
/// ```
/// 原文每个连接开一个线程；这里只在启动时开 `threads` 个，之后不再开新的。要做的：
/// 1. 一个有容量上限的通道：`mpsc::sync_channel::<Client>(WAITING_ROOM)`，得到发送端和接收端。
///    发送端返回给 `serve`，它的循环把每个接受的连接 `send` 进来。
/// 2. 接收端要给所有工作线程共用，可它一次只能被一个线程使用：放进 `Arc<Mutex<…>>`。
/// 3. 开 `threads` 个线程（`thread::spawn`，或者能起名字、出错时不 panic 的 `thread::Builder`），
///    每个线程不停地：锁住接收端、`recv()` 取下一个客户端、解锁，然后 `handle_connection(…)`。
///    `recv()` 返回错误说明发送端没了，线程就该结束。
///    注意：锁要在 `handle_connection` 之前就放开，否则同一时间只有一个线程能干活。
fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    Err(not_written("TODO（start_pool：启动工作线程）").into())
}

/// 还没写的那一步返回这个错误，说出是哪一步。写好后，就用不到它了。
fn not_written(step: &str) -> io::Error {
    io::Error::other(format!("还没写：{step}"))
}
