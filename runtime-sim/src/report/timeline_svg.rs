//! The memory timeline as SVG: linear-memory pages (bars) and capheap's live
//! bytes (line) after each call of a scenario, readable at a glance.
//!
//! Pure integer geometry: the same data always gives the same bytes.

use std::fmt::Write as _;

/// Memory after one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelinePoint {
    /// What the call was (e.g. `#3 reverse`).
    pub label: String,
    /// Linear-memory pages after the call.
    pub pages: u64,
    /// Live heap bytes after the call, when the contract exports capheap stats.
    pub live_bytes: Option<u64>,
}

const WIDTH: u64 = 880;
const HEIGHT: u64 = 360;
const LEFT: u64 = 70;
const RIGHT: u64 = 90;
const TOP: u64 = 50;
const BOTTOM: u64 = 70;
const PAGE_COLOUR: &str = "#4c78a8";
const LIVE_COLOUR: &str = "#e45756";

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" axis maximum at or above `max` (1, 2 or 5 times a power of ten).
fn nice_ceiling(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let candidate = step.saturating_mul(m);
            if candidate >= max || candidate == u64::MAX {
                return candidate.max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// `512 B`, `195 KiB`, `1.5 MiB` (integer arithmetic, rounded down).
fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        let tenths = bytes / (MIB / 10);
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    } else if bytes >= KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// Renders the timeline of `title` as a standalone SVG document.
pub fn render(title: &str, points: &[TimelinePoint]) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = points.len().max(1) as u64;
    let slot = (plot_w / n).max(1);
    let max_pages = nice_ceiling(points.iter().map(|p| p.pages).max().unwrap_or(0));
    let has_live = points.iter().any(|p| p.live_bytes.is_some());
    let max_live = nice_ceiling(
        points
            .iter()
            .filter_map(|p| p.live_bytes)
            .max()
            .unwrap_or(0),
    );
    // y for a value on an axis whose top is `max`.
    let y_of = |value: u64, max: u64| -> u64 {
        let scaled = u128::from(value.min(max)) * u128::from(plot_h) / u128::from(max);
        TOP + plot_h - scaled as u64
    };

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" font-size="16" text-anchor="middle">{}</text>"#,
        WIDTH / 2,
        escape(title)
    );
    // Grid and left axis (pages).
    for tick in 0..=4u64 {
        let value = max_pages * tick / 4;
        let y = y_of(value, max_pages);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end" fill="{PAGE_COLOUR}">{value}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6,
            y + 4
        );
        if has_live {
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" fill="{LIVE_COLOUR}">{}</text>"#,
                WIDTH - RIGHT + 6,
                y + 4,
                human_bytes(max_live * tick / 4)
            );
        }
    }
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle" fill="{PAGE_COLOUR}">pages (64 KiB)</text>"#,
        TOP + plot_h / 2,
        TOP + plot_h / 2
    );
    if has_live {
        let x = WIDTH - 12;
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{}" transform="rotate(90 {x} {})" text-anchor="middle" fill="{LIVE_COLOUR}">live heap bytes</text>"#,
            TOP + plot_h / 2,
            TOP + plot_h / 2
        );
    }
    // Bars: pages after each call.
    let bar_w = (slot * 3 / 5).max(1);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + i as u64 * slot + (slot - bar_w) / 2;
        let y = y_of(p.pages, max_pages);
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{bar_w}" height="{}" fill="{PAGE_COLOUR}" opacity="0.75"><title>{}: {} pages</title></rect>"#,
            TOP + plot_h - y,
            escape(&p.label),
            p.pages
        );
    }
    // Line: live bytes after each call.
    if has_live {
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let x = LEFT + i as u64 * slot + slot / 2;
                p.live_bytes.map(|b| format!("{x},{}", y_of(b, max_live)))
            })
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{LIVE_COLOUR}" stroke-width="2"/>"#,
            coords.join(" ")
        );
        for (i, p) in points.iter().enumerate() {
            if let Some(b) = p.live_bytes {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{}" cy="{}" r="3" fill="{LIVE_COLOUR}"><title>{}: {b} live bytes</title></circle>"#,
                    LEFT + i as u64 * slot + slot / 2,
                    y_of(b, max_live),
                    escape(&p.label)
                );
            }
        }
    }
    // X labels: every call when they fit, else about 12 of them.
    let every = (points.len() as u64).div_ceil(12).max(1);
    for (i, p) in points.iter().enumerate() {
        if !(i as u64).is_multiple_of(every) {
            continue;
        }
        let x = LEFT + i as u64 * slot + slot / 2;
        let y = TOP + plot_h + 14;
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" transform="rotate(30 {x} {y})" font-size="10">{}</text>"#,
            escape(&p.label)
        );
    }
    let _ = writeln!(
        svg,
        r#"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        TOP + plot_h,
        WIDTH - RIGHT,
        TOP + plot_h
    );
    // Legend.
    let _ = writeln!(
        svg,
        r#"<rect x="{LEFT}" y="32" width="10" height="10" fill="{PAGE_COLOUR}"/><text x="{}" y="41">pages after call</text>"#,
        LEFT + 14
    );
    if has_live {
        let _ = writeln!(
            svg,
            r#"<line x1="{}" y1="37" x2="{}" y2="37" stroke="{LIVE_COLOUR}" stroke-width="2"/><text x="{}" y="41">live heap bytes</text>"#,
            LEFT + 140,
            LEFT + 156,
            LEFT + 160
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<TimelinePoint> {
        (0..5u64)
            .map(|i| TimelinePoint {
                label: format!("#{i} call<{i}>"),
                pages: 17 + i,
                live_bytes: Some(i * 4096),
            })
            .collect()
    }

    #[test]
    fn renders_bars_line_and_escaped_labels() {
        let svg = render("hello & co", &points());
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("hello &amp; co"));
        assert!(svg.contains("#3 call&lt;3&gt;: 20 pages"));
        assert_eq!(svg.matches("<rect x=").count(), 5 + 1, "5 bars + legend");
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("16384 live bytes"));
        assert!(!svg.contains("call<3>"), "labels must be escaped");
    }

    #[test]
    fn tallest_bar_reaches_the_axis_ceiling_proportionally() {
        let svg = render("t", &points());
        // max pages 21 -> axis ceiling 50; plot height 240: 21/50*240 = 100.
        assert!(svg.contains(r##"height="100" fill="#4c78a8""##), "{svg}");
    }

    #[test]
    fn without_stats_there_is_no_live_line() {
        let mut pts = points();
        for p in &mut pts {
            p.live_bytes = None;
        }
        let svg = render("t", &pts);
        assert!(!svg.contains("<polyline"));
        assert!(!svg.contains("live heap bytes"));
    }

    #[test]
    fn same_data_same_bytes_and_empty_is_valid() {
        assert_eq!(render("t", &points()), render("t", &points()));
        let empty = render("nothing", &[]);
        assert!(empty.contains("</svg>"));
    }

    #[test]
    fn byte_labels() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(200_000), "195 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes((3 << 20) + (1 << 19)), "3.5 MiB");
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(21), 50);
        assert_eq!(nice_ceiling(100), 100);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(u64::MAX), u64::MAX);
    }
}
