//! `common` is plumbing: every socket call of a chapter is in that chapter's
//! own file, where a learner reading beside the article finds it. This test
//! keeps it so.

use std::fs;
use std::path::Path;

/// The calls that are the lesson: creating, binding, connecting, accepting,
/// reading and writing sockets.
const SOCKET_CALLS: [&str; 9] = [
    "TcpStream::connect",
    "connect_timeout",
    "TcpListener::bind",
    "UdpSocket::bind",
    ".accept()",
    ".recv_from(",
    ".send_to(",
    ".write_all(",
    ".shutdown(",
];

#[test]
fn common_makes_no_socket_calls() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut files = 0;
    for entry in fs::read_dir(&src).expect("common/src is readable") {
        let path = entry.expect("a directory entry").path();
        let text = fs::read_to_string(&path).expect("a source file is readable");
        files += 1;
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for call in SOCKET_CALLS {
                if code.contains(call) {
                    found.push(format!(
                        "{}:{}: {}",
                        path.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(files >= 4, "only {files} files in {}", src.display());
    assert!(
        found.is_empty(),
        "socket calls belong in the chapter that teaches them:\n{}",
        found.join("\n")
    );
}
