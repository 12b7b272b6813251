//! `event-loop-server --help`：命令行的说明和示例。放在这里，`main.rs` 就只剩本章的 socket 代码。

use common::cli::Usage;

pub const USAGE: Usage = Usage {
    program: "event-loop-server",
    about: "并发处理的另一种做法：一个线程用就绪事件（mio）同时照看所有连接，不为每个客户端开线程。",
    arguments: &[(
        "[ADDR]",
        "监听地址，默认 localhost:9999；端口写 0 让系统挑一个空闲端口",
    )],
    options: &[(
        "--max-connections N",
        "同时连接数的上限，默认 10000，最多 1000000",
    )],
    notes: &[
        "每个连接从被接受起有 5 秒期限：读、回复、关闭整个过程要在 5 秒内完成，",
        "不会因为客户端每隔一会儿发一个字节就重新计时。",
        "达到上限时：暂停接受新连接（记一行日志），新客户端留在系统的连接队列里等候，",
        "每结束一个连接就接受下一个；排队的都接受了再记一行。服务器自己不拒绝连接，也不会多开线程；",
        "系统的连接队列也满了，新来的客户端就连不上（Linux 上等到超时，Windows 上被拒绝）。",
        "系统对打开文件数的限制（ulimit -n，常见 1024）可能比上限先到：那时会记下原因，",
        "歇 100 毫秒再接受新连接，已经连上的客户端照常服务。",
    ],
    examples: &[
        "event-loop-server",
        "event-loop-server 127.0.0.1:0 --max-connections 100",
        "event-loop-server 0.0.0.0:9999",
    ],
};
