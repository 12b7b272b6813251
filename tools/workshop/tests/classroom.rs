//! The workshop guide's LAN section, proven on a real network: a teacher and
//! three students, each in a Linux network namespace of its own, joined by
//! a bridge that lives in a namespace too. Nothing of the host's own
//! network is touched. The addresses are the documentation range
//! 192.0.2.0/24: the teacher is 192.0.2.10, students 192.0.2.21 to .23.
//!
//! Every test builds its own classroom (names unique per process and test)
//! and removes it when dropped: on success, on failure and on panic. It
//! needs root and the `ip` command; elsewhere each test prints one skip
//! note and passes (under CI, where `.ci/run` installs them, it fails). The
//! firewall tests need `nft`; the loss tests `tc` with netem, or `nft`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use testkit::{Outcome, Process, Server, TempDir};

/// What the classroom measured (the loss figures, the firewall lines), on
/// stderr past the test harness's capture: CI's log must show them even
/// when every test passes.
macro_rules! report {
    ($($line:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($line)*);
    }};
}
const TEACHER_IP: &str = "192.0.2.10";

/// A teacher, `students` students and the bridge between them.
struct Classroom {
    prefix: String,
    students: usize,
}

impl Classroom {
    /// Builds the classroom, or prints why it cannot and returns `None`.
    fn build(students: usize) -> Option<Classroom> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        testkit::tool("ip", &["-V"], "apt-get install iproute2")?;
        remove_stale_classrooms();
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("classroom-{}-{n}", std::process::id());
        let probe = ip(&["netns", "add", &format!("{prefix}-bridge")]);
        if !probe.status.success() {
            testkit::skip(&format!(
                "the classroom needs root to make network namespaces: {}",
                probe.stderr.trim()
            ));
            return None;
        }
        let classroom = Classroom { prefix, students };
        classroom.wire();
        Some(classroom)
    }

    fn bridge(&self) -> String {
        format!("{}-bridge", self.prefix)
    }

    fn teacher(&self) -> String {
        format!("{}-teacher", self.prefix)
    }

    fn student(&self, number: usize) -> String {
        format!("{}-student{number}", self.prefix)
    }

    fn student_ip(number: usize) -> String {
        format!("192.0.2.{}", 20 + number)
    }

    /// Every host: (namespace, its address, the name of its port on the bridge).
    fn hosts(&self) -> Vec<(String, String, String)> {
        let mut hosts = vec![(
            self.teacher(),
            TEACHER_IP.to_string(),
            "teacher".to_string(),
        )];
        for number in 1..=self.students {
            hosts.push((
                self.student(number),
                Self::student_ip(number),
                format!("student{number}"),
            ));
        }
        hosts
    }

    /// A bridge in its own namespace, and for every host a veth pair: one
    /// end on the bridge, the other in the host's namespace as `eth0`.
    fn wire(&self) {
        let bridge = self.bridge();
        run_ok(&["-n", &bridge, "link", "add", "br0", "type", "bridge"]);
        run_ok(&["-n", &bridge, "link", "set", "br0", "up"]);
        for (host, address, port) in self.hosts() {
            run_ok(&["netns", "add", &host]);
            run_ok(&[
                "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0",
                "netns", &host,
            ]);
            run_ok(&["-n", &bridge, "link", "set", &port, "master", "br0", "up"]);
            run_ok(&[
                "-n",
                &host,
                "addr",
                "add",
                &format!("{address}/24"),
                "dev",
                "eth0",
            ]);
            run_ok(&["-n", &host, "link", "set", "eth0", "up"]);
            run_ok(&["-n", &host, "link", "set", "lo", "up"]);
        }
    }

    /// A command inside `host`'s namespace, as an argument list for `Command`.
    fn inside(host: &str, program: &str, args: &[&str]) -> Vec<String> {
        let mut all = vec![
            "netns".to_string(),
            "exec".into(),
            host.into(),
            program.into(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    }

    /// Starts a server in `host`; its address comes from its first line.
    fn server(&self, host: &str, program: &str, args: &[&str]) -> Server {
        Server::start("ip", &Self::inside(host, program, args))
    }

    /// Runs a program in `host` to the end.
    fn run(&self, host: &str, program: &str, args: &[&str]) -> Outcome {
        testkit::run("ip", &Self::inside(host, program, args))
    }

    /// Starts a program in `host` in the background.
    fn start(&self, host: &str, program: &str, args: &[&str]) -> Process {
        Process::start("ip", &Self::inside(host, program, args))
    }
}

impl Drop for Classroom {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth ends in it, and with them their peers.
        for (host, _, _) in self.hosts() {
            ip(&["netns", "del", &host]);
        }
        ip(&["netns", "del", &self.bridge()]);
    }
}

/// Namespaces left by a test process that was killed (SIGKILL skips Drop).
fn remove_stale_classrooms() {
    let list = ip(&["netns", "list"]);
    for line in list.stdout.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some(rest) = name.strip_prefix("classroom-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !PathBuf::from(format!("/proc/{pid}")).exists() {
            ip(&["netns", "del", name]);
        }
    }
}

fn ip(args: &[&str]) -> Outcome {
    testkit::run("ip", args)
}

fn run_ok(args: &[&str]) {
    let outcome = ip(args);
    assert!(outcome.status.success(), "ip {args:?}: {outcome:?}");
}

/// Whether `program` runs here, without a skip note: for a tool with a
/// fallback.
fn runs(program: &str, probe: &[&str]) -> bool {
    Command::new(program)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `nft`, or a skip note (a failure under CI).
fn has_nft() -> bool {
    testkit::tool("nft", &["--version"], "apt-get install nftables").is_some()
}

/// A chapter program, built first if need be.
fn program(name: &str) -> String {
    testkit::program(name).display().to_string()
}

/// The port a server printed in its first line.
fn port(server: &Server) -> u16 {
    server.addr.port()
}

// ---------------------------------------------------------------------------
// localhost against 0.0.0.0

#[test]
fn a_server_on_localhost_cannot_be_reached_and_the_student_is_told_why() {
    let (server, client) = (program("tcp-server"), program("tcp-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["localhost:0"]);
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let outcome = room.run(&room.student(1), &client, &[&target]);
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    let expected = format!(
        "错误: 无法连接到 {target}: 连接被拒绝，{TEACHER_IP} 上没有程序在这个端口监听。服务器启动了吗？如果服务器在另一台电脑上，它必须监听 0.0.0.0（例如 tcp-server 0.0.0.0:{}）",
        port(&teacher)
    );
    assert!(outcome.stderr.starts_with(&expected), "{outcome:?}");
}

#[test]
fn a_server_on_0_0_0_0_lists_its_address_and_every_student_gets_the_reply() {
    let (server, client) = (program("tcp-server"), program("tcp-client"));
    let Some(room) = Classroom::build(3) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["0.0.0.0:0"]);
    assert!(
        teacher.addr.ip().is_unspecified(),
        "first line: {}",
        teacher.addr
    );
    // The line after the first names the teacher's address on the LAN.
    let listed = teacher.process.stdout_line("其他电脑可以连接：");
    let expected = format!(
        "其他电脑可以连接：{TEACHER_IP}:{}（网卡 eth0）",
        port(&teacher)
    );
    assert_eq!(listed, expected);
    let address = format!("{TEACHER_IP}:{}", port(&teacher));
    for number in 1..=3 {
        let outcome = room.run(&room.student(number), &client, &[&address]);
        assert!(outcome.status.success(), "{outcome:?}");
        assert_eq!(outcome.stdout, "收到服务器的响应: 数据已收到");
        let line = teacher.process.stdout_line("收到来自");
        let from = Classroom::student_ip(number);
        assert!(line.starts_with(&format!("收到来自 {from}:")), "{line}");
    }
}

#[test]
fn threaded_server_serves_thirty_clients_from_three_students_at_once() {
    let (server, client) = (program("threaded-server"), program("tcp-client"));
    let Some(room) = Classroom::build(3) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["0.0.0.0:0"]);
    let address = format!("{TEACHER_IP}:{}", port(&teacher));
    let clients: Vec<Process> = (1..=3)
        .flat_map(|number| (1..=10).map(move |n| (number, n)))
        .map(|(number, n)| {
            let message = format!("第 {number} 位同学的第 {n} 条消息");
            room.start(&room.student(number), &client, &[&address, &message])
        })
        .collect();
    for client in clients {
        let outcome = client.finish();
        assert!(outcome.status.success(), "{outcome:?}");
    }
    let mut per_student = [0; 3];
    for _ in 0..30 {
        let line = teacher.process.stdout_line("收到来自");
        for (index, count) in per_student.iter_mut().enumerate() {
            if line.starts_with(&format!("收到来自 {}:", Classroom::student_ip(index + 1))) {
                *count += 1;
            }
        }
    }
    assert_eq!(per_student, [10, 10, 10]);
}

#[test]
fn udp_goes_from_one_student_to_a_neighbour() {
    let (server, client) = (program("udp-server"), program("udp-client"));
    let Some(room) = Classroom::build(2) else {
        return;
    };
    let neighbour = room.server(&room.student(1), &server, &["0.0.0.0:0"]);
    let address = format!("{}:{}", Classroom::student_ip(1), port(&neighbour));
    let outcome = room.run(&room.student(2), &client, &[&address, "隔壁同学你好"]);
    assert!(outcome.status.success(), "{outcome:?}");
    assert_eq!(outcome.stdout, "收到 UDP 服务器的响应: UDP 数据已收到");
    let line = neighbour.process.stdout_line("收到来自");
    let from = Classroom::student_ip(2);
    assert!(line.starts_with(&format!("收到来自 {from}:")), "{line}");
    assert!(line.ends_with("的 UDP 数据: 隔壁同学你好"), "{line}");
}

// ---------------------------------------------------------------------------
// A firewall on the teacher's laptop

/// Adds an nftables rule for TCP port `port` in the teacher's namespace:
/// `drop` swallows the packets, `reject with tcp reset` answers with a reset.
fn firewall(room: &Classroom, port: u16, verdict: &str) -> bool {
    if !has_nft() {
        return false;
    }
    let rules = format!(
        "table inet classroom {{ chain input {{ type filter hook input priority 0; tcp dport {port} {verdict}; }}; }}"
    );
    let outcome = room.run(&room.teacher(), "nft", &[&rules]);
    assert!(outcome.status.success(), "nft: {outcome:?}");
    true
}

#[test]
fn a_firewall_that_drops_gives_the_timeout_line_within_five_seconds() {
    let (server, client) = (program("tcp-server"), program("tcp-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["0.0.0.0:0"]);
    if !firewall(&room, port(&teacher), "drop") {
        return;
    }
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let (outcome, took) = testkit::timed(|| room.run(&room.student(1), &client, &[&target]));
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    let expected = format!("错误: 无法连接到 {target}: 5 秒内没有应答。");
    assert!(outcome.stderr.starts_with(&expected), "{outcome:?}");
    assert!(outcome.stderr.contains("防火墙"), "{outcome:?}");
    // The stated time is the client's 5-second connect limit: it waited
    // that long (a dropped SYN gets no answer at all), and not much longer
    // (starting the program inside the namespace adds a little).
    let limit = common::IO_TIMEOUT;
    assert!(
        took >= limit,
        "gave up after {took:?}, before its {limit:?}"
    );
    assert!(
        took < limit + testkit::deadline::MARGIN,
        "gave up only after {took:?}"
    );
    report!(
        "DROP: tcp-client gave up after {took:?}: {}",
        outcome.stderr
    );
}

#[test]
fn a_firewall_that_rejects_gives_the_refused_line() {
    let (server, client) = (program("tcp-server"), program("tcp-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["0.0.0.0:0"]);
    if !firewall(&room, port(&teacher), "reject with tcp reset") {
        return;
    }
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let outcome = room.run(&room.student(1), &client, &[&target]);
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    let expected =
        format!("错误: 无法连接到 {target}: 连接被拒绝，{TEACHER_IP} 上没有程序在这个端口监听。");
    assert!(outcome.stderr.starts_with(&expected), "{outcome:?}");
    assert!(
        outcome.stderr.contains("也可能是防火墙拒绝了连接"),
        "{outcome:?}"
    );
    report!("REJECT: {}", outcome.stderr);
}

// ---------------------------------------------------------------------------
// Wi-Fi that loses and delays packets

/// How a student's link was made lossy.
enum Lossy {
    /// `tc netem`: 20 % loss and 100 ms delay, each way.
    LossAndDelay,
    /// nftables on the bridge: 20 % loss each way, no delay (kernels built
    /// without netem, such as this project's CI machines, cannot delay).
    LossOnly,
}

/// 20 % loss (and, where the kernel has netem, 100 ms delay) on student
/// `number`'s link, in both directions. `None`, with a skip note, if
/// neither `tc netem` nor `nft` works here.
fn lossy_link(room: &Classroom, number: usize) -> Option<Lossy> {
    let port = format!("student{number}");
    let netem = ["root", "netem", "loss", "20%", "delay", "100ms"];
    let student = room.student(number);
    let bridge = room.bridge();
    let mut with_netem = runs("tc", &["-V"]);
    for (host, device) in [(student.as_str(), "eth0"), (bridge.as_str(), port.as_str())] {
        if with_netem {
            let mut args = vec!["qdisc", "add", "dev", device];
            args.extend_from_slice(&netem);
            with_netem = room.run(host, "tc", &args).status.success();
        }
    }
    if with_netem {
        return Some(Lossy::LossAndDelay);
    }
    if !has_nft() {
        return None;
    }
    // Frames crossing the bridge to or from this student's port, each
    // dropped with probability 1/5: the loss happens "on the air", so
    // neither end's own stack knows, as on Wi-Fi.
    let rules = format!(
        "table bridge lossy {{ chain forward {{ type filter hook forward priority 0; \
         iifname \"{port}\" ether type ip numgen random mod 100 < 20 drop; \
         oifname \"{port}\" ether type ip numgen random mod 100 < 20 drop; }}; }}"
    );
    let outcome = room.run(&bridge, "nft", &[&rules]);
    assert!(outcome.status.success(), "nft: {outcome:?}");
    report!(
        "NOTE: this kernel has no netem (tc qdisc … netem): 20 % loss each way via nftables, without the 100 ms delay"
    );
    Some(Lossy::LossOnly)
}

impl Lossy {
    fn describe(&self) -> &'static str {
        match self {
            Lossy::LossAndDelay => "20% 丢包、100 ms 延迟",
            Lossy::LossOnly => "20% 丢包（这台机器的内核没有 netem，不能模拟延迟）",
        }
    }
}

/// Runs `runs` copies of `client` at once from student 1 and counts the
/// ones that printed `reply`. Every other run must end the way the docs
/// promise a failure ends: exit code 1 and one `错误: ` line, within the
/// test's patience (no panic, no hang). Its line is printed, so the figure
/// comes with its reasons.
fn count_successes(
    room: &Classroom,
    client: &str,
    target: &str,
    runs: usize,
    reply: &str,
) -> usize {
    let student = room.student(1);
    let started: Vec<Process> = (0..runs)
        .map(|_| room.start(&student, client, &[target]))
        .collect();
    let mut successes = 0;
    for process in started {
        let outcome = process.finish();
        if outcome.status.success() && outcome.stdout == reply {
            successes += 1;
        } else {
            let last = outcome.stderr.lines().last().unwrap_or_default();
            assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
            assert!(last.starts_with("错误: "), "{outcome:?}");
            report!("LOSS: 失败的一次：{last}");
        }
    }
    successes
}

#[test]
fn udp_client_gets_through_twenty_percent_loss_by_resending() {
    let (server, client) = (program("udp-server"), program("udp-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let Some(lossy) = lossy_link(&room, 1) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["0.0.0.0:0"]);
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let runs = 50;
    let successes = count_successes(
        &room,
        &client,
        &target,
        runs,
        "收到 UDP 服务器的响应: UDP 数据已收到",
    );
    let percent = successes * 100 / runs;
    // Each try needs the datagram and the reply through: 0.8 × 0.8 = 64 %;
    // three tries: 1 - 0.36³ ≈ 95 %.
    report!(
        "LOSS: udp-client，{}：{runs} 次里成功 {successes} 次（{percent}%；三次尝试的期望约 95%）",
        lossy.describe()
    );
    assert!(successes * 100 >= runs * 80, "{successes} of {runs}");
}

#[test]
fn tcp_client_gets_through_twenty_percent_loss_by_itself() {
    let (server, client) = (program("threaded-server"), program("tcp-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let Some(lossy) = lossy_link(&room, 1) else {
        return;
    };
    let teacher = room.server(&room.teacher(), &server, &["0.0.0.0:0"]);
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let runs = 20;
    let successes = count_successes(
        &room,
        &client,
        &target,
        runs,
        "收到服务器的响应: 数据已收到",
    );
    report!(
        "LOSS: tcp-client，{}：{runs} 次里成功 {successes} 次",
        lossy.describe()
    );
    assert!(successes * 100 >= runs * 80, "{successes} of {runs}");
}

// ---------------------------------------------------------------------------
// TLS across the LAN

#[test]
fn a_certificate_without_the_teachers_ip_gives_the_name_mismatch_line() {
    let (server, client) = (program("tls-server"), program("tls-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let dir = TempDir::new("classroom-tls");
    let teacher = Server::start_in(
        "ip",
        &Classroom::inside(&room.teacher(), &server, &["0.0.0.0:0"]),
        Some(dir.path()),
    );
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let ca = dir.file("server.crt");
    let outcome = room.run(&room.student(1), &client, &[&target, "--ca", &ca]);
    assert_eq!(outcome.status.code(), Some(1), "{outcome:?}");
    let expected = format!(
        "错误: 与 {target} 的 TLS 握手失败：服务器的证书上没有 \"{TEACHER_IP}\" 这个名字（证书上的名字：localhost、127.0.0.1、::1）。"
    );
    assert!(outcome.stderr.starts_with(&expected), "{outcome:?}");
}

#[test]
fn a_certificate_made_for_the_teachers_ip_with_name_succeeds() {
    let (server, client) = (program("tls-server"), program("tls-client"));
    let Some(room) = Classroom::build(1) else {
        return;
    };
    let dir = TempDir::new("classroom-tls-name");
    let args = ["0.0.0.0:0", "--name", TEACHER_IP];
    let teacher = Server::start_in(
        "ip",
        &Classroom::inside(&room.teacher(), &server, &args),
        Some(dir.path()),
    );
    let made = teacher.process.stdout_line("已生成自签名证书");
    assert!(made.contains(&format!("证书适用于 {TEACHER_IP}")), "{made}");
    let target = format!("{TEACHER_IP}:{}", port(&teacher));
    let ca = dir.file("server.crt");
    let outcome = room.run(&room.student(1), &client, &[&target, "--ca", &ca]);
    assert!(outcome.status.success(), "{outcome:?}");
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!("已与 {target} 建立 TLS 连接（")),
        "{outcome:?}"
    );
    assert!(
        lines[0].ends_with("），服务器的证书验证通过"),
        "{outcome:?}"
    );
    assert_eq!(lines[1], "收到服务器的响应: 数据已收到");
}
