//! The comparison chart: one scenario on two builds (say, a contract's
//! default allocator and capheap), per call: fuel as paired bars on top,
//! pages after the call as paired bars below, failed calls marked.
//!
//! Pure integer geometry: the same comparison always gives the same bytes.

use std::fmt::Write as _;

use super::compare::{Comparison, show_ratio};
use super::timeline_svg::{cross, escape, nice_ceiling, open_svg};

const WIDTH: u64 = 900;
const LEFT: u64 = 80;
const RIGHT: u64 = 90;
const TOP: u64 = 76;
const PANEL: u64 = 170;
const GAP: u64 = 46;
const BOTTOM: u64 = 90;
const HEIGHT: u64 = TOP + PANEL + GAP + PANEL + BOTTOM;
const A_COLOUR: &str = "#9d9d9d";
const B_COLOUR: &str = "#4c78a8";
const FAIL_COLOUR: &str = "#b22222";

/// Renders `cmp` as a standalone SVG document titled `title`.
///
/// ```
/// use capheap_sim::report::{compare::compare, compare_svg};
/// use capheap_sim::{Scenario, ScenarioCall, Simulator};
///
/// let grows = |pages: u32| wat::parse_str(format!(
///     r#"(module (memory (export "memory") 1)
///          (func (export "go") (drop (memory.grow (i32.const {pages})))))"#
/// ));
/// let (a, b) = (grows(2)?, grows(1)?);
/// let sim = Simulator::new();
/// let scenario = Scenario::new().call(ScenarioCall::new("go", []).repeat(3));
/// let cmp = compare(&scenario, ("two", &sim.load(&a)?, &a), ("one", &sim.load(&b)?, &b))?;
/// let svg = compare_svg::render("go, three times", &cmp);
/// assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
/// assert!(svg.contains(">go, three times</text>"));
/// // A fuel bar and a pages bar per call and build; no call failed.
/// assert_eq!(svg.matches("class=\"fuel\"").count(), 6);
/// assert_eq!(svg.matches("class=\"pages\"").count(), 6);
/// assert!(!svg.contains("class=\"failed\""));
/// // Integer geometry: the same comparison, the same bytes.
/// assert_eq!(svg, compare_svg::render("go, three times", &cmp));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render(title: &str, cmp: &Comparison) -> String {
    let calls = &cmp.calls;
    let plot_w = WIDTH - LEFT - RIGHT;
    let n = calls.len().max(1) as u64;
    let slot = (plot_w / n).max(2);
    let bar = (slot * 2 / 5).max(1);
    let mut svg = open_svg(WIDTH, HEIGHT, title);
    // What a Stylus chain stores is the size that counts there.
    let stored = match (&cmp.b.deploy, &cmp.a.deploy) {
        (Some(b), Some(a)) if a.abi == crate::host::Abi::Stylus => {
            format!(" ({} / {} stored, brotli)", b.stored_bytes, a.stored_bytes)
        }
        _ => String::new(),
    };
    let _ = writeln!(
        svg,
        r#"<text class="summary" x="{}" y="42" text-anchor="middle">total fuel {} / {} = {}; pages at the end {} / {}; wasm {} / {} bytes{stored}</text>"#,
        WIDTH / 2,
        cmp.b.fuel,
        cmp.a.fuel,
        show_ratio(super::compare::ratio_permille(cmp.a.fuel, cmp.b.fuel)),
        cmp.b.final_pages,
        cmp.a.final_pages,
        cmp.b.wasm_bytes,
        cmp.a.wasm_bytes
    );
    // Legend.
    for (i, (label, colour)) in [(&cmp.a.label, A_COLOUR), (&cmp.b.label, B_COLOUR)]
        .into_iter()
        .enumerate()
    {
        let x = LEFT + i as u64 * 160;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="52" width="10" height="10" fill="{colour}"/><text x="{}" y="61">{}</text>"#,
            x + 14,
            escape(label)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="61" fill="{FAIL_COLOUR}">x = the call failed on that build</text>"#,
        LEFT + 320
    );

    // Top panel: fuel per call, from 0.
    let max_fuel = nice_ceiling(
        calls
            .iter()
            .map(|c| c.fuel.0.max(c.fuel.1))
            .max()
            .unwrap_or(0),
    );
    let fuel_y = |v: u64| {
        TOP + PANEL
            - (u128::from(v.min(max_fuel)) * u128::from(PANEL) / u128::from(max_fuel)) as u64
    };
    axis(
        &mut svg,
        TOP,
        "fuel per call",
        (0..=4).map(|t| (max_fuel * t / 4, fuel_y(max_fuel * t / 4))),
    );
    // Bottom panel: pages after each call, from just below the fewest.
    let low = calls
        .iter()
        .map(|c| c.pages.0.min(c.pages.1))
        .min()
        .unwrap_or(0) as u64;
    let high = calls
        .iter()
        .map(|c| c.pages.0.max(c.pages.1))
        .max()
        .unwrap_or(0) as u64;
    let step = nice_ceiling(high.saturating_sub(low).max(1).div_ceil(4));
    let lo = low.saturating_sub(step) / step * step;
    let hi = lo + step * 4.max((high + 1).saturating_sub(lo).div_ceil(step));
    let top2 = TOP + PANEL + GAP;
    let page_y = |v: u64| {
        top2 + PANEL
            - (u128::from(v.clamp(lo, hi) - lo) * u128::from(PANEL) / u128::from(hi - lo)) as u64
    };
    let ticks = (hi - lo) / step;
    axis(
        &mut svg,
        top2,
        "pages after call",
        (0..=ticks).map(|t| (lo + step * t, page_y(lo + step * t))),
    );

    for (i, c) in calls.iter().enumerate() {
        let x0 = LEFT + i as u64 * slot + slot / 2 - bar;
        for (side, (fuel, pages, ok, colour)) in [
            (c.fuel.0, c.pages.0, c.ok.0, A_COLOUR),
            (c.fuel.1, c.pages.1, c.ok.1, B_COLOUR),
        ]
        .into_iter()
        .enumerate()
        {
            let x = x0 + side as u64 * bar;
            let name = if side == 0 {
                &cmp.a.label
            } else {
                &cmp.b.label
            };
            let y = fuel_y(fuel);
            let _ = writeln!(
                svg,
                r#"<rect class="fuel" x="{x}" y="{y}" width="{bar}" height="{}" fill="{colour}"><title>#{} {} on {}: {fuel} fuel</title></rect>"#,
                TOP + PANEL - y,
                c.index,
                escape(&c.export),
                escape(name)
            );
            let y2 = page_y(u64::from(pages));
            let _ = writeln!(
                svg,
                r#"<rect class="pages" x="{x}" y="{y2}" width="{bar}" height="{}" fill="{colour}"><title>#{} {} on {}: {pages} pages</title></rect>"#,
                top2 + PANEL - y2,
                c.index,
                escape(&c.export),
                escape(name)
            );
            if !ok {
                let _ = writeln!(
                    svg,
                    r#"<path class="failed" d="{}" stroke="{FAIL_COLOUR}" stroke-width="2"><title>#{} failed on {}</title></path>"#,
                    cross(x + bar / 2, y.saturating_sub(8), 4),
                    c.index,
                    escape(name)
                );
            }
        }
    }
    // Call labels under the bottom panel: about 15 of them at most.
    let every = (calls.len() as u64).div_ceil(15).max(1);
    for (i, c) in calls.iter().enumerate() {
        if !(i as u64).is_multiple_of(every) {
            continue;
        }
        let x = LEFT + i as u64 * slot + slot / 2;
        let y = top2 + PANEL + 14;
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" transform="rotate(30 {x} {y})" font-size="10">#{} {}</text>"#,
            c.index,
            escape(&c.export)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Grid lines, tick labels and the axis title of one panel.
fn axis(svg: &mut String, top: u64, name: &str, ticks: impl Iterator<Item = (u64, u64)>) {
    for (value, y) in ticks {
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text class="tick" x="{}" y="{}" text-anchor="end">{value}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6,
            y + 4
        );
    }
    let mid = top + PANEL / 2;
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{mid}" transform="rotate(-90 16 {mid})" text-anchor="middle">{name}</text>"#
    );
    let _ = writeln!(
        svg,
        r#"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        top + PANEL,
        WIDTH - RIGHT,
        top + PANEL
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compare::{CallComparison, SideSummary};

    fn side(label: &str, fuel: u64, pages: u32) -> SideSummary {
        SideSummary {
            label: label.into(),
            wasm_bytes: 1000,
            gzip_bytes: 500,
            deploy: None,
            fuel,
            growth_fuel: 0,
            final_pages: pages,
            peak_pages: pages,
            failed_calls: 0,
        }
    }

    fn comparison() -> Comparison {
        let calls = (0..4)
            .map(|i| CallComparison {
                index: i,
                export: format!("call<{i}>"),
                fuel: (1000 * (i as u64 + 1), 800 * (i as u64 + 1)),
                growth_fuel: (0, 0),
                pages: (18, 17),
                ok: (true, i != 2),
                same_output: i != 2,
            })
            .collect();
        Comparison {
            a: side("default", 10_000, 18),
            b: side("capheap", 8_000, 17),
            calls,
        }
    }

    #[test]
    fn paired_bars_per_call_and_failures_marked() {
        let svg = render("cw20 & co", &comparison());
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("cw20 &amp; co"));
        assert_eq!(svg.matches(r#"class="fuel""#).count(), 8);
        assert_eq!(svg.matches(r#"class="pages""#).count(), 8);
        assert!(svg.contains("#3 call&lt;3&gt; on capheap: 3200 fuel"));
        assert!(svg.contains("#0 call&lt;0&gt; on default: 18 pages"));
        assert_eq!(svg.matches(r#"class="failed""#).count(), 1);
        assert!(svg.contains("#2 failed on capheap"));
        assert!(svg.contains("total fuel 8000 / 10000 = 0.800"), "{svg}");
    }

    #[test]
    fn bars_are_proportional_and_pages_start_near_the_fewest() {
        let svg = render("t", &comparison());
        // Fuel axis 0..5000 over 170 px: 4000 fuel is 136 px.
        assert!(
            svg.contains(r##"height="136" fill="#9d9d9d"><title>#3 call&lt;3&gt; on default"##),
            "{svg}"
        );
        // Pages 17..18: the axis starts below 17, so one page shows.
        let heights = crate::report::timeline_svg::tests::bar_heights(&svg, "pages");
        assert!(heights[0] > heights[1] && heights[1] > 0, "{heights:?}");
    }

    #[test]
    fn a_stylus_comparison_names_the_stored_code() {
        let mut cmp = comparison();
        let wasm = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
        let stylus = crate::deploy::deployment(crate::host::Abi::Stylus, &wasm)
            .unwrap()
            .unwrap();
        let stored = stylus.stored_bytes;
        cmp.a.deploy = Some(stylus);
        cmp.b.deploy = Some(crate::deploy::Deployment {
            stored_bytes: stored + 10,
            ..stylus
        });
        let svg = render("t", &cmp);
        assert!(
            svg.contains(&format!(
                "wasm 1000 / 1000 bytes ({} / {stored} stored, brotli)",
                stored + 10
            )),
            "{svg}"
        );
        // CosmWasm stores the gzipped upload: nothing more to say.
        let cw = crate::deploy::deployment(crate::host::Abi::CosmWasm, &wasm)
            .unwrap()
            .unwrap();
        cmp.a.deploy = Some(cw);
        cmp.b.deploy = Some(cw);
        assert!(render("t", &cmp).contains("wasm 1000 / 1000 bytes</text>"));
    }

    #[test]
    fn same_comparison_same_bytes() {
        assert_eq!(render("t", &comparison()), render("t", &comparison()));
    }
}
