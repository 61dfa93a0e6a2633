//! `.gas-snapshot` files: one line per entry, `<name> (fuel: <n>)`, sorted by
//! name, as Foundry's `forge snapshot` keeps gas. Checked in next to a
//! contract, they make every fuel change visible in review.
//!
//! All arithmetic is on integers: changes are measured in basis points
//! (1/100 of a percent), never in floats.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Errors reading a `.gas-snapshot` file or a tolerance.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GasSnapshotError {
    /// A line is not `<name> (fuel: <n>)`.
    #[error("line {line}: expected `<name> (fuel: <n>)`, found `{text}`")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// The same name twice.
    #[error("line {line}: `{name}` appears twice")]
    Duplicate {
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The entry name.
        name: String,
    },
    /// A tolerance that is not a non-negative percentage with at most two decimals.
    #[error("tolerance `{0}`: expected a percentage such as 0, 2 or 2.5")]
    BadTolerance(String),
}

/// Fuel per entry name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GasSnapshot {
    /// Entries, ordered by name.
    pub entries: BTreeMap<String, u64>,
}

impl GasSnapshot {
    /// Parses a snapshot file's text. Blank lines are ignored.
    ///
    /// ```
    /// use capheap_sim::report::gas_snapshot::GasSnapshot;
    ///
    /// let snap = GasSnapshot::parse("transfer (fuel: 1200)\nmint (fuel: 900)\n").unwrap();
    /// assert_eq!(snap.entries["mint"], 900);
    /// // A malformed line or a repeated name is an error naming the line.
    /// assert!(GasSnapshot::parse("transfer 1200").is_err());
    /// assert!(GasSnapshot::parse("a (fuel: 1)\na (fuel: 2)").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, GasSnapshotError> {
        let mut entries = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                continue;
            }
            let malformed = || GasSnapshotError::Malformed {
                line,
                text: raw.to_owned(),
            };
            let (name, rest) = trimmed.rsplit_once(" (fuel: ").ok_or_else(malformed)?;
            let fuel = rest
                .strip_suffix(')')
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(malformed)?;
            if name.is_empty() {
                return Err(malformed());
            }
            if entries.insert(name.to_owned(), fuel).is_some() {
                return Err(GasSnapshotError::Duplicate {
                    line,
                    name: name.to_owned(),
                });
            }
        }
        Ok(GasSnapshot { entries })
    }

    /// The file's text: sorted, one entry per line, trailing newline.
    ///
    /// ```
    /// use capheap_sim::report::gas_snapshot::GasSnapshot;
    ///
    /// let snap = GasSnapshot::parse("b (fuel: 2)\na (fuel: 1)").unwrap();
    /// assert_eq!(snap.render(), "a (fuel: 1)\nb (fuel: 2)\n");
    /// ```
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, fuel) in &self.entries {
            let _ = writeln!(out, "{name} (fuel: {fuel})");
        }
        out
    }

    /// Compares `self` (the stored snapshot) with `new` (this run).
    ///
    /// ```
    /// use capheap_sim::report::gas_snapshot::GasSnapshot;
    ///
    /// let old = GasSnapshot::parse("mint (fuel: 1000)\nburn (fuel: 500)").unwrap();
    /// let new = GasSnapshot::parse("mint (fuel: 1100)\nburn (fuel: 500)").unwrap();
    /// let changed: Vec<String> = old
    ///     .diff(&new)
    ///     .iter()
    ///     .filter(|c| c.old != c.new)
    ///     .map(|c| c.describe())
    ///     .collect();
    /// assert_eq!(changed, ["mint: 1000 -> 1100 (+10.00%)"]);
    /// ```
    pub fn diff(&self, new: &GasSnapshot) -> Vec<GasChange> {
        let mut names: Vec<&String> = self.entries.keys().chain(new.entries.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| GasChange {
                name: name.clone(),
                old: self.entries.get(name).copied(),
                new: new.entries.get(name).copied(),
            })
            .collect()
    }
}

/// One entry compared across two snapshots.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GasChange {
    /// Entry name.
    pub name: String,
    /// Fuel in the stored snapshot (None: the entry is new).
    pub old: Option<u64>,
    /// Fuel in this run (None: the entry is gone).
    pub new: Option<u64>,
}

impl GasChange {
    /// Signed change in basis points of the old value (`+1234` = +12.34 %);
    /// None when either side is missing, or the old value is zero and the new is not.
    ///
    /// ```
    /// use capheap_sim::report::gas_snapshot::GasChange;
    ///
    /// let c = GasChange { name: "mint".into(), old: Some(1000), new: Some(995) };
    /// assert_eq!(c.delta_basis_points(), Some(-50));
    /// ```
    pub fn delta_basis_points(&self) -> Option<i128> {
        let (old, new) = (i128::from(self.old?), i128::from(self.new?));
        if old == 0 {
            return (new == 0).then_some(0);
        }
        Some((new - old) * 10_000 / old)
    }

    /// Whether this change is within `tolerance_bp` basis points. Added and
    /// removed entries are never within tolerance.
    ///
    /// ```
    /// use capheap_sim::report::gas_snapshot::GasChange;
    ///
    /// let c = GasChange { name: "mint".into(), old: Some(1000), new: Some(1015) };
    /// assert!(c.within(150) && !c.within(149));
    /// let added = GasChange { name: "new".into(), old: None, new: Some(1) };
    /// assert!(!added.within(10_000));
    /// ```
    pub fn within(&self, tolerance_bp: u64) -> bool {
        match (self.old, self.new) {
            (Some(old), Some(new)) if old == new => true,
            (Some(_), Some(_)) => self
                .delta_basis_points()
                .is_some_and(|bp| bp.unsigned_abs() <= u128::from(tolerance_bp)),
            _ => false,
        }
    }

    /// `name: old -> new (+x.yz%)`, `name: new entry n`, or `name: removed (was n)`.
    ///
    /// ```
    /// use capheap_sim::report::gas_snapshot::GasChange;
    ///
    /// let gone = GasChange { name: "burn".into(), old: Some(500), new: None };
    /// assert_eq!(gone.describe(), "burn: removed (was 500)");
    /// ```
    pub fn describe(&self) -> String {
        match (self.old, self.new) {
            (Some(old), Some(new)) => {
                let pct = self
                    .delta_basis_points()
                    .map_or_else(|| "new from zero".to_owned(), format_basis_points);
                format!("{}: {old} -> {new} ({pct})", self.name)
            }
            (None, Some(new)) => format!("{}: new entry, {new}", self.name),
            (Some(old), None) => format!("{}: removed (was {old})", self.name),
            (None, None) => format!("{}: absent", self.name),
        }
    }
}

/// `+12.34%`, `-0.05%`, `+0.00%`.
///
/// ```
/// use capheap_sim::report::gas_snapshot::format_basis_points;
///
/// assert_eq!(format_basis_points(1234), "+12.34%");
/// assert_eq!(format_basis_points(-5), "-0.05%");
/// ```
pub fn format_basis_points(bp: i128) -> String {
    let sign = if bp < 0 { '-' } else { '+' };
    let abs = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", abs / 100, abs % 100)
}

/// Parses a tolerance percentage (`2`, `2.5`, `0.25`) into basis points.
///
/// ```
/// use capheap_sim::report::gas_snapshot::parse_tolerance;
///
/// assert_eq!(parse_tolerance("2.5"), Ok(250));
/// assert!(parse_tolerance("-1").is_err());
/// assert!(parse_tolerance("0.001").is_err());
/// ```
pub fn parse_tolerance(text: &str) -> Result<u64, GasSnapshotError> {
    let bad = || GasSnapshotError::BadTolerance(text.to_owned());
    let text = text.trim().trim_end_matches('%');
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let frac: u64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(entries: &[(&str, u64)]) -> GasSnapshot {
        GasSnapshot {
            entries: entries.iter().map(|(n, f)| ((*n).to_owned(), *f)).collect(),
        }
    }

    #[test]
    fn render_and_parse_round_trip_sorted() {
        let s = snap(&[("hello::reverse", 1322), ("a::b (x)", 7)]);
        let text = s.render();
        assert_eq!(text, "a::b (x) (fuel: 7)\nhello::reverse (fuel: 1322)\n");
        assert_eq!(GasSnapshot::parse(&text).unwrap(), s);
    }

    #[test]
    fn malformed_and_duplicate_lines_name_the_line() {
        assert_eq!(
            GasSnapshot::parse("ok (fuel: 1)\nbroken line\n").unwrap_err(),
            GasSnapshotError::Malformed {
                line: 2,
                text: "broken line".into()
            }
        );
        assert!(matches!(
            GasSnapshot::parse("x (fuel: -3)"),
            Err(GasSnapshotError::Malformed { line: 1, .. })
        ));
        assert!(matches!(
            GasSnapshot::parse(" (fuel: 3)"),
            Err(GasSnapshotError::Malformed { line: 1, .. })
        ));
        assert_eq!(
            GasSnapshot::parse("x (fuel: 1)\n\nx (fuel: 2)").unwrap_err(),
            GasSnapshotError::Duplicate {
                line: 3,
                name: "x".into()
            }
        );
    }

    #[test]
    fn diff_reports_changes_additions_and_removals() {
        let old = snap(&[("a", 1000), ("b", 50), ("gone", 9)]);
        let new = snap(&[("a", 1025), ("b", 50), ("added", 4)]);
        let diff = old.diff(&new);
        let described: Vec<String> = diff.iter().map(GasChange::describe).collect();
        assert_eq!(
            described,
            [
                "a: 1000 -> 1025 (+2.50%)",
                "added: new entry, 4",
                "b: 50 -> 50 (+0.00%)",
                "gone: removed (was 9)",
            ]
        );
        assert!(!diff[0].within(249));
        assert!(diff[0].within(250));
        assert!(!diff[1].within(u64::MAX));
        assert!(diff[2].within(0));
        assert!(!diff[3].within(u64::MAX));
    }

    #[test]
    fn basis_points_are_integer_and_signed() {
        let change = |old, new| GasChange {
            name: String::new(),
            old: Some(old),
            new: Some(new),
        };
        assert_eq!(change(3, 2).delta_basis_points(), Some(-3333));
        assert_eq!(format_basis_points(-3333), "-33.33%");
        assert_eq!(change(0, 0).delta_basis_points(), Some(0));
        assert_eq!(change(0, 5).delta_basis_points(), None);
        assert!(!change(0, 5).within(u64::MAX));
        assert_eq!(change(u64::MAX, 0).delta_basis_points(), Some(-10_000));
    }

    #[test]
    fn tolerances_parse_to_basis_points() {
        assert_eq!(parse_tolerance("0"), Ok(0));
        assert_eq!(parse_tolerance("2"), Ok(200));
        assert_eq!(parse_tolerance("2.5"), Ok(250));
        assert_eq!(parse_tolerance("0.05%"), Ok(5));
        for bad in ["", "-1", "1.234", "x", ".5", "1e3", "99999999999999999999"] {
            assert!(parse_tolerance(bad).is_err(), "{bad}");
        }
    }
}
