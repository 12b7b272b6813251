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
        (
            "--name NAME",
            "证书上要有的名字：主机名或 IP 地址，可以写多次，最多 100 个；默认 localhost、127.0.0.1 和 ::1。0.0.0.0 和 :: 不行（客户端连不上它们），中文域名请写它的 xn-- 形式",
        ),
    ],
    notes: &[
        "证书和私钥都不存在时，会生成一张自签名证书（适用于 --name 给出的名字，默认 localhost、127.0.0.1 和 ::1）和它的私钥：不给 --cert/--key 时生成在当前目录的 server.crt 和 server.key；给了 --name 时也会生成在 --cert/--key 指定的位置。",
        "给了 --name 而证书已经存在时，会检查证书上有没有这些名字。只给 --cert/--key、不给 --name 时，文件只读不生成。",
        "证书和私钥必须是普通文件，最大 1 MiB；私钥能被别的用户读到时会提醒。",
        "启动时说明证书适用于哪些名字、哪天到期；证书已过期或 30 天内到期时会提醒。",
        "连上后 5 秒内没有完成握手或没有发数据的客户端会被断开（原文会一直等下去）。",
        "设置了环境变量 SSLKEYLOGFILE 时，把 TLS 会话密钥追加到那个文件（NSS 格式），Wireshark 用它解密抓到的包；有这个文件的人都能解密，用完请删掉。",
    ],
    examples: &[
        "tls-server",
        "tls-server 127.0.0.1:0",
        "tls-server localhost:9999 --cert my.crt --key my.key",
        "tls-server 0.0.0.0:9999 --cert lan.crt --key lan.key --name 192.0.2.10 --name teacher.local",
    ],
};
