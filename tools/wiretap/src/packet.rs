//! 拼出一个 IP 数据包：IPv4 或 IPv6 头，加上 TCP 或 UDP 头，加上数据。
//!
//! wiretap never sees packets: it reads and writes sockets, and the system
//! makes the packets. For `--pcap` it writes the headers a packet carrying
//! those bytes would have had. Only the fields Wireshark needs to follow the
//! conversation are meaningful: addresses, ports, lengths, TCP sequence and
//! acknowledgement numbers and flags, and correct checksums (so Wireshark
//! marks nothing as broken). The rest is fixed: TTL 64, a TCP window of
//! 65,535 bytes, no TCP options.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// TCP flags, as in the header.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

const TCP: u8 = 6;
const UDP: u8 = 17;
const TTL: u8 = 64;
/// The most an IP packet's length field can say.
const MOST_IP_LENGTH: usize = 65_535;

/// The TCP header's numbers for one segment.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
}

/// An IP packet carrying a TCP segment from `from` to `to`.
pub fn tcp(from: SocketAddr, to: SocketAddr, segment: Segment, payload: &[u8], id: u16) -> Vec<u8> {
    let (source, destination) = same_family(from.ip(), to.ip());
    let payload = fitting(payload, source, 20);
    let mut header = Vec::with_capacity(20 + payload.len());
    header.extend_from_slice(&from.port().to_be_bytes());
    header.extend_from_slice(&to.port().to_be_bytes());
    header.extend_from_slice(&segment.seq.to_be_bytes());
    // 没有 ACK 标志的报文段（第一个 SYN）确认号写 0。
    let ack = if segment.flags & ACK != 0 {
        segment.ack
    } else {
        0
    };
    header.extend_from_slice(&ack.to_be_bytes());
    header.push(5 << 4); // 头长 5 个 32 位字 = 20 字节，没有选项
    header.push(segment.flags);
    header.extend_from_slice(&u16::MAX.to_be_bytes()); // 窗口
    header.extend_from_slice(&[0, 0, 0, 0]); // 校验和（下面算），紧急指针
    header.extend_from_slice(payload);
    let sum = checksum(
        &pseudo_header(source, destination, TCP, header.len()),
        &header,
    );
    header[16..18].copy_from_slice(&sum.to_be_bytes());
    ip(source, destination, TCP, &header, id)
}

/// An IP packet carrying a UDP datagram from `from` to `to`.
pub fn udp(from: SocketAddr, to: SocketAddr, payload: &[u8], id: u16) -> Vec<u8> {
    let (source, destination) = same_family(from.ip(), to.ip());
    let payload = fitting(payload, source, 8);
    let length = 8 + payload.len();
    let mut datagram = Vec::with_capacity(length);
    datagram.extend_from_slice(&from.port().to_be_bytes());
    datagram.extend_from_slice(&to.port().to_be_bytes());
    datagram.extend_from_slice(&(length as u16).to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    let sum = match checksum(&pseudo_header(source, destination, UDP, length), &datagram) {
        0 => 0xffff, // UDP 里 0 表示“没有校验和”，算出来是 0 时写成 0xffff
        sum => sum,
    };
    datagram[6..8].copy_from_slice(&sum.to_be_bytes());
    ip(source, destination, UDP, &datagram, id)
}

/// Both addresses in one family: IPv4 when both are IPv4 (an IPv4-mapped
/// IPv6 address counts as IPv4), IPv6 otherwise. A client on `[::1]`
/// relayed to a server on 127.0.0.1 is one conversation, so it gets one
/// family, IPv6, with the IPv4 address written as `::ffff:127.0.0.1`.
fn same_family(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    match (a.to_canonical(), b.to_canonical()) {
        (a @ IpAddr::V4(_), b @ IpAddr::V4(_)) => (a, b),
        (a, b) => (IpAddr::V6(as_v6(a)), IpAddr::V6(as_v6(b))),
    }
}

fn as_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The payload, cut to what one IP packet can carry. Real reads and
/// datagrams always fit (wiretap reads at most 16 KiB of TCP at once, and
/// a UDP datagram is at most 65,507 bytes over IPv4); this only keeps a
/// length field from overflowing.
fn fitting(payload: &[u8], family: IpAddr, header: usize) -> &[u8] {
    let ip_header = if family.is_ipv4() { 20 } else { 0 };
    let room = MOST_IP_LENGTH - ip_header - header;
    &payload[..payload.len().min(room)]
}

/// The addresses and lengths TCP and UDP checksums cover besides their own bytes.
fn pseudo_header(source: IpAddr, destination: IpAddr, protocol: u8, length: usize) -> Vec<u8> {
    let mut pseudo = Vec::with_capacity(40);
    match (source, destination) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, protocol]);
            pseudo.extend_from_slice(&(length as u16).to_be_bytes());
        }
        (s, d) => {
            pseudo.extend_from_slice(&as_v6(s).octets());
            pseudo.extend_from_slice(&as_v6(d).octets());
            pseudo.extend_from_slice(&(length as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, protocol]);
        }
    }
    pseudo
}

/// The IP header in front of `body`.
fn ip(source: IpAddr, destination: IpAddr, protocol: u8, body: &[u8], id: u16) -> Vec<u8> {
    let mut packet = Vec::with_capacity(40 + body.len());
    match (source, destination) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            packet.push(0x45); // 版本 4，头长 5 个 32 位字
            packet.push(0);
            packet.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
            packet.extend_from_slice(&id.to_be_bytes());
            packet.extend_from_slice(&0x4000u16.to_be_bytes()); // 不分片（DF）
            packet.extend_from_slice(&[TTL, protocol, 0, 0]);
            packet.extend_from_slice(&s.octets());
            packet.extend_from_slice(&d.octets());
            let sum = checksum(&[], &packet);
            packet[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        (s, d) => {
            packet.extend_from_slice(&[0x60, 0, 0, 0]); // 版本 6
            packet.extend_from_slice(&(body.len() as u16).to_be_bytes());
            packet.extend_from_slice(&[protocol, TTL]);
            packet.extend_from_slice(&as_v6(s).octets());
            packet.extend_from_slice(&as_v6(d).octets());
        }
    }
    packet.extend_from_slice(body);
    packet
}

/// The Internet checksum (RFC 1071) over `first` and then `second`: the
/// ones' complement of the ones'-complement sum of 16-bit words.
fn checksum(first: &[u8], second: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for part in [first, second] {
        // 每一部分的长度都是偶数（伪首部），或者在最后（奇数时补一个 0 字节）。
        for pair in part.chunks(2) {
            let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
            sum += u64::from(word);
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    /// A packet with its checksum field in place sums to 0xffff: the
    /// receiver's check, which is what Wireshark does.
    fn verifies(pseudo: &[u8], bytes: &[u8]) -> bool {
        checksum(pseudo, bytes) == 0
    }

    #[test]
    fn ipv4_tcp_headers_and_checksums_are_right() {
        let segment = Segment {
            seq: 1000,
            ack: 2000,
            flags: PSH | ACK,
        };
        let packet = tcp(
            addr("127.0.0.1:40000"),
            addr("127.0.0.1:9999"),
            segment,
            b"hi!",
            7,
        );
        assert_eq!(packet.len(), 20 + 20 + 3);
        assert_eq!(packet[0], 0x45);
        assert_eq!(u16::from_be_bytes([packet[2], packet[3]]), 43);
        assert!(verifies(&[], &packet[..20]), "IP header checksum");
        let pseudo = pseudo_header(
            "127.0.0.1".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
            TCP,
            23,
        );
        assert!(verifies(&pseudo, &packet[20..]), "TCP checksum");
        assert_eq!(&packet[24..28], &1000u32.to_be_bytes());
        assert_eq!(&packet[28..32], &2000u32.to_be_bytes());
        assert_eq!(packet[33], PSH | ACK);
        assert_eq!(&packet[40..], b"hi!");
    }

    #[test]
    fn a_first_syn_carries_no_acknowledgement_number() {
        let segment = Segment {
            seq: 1,
            ack: 99,
            flags: SYN,
        };
        let packet = tcp(addr("127.0.0.1:1"), addr("127.0.0.1:2"), segment, b"", 0);
        assert_eq!(&packet[28..32], &[0, 0, 0, 0]);
    }

    #[test]
    fn mixed_families_become_ipv6_with_the_ipv4_address_mapped() {
        let packet = udp(addr("[::1]:5000"), addr("127.0.0.1:9999"), b"odd", 0);
        assert_eq!(packet[0] >> 4, 6);
        assert_eq!(u16::from_be_bytes([packet[4], packet[5]]), 8 + 3);
        let to: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(&packet[24..40], &to.octets());
        let pseudo = pseudo_header(IpAddr::V6(Ipv6Addr::LOCALHOST), IpAddr::V6(to), UDP, 11);
        assert!(verifies(&pseudo, &packet[40..]), "UDP checksum");
    }

    #[test]
    fn ipv4_mapped_addresses_on_both_sides_are_ipv4() {
        let packet = udp(
            addr("[::ffff:127.0.0.1]:5000"),
            addr("127.0.0.1:9999"),
            b"",
            0,
        );
        assert_eq!(packet[0], 0x45);
        assert_eq!(packet.len(), 28);
    }
}
