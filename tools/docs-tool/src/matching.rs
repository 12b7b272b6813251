//! Comparing a program's output with the block a page shows for it.
//!
//! A page shows what a learner sees, so some of it differs from run to run:
//! the port a client happened to get, a time. The page writes those parts
//! the way a reader expects them, and this module decides what counts as
//! the same:
//!
//! - `…` in a line of the page stands for any text (`用时 … 毫秒`). A line
//!   that is only `…` (or `……`) stands for any number of lines.
//! - Ports a run picks are not compared: `127.0.0.1:35526` on the page and
//!   `127.0.0.1:41022` in the run are the same line, unless the port is one
//!   the commands name (`localhost:9999`): those are compared exactly. The
//!   same for Python's `('127.0.0.1', 35526)`.
//!
//! [`merge`] lines up the page's lines with the run's: lines that match keep
//! the page's text (its ports and `…`), the rest take the run's. That is
//! what `bless` writes, so blessing never throws away a placeholder that
//! still fits.

/// The placeholder for "anything here".
pub const ANY: char = '…';

/// Whether a page line is a whole-line placeholder: any number of lines.
pub fn is_any_lines(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && line.chars().all(|c| c == ANY)
}

/// `line` with every port that is not in `kept` replaced by `…`: after
/// `127.0.0.1:`, `localhost:`, `]:` (IPv6) and in `('127.0.0.1', 35526)`.
pub fn mask_ports(line: &str, kept: &[u16]) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let digits_at = port_start(&chars, i);
        if let Some(start) = digits_at {
            let end = (start..chars.len())
                .find(|&k| !chars[k].is_ascii_digit())
                .unwrap_or(chars.len());
            let digits: String = chars[start..end].iter().collect();
            let is_port = end > start && digits.parse::<u16>().is_ok();
            if is_port && !kept.contains(&digits.parse::<u16>().unwrap_or(0)) {
                out.extend(&chars[i..start]);
                out.push(ANY);
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// If a port's digits start right after position `i` (at `i` is the `:` of
/// `host:port` or the `,` of a Python address tuple), where they start.
fn port_start(chars: &[char], i: usize) -> Option<usize> {
    let before: String = chars[..i]
        .iter()
        .rev()
        .take(48)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match chars[i] {
        ':' => {
            let host_ok =
                before.ends_with(']') || before.ends_with("localhost") || is_ipv4_end(&before);
            (host_ok && chars.get(i + 1).is_some_and(char::is_ascii_digit)).then_some(i + 1)
        }
        ',' => {
            // ('127.0.0.1', 35526) or ('::1', 35526, 0, 0)
            let quoted = before.ends_with('\'') && before.contains("('");
            let next = chars.get(i + 1) == Some(&' ')
                && chars.get(i + 2).is_some_and(char::is_ascii_digit);
            (quoted && next).then_some(i + 2)
        }
        _ => None,
    }
}

/// Whether `text` ends with a dotted IPv4 address.
fn is_ipv4_end(text: &str) -> bool {
    let tail: String = text
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let parts: Vec<&str> = tail.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.parse::<u8>().is_ok())
}

/// Whether one line of the run matches one (non-placeholder) line of the
/// page: ports masked on both sides, `…` in the page's line matching any text.
pub fn line_matches(page: &str, run: &str, kept: &[u16]) -> bool {
    let page = mask_ports(page.trim_end(), kept);
    let run = mask_ports(run.trim_end(), kept);
    glob(&page, &run)
}

/// `pattern` with `…` as a wildcard against `text`.
fn glob(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split(ANY).collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// The page's lines lined up with the run's: for each run line, the page
/// line that matches it where there is one (keeping the page's text), and
/// the run's line where there is none; a whole-line `…` stays where it
/// still stands for lines of the run. Equal to `page` exactly when the run
/// matches the page.
pub fn merge(page: &[String], run: &[String], kept: &[u16]) -> Vec<String> {
    let (n, m) = (page.len(), run.len());
    // cost[i][j]: fewest unmatched lines for page[i..] against run[j..].
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            if i == n && j == m {
                continue;
            }
            let mut best = usize::MAX;
            if i < n && is_any_lines(&page[i]) {
                best = best.min(cost[i + 1][j]); // stands for no more lines
                if j < m {
                    best = best.min(cost[i][j + 1]); // stands for run[j]
                }
            } else if i < n && j < m && line_matches(&page[i], &run[j], kept) {
                best = best.min(cost[i + 1][j + 1]);
            }
            if i < n && !is_any_lines(&page[i]) {
                best = best.min(cost[i + 1][j].saturating_add(1)); // page line gone
            }
            if j < m {
                best = best.min(cost[i][j + 1].saturating_add(1)); // new run line
            }
            cost[i][j] = best;
        }
    }
    let mut merged = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && is_any_lines(&page[i]) {
            if j < m && cost[i][j] == cost[i][j + 1] {
                j += 1; // the placeholder stands for this run line
            } else {
                // Kept where the page has it, even if it now stands for no
                // line: an empty "and so on" is the author's to remove.
                merged.push(page[i].clone());
                i += 1;
            }
            continue;
        }
        if i < n
            && j < m
            && !is_any_lines(&page[i])
            && line_matches(&page[i], &run[j], kept)
            && cost[i][j] == cost[i + 1][j + 1]
        {
            merged.push(page[i].clone());
            i += 1;
            j += 1;
        } else if i < n && !is_any_lines(&page[i]) && cost[i][j] == cost[i + 1][j].saturating_add(1)
        {
            i += 1;
        } else if j < m {
            merged.push(run[j].clone());
            j += 1;
        } else {
            i += 1;
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn ports_the_commands_do_not_name_are_masked() {
        assert_eq!(
            mask_ports(
                "收到来自 127.0.0.1:35526 的数据，服务器 127.0.0.1:9999",
                &[9999]
            ),
            "收到来自 127.0.0.1:… 的数据，服务器 127.0.0.1:9999"
        );
        assert_eq!(
            mask_ports("[::1]:4000 和 localhost:80", &[]),
            "[::1]:… 和 localhost:…"
        );
        assert_eq!(
            mask_ports("收到来自 ('127.0.0.1', 33236) 的数据", &[]),
            "收到来自 ('127.0.0.1', …) 的数据"
        );
        // Not addresses: times, ratios, versions.
        for text in ["12:30", "比例 3:1", "Python 3.11", "共 1024 个", "f(a, 1)"] {
            assert_eq!(mask_ports(text, &[]), text);
        }
    }

    #[test]
    fn placeholders_match_any_text_and_ports_any_port() {
        assert!(line_matches("用时 … 毫秒", "用时 12 毫秒", &[]));
        assert!(line_matches(
            "收到来自 127.0.0.1:35526 的数据",
            "收到来自 127.0.0.1:41022 的数据",
            &[9999]
        ));
        assert!(!line_matches(
            "连接 127.0.0.1:9999",
            "连接 127.0.0.1:41022",
            &[9999]
        ));
        assert!(line_matches("…", "anything", &[]));
        assert!(line_matches("a…b…c", "a-x-b-y-c", &[]));
        assert!(!line_matches("a…b…c", "a-x-c", &[]));
        assert!(!line_matches("ab…ba", "aba", &[]));
    }

    #[test]
    fn a_matching_run_merges_to_the_page_itself() {
        let page = lines(
            "等待客户端连接... 127.0.0.1:9999\n收到来自 127.0.0.1:35526 的数据: 你好\n……\n完成，用时 … 秒",
        );
        let run = lines(
            "等待客户端连接... 127.0.0.1:9999\n收到来自 127.0.0.1:50000 的数据: 你好\nx\ny\n完成，用时 0.3 秒",
        );
        assert_eq!(merge(&page, &run, &[9999]), page);
        let short_run = lines(
            "等待客户端连接... 127.0.0.1:9999\n收到来自 127.0.0.1:50000 的数据: 你好\n完成，用时 0.3 秒",
        );
        assert_eq!(merge(&page, &short_run, &[9999]), page);
    }

    #[test]
    fn a_changed_run_keeps_the_placeholders_that_still_fit() {
        let page = lines("第一行\n收到来自 127.0.0.1:35526 的数据: 旧\n用时 … 秒");
        let run = lines("第一行\n收到来自 127.0.0.1:50000 的数据: 新\n多了一行\n用时 2 秒");
        assert_eq!(
            merge(&page, &run, &[]),
            lines("第一行\n收到来自 127.0.0.1:50000 的数据: 新\n多了一行\n用时 … 秒")
        );
        assert_eq!(merge(&[], &run, &[]), run);
        assert_eq!(merge(&page, &[], &[]), Vec::<String>::new());
    }
}
