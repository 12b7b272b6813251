//! 把基准测试的表格也画成条形图（SVG），给书里用：`bench … --svg 目录`。
//!
//! A bar chart is drawn as plain SVG text: one row per server, the bar's
//! length proportional to its value, the value written beside it. No
//! plotting crate is needed for that, and an SVG file shows the same on a
//! code host, in the built book and on a projector (the text is large).
//! Files are written whole or not at all: to a temporary file in the same
//! folder, then renamed over the old chart.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One bar: the label on its left, its length, and the text written after it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// A chart to draw: a title, what the bars measure, and a line saying how
/// the numbers were made.
pub struct Chart {
    pub file: &'static str,
    pub title: String,
    pub measure: String,
    pub bars: Vec<Bar>,
    pub note: String,
}

const WIDTH: f64 = 880.0;
const LABEL_WIDTH: f64 = 300.0;
const ROW: f64 = 52.0;
const TOP: f64 = 96.0;
const COLORS: [&str; 4] = ["#2563eb", "#16a34a", "#d97706", "#9333ea"];
const FONT: &str = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

impl Chart {
    /// The chart as SVG text.
    pub fn svg(&self) -> String {
        let height = TOP + ROW * self.bars.len() as f64 + 56.0;
        let mut svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}">
<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>
<text x="24" y="38" font-size="24" fill="#111">{}</text>
<text x="24" y="70" font-size="17" fill="#555">{}</text>
"##,
            escape(&self.title),
            escape(&self.measure)
        );
        let largest = self.bars.iter().map(|bar| bar.value).fold(0.0, f64::max);
        let room = WIDTH - LABEL_WIDTH - 150.0;
        for (index, bar) in self.bars.iter().enumerate() {
            let y = TOP + ROW * index as f64;
            let length = if largest > 0.0 {
                (bar.value / largest * room).max(2.0)
            } else {
                2.0
            };
            let color = COLORS[index % COLORS.len()];
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" font-size="18" text-anchor="end" fill="#111">{}</text>
<rect x="{LABEL_WIDTH}" y="{}" width="{length:.1}" height="32" fill="{color}"/>
<text x="{}" y="{}" font-size="18" fill="#111">{}</text>
"##,
                LABEL_WIDTH - 12.0,
                y + 22.0,
                escape(&bar.label),
                y,
                LABEL_WIDTH + length + 10.0,
                y + 22.0,
                escape(&bar.shown)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="24" y="{}" font-size="15" fill="#555">{}</text>
</svg>
"##,
            height - 22.0,
            escape(&self.note)
        );
        svg
    }

    /// Writes the chart into `folder` as its file name; the file appears
    /// whole or not at all. Returns the path written.
    pub fn write_into(&self, folder: &Path) -> io::Result<PathBuf> {
        let path = folder.join(self.file);
        let temp = folder.join(format!(".{}.{}.tmp", self.file, std::process::id()));
        let written = fs::write(&temp, self.svg()).and_then(|()| fs::rename(&temp, &path));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map(|()| path)
    }
}

/// Writes `chart` into `folder` if the command line gave `--svg`, and says
/// where; a chart that cannot be written is reported, not fatal (the
/// benchmark itself ran).
pub fn save(folder: Option<&Path>, chart: &Chart) {
    let Some(folder) = folder else {
        return;
    };
    match chart.write_into(folder) {
        Ok(path) => common::say!("条形图已写入 {}", path.display()),
        Err(e) => common::esay!("无法写入条形图 {}：{e}", folder.join(chart.file).display()),
    }
}

/// The command line that made a chart, written under it.
pub fn made_by(words: &str) -> String {
    format!("命令：cargo run --release -p workshop -- bench {words} --svg docs/src/images")
}

/// Text as SVG needs it: `&`, `<` and `>` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            file: "test.svg",
            title: "请求/秒".into(),
            measure: "越长越好".into(),
            bars: vec![
                Bar {
                    label: "threaded-server".into(),
                    value: 40000.0,
                    shown: "40000".into(),
                },
                Bar {
                    label: "python <原文>".into(),
                    value: 4000.0,
                    shown: "4000".into(),
                },
            ],
            note: "cargo run --release -p workshop -- bench threaded --svg docs/src/images".into(),
        }
    }

    #[test]
    fn bars_are_proportional_and_text_is_escaped() {
        let svg = chart().svg();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("python &lt;原文&gt;"), "{svg}");
        // The longest bar fills the room; a tenth of it is a tenth as long.
        let room = WIDTH - LABEL_WIDTH - 150.0;
        assert!(svg.contains(&format!("width=\"{room:.1}\"")), "{svg}");
        assert!(
            svg.contains(&format!("width=\"{:.1}\"", room / 10.0)),
            "{svg}"
        );
    }

    #[test]
    fn a_chart_is_written_whole_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("chart-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = chart().write_into(&dir).unwrap();
        assert!(fs::read_to_string(&path).unwrap().ends_with("</svg>\n"));
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
