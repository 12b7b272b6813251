//! Every chapter's server and client, three ways: the Windows server with
//! the Linux client, the Linux server with the Windows client, and both on
//! Windows (under Wine). Each way sends its own Chinese message and checks
//! the exact lines both sides print, and the exact reply.
//!
//! Through a pipe, std on Windows writes the program's UTF-8 bytes as they
//! are (a console would get UTF-16 from WriteConsoleW instead; Wine cannot
//! show that one), so the Windows lines here must equal the Linux ones byte
//! for byte; nothing is decoded loosely or matched in part.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::Path;

use on_windows::{Os, Programs, Server, TempDir, programs, windows_path};

/// One chapter: its programs and the exact lines of one exchange.
struct Chapter {
    server: &'static str,
    client: &'static str,
    /// What the client prints on stdout, all of it (TLS: after its line
    /// about the handshake).
    reply_line: &'static str,
    /// What the server's line about the message says after the client's address.
    received: &'static str,
}

const TCP: Chapter = Chapter {
    server: "tcp-server",
    client: "tcp-client",
    reply_line: "收到服务器的响应: 数据已收到",
    received: "的数据: ",
};

/// The three ways, named for failures.
const WAYS: [(Os, Os); 3] = [
    (Os::Windows, Os::Linux),
    (Os::Linux, Os::Windows),
    (Os::Windows, Os::Windows),
];

fn message(server: Os, client: Os) -> String {
    format!("你好，{server:?} 上的服务器！我是 {client:?} 上的客户端")
}

/// Runs the chapter's exchange three ways.
fn three_ways(chapter: &Chapter) {
    let Some(programs) = programs() else { return };
    for (server_os, client_os) in WAYS {
        let server = programs.server(server_os, chapter.server, &["127.0.0.1:0"]);
        exchange(programs, chapter, &server, server_os, client_os, &[]);
    }
}

/// One exchange with a running server: the client's whole output, its exit
/// status, and the server's line naming the client and the message.
fn exchange(
    programs: &Programs,
    chapter: &Chapter,
    server: &Server,
    server_os: Os,
    client_os: Os,
    extra: &[&str],
) {
    let way = format!("{} server, {client_os:?} client", server_os_name(server_os));
    let message = message(server_os, client_os);
    let mut args = vec![server.arg(), message.clone()];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let client = programs.run(client_os, chapter.client, &args);
    assert!(client.status.success(), "{way}: {client:#?}");
    let mut lines: Vec<&str> = client.stdout.lines().collect();
    if chapter.client == "tls-client" {
        let handshake = lines.remove(0);
        assert!(
            handshake.starts_with("已与 127.0.0.1:") && handshake.ends_with("服务器的证书验证通过"),
            "{way}: {client:#?}"
        );
    }
    assert_eq!(lines, [chapter.reply_line], "{way}: {client:#?}");
    assert_eq!(client.stderr, "", "{way}");
    let line = server.process.stdout_line(&message);
    let expected_end = format!(" {}{message}", chapter.received);
    assert!(
        line.starts_with("收到来自 127.0.0.1:") && line.ends_with(&expected_end),
        "{way}: {line:?}"
    );
}

fn server_os_name(os: Os) -> &'static str {
    match os {
        Os::Linux => "Linux",
        Os::Windows => "Windows",
    }
}

#[test]
fn tcp_three_ways() {
    three_ways(&TCP);
}

#[test]
fn udp_three_ways() {
    three_ways(&Chapter {
        server: "udp-server",
        client: "udp-client",
        reply_line: "收到 UDP 服务器的响应: UDP 数据已收到",
        received: "的 UDP 数据: ",
    });
}

#[test]
fn threaded_three_ways() {
    three_ways(&Chapter {
        server: "threaded-server",
        ..TCP
    });
}

#[test]
fn event_loop_three_ways() {
    three_ways(&Chapter {
        server: "event-loop-server",
        ..TCP
    });
}

/// The TLS chapter: each server generates its pair in an empty folder, and
/// the client trusts that certificate with `--ca`, given to the Windows
/// client as a Windows path.
#[test]
fn tls_three_ways() {
    let Some(programs) = programs() else { return };
    let chapter = Chapter {
        server: "tls-server",
        client: "tls-client",
        ..TCP
    };
    for (server_os, client_os) in WAYS {
        let dir = TempDir::new("on-windows-tls");
        let server = programs.server_in(server_os, "tls-server", &["127.0.0.1:0"], dir.path());
        server.process.stdout_line("已生成自签名证书");
        let ca = ca_for(client_os, &dir.join("server.crt"));
        exchange(
            programs,
            &chapter,
            &server,
            server_os,
            client_os,
            &["--ca", &ca],
        );
    }
}

/// The certificate's path as the client's system writes it.
fn ca_for(os: Os, path: &Path) -> String {
    match os {
        Os::Linux => path.display().to_string(),
        Os::Windows => windows_path(path),
    }
}
