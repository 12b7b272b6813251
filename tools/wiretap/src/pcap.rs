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
//! The packets are kept in memory (up to [`MOST_BYTES`]) and the file is
//! rewritten whole, through a temporary file and a rename, once a second
//! while something changed, and when wiretap ends (`--exit-after`, Ctrl-C).
//! Whoever opens it finds a complete capture, never half of one.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::files;
use crate::packet::{self, ACK, FIN, PSH, RST, SYN, Segment};
use crate::report::Side;
use std::net::SocketAddr;

/// The most packet bytes one capture keeps; a long or flooded run would
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
}

#[derive(Debug, Default)]
struct Packets {
    records: Vec<u8>,
    count: usize,
    /// The IP identification field of the next IPv4 packet.
    next_id: u16,
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
        let capture = Capture {
            path: path.to_path_buf(),
            packets: Mutex::new(Packets::default()),
        };
        files::write_whole(path, &header())?;
        Ok(capture)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rewrites the file if packets were added since the last time.
    pub fn save(&self) -> io::Result<()> {
        let mut packets = self.lock();
        if !packets.changed || packets.finished {
            return Ok(());
        }
        files::write_whole(&self.path, &packets.file())?;
        packets.changed = false;
        Ok(())
    }

    /// Writes the file for the last time and returns how many packets it
    /// holds; later calls to [`Capture::save`] write nothing.
    pub fn finish(&self) -> io::Result<usize> {
        let mut packets = self.lock();
        let count = packets.count;
        if packets.finished {
            return Ok(count);
        }
        packets.finished = true;
        files::write_whole(&self.path, &packets.file())?;
        Ok(count)
    }

    /// One forwarded UDP datagram.
    pub fn datagram(&self, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        let mut packets = self.lock();
        let id = packets.take_id();
        packets.push(&packet::udp(from, to, payload, id));
    }

    fn lock(&self) -> MutexGuard<'_, Packets> {
        self.packets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Packets {
    fn take_id(&mut self) -> u16 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// Adds one packet with the time now. Returns false when the capture is full.
    fn push(&mut self, packet: &[u8]) -> bool {
        if self.full || self.records.len() + 16 + packet.len() > MOST_BYTES {
            if !self.full {
                self.full = true;
                self.changed = true;
                common::esay!(
                    "抓包文件已达 {} MiB 的上限：后面的数据包不再写进去（转发照常）",
                    MOST_BYTES / 1024 / 1024
                );
            }
            return false;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let length = packet.len() as u32;
        for field in [now.as_secs() as u32, now.subsec_micros(), length, length] {
            self.records.extend_from_slice(&field.to_ne_bytes());
        }
        self.records.extend_from_slice(packet);
        self.count += 1;
        self.changed = true;
        true
    }

    /// The whole file: its header and every packet.
    fn file(&self) -> Vec<u8> {
        [header(), self.records.clone()].concat()
    }
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

/// One relayed TCP connection as one TCP stream in the capture: the two
/// addresses and where each side is.
#[derive(Debug)]
pub struct Flow {
    /// [client, server]
    ends: [SocketAddr; 2],
    sides: Mutex<[Sending; 2]>,
}

/// One side of a [`Flow`].
#[derive(Debug, Default, Clone, Copy)]
struct Sending {
    /// The sequence number its next segment starts at.
    next: u32,
    /// It has sent FIN: one is enough, even if wiretap closes it again.
    fin: bool,
    /// It has sent RST.
    reset: bool,
}

impl Flow {
    /// Starts the stream with the three-way handshake (SYN, SYN+ACK, ACK),
    /// which wiretap never sees as packets but which every TCP stream has.
    pub fn open(capture: &Capture, id: usize, client: SocketAddr, server: SocketAddr) -> Flow {
        // 初始序号随便取，只要每个连接不同；Wireshark 默认显示从 0 开始的相对序号。
        let isn = |side: u32| {
            (id as u32)
                .wrapping_mul(0x0100_0000)
                .wrapping_add(side * 0x8000)
        };
        let sending = |side| Sending {
            next: isn(side),
            ..Sending::default()
        };
        let flow = Flow {
            ends: [client, server],
            sides: Mutex::new([sending(1), sending(2)]),
        };
        flow.segment(capture, Side::Client, SYN, &[]);
        flow.segment(capture, Side::Server, SYN | ACK, &[]);
        flow.segment(capture, Side::Client, ACK, &[]);
        flow
    }

    /// Bytes forwarded from `from`'s side.
    pub fn data(&self, capture: &Capture, from: Side, payload: &[u8]) {
        self.segment(capture, from, PSH | ACK, payload);
    }

    /// `from` closed its sending direction (once; nothing after a reset).
    pub fn fin(&self, capture: &Capture, from: Side) {
        self.segment(capture, from, FIN | ACK, &[]);
    }

    /// `from` reset the connection (once).
    pub fn reset(&self, capture: &Capture, from: Side) {
        self.segment(capture, from, RST | ACK, &[]);
    }

    /// One segment from `from`: it starts at that side's next sequence
    /// number and acknowledges everything the other side has sent.
    fn segment(&self, capture: &Capture, from: Side, flags: u8, payload: &[u8]) {
        // 先锁住这个连接，再锁住整个文件：同一个连接的报文段按序号的顺序写进文件。
        let mut sides = self.sides.lock().unwrap_or_else(PoisonError::into_inner);
        let (me, other) = (from as usize, from.other() as usize);
        let repeated = (flags & FIN != 0 && sides[me].fin) || (flags & RST != 0 && sides[me].reset);
        if repeated || sides[me].reset {
            return;
        }
        let segment = Segment {
            seq: sides[me].next,
            ack: sides[other].next,
            flags,
        };
        // SYN 和 FIN 各占一个序号，数据每个字节占一个。
        let used = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        let mut packets = capture.lock();
        let id = packets.take_id();
        let bytes = packet::tcp(self.ends[me], self.ends[other], segment, payload, id);
        if packets.push(&bytes) {
            let side = &mut sides[me];
            side.next = side.next.wrapping_add(used);
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
        capture.datagram(addr("127.0.0.1:1"), addr("127.0.0.1:2"), b"abc");
        capture.save().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 20 + 8 + 3);
        assert_eq!(&bytes[..4], &MAGIC.to_ne_bytes());
        assert_eq!(&bytes[20..24], &LINKTYPE_RAW.to_ne_bytes());
        assert_eq!(&bytes[32..36], &31u32.to_ne_bytes());
        assert_eq!(capture.finish().unwrap(), 1);
        // Once finished, nothing more is written.
        capture.datagram(addr("127.0.0.1:1"), addr("127.0.0.1:2"), b"late");
        capture.save().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sequence_numbers_count_the_bytes_and_each_fin() {
        let dir = std::env::temp_dir().join(format!("wiretap-flow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let capture = Capture::start(&dir.join("flow.pcap")).unwrap();
        let flow = Flow::open(&capture, 1, addr("127.0.0.1:5000"), addr("127.0.0.1:9999"));
        let next = |flow: &Flow| flow.sides.lock().unwrap().map(|side| side.next);
        let start = next(&flow);
        flow.data(&capture, Side::Client, b"12345");
        flow.fin(&capture, Side::Server);
        flow.fin(&capture, Side::Server); // a second FIN from the same side is left out
        let end = next(&flow);
        assert_eq!(end[0].wrapping_sub(start[0]), 5);
        assert_eq!(end[1].wrapping_sub(start[1]), 1);
        // After the handshake each side's number is one past its SYN.
        let isn = |side: u32| 0x0100_0000u32 + side * 0x8000;
        assert_eq!(start, [isn(1) + 1, isn(2) + 1]);
        assert_eq!(capture.lock().count, 5);
        flow.reset(&capture, Side::Client);
        flow.data(&capture, Side::Client, b"after the reset");
        assert_eq!(capture.lock().count, 6);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
