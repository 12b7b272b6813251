//! 消息的边界：TCP 只传字节流，一条消息在哪里结束，要由协议自己说清楚。
//!
//! The article reads one `recv(1024)` and calls it the message. The book's
//! next-steps page (docs/src/next-steps.md) quotes the two usual fixes from
//! this file, a length prefix and a delimiter, and the tests below run them
//! over real loopback connections with messages longer than 1024 bytes,
//! written in small pieces, and several messages back to back.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

// ANCHOR: length_prefix
/// 发送一条消息：先写 4 个字节的长度（大端序），再写消息本身。
fn send_message(stream: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let length = u32::try_from(message.len())
        .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "消息超过 4 GiB"))?;
    stream.write_all(&length.to_be_bytes())?;
    stream.write_all(message)
}

/// 接收一条消息：读满 4 个字节的长度，再读满这么多字节。
/// `limit` 防止对方报一个巨大的长度，让我们分配巨大的内存。
fn receive_message(stream: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut length = [0; 4];
    // read_exact 会反复 read，直到填满缓冲区；连接提前关闭则返回 UnexpectedEof。
    stream.read_exact(&mut length)?;
    let length = u32::from_be_bytes(length) as usize;
    if length > limit {
        let why = format!("消息长 {length} 字节，超过上限 {limit} 字节");
        return Err(io::Error::new(ErrorKind::InvalidData, why));
    }
    let mut message = vec![0; length];
    stream.read_exact(&mut message)?;
    Ok(message)
}
// ANCHOR_END: length_prefix

// ANCHOR: delimiter
/// 接收一行：消息以 '\n' 结尾（所以消息里不能有 '\n'）。
/// 连接已经关闭、没有更多消息时返回 None。
fn receive_line(reader: &mut impl BufRead, limit: u64) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    // BufReader 一次从 Socket 读一大块，read_until 从中找 '\n'，不够就接着读。
    let read = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        let why = format!("一行超过 {limit} 字节，或者连接在行尾之前断开了");
        return Err(io::Error::new(ErrorKind::InvalidData, why));
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}
// ANCHOR_END: delimiter

/// A connected pair over loopback: (client side, server side).
fn pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

/// 3000 bytes of text: longer than the article's 1024-byte buffer, and cut
/// by `chunks` below in the middle of three-byte characters.
fn long_message() -> Vec<u8> {
    "你好，服务器！".repeat(150).into_bytes()
}

#[test]
fn length_prefixed_messages_arrive_whole_however_they_are_cut() -> io::Result<()> {
    let (mut client, mut server) = pair()?;
    let writer = thread::spawn(move || -> io::Result<()> {
        // Write the frame in 100-byte pieces to force many partial reads.
        let mut frame = Vec::new();
        send_message(&mut frame, &long_message())?;
        send_message(&mut frame, "第二条".as_bytes())?;
        for piece in frame.chunks(100) {
            client.write_all(piece)?;
            client.flush()?;
        }
        Ok(())
    });
    assert_eq!(receive_message(&mut server, 1 << 20)?, long_message());
    assert_eq!(receive_message(&mut server, 1 << 20)?, "第二条".as_bytes());
    writer.join().expect("the writer thread ended normally")?;
    // The writer is gone: the next frame cannot be read, and says why.
    let end = receive_message(&mut server, 1 << 20).unwrap_err();
    assert_eq!(end.kind(), ErrorKind::UnexpectedEof);
    Ok(())
}

#[test]
fn a_length_over_the_limit_is_refused_before_allocating() -> io::Result<()> {
    let mut frame = Vec::new();
    send_message(&mut frame, &long_message())?;
    let refused = receive_message(&mut frame.as_slice(), 1024).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidData);
    assert!(refused.to_string().contains("超过上限 1024"), "{refused}");
    Ok(())
}

#[test]
fn lines_arrive_one_by_one_until_the_peer_closes() -> io::Result<()> {
    let (mut client, server) = pair()?;
    let mut text = String::from_utf8(long_message()).expect("the message is text");
    text += "\n第二行\n";
    let writer = thread::spawn(move || -> io::Result<()> {
        for piece in text.as_bytes().chunks(100) {
            client.write_all(piece)?;
        }
        Ok(()) // client is dropped here: the connection closes
    });
    let mut reader = BufReader::new(server);
    let first = receive_line(&mut reader, 1 << 20)?;
    assert_eq!(first.map(String::into_bytes), Some(long_message()));
    assert_eq!(
        receive_line(&mut reader, 1 << 20)?.as_deref(),
        Some("第二行")
    );
    writer.join().expect("the writer thread ended normally")?;
    assert_eq!(receive_line(&mut reader, 1 << 20)?, None);
    Ok(())
}

#[test]
fn a_line_over_the_limit_is_an_error() {
    let mut input = "x".repeat(2000).into_bytes();
    input.push(b'\n');
    let error = receive_line(&mut input.as_slice(), 1024).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidData);
}
