//! 把基准测试的表格也画成条形图（SVG），给书里用：`bench … --svg 目录`。
//!
//! A bar chart is drawn as plain SVG text: one row per server, its name on
//! a line of its own above its bar (so that no name is too long for the
//! room beside a bar), the bar's length proportional to its value, the
//! value written after it, and an axis with the unit underneath. No
//! plotting crate is needed for that, and an SVG file shows the same on a
//! code host, in the built book and on a projector.
//!
//! SVG has no line breaking and no way to ask how wide a text is, so the
//! widths are estimated generously (a Chinese character is one em wide, a
//! Latin one at most 0.62 em) and long lines are broken by that estimate.
//! The book's browser test measures the real text in the real font and
//! fails if any of it ends outside the picture or below 12 px on a
//! projector: the chart is 640 wide so that the book's column (628 px on a
//! projector) hardly shrinks it.
//!
//! Files are written whole or not at all: to a temporary file in the same
//! folder, then renamed over the old chart.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One bar: the label above it, its length, and the text written after it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// What the axis under the bars counts: its unit, and how many of the
/// bars' values make one of it (1 when they are in that unit already;
/// 1024 for values in KiB drawn in MiB).
pub struct Axis {
    pub unit: &'static str,
    pub per_unit: f64,
}

impl Axis {
    /// An axis in the bars' own unit.
    pub const fn of(unit: &'static str) -> Axis {
        Axis {
            unit,
            per_unit: 1.0,
        }
    }
}

/// A chart to draw: a title, what the bars measure, and a line saying how
/// the numbers were made.
pub struct Chart {
    pub file: &'static str,
    pub title: String,
    pub measure: String,
    pub axis: Axis,
    pub bars: Vec<Bar>,
    pub note: String,
}

const WIDTH: f64 = 640.0;
const MARGIN: f64 = 20.0;
/// Font sizes: at the projector's 628 px column a chart is drawn at 98 %,
/// so the smallest (14) is still above the browser test's 12 px.
const TITLE: f64 = 20.0;
const SMALL: f64 = 15.0;
const LABEL: f64 = 17.0;
const TICK: f64 = 14.0;
const BAR: f64 = 24.0;
/// Between a bar's end and the value written after it.
const GAP: f64 = 8.0;
const COLORS: [&str; 4] = ["#2563eb", "#16a34a", "#d97706", "#9333ea"];
const FONT: &str = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

impl Chart {
    /// The chart as SVG text.
    pub fn svg(&self) -> String {
        let inner = WIDTH - 2.0 * MARGIN;
        let mut body = String::new();
        let mut y = MARGIN;
        for line in wrap(&self.title, TITLE, inner) {
            y += TITLE * 1.3;
            text(&mut body, MARGIN, y, TITLE, "#111", "", &line);
        }
        for line in wrap(&self.measure, SMALL, inner) {
            y += SMALL * 1.4;
            text(&mut body, MARGIN, y, SMALL, "#555", "", &line);
        }
        y += 12.0;
        let ticks = ticks(self.largest() / self.axis.per_unit);
        // invariant: ticks() always returns at least 0 and one step.
        let top = ticks.last().copied().unwrap_or(1.0) * self.axis.per_unit;
        let room = self.room(top, inner);
        for (index, bar) in self.bars.iter().enumerate() {
            for line in wrap(&bar.label, LABEL, inner) {
                y += LABEL * 1.4;
                text(&mut body, MARGIN, y, LABEL, "#111", "", &line);
            }
            let length = (bar.value / top * room).max(2.0);
            let color = COLORS[index % COLORS.len()];
            let _ = writeln!(
                body,
                r#"<rect x="{MARGIN}" y="{:.1}" width="{length:.1}" height="{BAR}" fill="{color}"/>"#,
                y + 8.0
            );
            let value_y = y + 8.0 + BAR * 0.75;
            text(
                &mut body,
                MARGIN + length + GAP,
                value_y,
                LABEL - 1.0,
                "#111",
                "",
                &bar.shown,
            );
            y += 8.0 + BAR + 6.0;
        }
        y += 8.0;
        y = self.draw_axis(&mut body, &ticks, room, y);
        for line in wrap(&self.note, TICK, inner) {
            y += TICK * 1.5;
            text(&mut body, MARGIN, y, TICK, "#555", "", &line);
        }
        let height = (y + MARGIN).ceil();
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}">
<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>
{body}</svg>
"##
        )
    }

    fn largest(&self) -> f64 {
        self.bars.iter().map(|bar| bar.value).fold(0.0, f64::max)
    }

    /// How long a bar of value `top` may be, so that every bar's value
    /// still fits after it.
    fn room(&self, top: f64, inner: f64) -> f64 {
        let last_tick = width_of(&format_tick(top / self.axis.per_unit), TICK) / 2.0;
        self.bars
            .iter()
            .filter(|bar| bar.value > 0.0)
            .map(|bar| (inner - GAP - width_of(&bar.shown, LABEL - 1.0)) * top / bar.value)
            .fold(inner - last_tick, f64::min)
            .max(inner / 4.0)
    }

    /// The axis line with its ticks at `y`, and the unit; returns the y
    /// below it.
    fn draw_axis(&self, body: &mut String, ticks: &[f64], room: f64, y: f64) -> f64 {
        let top = ticks.last().copied().unwrap_or(1.0);
        let _ = writeln!(
            body,
            r##"<line x1="{MARGIN}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#999"/>"##,
            MARGIN + room
        );
        for tick in ticks {
            let x = MARGIN + tick / top * room;
            let _ = writeln!(
                body,
                r##"<line x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#999"/>"##,
                y + 5.0
            );
            text(
                body,
                x,
                y + 5.0 + TICK * 1.2,
                TICK,
                "#555",
                "middle",
                &format_tick(*tick),
            );
        }
        let caption_y = y + 5.0 + TICK * 2.6;
        text(
            body,
            MARGIN + room,
            caption_y,
            TICK,
            "#555",
            "end",
            &format!("单位：{}", self.axis.unit),
        );
        caption_y
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

/// Writes one `<text>` element.
fn text(svg: &mut String, x: f64, y: f64, size: f64, color: &str, anchor: &str, content: &str) {
    let anchor = if anchor.is_empty() {
        String::new()
    } else {
        format!(r#" text-anchor="{anchor}""#)
    };
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}"{anchor} fill="{color}">{}</text>"#,
        escape(content)
    );
}

/// A generous estimate of how wide `text` is drawn at `size` px: a Chinese
/// (or other wide) character takes one em, anything else at most 0.62 em.
fn width_of(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.62 } else { 1.0 })
        .sum::<f64>()
        * size
}

/// `text` broken into lines no wider than `width` (by [`width_of`]):
/// after a space or a wide character, never before closing punctuation.
fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    // Byte offsets in `line` where it may be cut.
    let mut breaks: Vec<usize> = Vec::new();
    for c in text.chars() {
        if "，。、；：）」』！？".contains(c) && breaks.last() == Some(&line.len()) {
            breaks.pop();
        }
        line.push(c);
        if c == ' ' || !c.is_ascii() {
            breaks.push(line.len());
        }
        if width_of(&line, size) <= width {
            continue;
        }
        let before_c = line.len() - c.len_utf8();
        let cut = breaks
            .iter()
            .rev()
            .copied()
            .find(|&at| at > 0 && at <= before_c)
            .unwrap_or(before_c);
        if cut == 0 {
            continue;
        }
        let rest = line.split_off(cut);
        lines.push(line.trim_end().to_string());
        line = rest;
        breaks = breaks
            .into_iter()
            .filter(|&at| at > cut)
            .map(|at| at - cut)
            .collect();
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

/// Where the axis gets its ticks: 0 and round steps up to the first at or
/// above `largest` (1, 2, 2.5 or 5 times a power of ten, four or five steps).
fn ticks(largest: f64) -> Vec<f64> {
    let largest = if largest > 0.0 { largest } else { 1.0 };
    let rough = largest / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power);
    let steps = (largest / step - 1e-9).ceil().max(1.0) as usize;
    (0..=steps).map(|n| n as f64 * step).collect()
}

/// A tick's number: whole numbers without decimals.
fn format_tick(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            file: "test.svg",
            title: "请求/秒".into(),
            measure: "越长越好".into(),
            axis: Axis::of("请求/秒"),
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

    /// The widths of the bars, in order.
    fn bar_widths(svg: &str) -> Vec<f64> {
        svg.split("<rect x=")
            .skip(1)
            .filter_map(|rect| {
                rect.split("width=\"")
                    .nth(1)?
                    .split('"')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_and_text_is_escaped() {
        let svg = chart().svg();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("python &lt;原文&gt;"), "{svg}");
        // A tenth of the value is a tenth as long (to the 0.1 px written).
        let widths = bar_widths(&svg);
        assert_eq!(widths.len(), 2, "{svg}");
        assert!((widths[0] / 10.0 - widths[1]).abs() < 0.1, "{widths:?}");
    }

    #[test]
    fn the_axis_has_round_ticks_from_zero_past_the_largest_bar_and_names_its_unit() {
        assert_eq!(ticks(40000.0), [0.0, 10000.0, 20000.0, 30000.0, 40000.0]);
        assert_eq!(ticks(27241.0), [0.0, 10000.0, 20000.0, 30000.0]);
        assert_eq!(ticks(22.9), [0.0, 10.0, 20.0, 30.0]);
        assert_eq!(ticks(9500.0), [0.0, 2500.0, 5000.0, 7500.0, 10000.0]);
        assert_eq!(ticks(2.0), [0.0, 0.5, 1.0, 1.5, 2.0]);
        let svg = chart().svg();
        assert!(svg.contains(">单位：请求/秒</text>"), "{svg}");
        assert!(svg.contains(">40000</text>"), "{svg}");
    }

    #[test]
    fn long_lines_are_broken_by_their_estimated_width_and_never_before_a_comma() {
        let line =
            "撑住：好客户端每次都在期限内得到了回复；一次服务一个的服务器，和 256 个线程的线程池";
        let lines = wrap(line, 15.0, 300.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), line.replace(' ', ""));
        for line in &lines {
            assert!(width_of(line, 15.0) <= 300.0, "{line}");
            assert!(!line.starts_with(['，', '；', '：']), "{lines:?}");
        }
        assert_eq!(wrap("short", 15.0, 300.0), ["short"]);
    }

    #[test]
    fn every_text_fits_the_chart_by_its_estimate() {
        let mut long = chart();
        long.bars[0].label = "threaded-server（256 个线程的线程池）".repeat(2);
        long.bars[0].shown = "≥ 9500 个（最高一级也撑住了）".into();
        let svg = long.svg();
        for text in svg.split("<text x=\"").skip(1) {
            let x: f64 = text.split('"').next().unwrap().parse().unwrap();
            let size: f64 = text
                .split("font-size=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let content = text.split('>').nth(1).unwrap().split('<').next().unwrap();
            let width = width_of(content, size);
            let (left, right) = if text.contains("text-anchor=\"end\"") {
                (x - width, x)
            } else if text.contains("text-anchor=\"middle\"") {
                (x - width / 2.0, x + width / 2.0)
            } else {
                (x, x + width)
            };
            assert!(left >= 0.0 && right <= WIDTH, "{content}: {left}..{right}");
        }
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
