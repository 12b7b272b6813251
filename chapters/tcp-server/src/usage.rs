//! `tcp-server --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "tcp-server",
    about: "原文「简单的 TCP 服务器」：逐个接受连接，读一次数据，回复“数据已收到”，然后关闭连接。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[],
    notes: &["连上后 5 秒内不发数据的客户端会被断开（原文会一直等下去）。"],
    examples: &[
        "tcp-server",
        "tcp-server 127.0.0.1:0",
        "tcp-server 0.0.0.0:9999     # 让同一网络里的其他电脑也能连上",
    ],
};
