//! 显示读到的字节：十六进制在左，文字在右；被块边界切开的 UTF-8 字符标出来。
//!
//! A read returns whatever bytes have arrived, and nothing stops it from
//! ending in the middle of a character: `好` is `e5 a5 bd`, and a read may
//! return only `e5 a5`. `String::from_utf8_lossy` (and so `show_bytes`)
//! would print `�` there, which looks like broken data. It is not broken, it
//! is cut, and the next read brings the rest. So this module keeps the cut
//! bytes of each direction ([`Utf8Carry`]), marks them at the end of one
//! chunk and joins them with the start of the next.
//!
//! The text follows the one escaping rule of `common::show` (line breaks as
//! `\n`, `\r`; control, format and invisible characters as `\x1b`,
//! `\u{e0041}`), one change aside: tabs are written `\t` too, because a real
//! tab would tear the hex column apart.

use common::show_bytes;

/// At most this many bytes of one chunk are shown; the rest is only counted,
/// so a megabyte read does not flood the terminal.
pub const SHOWN_BYTES: usize = 256;

/// Bytes per hexdump row.
const ROW: usize = 16;

/// At most this many characters of text label an arrow in the diagram.
const LABEL_CHARS: usize = 20;

/// The first bytes of a character that the previous chunk of the same
/// direction ended in the middle of.
#[derive(Debug, Default)]
pub struct Utf8Carry(Vec<u8>);

/// One chunk, ready to print.
#[derive(Debug)]
pub struct Shown {
    /// Hexdump rows: hex of up to 16 bytes, then the text that starts in them.
    pub rows: Vec<String>,
    /// A short one-line text for a diagram arrow.
    pub label: String,
    /// What the bytes are, when they are TLS records: `TLS 记录：握手`.
    pub kind: Option<String>,
}

/// A piece of the text column: where its bytes start, how it is shown, and
/// whether it is something other than text (`�`, a control character).
struct Piece {
    start: usize,
    text: String,
    binary: bool,
    /// The start of a character the chunk ends in the middle of.
    cut: bool,
}

/// Shows `bytes`, continuing a character cut by the previous chunk in
/// `carry` and leaving there the start of one this chunk cuts.
pub fn show(bytes: &[u8], carry: &mut Utf8Carry) -> Shown {
    let kind = tls_records(bytes);
    let mut pieces = text_pieces(bytes, carry);
    if kind.is_some() || mostly_binary(&pieces) {
        // 二进制数据（例如 TLS 密文）末尾恰好像半个字符，只是巧合：不标“被截断”，也不带到下一块。
        *carry = Utf8Carry::default();
        pieces = text_pieces(bytes, &mut Utf8Carry::default());
        for piece in pieces.iter_mut().filter(|p| p.cut) {
            piece.text = "\u{fffd}".to_string();
        }
    }
    Shown {
        rows: rows(bytes, &pieces),
        label: match &kind {
            Some(kind) => kind.clone(),
            None => label(bytes, &pieces),
        },
        kind,
    }
}

/// One chunk as wiretap shows it, for another program that shows a wire
/// (the workshop's checker). When `differs_at` (an offset into `bytes`, up
/// to `bytes.len()` for "it ended here") falls among the shown bytes, a row
/// of `^^` under the byte marks it, followed by `note`.
pub fn show_marked(
    bytes: &[u8],
    carry: &mut Utf8Carry,
    differs_at: Option<usize>,
    note: &str,
) -> Shown {
    let mut shown = show(bytes, carry);
    shown.rows = marked(shown.rows, bytes.len(), differs_at, note);
    shown
}

/// The rows of [`show_marked`] alone.
pub fn marked_rows(
    bytes: &[u8],
    carry: &mut Utf8Carry,
    differs_at: Option<usize>,
    note: &str,
) -> Vec<String> {
    show_marked(bytes, carry, differs_at, note).rows
}

fn marked(mut rows: Vec<String>, len: usize, differs_at: Option<usize>, note: &str) -> Vec<String> {
    let shown = len.min(SHOWN_BYTES);
    let Some(at) = differs_at.filter(|&at| at <= shown && at < SHOWN_BYTES) else {
        return rows;
    };
    // The byte's row, or a new row for the place just past the last byte.
    let row = at / ROW;
    let marker = format!("{}^^ {note}", " ".repeat((at % ROW) * 3));
    if row >= rows.len() || (at == len && at % ROW == 0) {
        rows.push(marker);
    } else {
        rows.insert(row + 1, marker);
    }
    rows
}

/// Shows a datagram: it is whole by itself, so nothing carries over.
pub fn show_datagram(bytes: &[u8]) -> Shown {
    show(bytes, &mut Utf8Carry::default())
}

/// `e5 a5 bd`
pub fn hex(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(" ")
}

fn text_pieces(bytes: &[u8], carry: &mut Utf8Carry) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut at = 0;
    let pending = std::mem::take(&mut carry.0);
    if !pending.is_empty() {
        match continue_character(&pending, bytes) {
            Continued::Completed(used, text) => {
                pieces.push(piece(0, text, false));
                at = used;
            }
            Continued::StillCut(text) => {
                pieces.push(piece(0, text, false));
                carry.0 = [pending.as_slice(), bytes].concat();
                return pieces;
            }
            // The next bytes do not continue it: it was garbage after all,
            // and the bytes here are shown as they are.
            Continued::No => {}
        }
    }
    let body = &bytes[at..];
    let whole = body.len() - cut_at_end(body);
    let mut offset = at;
    for chunk in body[..whole].utf8_chunks() {
        for (i, c) in chunk.valid().char_indices() {
            let text = show_char(c);
            let binary = text.starts_with("\\x") || text.starts_with("\\u{");
            pieces.push(piece(offset + i, text, binary));
        }
        offset += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            pieces.push(piece(offset, "\u{fffd}".to_string(), true));
            offset += chunk.invalid().len();
        }
    }
    if whole < body.len() {
        let cut = &body[whole..];
        let text = format!("…[被截断的 UTF-8 字符 {}]", hex(cut));
        pieces.push(Piece {
            cut: true,
            ..piece(at + whole, text, false)
        });
        carry.0 = cut.to_vec();
    }
    pieces
}

fn piece(start: usize, text: String, binary: bool) -> Piece {
    Piece {
        start,
        text,
        binary,
        cut: false,
    }
}

/// Whether more than a quarter of what is shown is `�` or escapes: binary
/// data rather than text.
fn mostly_binary(pieces: &[Piece]) -> bool {
    pieces.iter().filter(|p| p.binary).count() * 4 > pieces.len()
}

enum Continued {
    /// The first `usize` bytes finish the character; the text says so.
    Completed(usize, String),
    /// The whole chunk continues it and it is still not complete.
    StillCut(String),
    No,
}

fn continue_character(pending: &[u8], bytes: &[u8]) -> Continued {
    let needed = utf8_length(pending[0]).saturating_sub(pending.len());
    let used = bytes
        .iter()
        .take(needed)
        .take_while(|&&b| is_continuation(b))
        .count();
    let joined = [pending, &bytes[..used]].concat();
    match std::str::from_utf8(&joined) {
        Ok(character) if used > 0 => Continued::Completed(
            used,
            format!(
                "[接上一块的 {}，拼成“{}”]",
                hex(&bytes[..used]),
                show_bytes(character.as_bytes())
            ),
        ),
        Err(e) if e.error_len().is_none() && used > 0 && used == bytes.len() => {
            Continued::StillCut(format!("[接上一块的 {}，字符仍不完整]…", hex(bytes)))
        }
        _ => Continued::No,
    }
}

/// How many bytes at the end of `bytes` are the valid start of a character
/// whose remaining bytes have not arrived (0 to 3).
fn cut_at_end(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let start = bytes.len() - back;
        if is_continuation(bytes[start]) {
            continue;
        }
        // The last byte that starts a character: cut if it is an incomplete
        // but valid beginning (from_utf8 then reports "ended too early").
        let cut = matches!(std::str::from_utf8(&bytes[start..]), Err(e) if e.error_len().is_none());
        return if cut { back } else { 0 };
    }
    0
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// How many bytes a character starting with `lead` has (1 for a byte that
/// starts none).
fn utf8_length(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// One character by the one escaping rule (`common::show`), with tabs
/// escaped too.
fn show_char(c: char) -> String {
    match c {
        '\t' => "\\t".to_string(),
        c => common::show::show_char(c),
    }
}

fn rows(bytes: &[u8], pieces: &[Piece]) -> Vec<String> {
    let shown = bytes.len().min(SHOWN_BYTES);
    let mut rows = Vec::new();
    for start in (0..shown).step_by(ROW) {
        let end = (start + ROW).min(shown);
        let text: String = pieces
            .iter()
            .filter(|p| (start..end).contains(&p.start))
            .map(|p| p.text.as_str())
            .collect();
        rows.push(format!("{:<47}  {text}", hex(&bytes[start..end])));
    }
    if bytes.len() > shown {
        let mut more = format!("…（这一块还有 {} 字节没有显示", bytes.len() - shown);
        // A character cut at the very end is still worth saying.
        if let Some(last) = pieces.last().filter(|p| p.cut) {
            more += &format!("，最后是 {}", last.text);
        }
        rows.push(more + "）");
    }
    rows
}

/// A short label: the start of the text, or for binary data (TLS records,
/// for one) its first bytes in hex, which say more than a row of `�`.
fn label(bytes: &[u8], pieces: &[Piece]) -> String {
    if mostly_binary(pieces) {
        let start = &bytes[..bytes.len().min(4)];
        let more = if bytes.len() > 4 { " …" } else { "" };
        return format!("二进制数据 {}{more}", hex(start));
    }
    let mut label = String::new();
    for (count, piece) in pieces.iter().enumerate() {
        if count == LABEL_CHARS {
            label += "…";
            break;
        }
        label += &piece.text;
    }
    label
}

/// Names the TLS records a chunk starts with, or None when it does not
/// look like TLS. Every TLS record begins with five plain bytes: its type,
/// the version `03 0x`, and its length. Only they are readable: after the
/// handshake every record is `17` ("encrypted data") and the message inside
/// cannot be seen, which is the point of TLS.
fn tls_records(bytes: &[u8]) -> Option<String> {
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut rest = bytes;
    while let [kind, 3, 0..=4, high, low, ..] = rest {
        let name = match kind {
            0x14 => "更换密码规格",
            0x15 => "告警",
            0x16 => "握手",
            0x17 => "加密数据",
            _ => break,
        };
        match names.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => names.push((name, 1)),
        }
        let length = 5 + usize::from(u16::from_be_bytes([*high, *low]));
        rest = &rest[length.min(rest.len())..];
    }
    if names.is_empty() {
        return None;
    }
    let names: Vec<String> = names
        .iter()
        .map(|(name, count)| match count {
            1 => name.to_string(),
            n => format!("{name} ×{n}"),
        })
        .collect();
    Some(format!("TLS 记录：{}", names.join("、")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(chunks: &[&[u8]]) -> Vec<String> {
        let mut carry = Utf8Carry::default();
        chunks
            .iter()
            .map(|chunk| {
                let pieces = text_pieces(chunk, &mut carry);
                pieces.iter().map(|p| p.text.as_str()).collect()
            })
            .collect()
    }

    #[test]
    fn whole_text_is_shown_as_text() {
        assert_eq!(texts(&["你好，服务器！".as_bytes()]), ["你好，服务器！"]);
        assert_eq!(texts(&[b"a\nb\r\n\t\x1b"]), ["a\\nb\\r\\n\\t\\x1b"]);
    }

    /// Issue 21: tag characters (hidden text) were shown raw in the text column.
    #[test]
    fn hidden_characters_are_escaped_in_the_text_column() {
        let hidden = "ok\u{e0068}\u{e0069}\u{180e}\u{ad}";
        assert_eq!(
            texts(&[hidden.as_bytes()]),
            ["ok\\u{e0068}\\u{e0069}\\u{180e}\\u{00ad}"]
        );
    }

    #[test]
    fn a_character_cut_at_the_edge_is_marked_and_joined_with_the_next_chunk() {
        // 好 = e5 a5 bd
        let shown = texts(&[b"ab\xe5\xa5", b"\xbdcd"]);
        assert_eq!(shown[0], "ab…[被截断的 UTF-8 字符 e5 a5]");
        assert_eq!(shown[1], "[接上一块的 bd，拼成“好”]cd");
    }

    #[test]
    fn one_byte_at_a_time_still_makes_the_character() {
        let shown = texts(&[b"\xe5", b"\xa5", b"\xbd"]);
        assert_eq!(shown[0], "…[被截断的 UTF-8 字符 e5]");
        assert_eq!(shown[1], "[接上一块的 a5，字符仍不完整]…");
        assert_eq!(shown[2], "[接上一块的 bd，拼成“好”]");
    }

    #[test]
    fn real_garbage_is_still_shown_as_replacement_characters() {
        assert_eq!(texts(&[b"a\xffb"]), ["a\u{fffd}b"]);
        // A lone continuation byte is garbage, not the end of a cut character.
        assert_eq!(texts(&[b"\xa5x"]), ["\u{fffd}x"]);
        // A cut character whose rest never comes: the next bytes are shown as they are.
        assert_eq!(
            texts(&[b"\xe5", b"xy"]),
            ["…[被截断的 UTF-8 字符 e5]", "xy"]
        );
    }

    #[test]
    fn rows_put_hex_beside_the_text_that_starts_in_them() {
        let shown = show_datagram("你好，服务器！".as_bytes());
        assert_eq!(shown.rows.len(), 2);
        assert!(shown.rows[0].starts_with("e4 bd a0 e5 a5 bd ef bc 8c e6 9c 8d e5 8a a1 e5  "));
        assert!(shown.rows[0].ends_with("你好，服务器"), "{:?}", shown.rows);
        assert!(shown.rows[1].starts_with("99 a8 ef bc 81 "));
        assert!(shown.rows[1].ends_with("  ！"), "{:?}", shown.rows);
        assert_eq!(shown.label, "你好，服务器！");
    }

    #[test]
    fn big_chunks_are_cut_short_but_keep_their_cut_character() {
        let mut data = vec![b'x'; 1000];
        data.extend_from_slice(b"\xe5\xa5");
        let shown = show_datagram(&data);
        assert_eq!(shown.rows.len(), SHOWN_BYTES / ROW + 1);
        let last = shown.rows.last().unwrap();
        assert!(last.contains("还有 746 字节没有显示"), "{last}");
        assert!(last.contains("被截断的 UTF-8 字符 e5 a5"), "{last}");
        assert_eq!(shown.label, format!("{}…", "x".repeat(LABEL_CHARS)));
    }

    #[test]
    fn a_marked_byte_gets_a_caret_row_under_its_own_row() {
        let reply = "数据已收到".as_bytes(); // 15 bytes: one row
        let rows = marked_rows(reply, &mut Utf8Carry::default(), Some(3), "不同");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1], "         ^^ 不同");
        // Past the end of a full row: a row of its own.
        let sixteen = [b'a'; 16];
        let rows = marked_rows(&sixteen, &mut Utf8Carry::default(), Some(16), "没有了");
        assert_eq!(rows.last().unwrap(), "^^ 没有了");
        // Past the end of a short row: under the place after the last byte.
        let rows = marked_rows(b"abc", &mut Utf8Carry::default(), Some(3), "没有了");
        assert_eq!(rows[1], "         ^^ 没有了");
        // Nothing to mark.
        assert_eq!(
            marked_rows(b"abc", &mut Utf8Carry::default(), None, "").len(),
            1
        );
    }

    #[test]
    fn binary_data_gets_a_hex_label() {
        let binary = [0x00, 0x9c, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03];
        let shown = show_datagram(&binary);
        assert_eq!(shown.label, "二进制数据 00 9c 01 02 …");
        assert_eq!(shown.kind, None);
    }

    #[test]
    fn tls_records_are_named_by_their_plain_headers() {
        let hello = [0x16, 0x03, 0x01, 0x00, 0x02, 0xaa, 0xbb];
        assert_eq!(show_datagram(&hello).label, "TLS 记录：握手");
        // ServerHello, ChangeCipherSpec, then two encrypted records in one read.
        let mut flight = vec![0x16, 0x03, 0x03, 0x00, 0x01, 0x02];
        flight.extend([0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
        flight.extend([0x17, 0x03, 0x03, 0x00, 0x02, 0x10, 0x11]);
        flight.extend([0x17, 0x03, 0x03, 0x00, 0x40, 0x12]); // cut: the rest comes later
        let kind = show_datagram(&flight).kind.unwrap();
        assert_eq!(kind, "TLS 记录：握手、更换密码规格、加密数据 ×2");
        assert_eq!(show_datagram("你好".as_bytes()).kind, None);
    }

    #[test]
    fn binary_data_that_happens_to_end_like_half_a_character_is_not_called_cut() {
        let mut carry = Utf8Carry::default();
        let ciphertext = [0x17, 0x03, 0x03, 0x00, 0x05, 0x9c, 0x01, 0xff, 0x31, 0xe5];
        let shown = show(&ciphertext, &mut carry);
        assert!(!shown.rows[0].contains("被截断"), "{:?}", shown.rows);
        assert!(shown.rows[0].ends_with('\u{fffd}'), "{:?}", shown.rows);
        // Nothing carried over: the next chunk's first bytes are not "joined".
        assert!(!show(b"\xa5\xbd", &mut carry).rows[0].contains("接上一块"));
    }
}
