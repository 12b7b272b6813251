//! `--pcap FILE`：把 wiretap 转发的数据写成抓包文件，Wireshark 和 tshark 都能打开。
//!
//! What the file is, honestly: wiretap works at the socket layer. It never
//! sees the packets the system sends; it sees what its reads return and
//! what its writes take. So each TCP segment in the file is one piece
//! wiretap forwarded (one read, or one `--chunk` piece of it), with headers
//! made up to fit: a handshake at the start, sequence and acknowledgement
//! numbers that count exactly the bytes forwarded, a FIN or RST where a side
//! closed or reset, and the time wiretap forwarded it. Each relayed
//! connection is one TCP stream from the client's address to the server's,
//! as if wiretap were a wire; each forwarded UDP datagram is one UDP
//! packet. What the file does not have: the kernel's own segmentation, its
//! ACKs and window updates, retransmissions, and the two separate
//! connections wiretap really holds (client ↔ wiretap, wiretap ↔ server).
//! Capturing on the loopback interface shows those.
//!
//! The format is classic pcap (libpcap's, which every tool reads): a 24-byte
//! file header, then each packet with a 16-byte record header (time and
//! length). The link type is "raw IP": packets start at the IP header, with
//! no made-up Ethernet addresses. It is short enough to write here, so the
//! workspace needs no pcap crate for it.
//!
//! Times: each segment carries the moment wiretap started forwarding it
//! (before its write), and the file lists packets in time order. So a reply
//! never comes before the request it answers, even when the thread that
//! forwarded the reply got to the capture first.
//!
//! The packets are kept in memory (up to [`MOST_BYTES`]) and the file is
//! rewritten whole, through a temporary file and a rename, once a second
//! while something changed, and when wiretap ends (`--exit-after`, Ctrl-C).
//! Whoever opens it finds a complete capture, never half of one.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::files;
use crate::packet::{self, ACK, FIN, PSH, RST, SYN, Segment};
use crate::report::Side;

/// The most payload bytes one capture keeps; a long or flooded run would
/// otherwise grow it, and the memory holding it, without end.
pub const MOST_BYTES: usize = 64 * 1024 * 1024;

/// pcap's magic number for microsecond timestamps, written in this
/// machine's byte order: readers use it to tell the order.
const MAGIC: u32 = 0xa1b2_c3d4;
/// LINKTYPE_RAW: each packet starts with its IPv4 or IPv6 header.
const LINKTYPE_RAW: u32 = 101;
/// The longest packet a reader must expect.
const SNAPLEN: u32 = 262_144;

/// A capture being made: the file's name and the packets so far.
#[derive(Debug)]
pub struct Capture {
    path: PathBuf,
    packets: Mutex<Packets>,
    /// Held while the file is written, so that two writes never overlap
    /// (and an older capture never replaces a newer one). The packets' own
    /// lock is not held while writing: relaying goes on meanwhile.
    writing: Mutex<()>,
    /// The wall-clock time when wiretap started, and the steady clock then:
    /// packet times are `started + elapsed`, so they never go backwards,
    /// even when the system clock is set.
    started: (Duration, Instant),
}

/// When a packet was sent, as time since 1970 (what pcap records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(Duration);

/// One packet, kept as what happened; its bytes are made when the file is
/// written, in time order, so that every sequence and acknowledgement
/// number counts exactly the bytes sent before it.
#[derive(Debug)]
struct Record {
    at: Stamp,
    what: Sent,
}

#[derive(Debug)]
enum Sent {
    Segment {
        flow: usize,
        from: Side,
        flags: u8,
        payload: Vec<u8>,
    },
    Datagram {
        from: SocketAddr,
        to: SocketAddr,
        payload: Vec<u8>,
    },
}

#[derive(Debug, Default)]
struct Packets {
    /// Every packet, in time order.
    records: Vec<Record>,
    /// The addresses of each TCP stream, [client, server], by flow number.
    flows: Vec<[SocketAddr; 2]>,
    /// Payload bytes kept, against [`MOST_BYTES`].
    bytes: usize,
    /// [`MOST_BYTES`] was reached; later packets are left out.
    full: bool,
    /// Packets were added since the file was last written.
    changed: bool,
    /// The last time was written: nothing may start writing again (the
    /// process is about to exit, and a half-written temporary file must
    /// not be left behind).
    finished: bool,
}

impl Capture {
    /// Writes the empty capture at start, so that a FILE that cannot be
    /// written is a clear error before any client comes.
    pub fn start(path: &Path) -> io::Result<Capture> {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let capture = Capture {
            path: path.to_path_buf(),
            packets: Mutex::new(Packets::default()),
            writing: Mutex::new(()),
            started: (wall, Instant::now()),
        };
        files::write_whole(path, &header())?;
        Ok(capture)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The time now, for a packet about to be sent.
    pub fn now(&self) -> Stamp {
        let (wall, steady) = self.started;
        Stamp(wall + steady.elapsed())
    }

    /// Rewrites the file if packets were added since the last time.
    pub fn save(&self) -> io::Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let file = {
            let mut packets = self.lock();
            if !packets.changed || packets.finished {
                return Ok(());
            }
            packets.changed = false;
            packets.file()
        };
        files::write_whole(&self.path, &file)
    }

    /// Writes the file for the last time and returns how many packets it
    /// holds; later calls to [`Capture::save`] write nothing.
    pub fn finish(&self) -> io::Result<usize> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let (file, count) = {
            let mut packets = self.lock();
            let count = packets.records.len();
            if packets.finished {
                return Ok(count);
            }
            packets.finished = true;
            (packets.file(), count)
        };
        files::write_whole(&self.path, &file)?;
        Ok(count)
    }

    /// One forwarded UDP datagram, sent `at`.
    pub fn datagram(&self, at: Stamp, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        let payload = payload.to_vec();
        self.lock().push(at, Sent::Datagram { from, to, payload });
    }

    fn lock(&self) -> MutexGuard<'_, Packets> {
        self.packets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Packets {
    /// Adds one packet sent `at`, in time order. Returns false when the
    /// capture is full.
    fn push(&mut self, at: Stamp, what: Sent) -> bool {
        let size = match &what {
            Sent::Segment { payload, .. } | Sent::Datagram { payload, .. } => payload.len(),
        };
        if self.full || self.bytes + size > MOST_BYTES {
            if !self.full {
                self.full = true;
                common::esay!(
                    "抓包文件已达 {} MiB 的上限：后面的数据包不再写进去（转发照常）",
                    MOST_BYTES / 1024 / 1024
                );
            }
            return false;
        }
        // 几乎总是排在最后；只有另一个方向的线程抢先记下了更晚的一块时，才往前插。
        let place = self.records.partition_point(|record| record.at <= at);
        self.records.insert(place, Record { at, what });
        self.bytes += size;
        self.changed = true;
        true
    }

    /// The whole file: its header, then each packet with its record header
    /// (seconds, microseconds, length kept, length on the wire). Sequence
    /// numbers are counted here, in time order.
    fn file(&self) -> Vec<u8> {
        let mut file = header();
        let mut next: HashMap<usize, [u32; 2]> = HashMap::new();
        for (number, record) in self.records.iter().enumerate() {
            // IPv4 的标识字段：每个包一个，只要不重复就行。
            let id = number as u16;
            let packet = match &record.what {
                Sent::Datagram { from, to, payload } => packet::udp(*from, *to, payload, id),
                Sent::Segment {
                    flow,
                    from,
                    flags,
                    payload,
                } => {
                    let sides = next.entry(*flow).or_insert_with(|| initial(*flow));
                    let (me, other) = (*from as usize, from.other() as usize);
                    let segment = Segment {
                        seq: sides[me],
                        ack: sides[other],
                        flags: *flags,
                    };
                    // SYN 和 FIN 各占一个序号，数据每个字节占一个。
                    let used = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
                    sides[me] = sides[me].wrapping_add(used);
                    let [client, server] = self.flows[*flow];
                    let (source, target) = match from {
                        Side::Client => (client, server),
                        Side::Server => (server, client),
                    };
                    packet::tcp(source, target, segment, payload, id)
                }
            };
            let Stamp(time) = record.at;
            let length = packet.len() as u32;
            for field in [time.as_secs() as u32, time.subsec_micros(), length, length] {
                file.extend_from_slice(&field.to_ne_bytes());
            }
            file.extend_from_slice(&packet);
        }
        file
    }
}

/// The first sequence numbers of flow number `flow`, [client, server]:
/// any will do, as long as streams differ. Wireshark shows them relative,
/// from 0.
fn initial(flow: usize) -> [u32; 2] {
    let base = (flow as u32).wrapping_add(1).wrapping_mul(0x0100_0000);
    [base.wrapping_add(0x8000), base.wrapping_add(0x1_0000)]
}

/// The pcap file header: version 2.4, times in UTC, raw IP packets.
fn header() -> Vec<u8> {
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&MAGIC.to_ne_bytes());
    header.extend_from_slice(&2u16.to_ne_bytes());
    header.extend_from_slice(&4u16.to_ne_bytes());
    header.extend_from_slice(&0i32.to_ne_bytes()); // 时区：UTC
    header.extend_from_slice(&0u32.to_ne_bytes()); // 时间精度（总是 0）
    header.extend_from_slice(&SNAPLEN.to_ne_bytes());
    header.extend_from_slice(&LINKTYPE_RAW.to_ne_bytes());
    header
}

/// One relayed TCP connection as one TCP stream in the capture.
#[derive(Debug)]
pub struct Flow {
    number: usize,
    /// What each side has ended with, [client, server].
    ended: Mutex<[Ending; 2]>,
}

/// Whether a side has sent FIN or RST: each is recorded once, and nothing
/// after a reset.
#[derive(Debug, Default, Clone, Copy)]
struct Ending {
    fin: bool,
    reset: bool,
}

impl Flow {
    /// Starts the stream with the three-way handshake (SYN, SYN+ACK, ACK),
    /// which wiretap never sees as packets but which every TCP stream has.
    pub fn open(capture: &Capture, client: SocketAddr, server: SocketAddr) -> Flow {
        let number = {
            let mut packets = capture.lock();
            packets.flows.push([client, server]);
            packets.flows.len() - 1
        };
        let flow = Flow {
            number,
            ended: Mutex::new(Default::default()),
        };
        let at = capture.now();
        flow.segment(capture, at, Side::Client, SYN, &[]);
        flow.segment(capture, at, Side::Server, SYN | ACK, &[]);
        flow.segment(capture, at, Side::Client, ACK, &[]);
        flow
    }

    /// Bytes forwarded from `from`'s side; wiretap started writing them `at`.
    pub fn data(&self, capture: &Capture, at: Stamp, from: Side, payload: &[u8]) {
        self.segment(capture, at, from, PSH | ACK, payload);
    }

    /// `from` closed its sending direction (once; nothing after a reset).
    pub fn fin(&self, capture: &Capture, from: Side) {
        self.segment(capture, capture.now(), from, FIN | ACK, &[]);
    }

    /// `from` reset the connection (once).
    pub fn reset(&self, capture: &Capture, from: Side) {
        self.segment(capture, capture.now(), from, RST | ACK, &[]);
    }

    fn segment(&self, capture: &Capture, at: Stamp, from: Side, flags: u8, payload: &[u8]) {
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        let side = &mut ended[from as usize];
        let repeated = (flags & FIN != 0 && side.fin) || (flags & RST != 0 && side.reset);
        if repeated || side.reset {
            return;
        }
        let sent = Sent::Segment {
            flow: self.number,
            from,
            flags,
            payload: payload.to_vec(),
        };
        if capture.lock().push(at, sent) {
            side.fin |= flags & FIN != 0;
            side.reset |= flags & RST != 0;
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
    fn the_file_is_a_header_then_records_with_times_and_lengths() {
        let dir = std::env::temp_dir().join(format!("wiretap-pcap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.pcap");
        let capture = Capture::start(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 24);
        capture.datagram(
            capture.now(),
            addr("127.0.0.1:1"),
            addr("127.0.0.1:2"),
            b"abc",
        );
        capture.save().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 20 + 8 + 3);
        assert_eq!(&bytes[..4], &MAGIC.to_ne_bytes());
        assert_eq!(&bytes[20..24], &LINKTYPE_RAW.to_ne_bytes());
        assert_eq!(&bytes[32..36], &31u32.to_ne_bytes());
        assert_eq!(capture.finish().unwrap(), 1);
        // Once finished, nothing more is written.
        capture.datagram(
            capture.now(),
            addr("127.0.0.1:1"),
            addr("127.0.0.1:2"),
            b"late",
        );
        capture.save().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The TCP segments of a capture file: (seq, ack, flags, payload).
    fn segments(file: &[u8]) -> Vec<(u32, u32, u8, Vec<u8>)> {
        let mut found = Vec::new();
        let mut at = 24;
        while at < file.len() {
            let length = u32::from_ne_bytes(file[at + 8..at + 12].try_into().unwrap()) as usize;
            let packet = &file[at + 16..at + 16 + length];
            let tcp = &packet[20..];
            let number = |i: usize| u32::from_be_bytes(tcp[i..i + 4].try_into().unwrap());
            found.push((number(4), number(8), tcp[13], tcp[20..].to_vec()));
            at += 16 + length;
        }
        found
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wiretap-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sequence_numbers_count_the_bytes_and_each_fin_in_time_order() {
        let dir = scratch("flow");
        let capture = Capture::start(&dir.join("flow.pcap")).unwrap();
        let flow = Flow::open(&capture, addr("127.0.0.1:5000"), addr("127.0.0.1:9999"));
        let (request, reply) = (capture.now(), capture.now());
        // The reply's thread gets to the capture first; the file still has
        // the request first, and the reply acknowledging it.
        flow.data(&capture, reply, Side::Server, b"ok");
        flow.data(&capture, request, Side::Client, b"12345");
        flow.fin(&capture, Side::Server);
        flow.fin(&capture, Side::Server); // a second FIN from the same side is left out
        flow.reset(&capture, Side::Client);
        flow.data(&capture, capture.now(), Side::Client, b"after the reset");
        let [client, server] = initial(0);
        let found = segments(&capture.lock().file());
        let expected = [
            (client, 0, SYN, &b""[..]),
            (server, client + 1, SYN | ACK, b""),
            (client + 1, server + 1, ACK, b""),
            (client + 1, server + 1, PSH | ACK, b"12345"),
            (server + 1, client + 6, PSH | ACK, b"ok"),
            (server + 3, client + 6, FIN | ACK, b""),
            (client + 6, server + 4, RST | ACK, b""),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(seq, ack, flags, data)| (*seq, *ack, *flags, data.to_vec()))
            .collect();
        assert_eq!(found, expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn datagrams_are_filed_in_the_order_they_were_sent_not_recorded() {
        let dir = scratch("order");
        let capture = Capture::start(&dir.join("order.pcap")).unwrap();
        let (request_sent, reply_sent) =
            (Stamp(Duration::from_secs(1)), Stamp(Duration::from_secs(2)));
        let (a, b) = (addr("127.0.0.1:1"), addr("127.0.0.1:2"));
        capture.datagram(reply_sent, b, a, b"reply");
        capture.datagram(request_sent, a, b, b"request");
        let file = capture.lock().file();
        let request = file.windows(7).position(|w| w == b"request").unwrap();
        let reply = file.windows(5).position(|w| w == b"reply").unwrap();
        assert!(request < reply);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
