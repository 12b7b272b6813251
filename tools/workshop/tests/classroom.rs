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

/// The workshop itself, built by cargo for this test (the board, the checks).
const WORKSHOP: &str = env!("CARGO_BIN_EXE_workshop");

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

// ---------------------------------------------------------------------------
// The teacher's board: `workshop board` on the teacher's laptop, real
// `workshop check --report` runs on the students', and a hostile student.

/// One `workshop check` run: building (a no-op here) and its steps.
const CHECK_RUN: std::time::Duration =
    testkit::deadline::BUILD.saturating_add(testkit::deadline::STEP.saturating_mul(10));

/// The port the board listens on by default. Fixed ports are safe here:
/// the teacher's namespace is this test's own, nothing else listens in it.
const BOARD_PORT: u16 = 7878;

/// A student's laptop for `workshop check`: their own copy of some
/// exercise files, and their own build folder.
///
/// Every student of a real class has a checkout of their own. Here they
/// share this one, so each check runs in a mount namespace of its own
/// (`unshare --mount`, inside the student's network namespace): the
/// student's files are bind-mounted over the exercises they wrote, and the
/// build folder is an overlay whose changes go to the student's folder.
/// The check itself runs unchanged: it builds the student's file with cargo
/// and checks that, as on a real laptop, and nothing outside the namespace
/// (the repository, the shared `target/`, other tests) sees any of it.
struct Laptop {
    number: usize,
    dir: TempDir,
    /// (the student's file, the exercise file it stands for)
    files: Vec<(PathBuf, PathBuf)>,
}

impl Laptop {
    fn new(number: usize, files: &[(&str, &str)]) -> Laptop {
        let dir = TempDir::new(&format!("classroom-board-student{number}"));
        let root = repository();
        let mut own = Vec::new();
        for (name, (text, exercise)) in files.iter().enumerate() {
            let path = dir.join(&format!("own{name}.rs"));
            std::fs::write(&path, text).unwrap();
            own.push((path, root.join(exercise)));
        }
        for folder in ["upper", "work"] {
            std::fs::create_dir(dir.join(folder)).unwrap();
        }
        Laptop {
            number,
            dir,
            files: own,
        }
    }

    /// `workshop check ARGS` on this laptop, its progress (and board file)
    /// in the laptop's folder.
    fn check(&self, room: &Classroom, args: &[&str]) -> Outcome {
        let target = target_dir();
        let mut script = format!(
            "set -e; mount -t overlay overlay -o lowerdir={t},upperdir={u},workdir={w} {t}",
            t = target.display(),
            u = self.dir.join("upper").display(),
            w = self.dir.join("work").display(),
        );
        for (own, exercise) in &self.files {
            script += &format!("; mount --bind {} {}", own.display(), exercise.display());
        }
        script += "; exec \"$@\"";
        let mut inner = vec![
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ];
        inner.push(WORKSHOP);
        inner.push("check");
        inner.extend_from_slice(args);
        let mut command = Command::new("ip");
        command
            .args(Classroom::inside(
                &room.student(self.number),
                "unshare",
                &inner,
            ))
            .env("WORKSHOP_PROGRESS", self.dir.join("progress"));
        let label = format!("student {}: workshop check", self.number);
        let running =
            process_runner::Running::start(&mut command, &label, process_runner::Output::Keep)
                .unwrap();
        match running.wait(CHECK_RUN) {
            Ok(finished) => finished.into(),
            Err(e) => panic!("{label} {args:?}: {e}"),
        }
    }
}

/// The repository's root (the workshop lives in tools/workshop).
fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The build folder the workshop binary was built into (`target/`).
fn target_dir() -> PathBuf {
    let exe = std::fs::canonicalize(WORKSHOP).unwrap();
    let profile = exe.parent().unwrap();
    profile.parent().unwrap().to_path_buf()
}

/// The text of an answer key, as a student who got it right wrote it.
fn answer_key(name: &str) -> String {
    let path = repository().join("tools/workshop/solutions").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Exercise 2's usual first attempt: the answer key with its `read_reply`
/// replaced by the article's single `recv(1024)`.
fn read_once_client() -> String {
    let key = answer_key("ex2_tcp_client.rs");
    let start = key
        .find("fn read_reply(")
        .expect("the answer key has read_reply");
    let end = start + key[start..].find("\n}\n").expect("read_reply ends") + 3;
    let once = "fn read_reply(server: &mut impl Read) -> io::Result<Vec<u8>> {\n    \
                let mut data = [0; BUFFER_SIZE];\n    \
                let received = server.read(&mut data)?;\n    \
                Ok(data[..received].to_vec())\n}\n";
    format!("{}{once}{}", &key[..start], &key[end..])
}

/// The line a check printed about its report to the board.
fn board_line(run: &Outcome) -> String {
    run.stdout
        .lines()
        .find(|l| l.contains("看板"))
        .unwrap_or_else(|| panic!("no line about the board: {run:#?}"))
        .to_string()
}

/// The board, started (again) in the teacher's namespace from `state`.
fn start_board(room: &Classroom, state: &str) -> Server {
    let board = room.server(
        &room.teacher(),
        WORKSHOP,
        &["board", "--plain", "--state", state],
    );
    assert_eq!(
        board.addr.to_string(),
        format!("0.0.0.0:{BOARD_PORT}"),
        "the board listens on every interface, on its default port"
    );
    board
}

/// Ctrl-C to the board (`ip netns exec` runs it in its own process), then
/// everything it printed.
fn stop_board(board: Server) -> Outcome {
    let sent = Command::new("kill")
        .args(["-INT", &board.process.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let outcome = board.process.finish();
    assert_eq!(outcome.status.code(), Some(0), "{outcome:#?}");
    outcome
}

/// The last table the board printed, between its `=====` lines.
fn last_table(stdout: &str) -> Vec<String> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("===== 看板"))
        .unwrap_or_else(|| panic!("no table in {stdout}"));
    lines[start..]
        .iter()
        .skip(1)
        .take_while(|l| **l != "=====")
        .map(|l| l.to_string())
        .collect()
}

/// The row whose name column is `name`: the name and each cell.
fn table_row(table: &[String], name: &str) -> Vec<String> {
    let rows: Vec<&String> = table
        .iter()
        .filter(|l| l.split("  ").next() == Some(name))
        .collect();
    assert_eq!(rows.len(), 1, "one row {name:?} in {table:#?}");
    rows[0].split_whitespace().map(String::from).collect()
}

/// `N分`: the minutes on the current exercise (the only thing in the
/// table that depends on how fast this machine is).
fn is_minutes(cell: &str) -> bool {
    cell.strip_suffix('分')
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

/// The cells of a row except the minutes, which are checked by is_minutes.
fn cells(row: &[String]) -> Vec<&str> {
    row.iter()
        .map(String::as_str)
        .filter(|c| !is_minutes(c))
        .collect()
}

#[test]
fn the_board_shows_who_is_stuck_where_and_stands_up_to_a_hostile_student() {
    let hostile = env!("CARGO_BIN_EXE_board-hostile").to_string();
    if testkit::tool("unshare", &["--version"], "apt-get install util-linux").is_none() {
        return;
    }
    let Some(room) = Classroom::build(4) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: the classroom could not be built (see the skip note)"
        );
        return;
    };
    let (ex1, ex2) = ("exercises/ex1_tcp_server.rs", "exercises/ex2_tcp_client.rs");
    let (right1, right2) = (
        answer_key("ex1_tcp_server.rs"),
        answer_key("ex2_tcp_client.rs"),
    );
    // 小明 and 小刚 wrote both exercises right; 小红's exercise 2 reads once.
    let xiaoming = Laptop::new(1, &[(&right1, ex1), (&right2, ex2)]);
    let xiaohong = Laptop::new(2, &[(&read_once_client(), ex2)]);
    let xiaogang = Laptop::new(3, &[(&right1, ex1), (&right2, ex2)]);
    let teacher_dir = TempDir::new("classroom-board-teacher");
    let state = teacher_dir.file("board-state");
    let board_addr = format!("{TEACHER_IP}:{BOARD_PORT}");
    let check = |laptop: &Laptop, exercise: &str, name: &str| {
        laptop.check(&room, &[exercise, "--report", &board_addr, "--name", name])
    };

    // 小刚 checks before the teacher has started the board: the report is kept.
    let late = check(&xiaogang, "1", "小刚");
    assert!(late.status.success(), "{late:#?}");
    let kept = board_line(&late);
    assert!(
        kept.starts_with(&format!(
            "没能告诉老师的看板（无法连接到 {board_addr}: 连接被拒绝"
        )),
        "{kept}"
    );
    assert!(
        kept.ends_with(
            "这次的结果记下了（还有 1 份没送到），下次检查时一起发送；检查的结果不受影响"
        ),
        "{kept}"
    );

    // The teacher starts the board; it says where students reach it.
    let board = start_board(&room, &state);
    assert_eq!(
        board.process.stdout_line("其他电脑可以连接"),
        format!("其他电脑可以连接：{board_addr}（网卡 eth0）")
    );
    assert_eq!(
        board.process.stdout_line("学生检查时运行"),
        format!(
            "学生检查时运行：cargo run -p workshop -- check --watch --report {board_addr} --name 你的名字"
        )
    );
    assert_eq!(
        board.process.stdout_line("用浏览器投影"),
        format!("用浏览器投影也行：http://{board_addr}/（每 5 秒刷新）")
    );

    // Its columns are the checker's exercises: count them from its titles.
    let titles = board.process.stdout_line("学生  ");
    let exercise_count = titles
        .split_whitespace()
        .filter(|w| w.parse::<usize>().is_ok())
        .count();
    assert!(exercise_count > 0, "{titles}");

    // The hostile student floods the board with connections…
    let flood = room.start(&room.student(4), &hostile, &[&board_addr, "flood"]);
    flood.stdout_line("flooding");
    // …while 小明 (a right program) and 小红 (exercise 2's usual first
    // attempt, a client that reads once) check and report.
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let xiaoming = scope.spawn(|| check(&xiaoming, "1", "小明"));
        let xiaohong = scope.spawn(|| check(&xiaohong, "2", "小红"));
        [xiaoming, xiaohong]
            .into_iter()
            .map(|run| run.join().unwrap())
            .collect()
    });
    assert!(outcomes[0].status.success(), "{:#?}", outcomes[0]);
    assert_eq!(
        board_line(&outcomes[0]),
        format!("已经告诉老师的看板（{board_addr}）：练习 1 通过了")
    );
    assert_eq!(outcomes[1].status.code(), Some(1), "{:#?}", outcomes[1]);
    // The step the checker stopped her at, and the mistake it recognised.
    let (stuck_step, mistake) = failed_step(&outcomes[1]);
    assert_eq!(
        board_line(&outcomes[1]),
        format!("已经告诉老师的看板（{board_addr}）：练习 2 第 {stuck_step} 步没通过")
    );

    // The flood ends (its own reports could not get through it either).
    drop(flood);
    // The hostile student forges 小明's name and claims every exercise…
    let hostile_run = |args: &[&str]| -> Vec<String> {
        let mut all = vec![board_addr.as_str()];
        all.extend_from_slice(args);
        let outcome = room.run(&room.student(4), &hostile, &all);
        assert!(outcome.status.success(), "{outcome:#?}");
        outcome.stdout.lines().map(String::from).collect()
    };
    let exercises = exercise_count.to_string();
    let forged = hostile_run(&["forge", "小明", &exercises]);
    assert_eq!(forged.len(), exercise_count, "{forged:#?}");
    assert!(
        forged.iter().all(|l| l.starts_with("ok seq=")),
        "{forged:#?}"
    );
    // …sends a name that would clear the teacher's screen…
    assert!(hostile_run(&["control"])[0].starts_with("ok seq=1 token="));
    // …makes up names (a computer adds at most three)…
    let names = hostile_run(&["names"]);
    assert!(names[0].starts_with("ok seq=1 token="), "{names:#?}");
    assert_eq!(
        names[1..],
        vec!["refused seq=1 why=too-many-names".to_string(); 9]
    );
    // …a line with no end, one byte at a time, and a burst.
    assert_eq!(hostile_run(&["long"]), ["refused seq=- why=too-long"]);
    let slow = hostile_run(&["slow"]);
    let seconds: f64 = slow[0]
        .strip_prefix("closed after ")
        .and_then(|s| s.strip_suffix(" s"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{slow:?}"));
    let limit = common::IO_TIMEOUT.as_secs_f64();
    assert!(
        seconds >= limit && seconds < limit + testkit::deadline::MARGIN.as_secs_f64(),
        "the slow sender was cut off after {seconds} s"
    );
    let burst = hostile_run(&["burst"]);
    assert!(
        burst.iter().any(|l| l.starts_with("busy seq=")),
        "{burst:#?}"
    );

    // The teacher stops the board: its last table counts what it refused.
    let first_run = stop_board(board);
    let table = last_table(&first_run.stdout);
    let refused = table
        .iter()
        .find(|l| l.starts_with("挡下的："))
        .unwrap_or_else(|| panic!("{table:#?}"));
    for what in ["连接太多", "报告太快", "名字太多", "格式不对", "超时"] {
        let count = refused
            .split(&format!("{what} "))
            .nth(1)
            .and_then(|rest| rest.split('、').next())
            .and_then(|n| n.parse::<u64>().ok());
        assert!(count.is_some_and(|n| n > 0), "{what} in {refused}");
    }
    assert!(refused.starts_with("挡下的：192.0.2.24 "), "{refused}");
    for event in [
        "[看板] “小明”又从 192.0.2.24 报告，却没有这个名字的令牌：另起一行，标为（另一台）",
        "[看板] 新的名字：“\\x1b[2J坏\\r人\\x07”（192.0.2.24）",
    ] {
        assert!(
            first_run.stdout.lines().any(|l| l == event),
            "{event} in {}",
            first_run.stdout
        );
    }
    report!("BOARD before the restart:\n{}", table.join("\n"));

    // Started again from its state file: 小明's token from before still
    // holds, and 小刚's kept report arrives with his next one.
    let board = start_board(&room, &state);
    board.process.stdout_line("（接着上次的 5 行）");
    let again: Vec<Outcome> = std::thread::scope(|scope| {
        let xiaoming = scope.spawn(|| check(&xiaoming, "2", "小明"));
        let xiaogang = scope.spawn(|| check(&xiaogang, "2", "小刚"));
        [xiaoming, xiaogang]
            .into_iter()
            .map(|run| run.join().unwrap())
            .collect()
    });
    assert_eq!(
        board_line(&again[0]),
        format!("已经告诉老师的看板（{board_addr}）：练习 2 通过了")
    );
    assert_eq!(
        board_line(&again[1]),
        format!("已经告诉老师的看板（{board_addr}）：练习 2 通过了；之前没送到的 1 份也送到了")
    );

    let last_run = stop_board(board);
    let table = last_table(&last_run.stdout);
    report!(
        "BOARD at the end of the classroom test:\n{}",
        table.join("\n")
    );
    let untouched = |n: usize| vec!["·"; n];
    let expect = |name: &str, cells_expected: Vec<&str>| {
        let row = table_row(&table, name);
        assert_eq!(cells(&row), cells_expected, "{name}: {row:?}");
        let minutes = row.iter().filter(|c| is_minutes(c)).count();
        let working = cells_expected.last() != Some(&"全部通过");
        assert_eq!(minutes, usize::from(working), "{name}: {row:?}");
    };
    let n = exercise_count;
    expect(
        "小明",
        [vec!["小明", "✓", "✓"], untouched(n - 2), vec!["3"]].concat(),
    );
    let stuck_cell = format!("✗{stuck_step}·1");
    expect(
        "小红",
        [
            vec!["小红", "·", stuck_cell.as_str()],
            untouched(n - 2),
            vec!["2"],
        ]
        .concat(),
    );
    expect(
        "小明（另一台）",
        [vec!["小明（另一台）"], vec!["✓"; n], vec!["全部通过"]].concat(),
    );
    expect(
        "\\x1b[2J坏\\r人\\x07",
        [
            vec!["\\x1b[2J坏\\r人\\x07", "✓"],
            untouched(n - 1),
            vec!["2"],
        ]
        .concat(),
    );
    expect(
        "甲1",
        [vec!["甲1", "✓"], untouched(n - 1), vec!["2"]].concat(),
    );
    expect(
        "小刚",
        [vec!["小刚", "✓", "✓"], untouched(n - 2), vec!["3"]].concat(),
    );
    // Six rows between the column titles and the lines under the table.
    let titles = table.iter().position(|l| l.starts_with("学生  ")).unwrap();
    let under = table.iter().position(|l| l.starts_with("卡住的")).unwrap();
    assert_eq!(under - titles - 1, 6, "{table:#?}");
    let stuck = &table[under];
    assert!(
        stuck.starts_with(&format!("卡住的：练习 2 第 {stuck_step} 步（")),
        "{stuck}"
    );
    assert!(stuck.ends_with("：1 人"), "{stuck}");
    if let Some(mistake) = mistake {
        assert!(stuck.contains(&format!("“{mistake}”")), "{stuck}");
    }
    assert!(
        table[under + 1].starts_with("✓ 通过"),
        "one line stuck: {table:#?}"
    );
}

/// The step (`✗ 2/3 …`) a failed check stopped at, and the name of the
/// known mistake it recognised (`常见错误：NAME（ID）`), if it names one.
fn failed_step(run: &Outcome) -> (usize, Option<String>) {
    let step = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("✗ ")?.split('/').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no ✗ line: {run:#?}"));
    let mistake = run.stdout.lines().find_map(|l| {
        let named = l.trim_start().strip_prefix("常见错误：")?;
        Some(named.rsplit_once('（')?.0.to_string())
    });
    (step, mistake)
}
