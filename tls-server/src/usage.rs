//! `tls-server --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "tls-server",
    about: "原文「安全考量」：用 TLS 加密的服务器。逐个接受连接，完成 TLS 握手，读一次数据，回复“数据已收到”。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[
        ("--cert FILE", "PEM 格式的证书（链），默认 server.crt"),
        (
            "--key FILE",
            "PEM 格式的私钥（PKCS#8、PKCS#1 RSA 或 SEC1 EC），默认 server.key",
        ),
    ],
    notes: &[
        "不给 --cert/--key，而当前目录里 server.crt 和 server.key 都不存在时，会生成一张自签名证书（适用于 localhost、127.0.0.1 和 ::1）和它的私钥。",
        "连上后 5 秒内没有完成握手或没有发数据的客户端会被断开（原文会一直等下去）。",
    ],
    examples: &[
        "tls-server",
        "tls-server 127.0.0.1:0",
        "tls-server localhost:9999 --cert my.crt --key my.key",
    ],
};
