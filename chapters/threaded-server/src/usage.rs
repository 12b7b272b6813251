//! `threaded-server --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "threaded-server",
    about: "原文「并发处理」：多个客户端同时服务；线程数有上限，不会因为连接太多而耗尽资源。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[(
        "--threads N",
        "工作线程数，也就是同时服务的客户端上限，默认 256，最多 4096",
    )],
    notes: &[
        "达到上限时：新连接先在队列里等候（最多 1024 个），队列也满了就留在系统的连接队列里，",
        "等有线程空下来再服务。不会再创建线程，内存也不会随连接数上涨；系统的连接队列也满了，",
        "新来的客户端就连不上（Linux 上等到超时，Windows 上被拒绝）。",
        "每个连接从工作线程取到它起有 5 秒期限：读、回复、关闭都在这 5 秒里，",
        "不会因为客户端隔一会儿发一个字节就重新计时，空闲或慢吞吞的客户端都不能一直占着线程。",
    ],
    examples: &[
        "threaded-server",
        "threaded-server 127.0.0.1:0 --threads 8",
        "threaded-server 0.0.0.0:9999",
    ],
};
