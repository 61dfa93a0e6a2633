//! Gas report per export, as `forge test --gas-report` prints it: calls,
//! min / median / max fuel, page-growth fuel and pages.

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
}

/// Summarises samples per export, ordered by export name.
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
            }
        })
        .collect()
}

/// Renders rows as an aligned text table under a `title` line.
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
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
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
        }
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
