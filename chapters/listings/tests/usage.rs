//! 原文「使用方法」一节逐段对照的 Rust 代码。
//!
//! The article's 使用方法 section is made of fragments, not programs: create
//! a socket, bind, listen, connect, send and receive, close. The book's
//! usage page (docs/src/usage.md) quotes the regions below, one for each of
//! those fragments, and the tests at the bottom run every one of them over
//! loopback, so each quoted line is code that really works.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

/// 原文「创建 Socket 对象」：UDP 的那一半。TCP 的那一半见 `listen` 和 `connect`。
fn create_udp() -> io::Result<UdpSocket> {
    // ANCHOR: create
    // tcp_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // std 里没有这一步：服务器的 TCP Socket 由 TcpListener::bind 创建，
    // 客户端的由 TcpStream::connect 创建，创建出来就已经能用了。

    // udp_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    // UdpSocket::bind 创建并绑定。端口写 0 让系统挑一个空闲端口；
    // Python 的 UDP 客户端在第一次 sendto 时也是这样悄悄绑定的。
    let udp_socket = UdpSocket::bind("127.0.0.1:0")?;
    // ANCHOR_END: create
    Ok(udp_socket)
}

/// 原文「绑定地址和端口」和「监听连接（服务器端）」。
fn listen(server_address: &str) -> io::Result<TcpListener> {
    // ANCHOR: bind_listen
    // tcp_socket.bind(server_address)
    // tcp_socket.listen(5)
    // 两步在 std 里是一次调用。积压队列的长度由 std 决定，不是参数。
    let tcp_socket = TcpListener::bind(server_address)?;
    println!("等待客户端连接... {}", tcp_socket.local_addr()?);
    // ANCHOR_END: bind_listen
    Ok(tcp_socket)
}

/// 原文「发起连接（客户端）」。
fn connect(server_address: SocketAddr) -> io::Result<TcpStream> {
    // ANCHOR: connect
    // client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // client_socket.connect(server_address)
    let client_socket = TcpStream::connect(server_address)?;
    // 原文没有超时。要限制连接等待的时间，用 TcpStream::connect_timeout。
    // ANCHOR_END: connect
    Ok(client_socket)
}

/// 原文「发送和接收数据 / TCP」的服务器端，服务一个连接。
fn serve_one(tcp_socket: &TcpListener) -> io::Result<()> {
    // ANCHOR: tcp_server
    // connection, client_address = tcp_socket.accept()
    let (mut connection, client_address) = tcp_socket.accept()?;
    // data = connection.recv(1024)
    let mut data = [0; 1024];
    let received = connection.read(&mut data)?;
    // if data:
    if received > 0 {
        // print(f'收到来自 {client_address} 的数据: {data.decode()}')
        let text = String::from_utf8_lossy(&data[..received]);
        println!("收到来自 {client_address} 的数据: {text}");
        // connection.sendall(b'数据已收到')
        connection.write_all("数据已收到".as_bytes())?;
    }
    // finally: connection.close() —— 函数结束时 connection 被 drop，连接随之关闭；
    // 上面任何一个 ? 提前返回时也一样，这就是 Rust 里的 finally。
    // ANCHOR_END: tcp_server
    Ok(())
}

/// 原文「发送和接收数据 / TCP」的客户端。
fn talk(client_socket: &mut TcpStream) -> io::Result<String> {
    // ANCHOR: tcp_client
    // message = b'你好，服务器！'（这样写在 Python 3 里是 SyntaxError，见勘误）
    let message = "你好，服务器！".as_bytes();
    // client_socket.sendall(message)
    client_socket.write_all(message)?;
    // data = client_socket.recv(1024) —— 和原文一样只读一次，可能只读到一部分。
    let mut data = [0; 1024];
    let received = client_socket.read(&mut data)?;
    // print(f'收到服务器的响应: {data.decode()}')
    let reply = String::from_utf8_lossy(&data[..received]);
    println!("收到服务器的响应: {reply}");
    // ANCHOR_END: tcp_client
    Ok(reply.into_owned())
}

/// 原文「发送和接收数据 / UDP」的服务器端，回答一个数据报。
fn answer_one(udp_socket: &UdpSocket) -> io::Result<()> {
    // ANCHOR: udp_server
    // data, client_address = udp_socket.recvfrom(1024)
    let mut data = [0; 1024];
    let (received, client_address) = udp_socket.recv_from(&mut data)?;
    // if data:
    if received > 0 {
        let text = String::from_utf8_lossy(&data[..received]);
        println!("收到来自 {client_address} 的 UDP 数据: {text}");
        // udp_socket.sendto(b'UDP 数据已收到', client_address)
        udp_socket.send_to("UDP 数据已收到".as_bytes(), client_address)?;
    }
    // ANCHOR_END: udp_server
    Ok(())
}

/// 原文「发送和接收数据 / UDP」的客户端。
fn ask(udp_socket: &UdpSocket, server_address: SocketAddr) -> io::Result<String> {
    // ANCHOR: udp_client
    // 原文没有超时：数据报一旦丢失，recvfrom 会永远等下去。
    udp_socket.set_read_timeout(Some(Duration::from_secs(3)))?;
    // message = b'你好，UDP 服务器！'
    // udp_socket.sendto(message, server_address)
    udp_socket.send_to("你好，UDP 服务器！".as_bytes(), server_address)?;
    // data, server = udp_socket.recvfrom(1024)
    let mut data = [0; 1024];
    let (received, _server) = udp_socket.recv_from(&mut data)?;
    let reply = String::from_utf8_lossy(&data[..received]);
    println!("收到 UDP 服务器的响应: {reply}");
    // ANCHOR_END: udp_client
    Ok(reply.into_owned())
}

/// 原文「关闭连接」。
fn close(client_socket: TcpStream, tcp_socket: TcpListener, udp_socket: UdpSocket) {
    // ANCHOR: close
    // client_socket.close()
    drop(client_socket);
    // tcp_socket.close()
    drop(tcp_socket);
    // udp_socket.close()
    drop(udp_socket);
    // 平时不必写 drop：变量离开作用域时会自动关闭，出错提前返回时也一样。
    // ANCHOR_END: close
}

/// 原文没有的一步：等待有期限。
fn read_or_give_up(connection: &mut TcpStream, timeout: Duration) -> io::Result<Option<usize>> {
    // ANCHOR: timeout
    // connection.settimeout(timeout) —— std 把读和写的期限分开设置。
    connection.set_read_timeout(Some(timeout))?;
    connection.set_write_timeout(Some(timeout))?;
    let mut data = [0; 1024];
    match connection.read(&mut data) {
        Ok(received) => Ok(Some(received)),
        // 到期：Unix 上报告为 WouldBlock，Windows 上为 TimedOut。
        // Python 在这里抛出 TimeoutError（socket.timeout）。
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
        Err(e) => Err(e),
    }
    // ANCHOR_END: timeout
}

/// A connected pair over loopback: (client side, server side).
fn pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

#[test]
fn the_tcp_fragments_make_the_articles_exchange() -> io::Result<()> {
    let tcp_socket = listen("127.0.0.1:0")?;
    let address = tcp_socket.local_addr()?;
    let server = thread::spawn(move || serve_one(&tcp_socket).map(|()| tcp_socket));
    let mut client_socket = connect(address)?;
    assert_eq!(talk(&mut client_socket)?, "数据已收到");
    let tcp_socket = server.join().expect("the server thread ended normally")?;
    close(client_socket, tcp_socket, create_udp()?);
    Ok(())
}

#[test]
fn the_udp_fragments_make_the_articles_exchange() -> io::Result<()> {
    let server_socket = create_udp()?;
    let address = server_socket.local_addr()?;
    let server = thread::spawn(move || answer_one(&server_socket));
    let udp_socket = create_udp()?;
    assert_eq!(ask(&udp_socket, address)?, "UDP 数据已收到");
    server.join().expect("the server thread ended normally")
}

#[test]
fn a_silent_peer_ends_the_wait_when_the_timeout_expires() -> io::Result<()> {
    let (_silent_client, mut connection) = pair()?;
    let started = Instant::now();
    let outcome = read_or_give_up(&mut connection, Duration::from_millis(200))?;
    assert_eq!(outcome, None, "nothing was sent, so nothing can be read");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(started.elapsed() < Duration::from_millis(200) + testkit::deadline::MARGIN);
    Ok(())
}

#[test]
fn a_closed_peer_reads_as_zero_bytes() -> io::Result<()> {
    let (client, mut connection) = pair()?;
    client.shutdown(Shutdown::Write)?;
    let outcome = read_or_give_up(&mut connection, testkit::PATIENCE)?;
    assert_eq!(outcome, Some(0), "0 bytes is how a closed connection reads");
    Ok(())
}

#[test]
fn one_read_can_return_part_of_a_message() -> io::Result<()> {
    let (mut client, mut server) = pair()?;
    // ANCHOR: partial_read
    // 客户端把“你好，服务器！”分两次发出（网络上的数据随时可能这样被分开）。
    client.write_all("你好，".as_bytes())?;
    let mut data = [0; 1024];
    // 服务器的一次 read（原文的一次 recv）只拿到已经到达的部分，不会等整条消息。
    let first = server.read(&mut data)?;
    client.write_all("服务器！".as_bytes())?;
    let second = server.read(&mut data[first..])?;
    assert!(first < "你好，服务器！".len());
    assert_eq!(&data[..first + second], "你好，服务器！".as_bytes());
    // ANCHOR_END: partial_read
    Ok(())
}
