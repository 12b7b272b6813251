//! `tcp-client --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "tcp-client",
    about: "原文「TCP 客户端」：连接服务器，发送一条消息，打印服务器的回复。",
    arguments: &[
        ("[ADDR]", "服务器地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，服务器！”"),
    ],
    options: &[],
    notes: &[
        "连接最多等 5 秒；连上之后，发送和读完回复一共最多 10 秒（整个对话的期限；原文会一直等下去）。",
    ],
    examples: &["tcp-client", "tcp-client 127.0.0.1:9999 \"自己的消息\""],
};
