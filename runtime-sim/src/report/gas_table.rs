//! Gas report per export, as `forge test --gas-report` prints it: calls,
//! min / median / max fuel, page-growth fuel and pages, and the requests the
//! contract's capheap refused (caps, budget). Calls of the statistics export
//! (`capheap_stats`) that a scenario makes are summed on a line of their own:
//! they are reads of the allocator, not the contract's work.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One executed call, as the gas report sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasSample {
    /// The export called.
    pub export: String,
    /// Total fuel of the call.
    pub fuel: u64,
    /// Of which: fuel charged for pages grown, under the pricing schedule.
    pub growth_fuel: u64,
    /// Pages grown by the call.
    pub pages_grown: u64,
    /// Linear-memory pages after the call.
    pub pages_after: u64,
    /// Requests the contract's allocator refused during the call (`None`
    /// when the contract exports no statistics).
    pub refused: Option<crate::Refusals>,
}

/// Summary of one export.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GasRow {
    /// The export.
    pub export: String,
    /// How many calls.
    pub calls: u64,
    /// Least fuel of a call.
    pub min: u64,
    /// Median fuel (the lower middle value for an even count).
    pub median: u64,
    /// Most fuel of a call.
    pub max: u64,
    /// Page-growth fuel summed over the calls.
    pub growth_fuel: u64,
    /// Pages grown summed over the calls.
    pub pages_grown: u64,
    /// Most pages after any call.
    pub max_pages: u64,
    /// Requests refused by a cap, summed over the calls (`None` when no call
    /// had allocator statistics).
    pub cap_refusals: Option<u64>,
    /// Requests refused by the growth budget or gas hook, summed.
    pub budget_refusals: Option<u64>,
}

impl GasRow {
    /// Whether the row is the scenario's reads of the statistics export.
    pub fn is_stats_read(&self) -> bool {
        self.export == crate::stats::STATS_EXPORT
    }
}

/// Summarises samples per export, ordered by export name.
///
/// ```
/// use capheap_sim::report::gas_table::{GasSample, render, summarize};
///
/// let call = |export: &str, fuel, pages_after| GasSample {
///     export: export.into(), fuel, growth_fuel: 0, pages_grown: 0, pages_after, refused: None,
/// };
/// let samples = [call("put", 30, 2), call("get", 8, 2), call("put", 10, 3), call("put", 20, 3),
///                call("capheap_stats", 5, 3)];
/// let rows = summarize(&samples);
/// let names: Vec<&str> = rows.iter().map(|r| r.export.as_str()).collect();
/// assert_eq!(names, ["capheap_stats", "get", "put"]);
/// let put = &rows[2];
/// assert_eq!((put.calls, put.min, put.median, put.max, put.max_pages), (3, 10, 20, 30, 3));
/// // No sample carried allocator statistics: no refusal counts.
/// assert_eq!(put.cap_refusals, None);
/// assert!(rows[0].is_stats_read() && !put.is_stats_read());
/// ```
pub fn summarize(samples: &[GasSample]) -> Vec<GasRow> {
    let mut by_export: BTreeMap<&str, Vec<&GasSample>> = BTreeMap::new();
    for s in samples {
        by_export.entry(&s.export).or_default().push(s);
    }
    by_export
        .into_iter()
        .map(|(export, group)| {
            let mut fuels: Vec<u64> = group.iter().map(|s| s.fuel).collect();
            fuels.sort_unstable();
            GasRow {
                export: export.to_owned(),
                calls: fuels.len() as u64,
                min: fuels[0],
                median: fuels[(fuels.len() - 1) / 2],
                max: fuels[fuels.len() - 1],
                growth_fuel: group
                    .iter()
                    .map(|s| s.growth_fuel)
                    .fold(0, u64::saturating_add),
                pages_grown: group
                    .iter()
                    .map(|s| s.pages_grown)
                    .fold(0, u64::saturating_add),
                max_pages: group.iter().map(|s| s.pages_after).max().unwrap_or(0),
                cap_refusals: sum_refused(&group, |r| r.cap),
                budget_refusals: sum_refused(&group, |r| r.budget),
            }
        })
        .collect()
}

/// One refusal count summed over a group (`None` if no sample has one).
fn sum_refused(group: &[&GasSample], pick: impl Fn(&crate::Refusals) -> u64) -> Option<u64> {
    group
        .iter()
        .filter_map(|s| s.refused.as_ref().map(&pick))
        .fold(None, |acc, n| Some(acc.unwrap_or(0) + n))
}

/// Renders rows as an aligned text table under a `title` line: the
/// contract's exports, then the statistics reads (if any) on a line below.
///
/// ```
/// use capheap_sim::report::gas_table::{GasSample, render, summarize};
///
/// let call = |export: &str, fuel, pages_after| GasSample {
///     export: export.into(), fuel, growth_fuel: 0, pages_grown: 0, pages_after, refused: None,
/// };
/// let samples = [call("put", 30, 2), call("get", 8, 2), call("put", 10, 3), call("put", 20, 3),
///                call("capheap_stats", 5, 3)];
/// let rows = summarize(&samples);
/// let table = render("token", &rows);
/// let lines: Vec<&str> = table.lines().collect();
/// assert_eq!(lines[0], "token");
/// assert!(lines[1].starts_with("| export | calls | min | median | max |"));
/// assert_eq!(lines[4], "| put    |     3 |  10 |     20 |  30 |           0 |           0 |         3 |            - |               - |");
/// assert!(lines[5].contains("1 read of `capheap_stats`"));
/// ```
pub fn render(title: &str, rows: &[GasRow]) -> String {
    let header = [
        "export",
        "calls",
        "min",
        "median",
        "max",
        "growth fuel",
        "pages grown",
        "max pages",
        "cap refusals",
        "budget refusals",
    ];
    let count = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let cells: Vec<[String; 10]> = rows
        .iter()
        .filter(|r| !r.is_stats_read())
        .map(|r| {
            [
                r.export.clone(),
                r.calls.to_string(),
                r.min.to_string(),
                r.median.to_string(),
                r.max.to_string(),
                r.growth_fuel.to_string(),
                r.pages_grown.to_string(),
                r.max_pages.to_string(),
                count(r.cap_refusals),
                count(r.budget_refusals),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |row: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i == 0 {
                let _ = write!(out, "| {cell:<w$} ");
            } else {
                let _ = write!(out, "| {cell:>w$} ");
            }
        }
        out.push('|');
        out
    };
    let mut out = format!("{title}\n");
    out.push_str(&line(&header.map(str::to_owned)));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule).replace(' ', "-"));
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row));
        out.push('\n');
    }
    for r in rows.iter().filter(|r| r.is_stats_read()) {
        let _ = writeln!(
            out,
            "(and {} read{} of `{}` by the scenario: {} fuel each at most, not the contract's own work)",
            r.calls,
            if r.calls == 1 { "" } else { "s" },
            r.export,
            r.max
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(export: &str, fuel: u64, growth: u64, grown: u64, pages: u64) -> GasSample {
        GasSample {
            export: export.into(),
            fuel,
            growth_fuel: growth,
            pages_grown: grown,
            pages_after: pages,
            refused: None,
        }
    }

    #[test]
    fn counts_refusals_and_keeps_stats_reads_apart() {
        let refused = |cap, budget| Some(crate::Refusals { cap, budget });
        let rows = summarize(&[
            GasSample {
                refused: refused(1, 0),
                ..sample("hold", 300, 0, 0, 18)
            },
            GasSample {
                refused: refused(2, 3),
                ..sample("hold", 300, 0, 0, 18)
            },
            sample("capheap_stats", 470, 0, 0, 18),
            sample("plain", 10, 0, 0, 18),
        ]);
        let hold = rows.iter().find(|r| r.export == "hold").unwrap();
        assert_eq!(
            (hold.cap_refusals, hold.budget_refusals),
            (Some(3), Some(3))
        );
        let plain = rows.iter().find(|r| r.export == "plain").unwrap();
        assert_eq!((plain.cap_refusals, plain.budget_refusals), (None, None));
        let table = render("gas", &rows);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[1].ends_with("| cap refusals | budget refusals |"),
            "{table}"
        );
        assert!(lines[3].starts_with("| hold "), "{table}");
        assert!(
            lines[3].ends_with("|            3 |               3 |"),
            "{table}"
        );
        assert!(lines[4].starts_with("| plain "), "{table}");
        assert!(
            lines[4].ends_with("|            - |               - |"),
            "{table}"
        );
        assert_eq!(
            lines[5],
            "(and 1 read of `capheap_stats` by the scenario: 470 fuel each at most, not the contract's own work)"
        );
        assert_eq!(lines.len(), 6, "{table}");
    }

    #[test]
    fn summarizes_per_export_with_lower_median() {
        let rows = summarize(&[
            sample("put", 300, 100, 1, 18),
            sample("get", 40, 0, 0, 18),
            sample("put", 100, 0, 0, 18),
            sample("put", 200, 0, 0, 19),
            sample("put", 400, 250, 1, 20),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].export, "get");
        assert_eq!(
            (rows[0].calls, rows[0].min, rows[0].median, rows[0].max),
            (1, 40, 40, 40)
        );
        let put = &rows[1];
        assert_eq!(
            (put.calls, put.min, put.median, put.max),
            (4, 100, 200, 400)
        );
        assert_eq!(
            (put.growth_fuel, put.pages_grown, put.max_pages),
            (350, 2, 20)
        );
    }

    #[test]
    fn renders_an_aligned_table() {
        let table = render("gas", &summarize(&[sample("reverse", 1322, 0, 1, 18)]));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "gas");
        assert!(lines[1].starts_with("| export  | calls |"), "{table}");
        assert!(
            lines[3].contains("| reverse |     1 | 1322 |   1322 | 1322 |"),
            "{table}"
        );
        assert!(lines.iter().skip(1).all(|l| l.len() == lines[1].len()));
    }
}
