//! A line diff that a person can read in a test failure.

/// A line diff of `expected` against `found`, each line numbered where it
/// comes from, or `None` if they are equal. `expected_from` and `found_in`
/// name the two sides in the header, for example
/// `chapters/tcp-server/src/main.rs` and `docs/src/tcp.md`.
///
/// ```text
///   - expected (chapters/tcp-server/src/main.rs line)
///   + found (docs/src/tcp.md line)
///   -   42 | let (connection, address) = listener.accept()?;
///   +   88 | let (connection, addr) = listener.accept()?;
/// ```
pub fn line_diff(
    expected: &[(usize, String)],
    found: &[(usize, String)],
    expected_from: &str,
    found_in: &str,
) -> Option<String> {
    let a: Vec<&str> = expected.iter().map(|(_, l)| l.as_str()).collect();
    let b: Vec<&str> = found.iter().map(|(_, l)| l.as_str()).collect();
    if a == b {
        return None;
    }
    // Longest common subsequence, then walk it: the blocks are small, so O(n·m) is fine.
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = format!("  - expected ({expected_from} line)\n  + found ({found_in} line)\n");
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removed lines first, as `git diff` shows them.
            out += &format!("  - {:>4} | {}\n", expected[i].0, a[i]);
            i += 1;
        } else {
            out += &format!("  + {:>4} | {}\n", found[j].0, b[j]);
            j += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(first: usize, lines: &[&str]) -> Vec<(usize, String)> {
        (first..).zip(lines.iter().map(|l| l.to_string())).collect()
    }

    #[test]
    fn equal_lines_have_no_diff() {
        let lines = numbered(1, &["a", "b"]);
        assert_eq!(line_diff(&lines, &numbered(7, &["a", "b"]), "x", "y"), None);
    }

    #[test]
    fn only_changed_lines_are_shown_with_their_own_numbers() {
        let expected = numbered(10, &["keep", "old", "keep too", "gone"]);
        let found = numbered(50, &["keep", "new", "keep too"]);
        let diff = line_diff(&expected, &found, "src.rs", "page.md").unwrap();
        assert_eq!(
            diff,
            "  - expected (src.rs line)\n  + found (page.md line)\n\
             \x20 -   11 | old\n  +   51 | new\n  -   13 | gone\n"
        );
    }
}
