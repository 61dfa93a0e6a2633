//! `capheap-sim snapshot`: `.gas-snapshot` files, as `forge snapshot` keeps
//! gas. One entry per scenario call: `<scenario>::<step>:<export>` with the
//! fuel of all its repetitions.

use std::path::PathBuf;

use capheap_sim::SnapshotPoint;
use capheap_sim::report::gas_snapshot::{
    GasChange, GasSnapshot, format_basis_points, parse_tolerance,
};
use clap::Args;

use super::replay::{ScenarioReplay, replay_all};
use super::{CliResult, Failure, SimArgs, path_failure};

/// Where the snapshot lives unless `--file` says otherwise.
const DEFAULT_FILE: &str = ".gas-snapshot";

/// Arguments of `snapshot`.
#[derive(Args)]
pub struct SnapshotArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// The snapshot file (relative to the current directory).
    #[arg(long, default_value = DEFAULT_FILE)]
    file: PathBuf,
    /// Write this run's fuel to the file.
    #[arg(long, group = "mode")]
    write: bool,
    /// Compare with the file; exit 3 on any change beyond --tolerance.
    #[arg(long, group = "mode")]
    check: bool,
    /// Print every entry's change against the file (old -> new, change in %).
    #[arg(long, group = "mode")]
    diff: bool,
    /// Allowed change in percent for --check (e.g. 2 or 0.5).
    #[arg(long, default_value = "0", value_parser = parse_tolerance_arg)]
    tolerance: u64,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    sim: SimArgs,
}

fn parse_tolerance_arg(text: &str) -> Result<u64, String> {
    parse_tolerance(text).map_err(|e| e.to_string())
}

/// The entries of one scenario's reference run.
pub fn entries(s: &ScenarioReplay, into: &mut GasSnapshot) {
    for record in &s.report.calls {
        let name = format!("{}::{}:{}", s.name, record.step, record.label);
        let fuel = into.entries.entry(name).or_insert(0);
        *fuel = fuel.saturating_add(record.outcome.fuel.total);
    }
}

/// Writes, checks, diffs or prints the snapshot.
pub fn run(args: SnapshotArgs) -> CliResult {
    let results = replay_all(
        &args.scenarios,
        &args.sim,
        None,
        &[],
        SnapshotPoint::Off,
        args.quiet,
    )?;
    let mut current = GasSnapshot::default();
    for (_, s) in &results {
        entries(s, &mut current);
    }
    if !(args.write || args.check || args.diff) {
        print!("{}", current.render());
        return Ok(());
    }
    if args.write {
        std::fs::write(&args.file, current.render()).map_err(path_failure(&args.file))?;
        eprintln!(
            "wrote {} entries to {}",
            current.entries.len(),
            args.file.display()
        );
        return Ok(());
    }
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::Error(format!(
                "{}: no gas snapshot there yet; record one first with `capheap-sim snapshot \
                 <scenarios> --write{}`",
                args.file.display(),
                if args.file == std::path::Path::new(DEFAULT_FILE) {
                    String::new()
                } else {
                    format!(" --file {}", args.file.display())
                }
            )));
        }
        Err(e) => return Err(path_failure(&args.file)(e)),
    };
    let stored = GasSnapshot::parse(&text).map_err(path_failure(&args.file))?;
    let changes = stored.diff(&current);
    if args.diff {
        for c in &changes {
            println!("{}", c.describe());
        }
        let (old, new) = (
            stored.entries.values().sum::<u64>(),
            current.entries.values().sum::<u64>(),
        );
        let total = GasChange {
            name: "total".into(),
            old: Some(old),
            new: Some(new),
        };
        println!("{}", total.describe());
        return Ok(());
    }
    let outside: Vec<&GasChange> = changes
        .iter()
        .filter(|c| !c.within(args.tolerance))
        .collect();
    for c in &outside {
        println!("{}", c.describe());
    }
    if outside.is_empty() {
        println!(
            "{} entries match {} (tolerance {})",
            changes.len(),
            args.file.display(),
            format_basis_points(i128::from(args.tolerance)).trim_start_matches('+')
        );
        Ok(())
    } else {
        Err(Failure::Findings(format!(
            "{} of {} entries changed beyond the tolerance of {}",
            outside.len(),
            changes.len(),
            format_basis_points(i128::from(args.tolerance)).trim_start_matches('+')
        )))
    }
}
