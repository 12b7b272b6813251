//! 把别人控制的文字安全地显示在终端上：收到的数据、网卡名、证书上的名字……
//!
//! Whatever a peer or the system controls can carry characters that act on
//! the terminal or hide themselves instead of showing: ESC starts a sequence
//! that repaints the screen or sets the window title, a line break forges a
//! log line, U+202E turns the rest of a line around, and invisible
//! characters carry text nobody sees (97 "tag" characters can spell a whole
//! hidden sentence after `小华 完成了练习 1`; variation selectors can smuggle
//! any bytes behind one emoji). Every such text is shown through the one
//! rule here, [`show_text`] (and [`show_bytes`] for received bytes):
//!
//! - line breaks as `\n` and `\r`, so that a log line is always ours;
//! - every other control character (Unicode `Cc`), except tabs: `\x1b`;
//! - every character in [`HIDDEN`]: the format characters (`Cf`: bidi
//!   controls, zero-width characters, tags, the soft hyphen…), the line and
//!   paragraph separators (`Zl`, `Zp`), and every character that Unicode says
//!   a renderer shows as nothing when it cannot show it otherwise
//!   (`Default_Ignorable_Code_Point`: variation selectors, the Hangul fillers
//!   U+115F, U+1160, U+3164, U+FFA0, the combining grapheme joiner…): `\u{e0041}`.
//!
//! Blanks that *draw* a blank are left alone: spaces of every width, the
//! ideographic space U+3000, and the Braille blank U+2800 take up room on
//! the screen like a space does (Unicode gives U+2800 the category `So` and
//! not `Default_Ignorable_Code_Point`; Braille text uses it as its space), so
//! nothing hides behind them. Private-use and unassigned characters show as
//! a box or `?`, which is visible too.

/// The Unicode version [`HIDDEN`] was generated from.
pub const UNICODE_VERSION: &str = "16.0";

/// Every character that shows as nothing or acts instead of showing, as
/// sorted inclusive ranges: `[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]`
/// of Unicode [`UNICODE_VERSION`] (4,273 code points). Generated, not
/// picked by hand: the test `the_table_is_unicodes` computes it again from
/// the Unicode data in the `regex-syntax` crate and prints the new table
/// when they differ.
pub const HIDDEN: [(char, char); 27] = [
    ('\u{0000}', '\u{001f}'),
    ('\u{007f}', '\u{009f}'),
    ('\u{00ad}', '\u{00ad}'),
    ('\u{034f}', '\u{034f}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061c}', '\u{061c}'),
    ('\u{06dd}', '\u{06dd}'),
    ('\u{070f}', '\u{070f}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08e2}', '\u{08e2}'),
    ('\u{115f}', '\u{1160}'),
    ('\u{17b4}', '\u{17b5}'),
    ('\u{180b}', '\u{180f}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{2028}', '\u{202e}'),
    ('\u{2060}', '\u{206f}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{ffa0}', '\u{ffa0}'),
    ('\u{fff0}', '\u{fffb}'),
    ('\u{110bd}', '\u{110bd}'),
    ('\u{110cd}', '\u{110cd}'),
    ('\u{13430}', '\u{1343f}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0000}', '\u{e0fff}'),
];

/// Shows received bytes as text the way Python's `data.decode()` would,
/// except that invalid UTF-8 becomes `�` instead of raising
/// `UnicodeDecodeError`, and characters that would act on the terminal or
/// hide are escaped (see the [module](self) for the rule).
pub fn show_bytes(data: &[u8]) -> String {
    show_text(&String::from_utf8_lossy(data))
}

/// Shows text that someone else controls (a name, a report, a file name)
/// with the same rule as [`show_bytes`].
pub fn show_text(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        push_shown(&mut shown, c);
    }
    shown
}

/// A file name in a message, with the same rule: a name is whatever the
/// file system allows, escape sequences included.
pub fn show_path(path: impl AsRef<std::path::Path>) -> String {
    show_text(&path.as_ref().to_string_lossy())
}

/// One character as [`show_text`] shows it: itself, or its escape.
pub fn show_char(c: char) -> String {
    let mut shown = String::new();
    push_shown(&mut shown, c);
    shown
}

/// Whether `c` is escaped rather than shown: a control character (tabs and
/// line breaks included) or one of [`HIDDEN`].
pub fn is_hidden(c: char) -> bool {
    HIDDEN
        .binary_search_by(|&(first, last)| {
            if last < c {
                std::cmp::Ordering::Less
            } else if first > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn push_shown(shown: &mut String, c: char) {
    match c {
        '\n' => shown.push_str("\\n"),
        '\r' => shown.push_str("\\r"),
        '\t' => shown.push(c),
        _ if c.is_control() => shown.push_str(&format!("\\x{:02x}", u32::from(c))),
        _ if is_hidden(c) => shown.push_str(&format!("\\u{{{:04x}}}", u32::from(c))),
        _ => shown.push(c),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test
    use super::*;

    #[test]
    fn received_bytes_are_shown_safely() {
        assert_eq!(show_bytes("你好，服务器！".as_bytes()), "你好，服务器！");
        assert_eq!(show_bytes(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(show_bytes(b"line\r\n\tnext"), "line\\r\\n\tnext");
        assert_eq!(show_bytes(b"ok\rforged"), "ok\\rforged");
        // A line break cannot start a log line of the sender's making.
        let forged = "hi\n收到来自 203.0.113.9:4444 的数据: 假的".as_bytes();
        assert!(!show_bytes(forged).contains('\n'));
        assert_eq!(show_bytes(b"\x1b[2Jgone\x07\x7f"), "\\x1b[2Jgone\\x07\\x7f");
        let tricks = "a\u{202e}b\u{2028}c\u{2066}d\u{200b}e\u{feff}";
        assert_eq!(
            show_bytes(tricks.as_bytes()),
            "a\\u{202e}b\\u{2028}c\\u{2066}d\\u{200b}e\\u{feff}"
        );
    }

    /// Issue 21, finding 2: hidden text after a visible report. On the old
    /// hand-picked list, the tag characters, U+00AD, U+180E, U+206A–206F,
    /// the Hangul fillers and the variation selectors passed raw, so this
    /// test failed.
    #[test]
    fn text_hidden_in_tag_characters_and_fillers_is_shown() {
        let hidden: String = "rm -rf".chars().map(tag).collect();
        let report = format!("小华 完成了练习 1\u{e0001}{hidden}\u{e007f}");
        let shown = show_bytes(report.as_bytes());
        assert_eq!(
            shown,
            "小华 完成了练习 1\\u{e0001}\\u{e0072}\\u{e006d}\\u{e0020}\\u{e002d}\\u{e0072}\\u{e0066}\\u{e007f}"
        );
        for c in [
            '\u{ad}', '\u{180e}', '\u{206a}', '\u{115f}', '\u{3164}', '\u{ffa0}', '\u{fe0f}',
        ] {
            let shown = show_bytes(c.encode_utf8(&mut [0; 4]).as_bytes());
            assert_eq!(shown, format!("\\u{{{:04x}}}", u32::from(c)));
        }
        // Blanks that take up room stay as they are.
        let blanks = "a\u{3000}b\u{2800}c d";
        assert_eq!(show_bytes(blanks.as_bytes()), blanks);
    }

    fn tag(c: char) -> char {
        char::from_u32(0xe0000 + u32::from(c)).unwrap()
    }

    /// Every character of the table, one by one: none is shown raw, and the
    /// escape names it, so a reader can look it up.
    #[test]
    fn every_hidden_character_is_escaped() {
        let mut count = 0;
        for &(first, last) in &HIDDEN {
            for c in first..=last {
                count += 1;
                let shown = show_char(c);
                if c == '\t' {
                    assert_eq!(shown, "\t"); // tabs are kept, as Python prints them
                    continue;
                }
                assert!(!shown.contains(c), "U+{:04X} shown raw", u32::from(c));
                assert!(shown.is_ascii(), "U+{:04X}: {shown}", u32::from(c));
                let code = shown
                    .trim_start_matches("\\x")
                    .trim_start_matches("\\u{")
                    .trim_end_matches('}');
                let named = u32::from_str_radix(code, 16).ok();
                let expected = match c {
                    '\n' => None,
                    '\r' => None,
                    _ => Some(u32::from(c)),
                };
                assert_eq!(named, expected, "U+{:04X}: {shown}", u32::from(c));
            }
        }
        assert_eq!(count, 4273);
        // And nothing outside the table is escaped (the tab aside, every
        // control character is in it).
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let inside = HIDDEN
                .iter()
                .any(|&(first, last)| (first..=last).contains(&c));
            assert_eq!(is_hidden(c), inside, "U+{:04X}", u32::from(c));
            if !inside {
                assert_eq!(show_char(c), c.to_string());
            }
        }
    }

    /// The table is Unicode's, not ours: computed again from the Unicode
    /// data that `regex-syntax` carries. When a newer `regex-syntax` brings
    /// a newer Unicode, this fails and prints the table to paste in.
    #[test]
    fn the_table_is_unicodes() {
        use regex_syntax::hir::{Class, HirKind};
        // Ok or not is all this test needs of a parse.
        let parse = |pattern: &str| regex_syntax::Parser::new().parse(pattern).map_err(drop);
        let hir = parse(r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]").unwrap();
        let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
            panic!("not a class: {hir:?}");
        };
        let computed: Vec<(char, char)> = class.iter().map(|r| (r.start(), r.end())).collect();
        let table: String = computed
            .iter()
            .map(|(a, b)| {
                format!(
                    "    ('\\u{{{:04x}}}', '\\u{{{:04x}}}'),\n",
                    *a as u32, *b as u32
                )
            })
            .collect();
        assert!(
            computed == HIDDEN,
            "HIDDEN differs from Unicode's data; the new table ({} ranges):\n{table}",
            computed.len()
        );
        // The data is the version the comments name, and no newer one.
        let next = format!(
            "{}.0",
            UNICODE_VERSION
                .split('.')
                .next()
                .unwrap()
                .parse::<u32>()
                .unwrap()
                + 1
        );
        assert!(parse(&format!(r"\p{{Age={UNICODE_VERSION}}}")).is_ok());
        assert!(
            parse(&format!(r"\p{{Age={next}}}")).is_err(),
            "regex-syntax knows Unicode {next}: update UNICODE_VERSION (and the table, if this test printed one)"
        );
    }
}
