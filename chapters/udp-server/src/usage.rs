//! `udp-server --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "udp-server",
    about: "原文「UDP 服务器」：接收数据报，打印内容，并回复“UDP 数据已收到”。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &[
        "超过 1024 字节的数据报会被截断，日志里会说明。",
        "不回复：来源是本服务器自己或端口 0 的数据报、内容就是“UDP 数据已收到”的数据报，",
        "以及同一个来源每秒超过 5 个的数据报。这样伪造的来源地址不能让服务器和自己（或别的回声服务）没完没了地对答。",
    ],
    examples: &[
        "udp-server",
        "udp-server 127.0.0.1:0",
        "udp-server 0.0.0.0:9999",
    ],
};
