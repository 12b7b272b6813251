//! `udp-client --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "udp-client",
    about: "原文「UDP 客户端」：发送一个数据报，打印服务器的回复。",
    arguments: &[
        ("[ADDR]", "服务器地址，默认 localhost:9999"),
        ("[MESSAGE]", "要发送的消息，默认“你好，UDP 服务器！”"),
    ],
    options: &[],
    notes: &[
        "每次等待回复 3 秒，没有回复就重发，共 3 次（原文会一直等下去）。",
        "名字解析出几个地址时，一共 9 秒的等待由这些地址平分。",
    ],
    examples: &["udp-client", "udp-client 127.0.0.1:9999 \"自己的消息\""],
};
