//! The Windows items: the MSVC C compiler, the firewall, the console's code
//! page. What they parse is plain text, compiled and tested on every
//! system; only the functions that ask Windows are Windows-only.
#![cfg_attr(not(windows), allow(dead_code))]

#[cfg(windows)]
use std::process::Command;

use super::Finding;
#[cfg(windows)]
use super::probes::{SAMPLE, run};

/// Microsoft's installer for the Build Tools (Visual Studio 2022), and the
/// workload with the C/C++ compiler (documented at
/// <https://learn.microsoft.com/en-us/visualstudio/install/workload-component-id-vs-build-tools>).
pub const BUILD_TOOLS: &str = "https://aka.ms/vs/17/release/vs_buildtools.exe";

/// What to do without the Build Tools: the installer and the workload.
#[cfg_attr(not(target_env = "msvc"), allow(dead_code))]
fn build_tools_fix() -> String {
    format!(
        "下载 Visual Studio 生成工具的安装程序 vs_BuildTools.exe（{BUILD_TOOLS}，老师的 U 盘上有），安装时勾选“使用 C++ 的桌面开发”工作负载，装完重新打开终端"
    )
}

/// The servers of the lesson, whose firewall rules matter: the chapters'
/// and the server exercises'.
pub const SERVERS: &[&str] = &[
    "tcp-server.exe",
    "udp-server.exe",
    "threaded-server.exe",
    "event-loop-server.exe",
    "tls-server.exe",
    "ex1.exe",
    "ex4.exe",
    "ex5.exe",
    "ex7.exe",
];

/// On the MSVC toolchain, rustc links with Microsoft's link.exe and ring's
/// C is compiled with cl.exe: both come with the Build Tools. They are
/// rarely on PATH; the `cc` crate finds them the way vswhere does, so
/// vswhere (installed with every Visual Studio installer since 2017, at a
/// fixed place) is asked which installation has the C++ tools.
#[cfg(all(windows, target_env = "msvc"))]
pub fn c_compiler() -> Finding {
    const TITLE: &str = "C 编译器（MSVC）";
    if let Ok(cc) = std::env::var("CC") {
        return Finding::pass(true, TITLE, format!("环境变量 CC={cc}"));
    }
    let vswhere = std::env::var("ProgramFiles(x86)")
        .map(|dir| format!("{dir}\\Microsoft Visual Studio\\Installer\\vswhere.exe"))
        .unwrap_or_default();
    let component = if cfg!(target_arch = "aarch64") {
        "Microsoft.VisualStudio.Component.VC.Tools.ARM64"
    } else {
        "Microsoft.VisualStudio.Component.VC.Tools.x86.x64"
    };
    let mut command = Command::new(&vswhere);
    command.args([
        "-latest",
        "-products",
        "*",
        "-requires",
        component,
        "-property",
        "installationPath",
    ]);
    let found = run(&mut command, "vswhere")
        .and_then(|(ok, lines)| ok.then_some(lines))
        .and_then(|lines| lines.into_iter().find(|l| !l.trim().is_empty()));
    match found {
        Some(path) => Finding::pass(
            true,
            TITLE,
            format!("Visual Studio 的 C++ 生成工具在 {path}"),
        ),
        None => Finding::fail(
            true,
            TITLE,
            "没有找到装了 C++ 生成工具的 Visual Studio：rustc 链接要 link.exe，TLS 用的 ring 要 cl.exe",
            build_tools_fix(),
        ),
    }
}

/// The GNU toolchain links with, and ring compiles with, `gcc`.
#[cfg(all(windows, not(target_env = "msvc")))]
pub fn c_compiler() -> Finding {
    const TITLE: &str = "C 编译器（GNU 工具链的 gcc）";
    let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".to_string());
    let mut command = Command::new(&cc);
    command.arg("--version");
    match run(&mut command, &cc).filter(|(ok, _)| *ok) {
        Some((_, lines)) => Finding::pass(
            true,
            TITLE,
            format!("{cc}（{}）", lines.first().cloned().unwrap_or_default()),
        ),
        None => Finding::fail(
            true,
            TITLE,
            format!("运行不了 {cc}：GNU 工具链的 Rust 用它链接，ring 用它编译 C 代码"),
            format!(
                "把 MinGW-w64 的 gcc 所在目录加进 PATH；或者换成 MSVC 工具链（rustup default stable-msvc）并安装生成工具 vs_BuildTools.exe（{BUILD_TOOLS}，勾选“使用 C++ 的桌面开发”）"
            ),
        ),
    }
}

// ------------------------------------------------------------ firewall

/// Reads the enabled inbound rules through PowerShell's NetSecurity
/// module, one line per rule: action, profiles, program, protocol and
/// local ports, name. Property values (Allow, Block, Any) are not
/// translated, unlike `netsh`'s labels on a Chinese Windows. The output
/// is UTF-8, so program paths with Chinese folder names survive the pipe.
const FIREWALL_SCRIPT: &str = r#"[Console]::OutputEncoding = [Text.Encoding]::UTF8
$ErrorActionPreference = 'Stop'
$apps = @{}; foreach ($f in Get-NetFirewallApplicationFilter -All) { $apps[$f.InstanceID] = $f.Program }
$ports = @{}; foreach ($f in Get-NetFirewallPortFilter -All) { $ports[$f.InstanceID] = "$($f.Protocol)`t$($f.LocalPort)" }
foreach ($r in Get-NetFirewallRule -Direction Inbound -Enabled True) { "{0}`t{1}`t{2}`t{3}`t{4}" -f $r.Action, $r.Profile, $apps[$r.InstanceID], $ports[$r.InstanceID], $r.DisplayName }"#;

const FIREWALL_TITLE: &str = "Windows 防火墙（尽力判断）";

/// Whether some inbound rule lets other laptops reach the lesson's
/// servers, and whether one blocks them. Read-only, and a best effort: a
/// company's policy or another firewall product can decide otherwise.
#[cfg(windows)]
pub fn firewall() -> Finding {
    let mut command = Command::new("powershell");
    command.args(["-NoProfile", "-NonInteractive", "-Command", FIREWALL_SCRIPT]);
    match run(&mut command, "powershell") {
        // Windows always has enabled inbound rules of its own (core
        // networking, file sharing): none at all means the list was not
        // read, as with Wine's stand-in powershell, which prints nothing.
        Some((true, lines)) if lines.iter().any(|l| rule(l).is_some()) => {
            firewall_verdict(&lines, 9999)
        }
        Some((true, _)) => unreadable("powershell 没有列出任何规则"),
        Some((false, lines)) => unreadable(&lines.join(" ")),
        None => unreadable("运行不了 powershell"),
    }
}

fn unreadable(why: &str) -> Finding {
    Finding::fail(
        false,
        FIREWALL_TITLE,
        format!("读不到防火墙规则（{why}）"),
        "照工作坊指南“防火墙”一节检查；别的电脑连不上你的服务器时，多半是这里",
    )
}

/// One rule, as [`FIREWALL_SCRIPT`] prints it.
#[derive(Debug)]
struct Rule<'a> {
    allow: bool,
    program: &'a str,
    protocol: &'a str,
    ports: &'a str,
    name: &'a str,
}

fn rule(line: &str) -> Option<Rule<'_>> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [action, _profiles, program, protocol, ports, name] = fields[..] else {
        return None;
    };
    Some(Rule {
        allow: action.eq_ignore_ascii_case("allow"),
        program,
        protocol,
        ports,
        name,
    })
}

impl Rule<'_> {
    /// The rule names one of our servers.
    fn our_server(&self) -> Option<&'static str> {
        let program = self.program.to_ascii_lowercase();
        SERVERS
            .iter()
            .find(|exe| program.ends_with(&format!("\\{exe}")))
            .copied()
    }

    /// The rule is for any program on `port` (TCP or any protocol).
    fn opens_port(&self, port: u16) -> bool {
        let any_program = self.program.is_empty() || self.program.eq_ignore_ascii_case("any");
        let tcp = matches!(
            self.protocol.to_ascii_uppercase().as_str(),
            "TCP" | "ANY" | ""
        );
        let port = port.to_string();
        let on_port = self
            .ports
            .split([' ', ','])
            .any(|p| p == port || port_in_range(p, &port));
        any_program && tcp && on_port
    }
}

/// `9990-9999` contains `9999`.
fn port_in_range(range: &str, port: &str) -> bool {
    let (Some((low, high)), Ok(port)) = (range.split_once('-'), port.parse::<u32>()) else {
        return false;
    };
    matches!((low.parse::<u32>(), high.parse::<u32>()), (Ok(l), Ok(h)) if (l..=h).contains(&port))
}

/// What the rules mean for the lesson: a block rule for one of our
/// servers wins over everything (the firewall lets block rules win);
/// otherwise an allow rule for a server or for the lesson's port is a ✓.
fn firewall_verdict(lines: &[String], port: u16) -> Finding {
    let rules: Vec<Rule> = lines.iter().filter_map(|l| rule(l)).collect();
    let blocked: Vec<String> = rules
        .iter()
        .filter(|r| !r.allow)
        .filter_map(|r| {
            r.our_server()
                .map(|exe| format!("{exe}（规则“{}”）", r.name))
        })
        .collect();
    if !blocked.is_empty() {
        return Finding::fail(
            false,
            FIREWALL_TITLE,
            format!("有阻止 {} 的入站规则，别的电脑连不上它", blocked.join("、")),
            "请老师以管理员身份打开“高级安全 Windows Defender 防火墙”→“入站规则”，删掉这几条（防火墙弹窗时点了“取消”会留下这样的规则）",
        );
    }
    let allowed: Vec<String> = rules
        .iter()
        .filter(|r| r.allow && (r.our_server().is_some() || r.opens_port(port)))
        .map(|r| format!("“{}”", r.name))
        .collect();
    if allowed.is_empty() {
        return Finding::fail(
            false,
            FIREWALL_TITLE,
            format!(
                "没有放行本课服务器（或 {port} 端口）的入站规则：别的电脑连你的服务器时可能被挡住"
            ),
            "第一次运行监听 0.0.0.0 的服务器时，在 Windows 弹出的对话框里勾选“专用网络”并点“允许访问”；或者请老师按工作坊指南加一条规则（要管理员权限）",
        );
    }
    Finding::pass(
        false,
        FIREWALL_TITLE,
        format!("有放行的入站规则 {}", allowed.join("、")),
    )
}

// ------------------------------------------------------------- console

/// The console's code page, from `chcp` (its words are translated, the
/// number ends the line: `活动代码页: 936`, `Active code page: 65001`).
///
/// Rust's std writes to a console with WriteConsoleW (UTF-16), so the
/// chapters' Chinese shows in any code page if the font has the glyphs;
/// the code page matters for what other programs print and for output
/// sent through a pipe or into a file.
#[cfg(windows)]
pub fn chinese() -> Finding {
    let mut command = Command::new("cmd");
    command.args(["/C", "chcp"]);
    let page =
        run(&mut command, "chcp").and_then(|(_, lines)| lines.iter().find_map(|l| code_page(l)));
    code_page_verdict(page, SAMPLE)
}

/// The number at the end of `chcp`'s line.
fn code_page(line: &str) -> Option<u32> {
    let digits: String = line
        .trim_end()
        .trim_end_matches('.')
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    // 0 is no code page: what chcp says where there is no console.
    let page: u32 = digits.chars().rev().collect::<String>().parse().ok()?;
    (page != 0).then_some(page)
}

fn code_page_verdict(page: Option<u32>, sample: &str) -> Finding {
    const TITLE: &str = "中文显示";
    match page {
        Some(65001) => Finding::pass(
            false,
            TITLE,
            format!("控制台代码页 65001（UTF-8）。{sample}"),
        ),
        Some(page @ (936 | 950 | 54936)) => Finding::pass(
            false,
            TITLE,
            format!(
                "控制台代码页 {page}（中文）：Rust 和 Python 程序的中文都能显示；重定向到文件时是这个编码。{sample}"
            ),
        ),
        Some(page) => Finding::fail(
            false,
            TITLE,
            format!(
                "控制台代码页 {page} 不是中文也不是 UTF-8：Rust 程序的中文能显示（字体里要有汉字），别的程序打印的中文可能是乱码"
            ),
            "在这个窗口里运行 chcp 65001 换成 UTF-8；汉字显示成方框的话，改用 Windows Terminal",
        ),
        None => Finding::fail(
            false,
            TITLE,
            "读不到控制台的代码页（chcp 没有给出数字）",
            "在这个窗口里运行 chcp 65001 换成 UTF-8，再运行一次 doctor",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn a_block_rule_for_our_server_is_a_cross() {
        let rules = lines(
            "Block\tPublic\tC:\\Users\\小明\\socket-kit\\target\\debug\\tcp-server.exe\tTCP\tAny\ttcp-server.exe\n\
             Allow\tPrivate\tC:\\Users\\小明\\socket-kit\\target\\debug\\tcp-server.exe\tTCP\tAny\ttcp-server.exe",
        );
        let finding = firewall_verdict(&rules, 9999);
        assert!(!finding.ok && !finding.needed);
        assert!(
            finding.said.contains("阻止 tcp-server.exe"),
            "{}",
            finding.said
        );
    }

    #[test]
    fn an_allow_rule_for_the_port_or_a_server_is_a_tick() {
        let port_rule = lines("Allow\tPrivate, Domain\tAny\tTCP\t9999\tsocket-workshop 9999");
        assert!(firewall_verdict(&port_rule, 9999).ok);
        let range = lines("Allow\tAny\t\tTCP\t9000-10000\tlab ports");
        assert!(firewall_verdict(&range, 9999).ok);
        let program = lines(
            "Allow\tPrivate\tD:\\kit\\target\\debug\\threaded-server.exe\tTCP\tAny\tthreaded-server.exe",
        );
        assert!(firewall_verdict(&program, 9999).ok);
        let others = lines(
            "Allow\tAny\tC:\\Windows\\system32\\svchost.exe\tTCP\t135\tRPC\n\
             Allow\tAny\tAny\tUDP\t9999\tudp only",
        );
        let finding = firewall_verdict(&others, 9999);
        assert!(!finding.ok, "{}", finding.said);
        assert!(finding.fix.contains("允许访问"));
        assert!(
            firewall_verdict(&lines("garbage"), 9999)
                .said
                .contains("没有放行")
        );
    }

    #[test]
    fn the_build_tools_fix_names_the_installer_and_the_workload() {
        let fix = build_tools_fix();
        assert!(fix.contains("vs_BuildTools.exe（https://aka.ms/vs/17/release/vs_buildtools.exe"));
        assert!(fix.contains("使用 C++ 的桌面开发"));
    }

    #[test]
    fn the_code_page_is_the_number_chcp_ends_with() {
        assert_eq!(code_page("活动代码页: 936"), Some(936));
        assert_eq!(code_page("Active code page: 65001"), Some(65001));
        assert_eq!(code_page("Page de codes active : 850."), Some(850));
        assert_eq!(code_page("nothing"), None);
        // Wine's chcp, with no console behind it.
        assert_eq!(code_page("Active code page: 0"), None);
        assert!(code_page_verdict(Some(65001), "").ok);
        assert!(code_page_verdict(Some(936), "").ok);
        let latin = code_page_verdict(Some(437), "");
        assert!(!latin.ok && latin.fix.contains("chcp 65001"));
    }
}
