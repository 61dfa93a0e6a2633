//! Two builds of one contract side by side (typically its default allocator
//! and capheap) on the same scenario: per call and in total, fuel, growth
//! fuel and pages, plus wasm bytes raw and gzipped and what the contract's
//! chain stores for its code and charges for it, with ratios.

use std::fmt::Write as _;

use serde::Serialize;

use crate::contract::Contract;
use crate::deploy::{Deployment, deployment};
use crate::error::Result;
use crate::host::Abi;
use crate::scenario::{Scenario, ScenarioRun};

/// `b / a` in thousandths, for display (`None` when `a` is 0). Integer
/// arithmetic: ratios never feed a figure that is compared or hashed.
///
/// ```
/// use capheap_sim::report::compare::ratio_permille;
///
/// // capheap used 764 fuel where the default build used 1,000.
/// assert_eq!(ratio_permille(1000, 764), Some(764));
/// assert_eq!(ratio_permille(0, 5), None);
/// ```
pub fn ratio_permille(a: u64, b: u64) -> Option<u64> {
    if a == 0 {
        return None;
    }
    let scaled = u128::from(b) * 1000 + u128::from(a) / 2;
    u64::try_from(scaled / u128::from(a)).ok()
}

/// A ratio in thousandths as `0.766`, or `-`.
///
/// ```
/// use capheap_sim::report::compare::show_ratio;
///
/// assert_eq!(show_ratio(Some(764)), "0.764");
/// assert_eq!(show_ratio(None), "-");
/// ```
pub fn show_ratio(permille: Option<u64>) -> String {
    permille.map_or_else(
        || "-".to_owned(),
        |r| format!("{}.{:03}", r / 1000, r % 1000),
    )
}

pub use crate::deploy::gzip_size;

/// One build's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideSummary {
    /// Its label (`default`, `capheap`, or the file name).
    pub label: String,
    /// Module size in bytes.
    pub wasm_bytes: usize,
    /// Module size gzipped.
    pub gzip_bytes: usize,
    /// What the contract's chain stores and charges for its code (`None`
    /// under capheap's own ABI): see [`crate::deploy`].
    pub deploy: Option<Deployment>,
    /// Fuel of all calls.
    pub fuel: u64,
    /// Of which page growth (and the chain's entry charge for pages).
    pub growth_fuel: u64,
    /// Pages after the last call.
    pub final_pages: u32,
    /// Most pages after any call.
    pub peak_pages: u32,
    /// Calls that failed.
    pub failed_calls: usize,
}

impl SideSummary {
    /// The bytes the build's chain stores for its code (Stylus: the brotli
    /// stream behind its prefix; CosmWasm: the gzipped upload); gzipped
    /// under capheap's own ABI, which is no chain.
    ///
    /// ```
    /// use capheap_sim::report::compare::compare;
    /// use capheap_sim::{Scenario, ScenarioCall, Simulator};
    ///
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "go")))"#)?;
    /// let sim = Simulator::new();
    /// let contract = sim.load(&wasm)?;
    /// let scenario = Scenario::new().call(ScenarioCall::new("go", []));
    /// let cmp = compare(&scenario, ("a", &contract, &wasm), ("b", &contract, &wasm))?;
    /// assert!(cmp.a.deploy.is_none(), "capheap's own ABI is no chain");
    /// assert_eq!(cmp.a.stored_bytes(), cmp.a.gzip_bytes as u64);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stored_bytes(&self) -> u64 {
        self.deploy.map_or(self.gzip_bytes, |d| d.stored_bytes) as u64
    }
}

/// One call on both builds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallComparison {
    /// Position in the run (repeats expanded).
    pub index: usize,
    /// The call's name (its label, else the export).
    pub export: String,
    /// Fuel on `a` and `b`.
    pub fuel: (u64, u64),
    /// Growth fuel on `a` and `b`.
    pub growth_fuel: (u64, u64),
    /// Pages after the call on `a` and `b`.
    pub pages: (u32, u32),
    /// Whether each call succeeded.
    pub ok: (bool, bool),
    /// Whether both produced the same output (a difference means the
    /// builds are not the same contract).
    pub same_output: bool,
}

/// The side-by-side report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Build `a`.
    pub a: SideSummary,
    /// Build `b`.
    pub b: SideSummary,
    /// Every call.
    pub calls: Vec<CallComparison>,
}

fn summary(label: &str, contract: &Contract, wasm: &[u8], run: &ScenarioRun) -> SideSummary {
    let outcomes = || run.calls.iter().map(|c| &c.outcome);
    SideSummary {
        label: label.to_owned(),
        wasm_bytes: wasm.len(),
        gzip_bytes: gzip_size(wasm),
        // The contract loaded, so its sections parse.
        deploy: deployment(contract.abi(), wasm).ok().flatten(),
        fuel: outcomes().map(|o| o.fuel.total).sum(),
        growth_fuel: outcomes().map(|o| o.fuel.growth).sum(),
        final_pages: outcomes().next_back().map_or(0, |o| o.pages_after),
        peak_pages: outcomes().map(|o| o.pages_after).max().unwrap_or(0),
        failed_calls: outcomes().filter(|o| !o.is_ok()).count(),
    }
}

/// Runs `scenario` on both builds (each a `(label, contract, wasm)`) and
/// lines the results up.
///
/// ```
/// use capheap_sim::report::compare::compare;
/// use capheap_sim::{Scenario, ScenarioCall, Simulator};
///
/// let grows = |pages: u32| wat::parse_str(format!(
///     r#"(module (memory (export "memory") 1)
///          (func (export "go") (drop (memory.grow (i32.const {pages})))))"#
/// ));
/// let (a, b) = (grows(2)?, grows(1)?);
/// let sim = Simulator::new();
/// let scenario = Scenario::new().call(ScenarioCall::new("go", []));
/// let report = compare(&scenario, ("two", &sim.load(&a)?, &a), ("one", &sim.load(&b)?, &b))?;
/// assert_eq!(report.calls[0].pages, (3, 2));
/// assert_eq!((report.a.final_pages, report.b.final_pages), (3, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare(
    scenario: &Scenario,
    a: (&str, &Contract, &[u8]),
    b: (&str, &Contract, &[u8]),
) -> Result<Comparison> {
    let run_a = a.1.run_scenario(scenario, 0)?;
    let run_b = b.1.run_scenario(scenario, 0)?;
    let calls = run_a
        .calls
        .iter()
        .zip(&run_b.calls)
        .map(|(x, y)| {
            let label = x.label.clone();
            let (x, y) = (&x.outcome, &y.outcome);
            CallComparison {
                index: 0,
                export: label,
                fuel: (x.fuel.total, y.fuel.total),
                growth_fuel: (x.fuel.growth, y.fuel.growth),
                pages: (x.pages_after, y.pages_after),
                ok: (x.is_ok(), y.is_ok()),
                same_output: x.output == y.output && x.is_ok() == y.is_ok(),
            }
        })
        .enumerate()
        .map(|(index, c)| CallComparison { index, ..c })
        .collect();
    Ok(Comparison {
        a: summary(a.0, a.1, a.2, &run_a),
        b: summary(b.0, b.1, b.2, &run_b),
        calls,
    })
}

impl Comparison {
    /// The summary rows both renderings show: `(what, a, b)`. A Stylus
    /// contract adds the code its chain stores and the gas that costs, a
    /// CosmWasm contract the compile gas (what it stores, the gzipped
    /// upload, is the gzip row).
    fn totals(&self) -> Vec<(&'static str, u64, u64)> {
        let (a, b) = (&self.a, &self.b);
        let mut rows = vec![
            ("wasm bytes", a.wasm_bytes as u64, b.wasm_bytes as u64),
            (
                "wasm bytes (gzip -9)",
                a.gzip_bytes as u64,
                b.gzip_bytes as u64,
            ),
        ];
        if let (Some(x), Some(y)) = (&a.deploy, &b.deploy) {
            match x.abi {
                Abi::Stylus => {
                    rows.push((
                        "deployed code bytes (brotli)",
                        x.stored_bytes as u64,
                        y.stored_bytes as u64,
                    ));
                    rows.push(("code deposit, EVM gas", x.deploy_gas, y.deploy_gas));
                }
                _ => rows.push(("compile cost, SDK gas", x.deploy_gas, y.deploy_gas)),
            }
        }
        rows.extend([
            ("fuel, all calls", a.fuel, b.fuel),
            ("growth fuel, all calls", a.growth_fuel, b.growth_fuel),
            (
                "pages at the end",
                u64::from(a.final_pages),
                u64::from(b.final_pages),
            ),
            (
                "most pages after a call",
                u64::from(a.peak_pages),
                u64::from(b.peak_pages),
            ),
            ("failed calls", a.failed_calls as u64, b.failed_calls as u64),
        ]);
        rows
    }

    /// The report as a text table: the totals with `b / a` ratios, then
    /// one line per call.
    ///
    /// ```
    /// # use capheap_sim::report::compare::compare;
    /// # use capheap_sim::{Scenario, ScenarioCall, Simulator};
    /// // The same export on two builds: one grows 2 pages a call, one 1.
    /// let grows = |pages: u32| wat::parse_str(format!(
    ///     r#"(module (memory (export "memory") 1)
    ///          (func (export "go") (drop (memory.grow (i32.const {pages})))))"#
    /// ));
    /// let (a, b) = (grows(2)?, grows(1)?);
    /// let sim = Simulator::new();
    /// let scenario = Scenario::new().call(ScenarioCall::new("go", []).repeat(2));
    /// let cmp = compare(&scenario, ("two", &sim.load(&a)?, &a), ("one", &sim.load(&b)?, &b))?;
    /// let text = cmp.to_text();
    /// assert!(text.contains("pages at the end                      5              3   0.600"));
    /// assert!(text.contains("1    go                        3          3   1.000         0         0     5     3"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_text(&self) -> String {
        let (a, b) = (&self.a, &self.b);
        let mut out = String::new();
        let r = |x: u64, y: u64| show_ratio(ratio_permille(x, y));
        let totals = self.totals();
        // Columns as wide as their longest entry (at least 24 and 16), so
        // that a long row name or export keeps the numbers aligned.
        let w = totals.iter().map(|t| t.0.len()).fold(24, usize::max);
        let e = self
            .calls
            .iter()
            .map(|c| c.export.len())
            .fold(16, usize::max);
        let _ = writeln!(
            out,
            "{:<w$} {:>14} {:>14} {:>7}",
            "",
            format!("a: {}", a.label),
            format!("b: {}", b.label),
            "b/a"
        );
        for (name, x, y) in totals {
            let _ = writeln!(out, "{name:<w$} {x:>14} {y:>14} {:>7}", r(x, y));
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<4} {:<e$} {:>10} {:>10} {:>7} {:>9} {:>9} {:>5} {:>5}",
            "#", "export", "fuel a", "fuel b", "b/a", "growth a", "growth b", "pg a", "pg b"
        );
        for c in &self.calls {
            let mark = match (c.ok, c.same_output) {
                ((true, true), true) => "",
                ((false, false), _) => "  both failed",
                (_, true) => "",
                ((true, true), false) => "  outputs differ",
                ((false, _), _) => "  a failed",
                (_, _) => "  b failed",
            };
            let _ = writeln!(
                out,
                "{:<4} {:<e$} {:>10} {:>10} {:>7} {:>9} {:>9} {:>5} {:>5}{mark}",
                c.index,
                c.export,
                c.fuel.0,
                c.fuel.1,
                r(c.fuel.0, c.fuel.1),
                c.growth_fuel.0,
                c.growth_fuel.1,
                c.pages.0,
                c.pages.1,
            );
        }
        out
    }
}

impl Comparison {
    /// The report as markdown: the totals table, then one row per call.
    ///
    /// ```
    /// # use capheap_sim::report::compare::compare;
    /// # use capheap_sim::{Scenario, ScenarioCall, Simulator};
    /// # let grows = |pages: u32| wat::parse_str(format!(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "go") (drop (memory.grow (i32.const {pages})))))"#
    /// # ));
    /// # let (a, b) = (grows(2)?, grows(1)?);
    /// # let sim = Simulator::new();
    /// # let scenario = Scenario::new().call(ScenarioCall::new("go", []).repeat(2));
    /// // Builds "two" and "one" grow memory by 2 pages and 1 page a call.
    /// let cmp = compare(&scenario, ("two", &sim.load(&a)?, &a), ("one", &sim.load(&b)?, &b))?;
    /// let md = cmp.to_markdown();
    /// assert_eq!(md, format!("{}\n{}", cmp.totals_markdown(), cmp.calls_markdown()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_markdown(&self) -> String {
        format!("{}\n{}", self.totals_markdown(), self.calls_markdown())
    }

    /// The totals as a markdown table, with ratios.
    ///
    /// ```
    /// # use capheap_sim::report::compare::compare;
    /// # use capheap_sim::{Scenario, ScenarioCall, Simulator};
    /// # let grows = |pages: u32| wat::parse_str(format!(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "go") (drop (memory.grow (i32.const {pages})))))"#
    /// # ));
    /// # let (a, b) = (grows(2)?, grows(1)?);
    /// # let sim = Simulator::new();
    /// # let scenario = Scenario::new().call(ScenarioCall::new("go", []).repeat(2));
    /// // Builds "two" and "one" grow memory by 2 pages and 1 page a call.
    /// let cmp = compare(&scenario, ("two", &sim.load(&a)?, &a), ("one", &sim.load(&b)?, &b))?;
    /// let md = cmp.totals_markdown();
    /// assert!(md.starts_with("| | two | one | one / two |\n|---|--:|--:|--:|\n"));
    /// assert!(md.contains("| pages at the end | 5 | 3 | 0.600 |"));
    /// // No ratio of two zeros.
    /// assert!(md.contains("| failed calls | 0 | 0 | - |"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn totals_markdown(&self) -> String {
        let (a, b) = (&self.a, &self.b);
        let r = |x: u64, y: u64| show_ratio(ratio_permille(x, y));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| | {} | {} | {} / {} |",
            a.label, b.label, b.label, a.label
        );
        let _ = writeln!(out, "|---|--:|--:|--:|");
        for (name, x, y) in self.totals() {
            let _ = writeln!(out, "| {name} | {x} | {y} | {} |", r(x, y));
        }
        out
    }

    /// One markdown table row per call.
    ///
    /// ```
    /// # use capheap_sim::report::compare::compare;
    /// # use capheap_sim::{Scenario, ScenarioCall, Simulator};
    /// # let grows = |pages: u32| wat::parse_str(format!(
    /// #     r#"(module (memory (export "memory") 1)
    /// #          (func (export "go") (drop (memory.grow (i32.const {pages})))))"#
    /// # ));
    /// # let (a, b) = (grows(2)?, grows(1)?);
    /// # let sim = Simulator::new();
    /// # let scenario = Scenario::new().call(ScenarioCall::new("go", []).repeat(2));
    /// // Builds "two" and "one" grow memory by 2 pages and 1 page a call.
    /// let cmp = compare(&scenario, ("two", &sim.load(&a)?, &a), ("one", &sim.load(&b)?, &b))?;
    /// let md = cmp.calls_markdown();
    /// assert_eq!(md.lines().count(), 2 + 2);
    /// assert!(md.ends_with("| 1 | `go` | 3 | 3 | 1.000 | 0 | 0 | 5 | 3 |\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn calls_markdown(&self) -> String {
        let (a, b) = (&self.a, &self.b);
        let r = |x: u64, y: u64| show_ratio(ratio_permille(x, y));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| # | call | fuel ({0}) | fuel ({1}) | {1} / {0} | growth fuel ({0}) | growth fuel ({1}) | pages ({0}) | pages ({1}) |",
            a.label, b.label
        );
        let _ = writeln!(out, "|--:|---|--:|--:|--:|--:|--:|--:|--:|");
        for c in &self.calls {
            let failed = match c.ok {
                (true, true) => "",
                (false, false) => " (fails on both)",
                _ => " (fails on one)",
            };
            let _ = writeln!(
                out,
                "| {} | `{}`{failed} | {} | {} | {} | {} | {} | {} | {} |",
                c.index,
                c.export,
                c.fuel.0,
                c.fuel.1,
                r(c.fuel.0, c.fuel.1),
                c.growth_fuel.0,
                c.growth_fuel.1,
                c.pages.0,
                c.pages.1
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_to_thousandths_without_floats() {
        assert_eq!(ratio_permille(3, 2), Some(667));
        assert_eq!(show_ratio(ratio_permille(221_564, 169_718)), "0.766");
        assert_eq!(show_ratio(ratio_permille(0, 5)), "-");
        assert_eq!(
            ratio_permille(1, u64::MAX),
            None,
            "too large for u64 thousandths"
        );
        assert_eq!(show_ratio(ratio_permille(4, 4)), "1.000");
    }

    #[test]
    fn gzip_is_deterministic_and_compresses_repetition() {
        let data = vec![7u8; 10_000];
        assert_eq!(gzip_size(&data), gzip_size(&data));
        assert!(gzip_size(&data) < 100);
    }
}
