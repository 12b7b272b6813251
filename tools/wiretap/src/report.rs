//! 每件事怎样打印、怎样画：控制台上的一行（或几行），Mermaid 图里的一个箭头或注释。
//!
//! Both come from the same [`Event`], so the diagram names exactly what the
//! console showed. Everything a learner should notice is on stdout; what
//! needs fixing or means a peer misbehaved (no server, the connection cap,
//! an unexpected error) is on stderr, the way the chapters' servers log.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{esay, say};

use crate::display::Shown;
use crate::mermaid::{self, Diagram, SERVER};
use crate::pcap::Capture;
use crate::settings::Settings;

/// How often the capture file is rewritten while packets come in.
const SAVE_CAPTURE_EVERY: Duration = Duration::from_secs(1);

/// One side of a relayed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "客户端",
            Side::Server => "服务器",
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// `客户端 → 服务器` for what this side sent.
    pub fn direction(self) -> String {
        format!("{} → {}", self.name(), self.other().name())
    }
}

/// What happened, as told to the learner.
pub enum Event<'a> {
    /// A TCP client connected and wiretap reached the server for it.
    Connected { client: SocketAddr, server: String },
    /// A TCP client connected but the server could not be reached.
    NoServer { client: SocketAddr, why: String },
    /// A TCP connection came from one of wiretap's own sockets: the server
    /// address leads back to wiretap (a port forward, a firewall rule).
    OwnConnection { client: SocketAddr },
    /// The connection cap was reached; this client was turned away.
    Refused {
        client: SocketAddr,
        limit: usize,
        udp: bool,
    },
    /// One read (TCP) or one datagram (UDP).
    Data {
        from: Side,
        size: usize,
        shown: &'a Shown,
        plan: String,
        /// The same, shorter, for the diagram.
        short_plan: String,
        /// UDP: the datagram, with the addresses on both sides and whether
        /// it was dropped.
        datagram: Option<(SocketAddr, SocketAddr, bool)>,
    },
    /// A side closed its sending direction; wiretap did the same to the other.
    Fin { from: Side },
    /// A side reset the connection; wiretap reset the other side too.
    Reset { from: Side },
    /// A side can no longer be written to; what it had not received is lost.
    Undeliverable { to: Side, why: String },
    /// The side that stopped taking data is reset, as its kernel would have.
    ResetForLostData { to: Side },
    /// Nothing crossed for too long: wiretap closed both sides.
    Timeout { what: String },
    /// `--reset-after`: wiretap reset both sides.
    ResetAfter { bytes: u64 },
    /// An error that is none of the above.
    Failed { from: Side, why: String },
    /// The connection is over.
    Closed { sent: [u64; 2], took: Duration },
    /// UDP: the first datagram of a new client.
    NewClient {
        client: SocketAddr,
        via: SocketAddr,
        server: SocketAddr,
    },
    /// UDP: the server's host said no program listens on that port.
    Unreachable { server: SocketAddr },
    /// UDP: a client's quiet time ran out.
    ClientDone { idle: Duration },
}

/// What all connections share: the settings, the diagram and the capture.
pub struct Tap {
    pub settings: Settings,
    diagram: Mutex<Diagram>,
    capture: OnceLock<Capture>,
}

impl Tap {
    pub fn new(settings: Settings) -> Tap {
        Tap {
            settings,
            diagram: Mutex::new(Diagram::default()),
            capture: OnceLock::new(),
        }
    }

    /// Writes the (empty) diagram and capture once at start-up, so that a
    /// FILE that cannot be written is a clear error before any client comes,
    /// and starts rewriting the capture once a second while it grows.
    pub fn start_files(self: &Arc<Tap>) -> anyhow::Result<()> {
        if let Some(path) = &self.settings.mermaid {
            self.lock()
                .save_first(path)
                .map_err(|e| file_error("--mermaid", path, &e))?;
        }
        if let Some(path) = &self.settings.pcap {
            let capture = Capture::start(path).map_err(|e| file_error("--pcap", path, &e))?;
            let _ = self.capture.set(capture);
            let tap = Arc::clone(self);
            // 存不下来也照常转发：线程起不来时，文件在退出时写一次。
            let _ = thread::Builder::new()
                .name("pcap".into())
                .spawn(move || tap.keep_saving_capture());
        }
        Ok(())
    }

    /// The capture, if `--pcap` asked for one.
    pub fn capture(&self) -> Option<&Capture> {
        self.capture.get()
    }

    /// Rewrites the capture file once a second while packets come in; an
    /// error is said once, not every second.
    fn keep_saving_capture(&self) {
        let Some(capture) = self.capture() else {
            return;
        };
        let mut last_error = None;
        loop {
            thread::sleep(SAVE_CAPTURE_EVERY);
            let error = capture.save().err().map(|e| e.to_string());
            if let Some(why) = &error
                && last_error.as_ref() != Some(why)
            {
                esay!("{:#}", file_error("--pcap", capture.path(), why));
            }
            last_error = error;
        }
    }

    /// Writes the capture for the last time, and says where it is.
    pub fn finish_capture(&self) {
        let Some(capture) = self.capture() else {
            return;
        };
        match capture.finish() {
            Ok(count) => say!(
                "抓包文件 {} 写好了：{count} 个数据包，用 Wireshark 或 tshark 打开",
                capture.path().display()
            ),
            Err(e) => esay!("{:#}", file_error("--pcap", capture.path(), &e)),
        }
    }

    /// Ctrl-C (or SIGTERM), on the signal's own thread: waits for a diagram
    /// being written, keeps any other from starting, writes the capture a
    /// last time, and ends the process. Nothing is left half-written.
    pub fn interrupted(&self) -> ! {
        // 拿住图的锁直到进程结束：正在写的图先写完，之后谁也不会再开始写。
        let _diagram = self.lock();
        self.finish_capture();
        // 日志在后台写（common::log）：退出前把排队的几行写出去。
        common::log::flush();
        // 130 = 128 + SIGINT：shell 里按 Ctrl-C 结束的程序通常就是这个退出码。
        std::process::exit(130)
    }

    /// Rewrites the diagram file, if there is one and something changed.
    pub fn save_diagram(&self) {
        let Some(path) = &self.settings.mermaid else {
            return;
        };
        if let Err(e) = self.lock().save(path) {
            esay!("{:#}", file_error("--mermaid", path, &e));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Diagram> {
        // A thread that panicked while holding the lock left a diagram that
        // is still a valid list of lines; keep drawing.
        self.diagram.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn file_error(
    option: &str,
    path: &std::path::Path,
    error: &dyn std::fmt::Display,
) -> anyhow::Error {
    let path = PathBuf::from(path);
    anyhow::anyhow!(
        "无法写入 {option} 文件 {}：{error}。请确认文件夹存在并且可以写入",
        path.display()
    )
}

/// One connection (UDP: one client) as the log sees it: its number and when
/// it started, which every line shows.
pub struct Trace {
    pub id: usize,
    started: Instant,
    tap: Arc<Tap>,
}

impl Trace {
    pub fn new(id: usize, tap: Arc<Tap>) -> Trace {
        Trace {
            id,
            started: Instant::now(),
            tap,
        }
    }

    pub fn tap(&self) -> &Tap {
        &self.tap
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Prints the event and adds it to the diagram, both under the
    /// diagram's lock: events of different connections are drawn in the
    /// order they were printed.
    pub fn note(&self, event: &Event) {
        let seconds = self.started.elapsed().as_secs_f64();
        let line = format!("#{} +{seconds:.3}s  {}", self.id, console(event));
        let mut diagram = self.tap.lock();
        if is_problem(event) {
            esay!("{line}");
        } else {
            say!("{line}");
        }
        if let Some(arrow) = diagram_line(self.id, event) {
            diagram.push(self.id, arrow);
        }
    }
}

fn is_problem(event: &Event) -> bool {
    matches!(
        event,
        Event::NoServer { .. }
            | Event::OwnConnection { .. }
            | Event::Refused { .. }
            | Event::Failed { .. }
            | Event::Unreachable { .. }
    )
}

/// The console text of an event (after `#N +T  `); several lines for data.
fn console(event: &Event) -> String {
    match event {
        Event::Connected { client, server } => {
            format!("新连接：客户端 {client} → wiretap → 服务器 {server}")
        }
        Event::NoServer { client, why } => format!(
            "新连接：客户端 {client}，但 wiretap {why}；已用 RST 关闭客户端的连接，继续等待下一个"
        ),
        Event::OwnConnection { client } => format!(
            "这个连接来自 wiretap 自己连服务器用的 Socket {client}：服务器地址绕回了 wiretap 自己（例如端口转发），不转发，已关闭"
        ),
        Event::Refused { client, limit, udp } => {
            let what = if *udp { "客户端" } else { "连接" };
            format!(
                "同时转发的{what}已达上限 {limit} 个（--max-connections），拒绝了 {client}；等有{what}结束后再来"
            )
        }
        Event::Data {
            from,
            size,
            shown,
            plan,
            datagram,
            ..
        } => data_lines(*from, *size, shown, plan, *datagram),
        Event::Fin { from } => format!(
            "{}  FIN：{}关闭了写方向（不再发送），已转告{}",
            from.direction(),
            from.name(),
            from.other().name()
        ),
        Event::Reset { from } => format!(
            "{}  RST：连接被{}重置，已用 RST 转告{}",
            from.direction(),
            from.name(),
            from.other().name()
        ),
        Event::Undeliverable { to, why } => {
            format!("无法再转发给{}：{why}", to.name())
        }
        Event::ResetForLostData { to } => format!(
            "{}发来的数据有一部分没能送到{}，用 RST 告诉{}（直接连接时它也会收到 RST）",
            to.name(),
            to.other().name(),
            to.name()
        ),
        Event::Timeout { what } => format!("超时：{what}，wiretap 关闭两边的连接"),
        Event::ResetAfter { bytes } => {
            format!("已转发 {bytes} 字节（--reset-after {bytes}），wiretap 用 RST 重置两边的连接")
        }
        Event::Failed { from, why } => format!("与{}通信时出错: {why}", from.name()),
        Event::Closed { sent, took } => format!(
            "连接结束：客户端 → 服务器 {} 字节，服务器 → 客户端 {} 字节，历时 {:.3}s",
            sent[0],
            sent[1],
            took.as_secs_f64()
        ),
        Event::NewClient {
            client,
            via,
            server,
        } => format!("新客户端 {client}：wiretap 用 {via} 替它和服务器 {server} 收发数据报"),
        Event::Unreachable { server } => {
            format!("服务器 {server} 的系统回报“端口不可达”：那里没有程序在接收 UDP 数据报")
        }
        Event::ClientDone { idle } => {
            format!("{} 秒没有数据报，这个客户端的会话结束", idle.as_secs())
        }
    }
}

fn data_lines(
    from: Side,
    size: usize,
    shown: &Shown,
    plan: &str,
    datagram: Option<(SocketAddr, SocketAddr, bool)>,
) -> String {
    let plan = match &shown.kind {
        Some(kind) => format!("（{kind}）{plan}"),
        None => plan.to_string(),
    };
    let mut text = match datagram {
        Some((client, server, dropped)) => {
            let (source, target) = match from {
                Side::Client => (format!("客户端 {client}"), format!("服务器 {server}")),
                Side::Server => (format!("服务器 {server}"), format!("客户端 {client}")),
            };
            let fate = if dropped {
                "，按 --drop 丢弃，没有转发"
            } else {
                ""
            };
            format!("{source} → {target}  数据报 {size} 字节{plan}{fate}")
        }
        None => format!("{}  {size} 字节{plan}", from.direction()),
    };
    for row in &shown.rows {
        let _ = write!(text, "\n    {row}");
    }
    text
}

/// The diagram line of an event, if it has one.
fn diagram_line(id: usize, event: &Event) -> Option<String> {
    let client = mermaid::client(id);
    let arrow = |from: Side, head: &str, text: String| {
        let (a, b) = match from {
            Side::Client => (client.as_str(), SERVER),
            Side::Server => (SERVER, client.as_str()),
        };
        format!("{a}{head}{b}: {}", mermaid::escape(&text))
    };
    let note = |text: String| format!("Note over {client},{SERVER}: {}", mermaid::escape(&text));
    Some(match event {
        Event::Connected { .. } => arrow(Side::Client, "->>", "建立连接".into()),
        Event::NoServer { .. } => arrow(
            Side::Client,
            "-x",
            "建立连接：wiretap 连不上服务器，用 RST 关闭了客户端".into(),
        ),
        Event::OwnConnection { .. } => format!(
            "Note over {client}: {}",
            mermaid::escape("来自 wiretap 自己，没有转发")
        ),
        Event::Refused { limit, .. } => format!(
            "Note over {client}: {}",
            mermaid::escape(&format!("已达上限 {limit} 个，wiretap 拒绝了这个客户端"))
        ),
        Event::Data {
            from,
            size,
            shown,
            short_plan,
            datagram,
            ..
        } => {
            let kind = if datagram.is_some() { "数据报 " } else { "" };
            let dropped = matches!(datagram, Some((_, _, true)));
            let head = if dropped { "-x" } else { "->>" };
            let fate = if dropped {
                "（被 wiretap 丢弃）"
            } else {
                ""
            };
            let label = format!("{kind}{size} 字节 {}{short_plan}{fate}", shown.label);
            arrow(*from, head, label)
        }
        Event::Fin { from } => arrow(*from, "-->>", "FIN（关闭了写方向）".into()),
        Event::Reset { from } => arrow(*from, "-x", "RST（连接被重置）".into()),
        Event::Undeliverable { to, why } => note(format!("无法再转发给{}：{why}", to.name())),
        Event::ResetForLostData { to } => {
            arrow(to.other(), "-x", "RST（数据没能送到，wiretap 发出）".into())
        }
        Event::Timeout { what } => note(format!("超时：{what}，wiretap 关闭两边")),
        Event::ResetAfter { bytes } => note(format!(
            "转发 {bytes} 字节后 wiretap 用 RST 重置两边（--reset-after）"
        )),
        Event::Failed { from, why } => note(format!("与{}通信时出错: {why}", from.name())),
        Event::Unreachable { .. } => {
            arrow(Side::Server, "-x", "端口不可达（没有程序在接收）".into())
        }
        Event::Closed { .. } | Event::NewClient { .. } | Event::ClientDone { .. } => return None,
    })
}
