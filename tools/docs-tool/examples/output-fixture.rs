//! A tiny server and client for docs-tool's own tests of the output check
//! (`tests/docs.rs`), so those tests run real processes over loopback
//! without needing the chapter programs built.
//!
//! ```text
//! cargo run -p docs-tool --example output-fixture -- serve 127.0.0.1:0
//! cargo run -p docs-tool --example output-fixture -- send 127.0.0.1:PORT 你好
//! cargo run -p docs-tool --example output-fixture -- fail
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;

use common::{esay, say};

const HELP: &str = "output-fixture：docs-tool 测试用的小程序。

用法:
  output-fixture serve [ADDR]
  output-fixture send [ADDR] [MESSAGE]
  output-fixture fail";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["--help"] => {
            say!("{HELP}");
            ExitCode::SUCCESS
        }
        ["serve", addr] => serve(addr),
        ["send", addr, message] => send(addr, message),
        ["fail"] => {
            esay!("错误: 故意失败");
            ExitCode::from(3)
        }
        _ => {
            esay!("错误: 不认识的参数 {args:?}");
            ExitCode::from(2)
        }
    }
}

/// Prints its address, then answers each connection once: 好.
fn serve(addr: &str) -> ExitCode {
    let listener = match TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(e) => {
            esay!("错误: 无法绑定 {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(local) => say!("listening {local}"),
        Err(e) => {
            esay!("错误: {e}");
            return ExitCode::FAILURE;
        }
    }
    for connection in listener.incoming() {
        let Ok(mut connection) = connection else {
            continue;
        };
        let peer = connection
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |p| p.to_string());
        let mut data = [0; 1024];
        let received = connection.read(&mut data).unwrap_or(0);
        say!(
            "收到来自 {peer} 的数据: {}",
            String::from_utf8_lossy(&data[..received])
        );
        let _ = connection.write_all("好".as_bytes());
    }
    ExitCode::SUCCESS
}

/// Sends `message`, prints the whole reply.
fn send(addr: &str, message: &str) -> ExitCode {
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        Err(e) => {
            esay!("错误: 无法连接 {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut reply = Vec::new();
    let exchanged = stream
        .write_all(message.as_bytes())
        .and_then(|()| stream.shutdown(Shutdown::Write))
        .and_then(|()| stream.read_to_end(&mut reply));
    match exchanged {
        Ok(_) => {
            say!("回复: {}", String::from_utf8_lossy(&reply));
            ExitCode::SUCCESS
        }
        Err(e) => {
            esay!("错误: 与 {addr} 通信时出错: {e}");
            ExitCode::FAILURE
        }
    }
}
