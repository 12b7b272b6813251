//! 什么样的数据报不回复：防止 UDP 服务器被人利用，和自己或别的服务器没完没了地对答。
//!
//! UDP has no connection, so the "client address" of a datagram is whatever
//! its sender wrote there. Someone can forge a datagram whose source is this
//! very server: it then answers itself, receives its own answer, answers
//! that, and so on forever, at full speed ("loop DoS"). Pointed at two echo
//! services, the same trick makes them answer each other forever. The
//! article's server falls for both. Three rules end every such loop:
//!
//! - never answer our own address, nor source port 0 (nobody can be answered there);
//! - never answer a datagram that is our own reply text: an answer to an answer;
//! - answer one source at most [`PER_SECOND`] times a second: a loop with a
//!   service that answers something else breaks at the first unanswered datagram.
//!
//! A refused source is logged once, when refusing starts, not once per datagram.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use common::UDP_REPLY;

/// How many answers one source (address and port) gets per second. A
/// learner's client sends once, or three times in nine seconds.
pub const PER_SECOND: f64 = 5.0;

/// How many sources are remembered at once; a flood of forged addresses
/// must not grow memory without bound.
const REMEMBERED: usize = 4096;

/// Why a datagram gets no answer.
pub enum Refusal {
    OwnAddress,
    PortZero,
    OwnReply,
    TooFast,
}

impl Refusal {
    pub fn reason(&self) -> String {
        match self {
            Refusal::OwnAddress => {
                "来源地址是本服务器自己（伪造的？），回复它就是自己和自己对答".to_string()
            }
            Refusal::PortZero => "来源端口是 0，那里不可能有人收到回复".to_string(),
            Refusal::OwnReply => {
                format!(
                    "内容是本服务器自己的回复“{UDP_REPLY}”：回复它会和另一个回声服务没完没了地对答"
                )
            }
            Refusal::TooFast => {
                format!("这个来源每秒发来超过 {PER_SECOND} 个数据报，暂时不回复它")
            }
        }
    }
}

/// A datagram not to answer: why, and whether this source was answered
/// before it (so the log says so once, when refusing starts).
pub struct Refused {
    pub refusal: Refusal,
    pub first_in_a_row: bool,
}

/// The rules above, with what they need to remember.
pub struct Guard {
    own_address: SocketAddr,
    sources: HashMap<SocketAddr, Allowance>,
}

/// A token bucket: `tokens` answers left, refilled at [`PER_SECOND`].
struct Allowance {
    tokens: f64,
    updated: Instant,
    /// Whether we are refusing this source now; the log says so only once.
    refusing: bool,
}

impl Guard {
    pub fn new(own_address: SocketAddr) -> Guard {
        Guard {
            own_address,
            sources: HashMap::new(),
        }
    }

    /// `None`: answer. `Some(refused)`: do not.
    pub fn check(&mut self, source: SocketAddr, data: &[u8]) -> Option<Refused> {
        let refusal = if self.is_own(source) {
            Refusal::OwnAddress
        } else if source.port() == 0 {
            Refusal::PortZero
        } else if data == UDP_REPLY.as_bytes() {
            Refusal::OwnReply
        } else {
            return self.rate(source).map(|first_in_a_row| Refused {
                refusal: Refusal::TooFast,
                first_in_a_row,
            });
        };
        // The first three are per datagram and cheap to spot; log them once
        // per source and kind through the same memory as the rate.
        let first_in_a_row = self.mark_refused(source);
        Some(Refused {
            refusal,
            first_in_a_row,
        })
    }

    /// Our own address: the same port, and the same IP, or any local one
    /// when we listen on all of them (0.0.0.0) and the source is loopback.
    fn is_own(&self, source: SocketAddr) -> bool {
        let own = self.own_address;
        source.port() == own.port()
            && (source.ip() == own.ip() || (own.ip().is_unspecified() && source.ip().is_loopback()))
    }

    /// `None` if `source` may be answered now; otherwise whether this
    /// refusal is the first in a row.
    fn rate(&mut self, source: SocketAddr) -> Option<bool> {
        self.forget_idle_sources();
        let now = Instant::now();
        let allowance = self.sources.entry(source).or_insert(Allowance {
            tokens: PER_SECOND,
            updated: now,
            refusing: false,
        });
        let elapsed = now.duration_since(allowance.updated).as_secs_f64();
        allowance.tokens = (allowance.tokens + elapsed * PER_SECOND).min(PER_SECOND);
        allowance.updated = now;
        if allowance.tokens >= 1.0 {
            allowance.tokens -= 1.0;
            allowance.refusing = false;
            return None;
        }
        let first = !allowance.refusing;
        allowance.refusing = true;
        Some(first)
    }

    fn mark_refused(&mut self, source: SocketAddr) -> bool {
        self.forget_idle_sources();
        let allowance = self.sources.entry(source).or_insert(Allowance {
            tokens: PER_SECOND,
            updated: Instant::now(),
            refusing: false,
        });
        let first = !allowance.refusing;
        allowance.refusing = true;
        first
    }

    /// Keeps the table bounded: when it is full, sources not heard from for
    /// a second (whose allowance has refilled) are forgotten; if that is not
    /// enough, everything is. Forgetting only costs a repeated log line.
    fn forget_idle_sources(&mut self) {
        if self.sources.len() < REMEMBERED {
            return;
        }
        self.sources
            .retain(|_, allowance| allowance.updated.elapsed().as_secs_f64() < 1.0);
        if self.sources.len() >= REMEMBERED {
            self.sources.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn never_answers_itself_port_zero_or_its_own_reply() {
        let mut guard = Guard::new(addr("0.0.0.0:9999"));
        assert!(matches!(
            guard.check(addr("127.0.0.1:9999"), b"x"),
            Some(Refused {
                refusal: Refusal::OwnAddress,
                first_in_a_row: true
            })
        ));
        assert!(matches!(
            guard.check(addr("127.0.0.1:9999"), b"x"),
            Some(Refused {
                refusal: Refusal::OwnAddress,
                first_in_a_row: false
            })
        ));
        assert!(matches!(
            guard.check(addr("127.0.0.1:0"), b"x"),
            Some(Refused {
                refusal: Refusal::PortZero,
                first_in_a_row: true
            })
        ));
        assert!(matches!(
            guard.check(addr("192.0.2.7:7"), UDP_REPLY.as_bytes()),
            Some(Refused {
                refusal: Refusal::OwnReply,
                first_in_a_row: true
            })
        ));
        assert!(guard.check(addr("127.0.0.1:5000"), b"x").is_none());
    }

    #[test]
    fn a_fast_source_is_refused_once_logged_and_others_still_answered() {
        let mut guard = Guard::new(addr("127.0.0.1:9999"));
        let fast = addr("127.0.0.1:5000");
        for _ in 0..PER_SECOND as usize {
            assert!(guard.check(fast, b"x").is_none());
        }
        assert!(matches!(
            guard.check(fast, b"x"),
            Some(Refused {
                refusal: Refusal::TooFast,
                first_in_a_row: true
            })
        ));
        assert!(matches!(
            guard.check(fast, b"x"),
            Some(Refused {
                refusal: Refusal::TooFast,
                first_in_a_row: false
            })
        ));
        assert!(guard.check(addr("127.0.0.1:5001"), b"x").is_none());
    }
}
