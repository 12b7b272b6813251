//! What crossed the wire in one step, kept so that a ✗ can show it the way
//! wiretap does: each read as it arrived, with its direction, its byte
//! count, hex beside escaped text, and the first byte that differs from
//! what the step expected marked with `^^`.
//!
//! The checker's relays ([`super::taps`]) and its own sockets record into a
//! [`Wire`]; nothing reads it unless the step fails. It keeps at most
//! [`KEPT`] bytes per direction of a connection (the rest is counted), so a
//! learner's program that sends a gigabyte cannot fill the checker's memory.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wiretap::display::{self, Utf8Carry};

/// Bytes kept per direction of one connection; past this, only counted.
pub const KEPT: usize = 16 * 1024;

/// At most this many events are shown under a ✗; the rest are summarised.
const MOST_SHOWN: usize = 14;

/// Rows of hex shown per read (16 bytes each): enough to recognise it; the
/// rest is counted. TLS records are ciphertext: their first row says which
/// records they are.
const ROWS_SHOWN: usize = 4;
const TLS_ROWS_SHOWN: usize = 1;

/// Who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    fn name(self) -> &'static str {
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

    /// `客户端 → 服务器`, as wiretap writes it.
    fn direction(self) -> String {
        format!("{} → {}", self.name(), self.other().name())
    }
}

/// What happened to a datagram in a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Passed,
    /// Dropped on purpose, as `wiretap --drop` does.
    Dropped,
    /// Not from the server at all: another port sent it to the client.
    Foreign,
}

#[derive(Debug, Clone)]
enum What {
    Opened {
        client: SocketAddr,
        server: SocketAddr,
    },
    Data {
        from: Side,
        size: usize,
        /// The kept part (empty once the direction's [`KEPT`] was used up).
        bytes: Vec<u8>,
        /// Where these bytes start in the direction's stream.
        offset: usize,
    },
    Fin {
        from: Side,
    },
    Reset {
        from: Side,
    },
    Datagram {
        from: Side,
        source: SocketAddr,
        target: SocketAddr,
        size: usize,
        bytes: Vec<u8>,
        fate: Fate,
    },
    Note(String),
}

#[derive(Debug, Clone)]
struct Event {
    conn: usize,
    at: Duration,
    what: What,
}

/// What a step expected one side to send, to mark the first byte that differs.
#[derive(Debug, Clone)]
struct Expected {
    /// `None`: every connection.
    conn: Option<usize>,
    from: Side,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<Event>,
    connections: usize,
    expected: Vec<Expected>,
    /// Bytes seen so far per connection and direction.
    sent: HashMap<(usize, Side), usize>,
}

/// The record of one step.
#[derive(Debug)]
pub struct Wire {
    started: Instant,
    inner: Mutex<Inner>,
}

impl Default for Wire {
    fn default() -> Wire {
        Wire {
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
        }
    }
}

impl Wire {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A relay thread that panicked left a list that is still a list.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, inner: &mut Inner, conn: usize, what: What) {
        inner.events.push(Event {
            conn,
            at: self.started.elapsed(),
            what,
        });
    }

    /// A new TCP connection; its number for the events that follow.
    pub fn opened(&self, client: SocketAddr, server: SocketAddr) -> usize {
        let mut inner = self.lock();
        inner.connections += 1;
        let conn = inner.connections;
        self.push(&mut inner, conn, What::Opened { client, server });
        conn
    }

    /// A number for datagrams between one client and one server.
    pub fn exchange(&self) -> usize {
        let mut inner = self.lock();
        inner.connections += 1;
        inner.connections
    }

    /// One read's worth of bytes that `from` sent.
    pub fn data(&self, conn: usize, from: Side, bytes: &[u8]) {
        let mut inner = self.lock();
        let offset = *inner.sent.get(&(conn, from)).unwrap_or(&0);
        inner.sent.insert((conn, from), offset + bytes.len());
        let room = KEPT.saturating_sub(offset);
        let kept = bytes[..bytes.len().min(room)].to_vec();
        let what = What::Data {
            from,
            size: bytes.len(),
            bytes: kept,
            offset,
        };
        self.push(&mut inner, conn, what);
    }

    pub fn fin(&self, conn: usize, from: Side) {
        let mut inner = self.lock();
        self.push(&mut inner, conn, What::Fin { from });
    }

    pub fn reset(&self, conn: usize, from: Side) {
        let mut inner = self.lock();
        self.push(&mut inner, conn, What::Reset { from });
    }

    pub fn datagram(
        &self,
        conn: usize,
        from: Side,
        (source, target): (SocketAddr, SocketAddr),
        bytes: &[u8],
        fate: Fate,
    ) {
        let mut inner = self.lock();
        let kept = bytes[..bytes.len().min(KEPT)].to_vec();
        let what = What::Datagram {
            from,
            source,
            target,
            size: bytes.len(),
            bytes: kept,
            fate,
        };
        self.push(&mut inner, conn, what);
    }

    /// A line of its own in the record (`conn` 0: not about one connection).
    pub fn note(&self, conn: usize, text: impl Into<String>) {
        let mut inner = self.lock();
        self.push(&mut inner, conn, What::Note(text.into()));
    }

    /// What `from` should send on every connection (or on `conn`).
    pub fn mark_expected(&self, conn: Option<usize>, from: Side, bytes: &[u8]) {
        self.lock().expected.push(Expected {
            conn,
            from,
            bytes: bytes.to_vec(),
        });
    }

    /// Everything `from` sent on `conn`, as far as kept.
    pub fn sent(&self, conn: usize, from: Side) -> Vec<u8> {
        let inner = self.lock();
        let mut all = Vec::new();
        for event in inner.events.iter().filter(|e| e.conn == conn) {
            if let What::Data { from: f, bytes, .. } = &event.what
                && *f == from
            {
                all.extend_from_slice(bytes);
            }
        }
        all
    }

    /// The size of the first read of what `from` sent on `conn` (0 if none).
    pub fn first_chunk(&self, conn: usize, from: Side) -> usize {
        self.lock()
            .events
            .iter()
            .find_map(|e| match &e.what {
                What::Data { from: f, size, .. } if e.conn == conn && *f == from => Some(*size),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// How many bytes `from` sent on `conn` in all (kept or not).
    pub fn sent_count(&self, conn: usize, from: Side) -> usize {
        *self.lock().sent.get(&(conn, from)).unwrap_or(&0)
    }

    /// Whether `from` ended `conn` with a FIN, and when.
    pub fn fin_at(&self, conn: usize, from: Side) -> Option<Duration> {
        self.lock()
            .events
            .iter()
            .find(|e| e.conn == conn && matches!(e.what, What::Fin { from: f } if f == from))
            .map(|e| e.at)
    }

    /// When `from` first sent data on `conn`.
    pub fn first_data_at(&self, conn: usize, from: Side) -> Option<Duration> {
        self.lock()
            .events
            .iter()
            .find(|e| e.conn == conn && matches!(e.what, What::Data { from: f, .. } if f == from))
            .map(|e| e.at)
    }

    /// The moment this record started, for comparing with [`Wire::fin_at`].
    pub fn started(&self) -> Instant {
        self.started
    }

    /// How many connections (or datagram exchanges) there were.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// The lines to print under a ✗, or none if nothing was recorded.
    pub fn render(&self) -> Vec<String> {
        let inner = self.lock();
        if inner.events.is_empty() {
            return Vec::new();
        }
        let marks = marks(&inner);
        let mut carries: HashMap<(usize, Side), Utf8Carry> = HashMap::new();
        let mut blocks = Vec::new();
        for (index, event) in inner.events.iter().enumerate() {
            let mark = marks.iter().find(|m| m.event == index);
            blocks.push(block(event, mark, &mut carries));
        }
        let mut lines = Vec::new();
        let shown = chosen(inner.events.len(), &marks);
        let mut skipped = 0;
        for (index, block) in blocks.into_iter().enumerate() {
            if !shown.contains(&index) {
                skipped += 1;
                continue;
            }
            if skipped > 0 {
                lines.push(format!("…（中间还有 {skipped} 件事没有显示）"));
                skipped = 0;
            }
            lines.extend(block);
        }
        if skipped > 0 {
            lines.push(format!("…（后面还有 {skipped} 件事没有显示）"));
        }
        lines.extend(missing(&inner));
        lines
    }
}

/// A byte to mark: in event `event`, at `offset` into its bytes.
#[derive(Debug)]
struct Mark {
    event: usize,
    offset: usize,
    note: String,
}

/// For each expectation, where what was sent first differs from it.
fn marks(inner: &Inner) -> Vec<Mark> {
    let mut marks = Vec::new();
    for conn in 1..=inner.connections {
        for side in [Side::Client, Side::Server] {
            let Some(expected) = expectation(inner, conn, side) else {
                continue;
            };
            if let Some(mark) = first_difference(inner, conn, side, &expected.bytes) {
                marks.push(mark);
            }
        }
    }
    marks
}

fn first_difference(inner: &Inner, conn: usize, side: Side, expected: &[u8]) -> Option<Mark> {
    let mut last = None;
    for (index, event) in inner.events.iter().enumerate() {
        let What::Data {
            from,
            bytes,
            offset,
            ..
        } = &event.what
        else {
            continue;
        };
        if event.conn != conn || *from != side {
            continue;
        }
        for (i, byte) in bytes.iter().enumerate() {
            let at = offset + i;
            match expected.get(at) {
                Some(want) if want == byte => {}
                Some(want) => {
                    return Some(Mark {
                        event: index,
                        offset: i,
                        note: format!("第 {} 个字节起和应该的不同：应该是 {want:02x}", at + 1),
                    });
                }
                None => {
                    return Some(Mark {
                        event: index,
                        offset: i,
                        note: format!("从第 {} 个字节起是多出来的", at + 1),
                    });
                }
            }
        }
        last = Some((index, bytes.len(), offset + bytes.len()));
    }
    let (index, len, total) = last?;
    (total < expected.len()).then(|| Mark {
        event: index,
        offset: len,
        note: format!(
            "到这里就没有了：应该一共 {} 字节，还差 {} 字节（{}）",
            expected.len(),
            expected.len() - total,
            display::hex(&expected[total..expected.len().min(total + 6)])
        ),
    })
}

/// What `side` should have sent on `conn`: the latest expectation for that
/// connection, or else the latest for every connection. A step that expects
/// one thing of most connections and another of one gets both marked right,
/// in whatever order it said them.
fn expectation(inner: &Inner, conn: usize, side: Side) -> Option<&Expected> {
    let latest = |specific: bool| {
        inner.expected.iter().rev().find(|e| {
            e.from == side && e.conn.is_some() == specific && e.conn.is_none_or(|c| c == conn)
        })
    };
    latest(true).or_else(|| latest(false))
}

/// Expectations nothing was sent for at all: one line each.
fn missing(inner: &Inner) -> Vec<String> {
    let mut lines = Vec::new();
    for conn in 1..=inner.connections {
        let opened = inner
            .events
            .iter()
            .any(|e| e.conn == conn && matches!(e.what, What::Opened { .. }));
        if !opened {
            continue;
        }
        for expected in [Side::Client, Side::Server]
            .into_iter()
            .filter_map(|side| expectation(inner, conn, side))
        {
            let sent = inner.sent.get(&(conn, expected.from)).copied().unwrap_or(0);
            if sent == 0 && !expected.bytes.is_empty() {
                lines.push(format!(
                    "#{conn} {}：一个字节也没有（应该是 {} 字节：{}）",
                    expected.from.direction(),
                    expected.bytes.len(),
                    common::show_bytes(&expected.bytes)
                ));
            }
        }
    }
    lines.dedup();
    lines
}

/// Which events to show: all if few; else the start, each marked one with
/// its neighbours, and the end.
fn chosen(count: usize, marks: &[Mark]) -> Vec<usize> {
    if count <= MOST_SHOWN {
        return (0..count).collect();
    }
    let mut shown: Vec<usize> = (0..6).collect();
    for mark in marks {
        shown.extend(mark.event.saturating_sub(1)..=(mark.event + 1).min(count - 1));
    }
    shown.extend(count.saturating_sub(4)..count);
    shown.sort_unstable();
    shown.dedup();
    shown
}

/// A read as wiretap prints it, the header with its TLS records named, and
/// only its first rows (and those up to a marked byte): the rest counted.
fn data_lines(
    head: &str,
    conn: usize,
    from: Side,
    size: usize,
    bytes: &[u8],
    mark: Option<&Mark>,
    carries: &mut HashMap<(usize, Side), Utf8Carry>,
) -> Vec<String> {
    let carry = carries.entry((conn, from)).or_default();
    let (at, note) = mark.map_or((None, ""), |m| (Some(m.offset), m.note.as_str()));
    let kind = display::show_datagram(bytes).kind;
    let rows = if kind.is_some() {
        TLS_ROWS_SHOWN
    } else {
        ROWS_SHOWN
    };
    let limit = at
        .map_or(rows * 16, |at| (at / 16 + 1) * 16)
        .max(rows * 16)
        .min(bytes.len());
    let shown = display::show_marked(&bytes[..limit], carry, at, note);
    let kind = kind.map(|k| format!("（{k}）")).unwrap_or_default();
    let mut lines = vec![format!("{head}{}  {size} 字节{kind}", from.direction())];
    lines.extend(shown.rows.into_iter().map(|row| format!("    {row}")));
    if limit < size {
        lines.push(format!("    …（这一块还有 {} 字节没有显示）", size - limit));
    }
    lines
}

/// One event as wiretap prints it: `#1 +0.002s  客户端 → 服务器  21 字节`
/// and its rows.
fn block(
    event: &Event,
    mark: Option<&Mark>,
    carries: &mut HashMap<(usize, Side), Utf8Carry>,
) -> Vec<String> {
    let head = format!("#{} +{:.3}s  ", event.conn, event.at.as_secs_f64());
    let mut lines = Vec::new();
    match &event.what {
        What::Opened { client, server } => {
            lines.push(format!("{head}新连接：客户端 {client} → 服务器 {server}"));
        }
        What::Data {
            from, size, bytes, ..
        } => {
            if bytes.is_empty() {
                lines.push(format!("{head}{}  {size} 字节", from.direction()));
                lines.push(format!(
                    "    （超过了每个方向保留的 {} KiB，没有保留）",
                    KEPT / 1024
                ));
            } else {
                lines.extend(data_lines(
                    &head, event.conn, *from, *size, bytes, mark, carries,
                ));
            }
        }
        What::Fin { from } => lines.push(format!(
            "{head}{}  FIN：{}关闭了写方向（不再发送）",
            from.direction(),
            from.name()
        )),
        What::Reset { from } => lines.push(format!(
            "{head}{}  RST：连接被{}重置",
            from.direction(),
            from.name()
        )),
        What::Datagram {
            from,
            source,
            target,
            size,
            bytes,
            fate,
        } => {
            let (who, fate) = match fate {
                Fate::Passed => (from.name(), ""),
                Fate::Dropped => (from.name(), "，被丢弃（模拟丢包），没有送到"),
                Fate::Foreign => ("另一个端口", "：它不是服务器发的"),
            };
            let mut line = String::new();
            let _ = write!(
                line,
                "{head}{who} {source} → {} {target}  数据报 {size} 字节{fate}",
                from.other().name()
            );
            lines.push(line);
            for row in display::marked_rows(bytes, &mut Utf8Carry::default(), None, "") {
                lines.push(format!("    {row}"));
            }
        }
        What::Note(text) => lines.push(format!("{head}{text}")),
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_short_reply_is_marked_where_it_ends() {
        let wire = Wire::default();
        let conn = wire.opened(addr(5000), addr(9999));
        wire.mark_expected(None, Side::Server, "数据已收到".as_bytes());
        wire.data(conn, Side::Client, "你好".as_bytes());
        wire.data(conn, Side::Server, "数据".as_bytes());
        wire.fin(conn, Side::Server);
        let lines = wire.render();
        let text = lines.join("\n");
        assert!(text.contains("客户端 → 服务器  6 字节"), "{text}");
        assert!(text.contains("服务器 → 客户端  6 字节"), "{text}");
        assert!(
            text.contains("^^ 到这里就没有了：应该一共 15 字节，还差 9 字节（e5 b7 b2 e6 94 b6）"),
            "{text}"
        );
        assert!(text.contains("FIN：服务器关闭了写方向"), "{text}");
    }

    #[test]
    fn a_different_byte_is_marked_and_a_silent_side_is_named() {
        let wire = Wire::default();
        let conn = wire.opened(addr(5000), addr(9999));
        wire.mark_expected(None, Side::Server, b"abcd");
        wire.mark_expected(None, Side::Client, b"hi");
        wire.data(conn, Side::Server, b"ab");
        wire.data(conn, Side::Server, b"xd");
        let text = wire.render().join("\n");
        assert!(
            text.contains("^^ 第 3 个字节起和应该的不同：应该是 63"),
            "{text}"
        );
        assert!(
            text.contains("#1 客户端 → 服务器：一个字节也没有（应该是 2 字节：hi）"),
            "{text}"
        );
    }

    #[test]
    fn tls_records_are_named_and_shown_by_their_first_row() {
        let wire = Wire::default();
        let conn = wire.opened(addr(5000), addr(9999));
        let mut hello = vec![0x16, 0x03, 0x01, 0x00, 0x60];
        hello.extend([0xab; 0x60]);
        wire.data(conn, Side::Client, &hello);
        let lines = wire.render();
        assert!(
            lines[1].ends_with("客户端 → 服务器  101 字节（TLS 记录：握手）"),
            "{lines:?}"
        );
        assert_eq!(lines[3], "    …（这一块还有 85 字节没有显示）", "{lines:?}");
    }

    #[test]
    fn only_so_much_is_kept_and_shown() {
        let wire = Wire::default();
        let conn = wire.opened(addr(5000), addr(9999));
        let big = vec![b'x'; KEPT + 100];
        wire.data(conn, Side::Server, &big);
        wire.data(conn, Side::Server, b"more");
        assert_eq!(wire.sent(conn, Side::Server).len(), KEPT);
        assert_eq!(wire.sent_count(conn, Side::Server), KEPT + 104);
        for n in 0..40 {
            wire.note(conn, format!("事件 {n}"));
        }
        let text = wire.render().join("\n");
        assert!(
            text.contains("…（这一块还有 16420 字节没有显示）"),
            "{text}"
        );
        assert!(
            text.contains("（超过了每个方向保留的 16 KiB，没有保留）"),
            "{text}"
        );
        assert!(text.contains("没有显示"), "{text}");
        assert!(wire.render().len() < 60);
    }
}
