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
    /// Whether the call failed (trap, revert, contract error, fuel, a limit).
    pub failed: bool,
    /// Growth refused during the call: `memory.grow` refused by the
    /// simulator (cap, declared maximum) plus requests the contract's capheap
    /// refused (its caps and budget).
    pub refused: u64,
}

impl TimelinePoint {
    /// One point per call of a run, in order.
    ///
    /// ```
    /// use capheap_sim::report::timeline_svg::TimelinePoint;
    /// use capheap_sim::{Scenario, ScenarioCall, Simulator};
    ///
    /// // Grows a page a call; the third call passes the 3-page cap and fails.
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1)
    ///     (func (export "go") (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0))
    ///                            (then unreachable))))"#)?;
    /// let sim = Simulator::builder().max_pages(3).build()?;
    /// let run = sim.load(&wasm)?.run_scenario(&Scenario::new().call(ScenarioCall::new("go", []).repeat(3)), 0)?;
    /// let points = TimelinePoint::from_calls(&run.calls);
    /// let pages: Vec<u64> = points.iter().map(|p| p.pages).collect();
    /// assert_eq!(pages, [2, 3, 3]);
    /// assert_eq!(points[2].label, "#2 go");
    /// assert!(points[2].failed && points[2].refused == 1);
    /// assert!(!points[1].failed && points[1].refused == 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_calls(calls: &[crate::CallRecord]) -> Vec<TimelinePoint> {
        calls
            .iter()
            .map(|c| TimelinePoint {
                label: format!("#{} {}", c.index, c.label),
                pages: u64::from(c.outcome.pages_after),
                live_bytes: c.outcome.stats.map(|s| s.live_bytes),
                failed: c.outcome.error.is_some(),
                refused: c
                    .outcome
                    .growth
                    .iter()
                    .filter(|g| {
                        matches!(
                            g.result,
                            crate::GrowthResult::PageCap
                                | crate::GrowthResult::DeclaredMaximum
                                | crate::GrowthResult::HostRefused
                        )
                    })
                    .count() as u64
                    + c.outcome.refused.map_or(0, |r| r.cap + r.budget),
            })
            .collect()
    }
}

/// A scenario's memory over its calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline<'a> {
    /// The chart's title.
    pub title: &'a str,
    /// One point per call, in order.
    pub points: &'a [TimelinePoint],
    /// Pages before the first call (the module's initial memory): the page
    /// axis starts just below it, and a dashed line marks it.
    pub initial_pages: u64,
    /// The simulator's page cap, drawn as a line when it is on the chart's
    /// scale (at most twice the highest bar), else named in the legend.
    pub cap_pages: Option<u64>,
}

const WIDTH: u64 = 880;
const HEIGHT: u64 = 360;
const LEFT: u64 = 70;
const RIGHT: u64 = 90;
const TOP: u64 = 64;
const BOTTOM: u64 = 70;
const PAGE_COLOUR: &str = "#4c78a8";
const LIVE_COLOUR: &str = "#e45756";
const CAP_COLOUR: &str = "#b22222";
const MARK_COLOUR: &str = "#f58518";
/// A white outline painted under a label's glyphs, so that it stays
/// readable over bars and marks.
const HALO: &str =
    r##"stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke""##;

/// Escapes text for SVG.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The path data of an x centred on `(x, y)`, `r` pixels from the centre
/// to each corner: the "failed" mark of both charts and their legends.
pub(crate) fn cross(x: u64, y: u64, r: u64) -> String {
    let (l, t) = (x.saturating_sub(r), y.saturating_sub(r));
    let (rt, b) = (x + r, y + r);
    format!("M{l} {t} L{rt} {b} M{l} {b} L{rt} {t}")
}

/// The start of a chart: the `<svg>` element of `width` x `height`, a white
/// background and the centred title (escaped).
pub(crate) fn open_svg(width: u64, height: u64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" font-size=\"16\" text-anchor=\"middle\">{}</text>\n",
        width / 2,
        escape(title)
    )
}

/// A "nice" axis maximum at or above `max` (1, 2 or 5 times a power of ten).
pub(crate) fn nice_ceiling(max: u64) -> u64 {
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

/// Renders the timeline as a standalone SVG document.
///
/// ```
/// use capheap_sim::report::timeline_svg::{Timeline, TimelinePoint, render};
///
/// let point = |label: &str, pages, live, failed| TimelinePoint {
///     label: label.into(), pages, live_bytes: Some(live), failed, refused: u64::from(failed),
/// };
/// let points = [point("#0 init", 2, 300, false), point("#1 put", 3, 70_000, false), point("#2 put", 3, 70_000, true)];
/// let svg = render(&Timeline { title: "cache", points: &points, initial_pages: 1, cap_pages: Some(4) });
/// assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
/// assert_eq!(svg.matches("class=\"bar\"").count(), 3);
/// // The failed call is marked, and the cap drawn (4 pages is on the scale).
/// assert!(svg.contains("class=\"failed\""));
/// assert!(svg.contains("class=\"cap\""));
/// assert_eq!(svg, render(&Timeline { title: "cache", points: &points, initial_pages: 1, cap_pages: Some(4) }));
/// ```
pub fn render(t: &Timeline<'_>) -> String {
    let points = t.points;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = points.len().max(1) as u64;
    let slot = (plot_w / n).max(1);
    let highest = points
        .iter()
        .map(|p| p.pages)
        .max()
        .unwrap_or(0)
        .max(t.initial_pages);
    let cap_on_chart = t
        .cap_pages
        .filter(|&c| c <= highest.saturating_mul(2).max(4));
    // The page axis: from just below the initial pages (so growth on top of
    // 17 pages shows), to a round number at or above everything drawn.
    let top_pages = highest.max(cap_on_chart.unwrap_or(0));
    let span = top_pages.saturating_sub(t.initial_pages).max(1);
    let step = nice_ceiling(span.div_ceil(4)).max(1);
    let lo = (t.initial_pages.saturating_sub(step)) / step * step;
    let mut hi = lo + step * 4.max(top_pages.saturating_sub(lo).div_ceil(step));
    if hi < highest + step.div_ceil(2) {
        // Room above the tallest bar for its marks.
        hi += step;
    }
    let ticks = (hi - lo) / step;
    let has_live = points.iter().any(|p| p.live_bytes.is_some());
    // A power of two, at least 1 KiB: quarter ticks are round in binary
    // units, and an all-zero line still gets distinct labels.
    let max_live = points
        .iter()
        .filter_map(|p| p.live_bytes)
        .max()
        .unwrap_or(0)
        .max(1024)
        .checked_next_power_of_two()
        .unwrap_or(u64::MAX);
    // y for a value on an axis from `lo` to `hi`.
    let y_of = |value: u64, lo: u64, hi: u64| -> u64 {
        let v = value.clamp(lo, hi) - lo;
        let scaled = u128::from(v) * u128::from(plot_h) / u128::from((hi - lo).max(1));
        TOP + plot_h - scaled as u64
    };
    let x_mid = |i: usize| LEFT + i as u64 * slot + slot / 2;

    let mut svg = open_svg(WIDTH, HEIGHT, t.title);
    // Grid and left axis (pages), right axis (live bytes).
    for tick in 0..=ticks {
        let value = lo + step * tick;
        let y = y_of(value, lo, hi);
        let _ = writeln!(
            svg,
            r##"<line class="grid" x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text class="page-tick" x="{}" y="{}" text-anchor="end" fill="{PAGE_COLOUR}">{value}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6,
            y + 4
        );
    }
    if has_live {
        for tick in 0..=4u64 {
            let value = max_live * tick / 4;
            let _ = writeln!(
                svg,
                r#"<text class="live-tick" x="{}" y="{}" fill="{LIVE_COLOUR}">{}</text>"#,
                WIDTH - RIGHT + 6,
                y_of(value, 0, max_live) + 4,
                human_bytes(value)
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
    // Bars: pages after each call, from the axis floor.
    let bar_w = (slot * 3 / 5).max(1);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + i as u64 * slot + (slot - bar_w) / 2;
        let y = y_of(p.pages, lo, hi);
        let _ = writeln!(
            svg,
            r#"<rect class="bar" x="{x}" y="{y}" width="{bar_w}" height="{}" fill="{PAGE_COLOUR}" opacity="0.75"><title>{}: {} pages</title></rect>"#,
            TOP + plot_h - y,
            escape(&p.label),
            p.pages
        );
    }
    // The initial size, and the cap (their labels come last, on top).
    let y0 = y_of(t.initial_pages, lo, hi);
    let _ = writeln!(
        svg,
        r##"<line class="initial" x1="{LEFT}" y1="{y0}" x2="{}" y2="{y0}" stroke="#555" stroke-dasharray="6 4"/>"##,
        WIDTH - RIGHT,
    );
    let cap_y = cap_on_chart.map(|cap| (cap, y_of(cap, lo, hi)));
    if let Some((_, y)) = cap_y {
        let _ = writeln!(
            svg,
            r#"<line class="cap" x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="{CAP_COLOUR}" stroke-width="2" stroke-dasharray="2 3"/>"#,
            WIDTH - RIGHT,
        );
    }
    // Line: live bytes after each call.
    if has_live {
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.live_bytes
                    .map(|b| format!("{},{}", x_mid(i), y_of(b, 0, max_live)))
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
                    x_mid(i),
                    y_of(b, 0, max_live),
                    escape(&p.label)
                );
            }
        }
    }
    // Marks above the bars: a failed call (x), refused growth (triangle).
    for (i, p) in points.iter().enumerate() {
        let x = x_mid(i);
        let y = y_of(p.pages, lo, hi).saturating_sub(10).max(TOP - 8);
        if p.refused > 0 {
            let _ = writeln!(
                svg,
                r#"<path class="refused" d="M{} {} L{} {} L{} {} Z" fill="{MARK_COLOUR}"><title>{}: {} growth request(s) refused</title></path>"#,
                x - 6,
                y + 5,
                x + 6,
                y + 5,
                x,
                y - 6,
                escape(&p.label),
                p.refused
            );
        }
        if p.failed {
            let y = if p.refused > 0 {
                y.saturating_sub(14)
            } else {
                y
            };
            let _ = writeln!(
                svg,
                r#"<path class="failed" d="{}" stroke="{CAP_COLOUR}" stroke-width="3"><title>{}: the call failed</title></path>"#,
                cross(x, y, 5),
                escape(&p.label)
            );
        }
    }
    // The labels of the two lines, over the bars and marks, each on a white
    // halo so that a bar or mark under it does not hide it. Both sit at the
    // left end, where a growing run's bars are lowest and its marks are
    // rare; the cap's goes to the right end when the two would touch.
    let _ = writeln!(
        svg,
        r##"<text class="initial-label" x="{}" y="{}" font-size="10" fill="#555" {HALO}>initial {} pages</text>"##,
        LEFT + 4,
        y0.saturating_sub(4),
        t.initial_pages
    );
    if let Some((cap, y)) = cap_y {
        let (x, anchor) = if y0.abs_diff(y) >= 14 {
            (LEFT + 4, "start")
        } else {
            (WIDTH - RIGHT - 4, "end")
        };
        let _ = writeln!(
            svg,
            r#"<text class="cap-label" x="{x}" y="{}" font-size="10" fill="{CAP_COLOUR}" text-anchor="{anchor}" {HALO}>cap {cap} pages</text>"#,
            y.saturating_sub(4)
        );
    }
    // X labels: every call when they fit, else about 12 of them.
    let every = (points.len() as u64).div_ceil(12).max(1);
    for (i, p) in points.iter().enumerate() {
        if !(i as u64).is_multiple_of(every) {
            continue;
        }
        let x = x_mid(i);
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
    let mut lx = LEFT;
    let ly = 44;
    let _ = write!(
        svg,
        r#"<rect x="{lx}" y="{}" width="10" height="10" fill="{PAGE_COLOUR}"/><text x="{}" y="{}">pages after call</text>"#,
        ly - 9,
        lx + 14,
        ly
    );
    lx += 130;
    if has_live {
        let _ = write!(
            svg,
            r#"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{LIVE_COLOUR}" stroke-width="2"/><text x="{}" y="{ly}">live heap bytes</text>"#,
            ly - 4,
            lx + 16,
            ly - 4,
            lx + 20
        );
        lx += 125;
    }
    let _ = write!(
        svg,
        r#"<path d="M{} {} L{} {} L{} {} Z" fill="{MARK_COLOUR}"/><text x="{}" y="{ly}">growth refused</text>"#,
        lx,
        ly,
        lx + 10,
        ly,
        lx + 5,
        ly - 9,
        lx + 14
    );
    lx += 115;
    let _ = write!(
        svg,
        r#"<path d="{}" stroke="{CAP_COLOUR}" stroke-width="2"/><text x="{}" y="{ly}">call failed</text>"#,
        cross(lx + 4, ly - 5, 4),
        lx + 14
    );
    lx += 90;
    match (t.cap_pages, cap_on_chart) {
        (Some(_), Some(_)) => {
            let _ = write!(
                svg,
                r#"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{CAP_COLOUR}" stroke-width="2" stroke-dasharray="2 3"/><text x="{}" y="{ly}">page cap</text>"#,
                ly - 4,
                lx + 16,
                ly - 4,
                lx + 20
            );
        }
        (Some(cap), None) => {
            let _ = write!(
                svg,
                r#"<text x="{lx}" y="{ly}" fill="{CAP_COLOUR}">page cap {cap} (off the chart)</text>"#
            );
        }
        _ => {}
    }
    svg.push('\n');
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The `height` of every element of `class`, in order.
    pub(crate) fn bar_heights(svg: &str, class: &str) -> Vec<u64> {
        let marker = format!(r#"class="{class}""#);
        svg.lines()
            .filter(|l| l.contains(&marker))
            .filter_map(|l| l.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect()
    }

    fn points() -> Vec<TimelinePoint> {
        (0..5u64)
            .map(|i| TimelinePoint {
                label: format!("#{i} call<{i}>"),
                pages: 17 + i,
                live_bytes: Some(i * 4096),
                failed: i == 3,
                refused: u64::from(i == 4) * 2,
            })
            .collect()
    }

    fn timeline(points: &[TimelinePoint]) -> Timeline<'_> {
        Timeline {
            title: "hello & co",
            points,
            initial_pages: 17,
            cap_pages: Some(24),
        }
    }

    #[test]
    fn renders_bars_line_marks_and_escaped_labels() {
        let pts = points();
        let svg = render(&timeline(&pts));
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("hello &amp; co"));
        assert!(svg.contains("#3 call&lt;3&gt;: 20 pages"));
        assert_eq!(svg.matches(r#"class="bar""#).count(), 5);
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("16384 live bytes"));
        assert!(!svg.contains("call<3>"), "labels must be escaped");
        // One failed call, one with refused growth, both named.
        assert_eq!(svg.matches(r#"class="failed""#).count(), 1);
        assert!(svg.contains("#3 call&lt;3&gt;: the call failed"));
        assert_eq!(svg.matches(r#"class="refused""#).count(), 1);
        assert!(svg.contains("#4 call&lt;4&gt;: 2 growth request(s) refused"));
        // The cap is on the chart's scale: drawn, and labelled.
        assert_eq!(svg.matches(r#"class="cap""#).count(), 1);
        assert!(svg.contains("cap 24 pages"));
        assert!(svg.contains("initial 17 pages"));
    }

    /// The line of `svg` that holds `class`'s element, and its position.
    fn line_of<'a>(svg: &'a str, class: &str) -> (usize, &'a str) {
        let needle = format!(r#"class="{class}""#);
        svg.lines()
            .enumerate()
            .find(|(_, l)| l.contains(&needle))
            .unwrap_or_else(|| panic!("no {class} in {svg}"))
    }

    #[test]
    fn line_labels_are_drawn_last_on_a_halo_and_apart() {
        let pts = points();
        let svg = render(&timeline(&pts));
        // Drawn after every bar and mark, so nothing covers them.
        let (last_mark, _) = line_of(&svg, "failed");
        let (last_bar, _) = svg
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(r#"class="bar""#))
            .last()
            .unwrap();
        for class in ["initial-label", "cap-label"] {
            let (at, line) = line_of(&svg, class);
            assert!(
                at > last_mark && at > last_bar,
                "{class} under a mark: {svg}"
            );
            assert!(line.contains(HALO), "{line}");
        }
        // Cap 24 against 17 initial, 10 pages tall: far apart, both left.
        assert!(
            line_of(&svg, "cap-label")
                .1
                .contains(r#"text-anchor="start""#)
        );
        // A cap one page above the initial size on a scale of 100 pages:
        // the two lines are 3 pixels apart, so the cap's label moves right.
        let mut tall = points();
        for (i, p) in (0u64..).zip(&mut tall) {
            p.pages = 17 + 20 * i;
        }
        let svg = render(&Timeline {
            cap_pages: Some(18),
            ..timeline(&tall)
        });
        assert!(
            line_of(&svg, "cap-label")
                .1
                .contains(r#"text-anchor="end""#),
            "{svg}"
        );
    }

    #[test]
    fn pages_are_drawn_from_just_below_the_initial_size() {
        let pts = points();
        let svg = render(&timeline(&pts));
        // Pages 17..=21 and the cap 24 above 17 initial: ticks every 2 pages
        // from 14, so one page of growth is 1/5 of a tick, visible.
        let ticks: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains(r#"class="page-tick""#))
            .map(|l| l.rsplit_once('>').unwrap().0.rsplit_once('>').unwrap().1)
            .map(|t| t.trim_end_matches("</text"))
            .collect();
        assert_eq!(ticks, ["14", "16", "18", "20", "22", "24"], "{svg}");
        // Bar heights grow by one page's worth: 3 to 7 pages above the
        // axis floor of 14, on a plot 10 pages tall.
        let heights = bar_heights(&svg, "bar");
        let plot_h = HEIGHT - TOP - BOTTOM;
        let expected: Vec<u64> = (3..=7).map(|pages| pages * plot_h / 10).collect();
        assert_eq!(heights, expected);
    }

    #[test]
    fn a_far_cap_is_named_not_drawn_and_no_stats_means_no_live_line() {
        let mut pts = points();
        for p in &mut pts {
            p.live_bytes = None;
        }
        let svg = render(&Timeline {
            cap_pages: Some(1024),
            ..timeline(&pts)
        });
        assert!(!svg.contains("<polyline"));
        assert!(!svg.contains("live heap bytes"));
        assert!(!svg.contains(r#"class="cap""#));
        assert!(svg.contains("page cap 1024 (off the chart)"));
    }

    #[test]
    fn zero_live_bytes_get_distinct_labels() {
        let mut pts = points();
        for p in &mut pts {
            p.live_bytes = Some(0);
        }
        let svg = render(&timeline(&pts));
        let labels: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains(r#"class="live-tick""#))
            .map(|l| l.split('>').nth(1).unwrap().trim_end_matches("</text"))
            .collect();
        assert_eq!(labels, ["0 B", "256 B", "512 B", "768 B", "1 KiB"]);
    }

    #[test]
    fn same_data_same_bytes_and_empty_is_valid() {
        let pts = points();
        assert_eq!(render(&timeline(&pts)), render(&timeline(&pts)));
        let empty = render(&Timeline {
            title: "nothing",
            points: &[],
            initial_pages: 0,
            cap_pages: None,
        });
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
