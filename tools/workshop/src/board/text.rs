//! Text from the network, made safe for one cell of one line: escaped,
//! measured in screen columns, and cut to fit.
//!
//! A name is the only text a report brings that the board shows. It is
//! passed through `common::show_bytes` (control characters, line breaks and
//! the invisible direction marks become `\x1b`, `\n`, `\u{202e}`), and then
//! every character outside the scripts a classroom's names are written in
//! is escaped too: combining marks, which stack on a letter and draw over
//! the rows above and below it, emoji and symbols whose width terminals
//! disagree on. What is left has a width the board can count, so a name
//! can be cut to its column and can never push a row out of line.

use common::show_bytes;

/// `name` as the board shows it: escaped, every character of a known width.
pub fn escape(name: &str) -> String {
    let shown = show_bytes(name.as_bytes());
    let mut safe = String::with_capacity(shown.len());
    for c in shown.chars() {
        if is_plain(c) {
            safe.push(c);
        } else {
            safe += &format!("\\u{{{:x}}}", u32::from(c));
        }
    }
    safe
}

/// Characters a name is written in, whose width every terminal agrees on:
/// printable ASCII, Latin, Greek and Cyrillic letters, and the CJK scripts.
fn is_plain(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{c0}'..='\u{24f}'   // Latin-1 letters, Latin Extended-A and -B
        | '\u{370}'..='\u{3ff}'  // Greek
        | '\u{400}'..='\u{4ff}'  // Cyrillic
        | '\u{3000}'..='\u{303f}' // CJK punctuation, 、。「」
        | '\u{3040}'..='\u{30ff}' // kana
        | '\u{3400}'..='\u{4dbf}' // CJK extension A
        | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
        | '\u{ac00}'..='\u{d7a3}' // Hangul syllables
        | '\u{ff01}'..='\u{ff5e}' // full-width ASCII, （）
    ) && !matches!(c, '\u{d7}' | '\u{f7}') // × and ÷ are not letters
}

/// Columns `c` takes on a terminal: 2 for the East Asian wide characters,
/// 1 for the rest of what [`escape`] lets through.
pub fn char_width(c: char) -> usize {
    let wide = matches!(c,
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}'
    );
    if wide { 2 } else { 1 }
}

/// Columns `text` takes.
pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// `text` cut to at most `columns` columns, with `~` where it was cut.
pub fn fit(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w + 1 > columns {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('~');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_marks_that_draw_elsewhere_are_escaped() {
        assert_eq!(escape("小明"), "小明");
        assert_eq!(escape("Zoë Ünal"), "Zoë Ünal");
        assert_eq!(escape("\x1b[2J坏\r\n"), "\\x1b[2J坏\\r\\n");
        assert_eq!(escape("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape("e\u{301}\u{301}"), "e\\u{301}\\u{301}");
        assert_eq!(escape("🎉"), "\\u{1f389}");
        for c in escape("\x07\u{200b}x\u{fe0f}").chars() {
            assert!(c.is_ascii_graphic(), "{c:?}");
        }
    }

    #[test]
    fn text_is_cut_to_its_columns_counting_wide_characters_twice() {
        assert_eq!(width("小明ab"), 6);
        assert_eq!(fit("小明ab", 6), "小明ab");
        assert_eq!(fit("张三丰大侠甲", 7), "张三丰~");
        assert_eq!(width(&fit("张三丰大侠甲", 8)), 7);
        assert_eq!(width(&fit(&"x".repeat(100), 12)), 12);
    }
}
