//! What one step of a check leaves behind for its ✗ block: the wire, the
//! learner's output, and the command that repeats the step by hand.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::learner::Transcript;
use super::wire::Wire;

/// The port the repeat commands use for the learner's program or peer, and
/// one beside it for a relay: the programs' own default, easy to type.
pub const PORT: u16 = 9999;
pub const RELAY_PORT: u16 = 9998;

/// One command that repeats a step by hand, and what must run first (each
/// in a terminal of its own). Every command works in PowerShell as typed:
/// no quotes, `&&`, `$(…)` or line continuations (docs-tool's portability
/// rules, checked by the workshop's tests).
#[derive(Debug, Clone)]
pub struct Repeat {
    pub command: String,
    pub before: Vec<String>,
}

impl Repeat {
    /// For a server exercise: the learner's server runs first, `command`
    /// (a peer or chapter client) talks to it.
    pub fn against_server(bin: &str, extra: &str, command: String) -> Repeat {
        let server = format!("cargo run -p exercises --bin {bin} -- 127.0.0.1:{PORT}{extra}");
        Repeat {
            command,
            before: vec![format!("先在另一个终端运行你的程序：{server}")],
        }
    }

    /// For a client exercise: `peers` run first, then the learner's client
    /// with `args`.
    pub fn client(bin: &str, args: &str, peers: &[String]) -> Repeat {
        let before = peers
            .iter()
            .map(|peer| format!("先在另一个终端运行：{peer}"))
            .collect();
        Repeat {
            command: format!("cargo run -p exercises --bin {bin} -- {args}"),
            before,
        }
    }
}

/// The record of the step that is running.
#[derive(Default)]
pub struct Record {
    pub wire: Arc<Wire>,
    pub outputs: Vec<Rc<RefCell<Transcript>>>,
    pub repeat: Option<Repeat>,
}
