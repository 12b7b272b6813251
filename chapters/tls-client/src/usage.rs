//! `tls-client --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "tls-client",
    about: "原文「安全考量」没有写的客户端：验证服务器的证书，发送一条消息，打印服务器的回复。",
    arguments: &[
        (
            "[ADDR]",
            "服务器地址，默认 localhost:9999；证书上必须有这里的主机名或 IP",
        ),
        ("[MESSAGE]", "要发送的消息，默认“你好，服务器！”"),
    ],
    options: &[(
        "--ca FILE",
        "只信任这个 PEM 证书文件，默认 server.crt（tls-server 生成的那个）",
    )],
    notes: &[
        "没有“跳过验证”的选项：不验证证书的 TLS 挡不住冒充服务器的中间人，加密也就白做了。",
        "--ca 必须是一个普通文件，最大 1 MiB（证书通常只有几 KB）。",
        "连接最多等 5 秒；连上之后，握手、发送和读完回复一共最多 10 秒（整个对话的期限，不是每次读写各 10 秒）。",
        "设置了环境变量 SSLKEYLOGFILE 时，把 TLS 会话密钥追加到那个文件（NSS 格式），Wireshark 用它解密抓到的包；有这个文件的人都能解密，用完请删掉。",
    ],
    examples: &[
        "tls-client",
        "tls-client localhost:9999 \"自己的消息\" --ca server.crt",
    ],
};
