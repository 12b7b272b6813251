//! `--mermaid FILE`：把真正发生的往来画成 Mermaid 时序图，Markdown 页面可以直接显示。
//!
//! The diagram is rewritten whole after each connection (UDP: each
//! datagram), through a temporary file and a rename (`files`): whoever
//! opens FILE, even after Ctrl-C in the middle of a run, finds the previous
//! diagram or the new one, never half of one.
//!
//! Participants are numbered clients (`客户端 1`, `客户端 2` …) and one
//! `服务器`, drawn in the middle: the first half of the clients on its
//! left, the rest on its right. Every arrow goes between a client and the
//! server, so with two clients no arrow crosses another client's lifeline
//! (with the server last, client 1's arrows and their labels were drawn
//! across client 2's). Ports and times are left out on purpose: the same
//! command draws the same diagram, so one in the docs does not change on
//! each run.

use std::io;
use std::path::Path;

/// The most lines a diagram gets; a long run would otherwise grow it (and
/// the memory holding it) without end, and no page can show it anyway.
const MOST_LINES: usize = 500;

/// The diagram so far.
#[derive(Debug, Default)]
pub struct Diagram {
    clients: Vec<usize>,
    lines: Vec<String>,
    full: bool,
    /// Whether something changed since the file was last written.
    changed: bool,
}

/// The participant name of client number `id`.
pub fn client(id: usize) -> String {
    format!("C{id}")
}

/// The server's participant name.
pub const SERVER: &str = "S";

impl Diagram {
    /// Adds one line (an arrow or a note) that concerns client `id`.
    pub fn push(&mut self, id: usize, line: String) {
        if self.lines.len() >= MOST_LINES {
            self.changed |= !self.full;
            self.full = true;
            return;
        }
        if !self.clients.contains(&id) {
            self.clients.push(id);
        }
        self.lines.push(line);
        self.changed = true;
    }

    /// The diagram as Mermaid text.
    pub fn render(&self) -> String {
        let mut text = String::from("sequenceDiagram\n");
        // 客户端按编号从左到右排，服务器在中间：前一半客户端在它左边，其余在右边。
        let mut clients = self.clients.clone();
        clients.sort_unstable();
        let (left, right) = clients.split_at(clients.len().div_ceil(2));
        for id in left {
            text += &format!("    participant {} as 客户端 {id}\n", client(*id));
        }
        text += &format!("    participant {SERVER} as 服务器\n");
        for id in right {
            text += &format!("    participant {} as 客户端 {id}\n", client(*id));
        }
        for line in &self.lines {
            text += &format!("    {line}\n");
        }
        if self.full {
            text += &format!(
                "    Note over {SERVER}: 后面的事件没有画出来：一张图最多画 {MOST_LINES} 个\n"
            );
        }
        text
    }

    /// Writes the diagram to `path` if it changed since the last time.
    pub fn save(&mut self, path: &Path) -> io::Result<()> {
        if !self.changed {
            return Ok(());
        }
        let mut text = self.render();
        if is_markdown(path) {
            text = format!("```mermaid\n{text}```\n");
        }
        crate::files::write_whole(path, text.as_bytes())?;
        self.changed = false;
        Ok(())
    }

    /// Writes the empty diagram at start-up, so that a file that cannot be
    /// written is reported before the first client comes.
    pub fn save_first(&mut self, path: &Path) -> io::Result<()> {
        self.changed = true;
        self.save(path)
    }
}

/// A `.md` file gets the ```` ```mermaid ```` fence a Markdown page needs;
/// any other file is the bare diagram (`.mmd`, for Mermaid's own tools).
fn is_markdown(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("markdown"))
}

/// Makes text safe inside a Mermaid message: `;` and `#` have meanings
/// there, `<`, `>` and `&` would be read as HTML, so they become Mermaid's
/// entity codes (`#59;`), which it shows as the characters themselves.
pub fn escape(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' | '#' | '<' | '>' | '&' | '%' | '"' => safe += &format!("#{};", u32::from(c)),
            c if c.is_control() => safe.push(' '),
            c => safe.push(c),
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn participants_come_first_in_number_order_with_the_server_in_the_middle() {
        let mut diagram = Diagram::default();
        diagram.push(2, "C2->>S: 建立连接".into());
        diagram.push(1, "C1->>S: 建立连接".into());
        let text = diagram.render();
        let c2 = text.find("participant C2 as 客户端 2").unwrap();
        let c1 = text.find("participant C1 as 客户端 1").unwrap();
        let s = text.find("participant S as 服务器").unwrap();
        assert!(text.starts_with("sequenceDiagram\n"));
        assert!(c1 < s && s < c2 && c2 < text.find("C2->>S").unwrap());

        // One client: client, then server. Three: two on the left.
        diagram.push(3, "C3->>S: 建立连接".into());
        let text = diagram.render();
        let order: Vec<&str> = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("participant "))
            .map(|rest| rest.split(' ').next().unwrap())
            .collect();
        assert_eq!(order, ["C1", "C2", "S", "C3"]);
        let mut alone = Diagram::default();
        alone.push(1, "C1->>S: 建立连接".into());
        assert!(
            alone
                .render()
                .contains("participant C1 as 客户端 1\n    participant S as 服务器\n")
        );
    }

    #[test]
    fn a_long_run_is_cut_off_with_a_note() {
        let mut diagram = Diagram::default();
        for i in 0..MOST_LINES + 10 {
            diagram.push(1, format!("C1->>S: {i}"));
        }
        let text = diagram.render();
        assert!(text.contains(&format!("C1->>S: {}", MOST_LINES - 1)));
        assert!(!text.contains(&format!("C1->>S: {MOST_LINES}\n")));
        assert!(text.contains("后面的事件没有画出来"));
    }

    #[test]
    fn special_characters_become_entity_codes() {
        assert_eq!(escape("a;b#c<d>"), "a#59;b#35;c#60;d#62;");
        assert_eq!(escape("你好，服务器！"), "你好，服务器！");
    }

    #[test]
    fn markdown_files_get_a_fence_and_the_file_appears_whole() {
        let dir = std::env::temp_dir().join(format!("wiretap-mermaid-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut diagram = Diagram::default();
        diagram.push(1, "C1->>S: 建立连接".into());
        let md = dir.join("run.md");
        diagram.save(&md).unwrap();
        let text = fs::read_to_string(&md).unwrap();
        assert!(text.starts_with("```mermaid\nsequenceDiagram\n") && text.ends_with("```\n"));
        let mmd = dir.join("run.mmd");
        diagram.save_first(&mmd).unwrap();
        assert!(
            fs::read_to_string(&mmd)
                .unwrap()
                .starts_with("sequenceDiagram\n")
        );
        // Only the two diagrams are left: no temporary file stays behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }
}
