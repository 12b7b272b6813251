//! 练习 5 的参考答案：线程数有上限的服务器（原文「最佳实践 / 并发处理」）。
//!
//! 和 exercises/ex5_thread_pool.rs 的结构一样，只是 TODO 写好了。
//! 写法不止一种：检查通过了，你的写法就是对的；这里只是一种供对照的写法。
//!
//! This is the answer key the workshop's tests run every check against.

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

/// TODO：启动 `threads` 个工作线程，返回“等候室”的发送端。
fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    // 有容量上限的通道：发送端留给接受连接的循环，接收端由工作线程共用（一次只让一个线程取）。
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for number in 0..threads {
        let clients = Arc::clone(&clients);
        thread::Builder::new()
            .name(format!("worker-{number}"))
            .spawn(move || work(&clients))
            .with_context(|| format!("无法创建第 {} 个工作线程", number + 1))?;
    }
    Ok(waiting_room)
}

/// 一个工作线程：取下一个等候的客户端，服务它，再取下一个。
fn work(clients: &Mutex<Receiver<Client>>) {
    loop {
        // 锁只在取客户端的这一句里持有；服务客户端时，别的线程照样能取。
        let next = clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok((connection, client_address)) = next else {
            return; // 发送端没了：服务器正在退出。
        };
        handle_connection(connection, client_address);
    }
}
