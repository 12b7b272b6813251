//! The same table as a web page, for a projector driven by a browser:
//! `http://老师的IP:7878/` on the board's own port. A connection whose
//! first line is `GET …` gets the page (it reloads itself every 5 seconds)
//! and is closed; every other connection is a student's check.
//!
//! Like the Rust Book's last chapter: read the request line, write a status
//! line, a few headers and the body. Every text in the page is escaped
//! twice over: as the board shows it anyway (`text::escape`), then for
//! HTML (`&`, `<`, `>`, `"`, `'`), so a name cannot become markup.

use super::render::{self, Refusals};
use super::table::{Cell, Table};

/// Longest request head read before the page is refused.
pub const LONGEST_REQUEST: usize = 2048;

/// Whether a connection that starts with `start` is a browser's.
pub fn is_http(start: &[u8]) -> bool {
    start.starts_with(b"GET ")
}

/// The response to a whole request head.
pub fn respond(head: &[u8], table: &Table, refused: &[Refusals], now: u64) -> Vec<u8> {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let path = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
    if path == b"/" {
        answer("200 OK", &page(table, refused, now))
    } else {
        answer(
            "404 Not Found",
            "<!DOCTYPE html><meta charset=\"utf-8\"><p>看板只有一页：<a href=\"/\">/</a></p>",
        )
    }
}

fn answer(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `&`, `<`, `>`, `"` and `'` as entities.
pub fn html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped += "&amp;",
            '<' => escaped += "&lt;",
            '>' => escaped += "&gt;",
            '"' => escaped += "&quot;",
            '\'' => escaped += "&#39;",
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The page: the table, the stuck lines, what was refused.
fn page(table: &Table, refused: &[Refusals], now: u64) -> String {
    let mut body = String::from(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"5\"><title>看板</title><style>\
         body{font-family:sans-serif;font-size:2vmin;line-height:1.25;margin:1vmin}\
         table{border-collapse:collapse}td,th{padding:0 0.5em;text-align:left;white-space:nowrap}\
         p{margin:0.2em 0}\
         tr:nth-child(even){background:#f2f2f2}.passed{color:#087a2b}.failed{color:#c21a1a;font-weight:bold}\
         .writing{color:#9a6700}.twin{color:#c21a1a}</style></head><body><table id=\"board\"><tr><th>学生</th>",
    );
    for n in 1..=table.exercises() {
        body += &format!("<th>{n}</th>");
    }
    body += "<th>在做</th></tr>";
    for row in &table.rows {
        let name = html(&super::text::escape(&row.name));
        let mark = if row.twin {
            format!("<span class=\"twin\">{}</span>", html(render::TWIN_MARK))
        } else {
            String::new()
        };
        body += &format!("<tr><td>{name}{mark}</td>");
        for cell in &row.cells {
            let class = match cell {
                Cell::Untouched => "untouched",
                Cell::Passed { .. } => "passed",
                Cell::Failed { .. } => "failed",
                Cell::Writing { .. } => "writing",
            };
            body += &format!(
                "<td class=\"{class}\" title=\"{}\">{}</td>",
                html(&render::cell_words(cell)),
                html(&render::cell_text(cell))
            );
        }
        body += &format!(
            "<td>{}</td></tr>",
            html(&render::current_text(row.current, now))
        );
    }
    body += "</table>";
    for line in render::stuck_lines(table) {
        body += &format!("<p class=\"stuck\">{}</p>", html(&line));
    }
    if let Some(first) = refused.first() {
        body += &format!("<p>挡下的：{}</p>", html(&first.describe()));
    }
    body += "</body></html>";
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::protocol::{Report, Verdict};

    #[test]
    fn a_name_cannot_become_markup() {
        let mut table = Table::new(vec![2, 2]);
        let report = Report {
            seq: 1,
            exercise: 1,
            verdict: Verdict::Failed { step: 2 },
            mistake: None,
            attempts: 1,
            age: 0,
            token: None,
            name: "<script>alert('x')</script>".into(),
        };
        table
            .store(&report, "192.0.2.9".parse().unwrap(), 0)
            .unwrap();
        let response =
            String::from_utf8(respond(b"GET / HTTP/1.1\r\n\r\n", &table, &[], 0)).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(!response.contains("<script>"));
        assert!(response.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(
            response
                .contains("<td class=\"failed\" title=\"第 2 步没通过（检查了 1 次）\">✗2·1</td>")
        );
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        let missing = respond(b"GET /x HTTP/1.1\r\n\r\n", &table, &[], 0);
        assert!(missing.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
    }
}
