//! `capheap-sim demo`: the main job. Builds and simulates the checkout's real
//! and example contracts (see [`capheap_sim::demo`]), prints a summary and
//! writes the full report to `target/capheap-report/` ([`demo::REPORT_DIR`]).

use std::path::{Path, PathBuf};

use capheap_sim::demo::{self, DemoReport};
use clap::Args;

use super::progress::bar;
use super::{CliResult, Failure, path_failure};

/// Arguments of `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// The capheap checkout whose contracts and scenarios to run (default:
    /// the current directory or the nearest parent that is one, else the
    /// checkout this binary was built from).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Where to write the report (default: <root>/target/capheap-report).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the report as JSON instead of the summary.
    #[arg(long)]
    json: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
}

/// The checkout to run in: `--root`, else the nearest directory upwards
/// from the current one that is a checkout, else the one this binary was
/// built from (`cargo install --path runtime-sim`).
fn root(args: &DemoArgs) -> Result<PathBuf, Failure> {
    if let Some(root) = &args.root {
        demo::check_root(root)?;
        return Ok(root.clone());
    }
    let cwd = std::env::current_dir()?;
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    demo::find_root(&cwd)
        .or_else(|| demo::find_root(&built_from))
        .ok_or_else(|| {
            Failure::Error(format!(
                "{}: not inside a capheap checkout; the demo runs the repository's contracts and scenarios: run it from a clone, or pass --root <clone>",
                cwd.display()
            ))
        })
}

/// Writes every file of the report into `out` (which `run` made); the
/// index page's path.
fn write(out: &Path, report: &DemoReport) -> Result<PathBuf, Failure> {
    let markdown = report.to_markdown();
    let index = out.join("index.html");
    let files = [
        (
            index.clone(),
            capheap_sim::report::html::page("capheap demo", &markdown),
        ),
        (out.join("report.md"), markdown),
        (
            out.join("report.json"),
            serde_json::to_string_pretty(report)? + "\n",
        ),
        (
            out.join(&report.leak.fuzz.repro_file),
            report.leak.fuzz.repro.clone(),
        ),
    ];
    let charts = report
        .charts
        .iter()
        .map(|(name, svg)| (out.join(name), svg.clone()));
    for (path, text) in files.into_iter().chain(charts) {
        std::fs::write(&path, text).map_err(path_failure(&path))?;
    }
    Ok(index)
}

/// Runs the demo; exit 3 when a result is not what capheap promises.
pub fn run(args: DemoArgs) -> CliResult {
    let root = root(&args)?;
    let progress = bar(demo::STEPS, args.quiet || args.json);
    progress.enable_steady_tick(std::time::Duration::from_millis(200));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join(demo::REPORT_DIR));
    // Made first, so that the reproduction's path to its contract is
    // computed between two directories that exist.
    std::fs::create_dir_all(&out).map_err(path_failure(&out))?;
    let report = demo::run(&root, &out, &mut |step| {
        if progress.position() > 0 || !progress.message().is_empty() {
            progress.inc(1);
        }
        progress.set_message(step.to_owned());
    })?;
    progress.finish_and_clear();
    let index = write(&out, &report)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.summary());
        // Shown relative to the current directory when it is inside it.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = index.strip_prefix(&cwd).unwrap_or(&index);
        println!(
            "\nreport: {} (open it in a browser; report.md, report.json and the charts are beside it)",
            shown.display()
        );
    }
    let problems = report.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Findings(problems.join("; ")))
    }
}
