//! Renders `docs/src/benchmarks.md` from measurements, and judges capheap
//! against its targets. Everything here is computed from the numbers passed
//! in: the page holds no hand-written figure, and no timestamp, so the same
//! measurements give the same bytes.

use std::fmt::Write as _;

use super::{
    CapheapOption, CodeSize, ENTRY_POINTS, PerCall, StaticFuel, SteadyRun, Variant, WorkloadRun,
};

/// The environment the numbers were measured in.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// The command that produced the page.
    pub command: String,
    /// `rustc --version` of the compiler that built the wasm.
    pub rustc: String,
    /// `cargo --version`.
    pub cargo: String,
    /// The wasmi version the simulator links.
    pub wasmi: String,
    /// The pipeline's route(s) that built the wasm.
    pub route: String,
    /// `(crate, version)` of each allocator crate (from `contracts/Cargo.lock`).
    pub crates: Vec<(String, String)>,
    /// The workloads' `n`.
    pub n: u32,
    /// Allocations in the small-object per-call sequence.
    pub calls: u32,
    /// Allocations in the large-buffer per-call sequence.
    pub large_calls: u32,
    /// Rounds of the `vec_push` replay.
    pub growth_rounds: u32,
    /// Calls of the steady-state run.
    pub steady_calls: u32,
    /// Operations per steady-state call.
    pub steady_ops: u32,
}

/// Everything measured of one variant.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Module sizes.
    pub size: CodeSize,
    /// Body bytes of each function, by demangled name.
    pub functions: std::collections::BTreeMap<String, usize>,
    /// Pages of linear memory a fresh instance starts with.
    pub initial_pages: u64,
    /// The linker's `__heap_base`, if exported.
    pub heap_base: Option<u32>,
    /// Static fuel of each of [`ENTRY_POINTS`] (`None`: inlined away).
    pub entry: Vec<Option<StaticFuel>>,
    /// Each workload's run (or why it failed), in [`super::workloads::WORKLOADS`] order.
    pub workloads: Vec<Result<WorkloadRun, String>>,
    /// The small-object per-call sequence (or why it failed): judged.
    pub per_call: Result<PerCall, String>,
    /// The large-buffer per-call sequence (or why it failed): diagnostic.
    pub per_call_large: Result<PerCall, String>,
    /// The `vec_push` replay with reallocs (or why it failed): diagnostic.
    pub per_call_growth: Result<PerCall, String>,
    /// The steady-state run (or why it failed): judged.
    pub steady: Result<SteadyRun, String>,
}

/// One variant's outcome: measured, or why it did not build.
#[derive(Clone, Debug)]
pub struct VariantResult {
    /// The variant.
    pub variant: Variant,
    /// Its measurements, or the build error.
    pub measured: Result<Measured, String>,
    /// `large_buffers` at each window of
    /// [`super::workloads::LARGE_WINDOWS`], from the variant's
    /// `large-windows` build (or why it failed): diagnostic.
    pub windows: Result<Vec<WorkloadRun>, String>,
}

/// One capheap option's outcome: measured, or why it did not build.
#[derive(Clone, Debug)]
pub struct OptionResult {
    /// The option.
    pub option: CapheapOption,
    /// Its measurements, or the build error.
    pub measured: Result<Measured, String>,
}

/// What keeps a run's page from replacing the published one: every variant
/// or option that did not build, every workload that trapped or returned a
/// checksum other than `expected` (in [`super::workloads::WORKLOADS`] order),
/// and every per-call, steady-state or window run that failed, one message
/// each. Empty: the page is complete and every figure on it is sound.
pub fn failures(
    results: &[VariantResult],
    options: &[OptionResult],
    expected: &[u32],
) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        measured_failures(r.variant.name, &r.measured, expected, &mut out);
        if let (Ok(_), Err(e)) = (&r.measured, &r.windows) {
            out.push(format!("{} large windows: {e}", r.variant.name));
        }
    }
    for o in options {
        measured_failures(o.option.name, &o.measured, expected, &mut out);
    }
    out
}

/// [`failures`] of one build's measurements.
fn measured_failures(
    name: &str,
    measured: &Result<Measured, String>,
    expected: &[u32],
    out: &mut Vec<String>,
) {
    let m = match measured {
        Ok(m) => m,
        Err(e) => return out.push(format!("{name} not measured: {e}")),
    };
    let names = workload_names();
    for (i, run) in m.workloads.iter().enumerate() {
        let workload = names.get(i).copied().unwrap_or("?");
        match (run, expected.get(i)) {
            (Ok(r), Some(&want)) if r.checksum == want => {}
            (Ok(r), want) => out.push(format!(
                "{name} {workload}: checksum {:#x}, expected {}",
                r.checksum,
                want.map_or_else(|| "none".to_owned(), |w| format!("{w:#x}"))
            )),
            (Err(e), _) => out.push(format!("{name} {workload}: {e}")),
        }
    }
    for (what, run) in [
        ("small per-call sequence", &m.per_call),
        ("large per-call sequence", &m.per_call_large),
        ("vec_push replay", &m.per_call_growth),
    ] {
        if let Err(e) = run {
            out.push(format!("{name} {what}: {e}"));
        }
    }
    if let Err(e) = &m.steady {
        out.push(format!("{name} steady state: {e}"));
    }
}

/// The workloads' names, in order.
fn workload_names() -> Vec<&'static str> {
    super::workloads::WORKLOADS.iter().map(|w| w.0).collect()
}

/// `1234567` as `1,234,567`.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn signed(v: i64) -> String {
    if v < 0 {
        format!("-{}", thousands(v.unsigned_abs()))
    } else {
        format!("+{}", thousands(v as u64))
    }
}

/// Order statistics of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lower median.
    pub median: u64,
    /// 99th percentile (nearest rank).
    pub p99: u64,
    /// Largest value.
    pub max: u64,
}

impl Stats {
    /// Stats of `values` (all zero when empty).
    pub fn of(values: &[u64]) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        let mut v = values.to_vec();
        v.sort_unstable();
        let rank = (v.len() * 99).div_ceil(100).max(1) - 1;
        Stats {
            median: v[(v.len() - 1) / 2],
            p99: v[rank],
            max: v[v.len() - 1],
        }
    }

    /// `max / median` (infinite for a zero median).
    pub fn spread(&self) -> f64 {
        if self.median == 0 {
            f64::INFINITY
        } else {
            self.max as f64 / self.median as f64
        }
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => format!("{r:.2}x"),
        _ => "n/a".to_owned(),
    }
}

/// A short, single-line form of an error for a table cell.
fn cell_error(e: &str) -> String {
    let line = e
        .lines()
        .find(|l| l.contains("error"))
        .or_else(|| e.lines().next())
        .unwrap_or("")
        .trim()
        .replace('|', "\\|");
    let mut short: String = line.chars().take(90).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    format!("failed: {short}")
}

/// The per-call figures of a variant, if it has them.
fn per_call(v: &VariantResult) -> Option<&PerCall> {
    v.measured.as_ref().ok()?.per_call.as_ref().ok()
}

fn workload(v: &VariantResult, i: usize) -> Option<&WorkloadRun> {
    v.measured.as_ref().ok()?.workloads.get(i)?.as_ref().ok()
}

/// Size buckets of the per-call breakdown: `(low, high)` inclusive.
const SIZE_BUCKETS: [(u32, u32); 5] = [(8, 16), (17, 32), (33, 64), (65, 128), (129, 256)];
/// New-size buckets of the realloc breakdown.
const GROWTH_BUCKETS: [(u32, u32); 3] = [(32, 256), (512, 4096), (8192, 1 << 20)];
/// Size buckets of the large per-call breakdown.
const LARGE_BUCKETS: [(u32, u32); 4] = [
    (1024, 8 * 1024),
    (8 * 1024 + 1, 16 * 1024),
    (16 * 1024 + 1, 32 * 1024),
    (32 * 1024 + 1, 64 * 1024),
];

/// Appends a line.
fn w(md: &mut String, s: &str) {
    md.push_str(s);
    md.push('\n');
}

/// Renders the whole page. `expected` holds the host-computed checksum of
/// each workload; a run that returns another is marked wrong.
pub fn render(
    env: &Env,
    results: &[VariantResult],
    options: &[OptionResult],
    expected: &[u32],
) -> String {
    let mut md = String::new();
    let names = workload_names();
    let bump = results.iter().find(|r| r.variant.name == "bump");
    w(&mut md, "# Allocator benchmarks");
    w(&mut md, "");
    w(
        &mut md,
        "<!-- Generated by the alloc-bench runner from its measurements: do not edit by hand, re-run it. -->",
    );
    w(&mut md, "");
    let _ = writeln!(
        md,
        "Generated by `{}`. Every figure below is measured by that command; re-running it on the same \
         toolchain reproduces this page byte for byte (wasmi fuel is deterministic, and nothing here is a \
         wall-clock time). It writes the page only when every build built and every run returned the \
         checksum the host computes; otherwise it names each failure, leaves the page as it was and exits \
         non-zero.",
        env.command
    );
    w(&mut md, "");
    w(
        &mut md,
        "One contract, `contracts/alloc-bench`, is built once per allocator: the same workload source, with \
         its `#[global_allocator]` chosen by a cargo feature. `bump` is the 20-line allocator that never \
         frees: the floor. `capheap` is `capheap::Heap` and `capheap-mini` capheap's minimal heap, \
         `capheap::mini::MiniHeap` (size classes and a stack-like top, no reuse of large blocks freed \
         below the top until the heap empties), both with the default `Config`. Fuel is the simulator's total for the call: wasmi's execution fuel (one unit per \
         operator, bulk memory operations one unit per 64 bytes) plus page growth, priced flat at \
         1,024 fuel per 64 KiB page (the rate wasmi itself charges for `memory.grow`).",
    );
    w(&mut md, "");
    w(&mut md, "## Setup");
    w(&mut md, "");
    let _ = writeln!(md, "- rustc: `{}`", env.rustc);
    let _ = writeln!(md, "- cargo: `{}`", env.cargo);
    let _ = writeln!(md, "- wasmi: {}", env.wasmi);
    let _ = writeln!(md, "- wasm built with: {}", env.route);
    let _ = writeln!(
        md,
        "- simulator: capheap-sim, growth priced `Flat {{ per_page: {} }}`, page cap {} (wasm32's maximum)",
        super::GROWTH_FUEL_PER_PAGE,
        capheap_sim::limits::WASM32_MAX_PAGES
    );
    w(
        &mut md,
        "- contract profile (forced by the build pipeline): opt-level `z`, LTO, 1 codegen unit, `panic = \"abort\"`",
    );
    let crates: Vec<String> = env.crates.iter().map(|(c, v)| format!("{c} {v}")).collect();
    let _ = writeln!(md, "- allocator crates: {}", crates.join(", "));
    let _ = writeln!(
        md,
        "- workload size: n = {}; per-call sequences: {} small and {} large allocations",
        env.n, env.calls, env.large_calls
    );
    w(&mut md, "");

    w(&mut md, "## Workloads");
    w(&mut md, "");
    w(
        &mut md,
        "Each workload is an export taking `n`, run once on a fresh instance; it returns a checksum that the \
         runner compares with the same code run on the host.",
    );
    w(&mut md, "");
    w(&mut md, "| workload | what it does with n |");
    w(&mut md, "| --- | --- |");
    for (name, what) in [
        (
            "alloc_free",
            "n × allocate one 64-byte `Box`, read it, free it",
        ),
        (
            "vec_push",
            "n short `Vec<u32>`s pushed to 1..=64 elements each, plus one long `Vec<u32>` pushed to 8n",
        ),
        (
            "churn",
            "n small objects of 8..=256 B (fixed-seed PRNG) replacing a random one of 64 live slots",
        ),
        (
            "btree",
            "`BTreeMap<u32, [u8; 32]>`: n inserts of PRNG keys, then every other key removed",
        ),
        (
            "strings",
            "n `alloc::format!` of three fields; every 16th appended to one growing `String`",
        ),
        (
            "large_buffers",
            "n buffers of 1..=64 KiB, filled, replacing a random one of 4 live slots (freed out of order)",
        ),
        (
            "random_sizes",
            "n operations on up to 300 live blocks of 1 B..10 KiB (log-uniform) at alignments of 8 B..2 KiB: \
             a random slot is allocated, reallocated to a new size (shrinking or growing) or freed",
        ),
    ] {
        let _ = writeln!(md, "| `{name}` | {what} |");
    }
    w(&mut md, "");

    // Fuel table.
    let header = |md: &mut String, first: &str| {
        let mut h = format!("| {first} |");
        let mut sep = "| --- |".to_owned();
        for r in results {
            let _ = write!(h, " {} |", r.variant.name);
            sep.push_str(" ---: |");
        }
        w(md, &h);
        w(md, &sep);
    };
    w(&mut md, "### Fuel per workload (ratio to bump)");
    w(&mut md, "");
    header(&mut md, "workload");
    for (i, name) in names.iter().enumerate() {
        let floor = bump.and_then(|b| workload(b, i)).map(|r| r.fuel);
        let mut row = format!("| `{name}` |");
        for r in results {
            let cell = match &r.measured {
                Err(_) => "not built".to_owned(),
                Ok(m) => match &m.workloads[i] {
                    Err(e) => cell_error(e),
                    Ok(run) if Some(&run.checksum) != expected.get(i) => {
                        format!("WRONG CHECKSUM {:#x}", run.checksum)
                    }
                    Ok(run) => format!(
                        "{} ({})",
                        thousands(run.fuel),
                        fmt_ratio(floor.and_then(|f| ratio(run.fuel, f)))
                    ),
                },
            };
            let _ = write!(row, " {cell} |");
        }
        w(&mut md, &row);
    }
    w(&mut md, "");

    w(&mut md, "### Pages grown per workload");
    w(&mut md, "");
    header(&mut md, "workload");
    for (i, name) in names.iter().enumerate() {
        let mut row = format!("| `{name}` |");
        for r in results {
            let cell = match workload(r, i) {
                Some(run) => run.pages_grown.to_string(),
                None => "–".to_owned(),
            };
            let _ = write!(row, " {cell} |");
        }
        w(&mut md, &row);
    }
    w(&mut md, "");

    // Code size.
    w(&mut md, "## Code size");
    w(&mut md, "");
    w(
        &mut md,
        "Whole `.wasm` bytes (custom sections such as `name` included, as built), the same compressed \
         with gzip -9, the code Stylus would store for the module (as `cargo stylus deploy` sends it: \
         printed as text and parsed back, custom sections stripped, its project hash added, brotli \
         at quality 11 behind the 4-byte prefix; EIP-170 caps it \
         at 24,576 bytes and each byte costs 200 gas of code deposit; `capheap-sim check` reports the \
         same for a Stylus or CosmWasm contract), and code-section bytes (function bodies, measured \
         with wasmparser); deltas are against `bump`. The sizes of real contracts built on each allocator \
         (OpenZeppelin's Stylus ERC-20, cw20-base) are on the [real contracts](real-contracts.md) page, \
         generated by `cargo run --release -p capheap-tests --bin real-bench`. The last column is the \
         part of the initial memory above the linker's `__heap_base`: capheap allocates from it before \
         growing, while bump and these peers take fresh pages for their first allocation (each grows \
         memory even in `alloc_free`, whose live data is 64 bytes): part of why capheap grows fewer \
         pages on small workloads.",
    );
    w(&mut md, "");
    w(
        &mut md,
        "| variant | .wasm bytes | Δ vs bump | gzip -9 bytes | Δ vs bump | as Stylus stores it | Δ vs bump | code section bytes | Δ vs bump | initial memory pages | initial bytes above `__heap_base` |",
    );
    w(
        &mut md,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    let bump_size = bump.and_then(|b| b.measured.as_ref().ok()).map(|m| m.size);
    for r in results {
        match &r.measured {
            Ok(m) => {
                let delta = |f: fn(&CodeSize) -> usize| match bump_size {
                    Some(b) => signed(f(&m.size) as i64 - f(&b) as i64),
                    None => "n/a".to_owned(),
                };
                let (dt, dz, ds, dc) = (
                    delta(|s| s.total),
                    delta(|s| s.gzip),
                    delta(|s| s.stylus),
                    delta(|s| s.code),
                );
                let _ = writeln!(
                    md,
                    "| {} | {} | {dt} | {} | {dz} | {} | {ds} | {} | {dc} | {} | {} |",
                    r.variant.name,
                    thousands(m.size.total as u64),
                    thousands(m.size.gzip as u64),
                    thousands(m.size.stylus as u64),
                    thousands(m.size.code as u64),
                    m.initial_pages,
                    m.heap_base.map_or("?".to_owned(), |b| thousands(
                        (m.initial_pages * super::PAGE).saturating_sub(u64::from(b))
                    )),
                );
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | | | | | | | | | |",
                    r.variant.name,
                    cell_error(e)
                );
            }
        }
    }
    w(&mut md, "");

    where_capheap_code_goes(&mut md, results);

    w(&mut md, "### Where the fuel of a call goes");
    w(&mut md, "");
    w(
        &mut md,
        "wasmi 2 charges fuel per region, not per executed operator: entering a function charges every \
         operator of its body that is not inside a `loop`, `if` or `else` (each of those charges its own \
         operators when entered), and `block`/`br_if` do not split a region. LLVM lowers most branches to \
         `block`/`br_if`, so a call costs about the static size of the called function's straight-line \
         body *whichever path runs*: a rarely taken path compiled into a hot function is paid on every \
         call. The static fuel of the allocator's entry points, read from each `.wasm` (\"inlined\": LTO \
         inlined that entry point into its callers, so no such function exists and its code is paid \
         inside theirs; capheap's entry points are bare calls to its engine, which LTO inlines, so the \
         function they call is measured and named):",
    );
    w(&mut md, "");
    let mut h = "| variant |".to_owned();
    let mut sep = "| --- |".to_owned();
    for e in ENTRY_POINTS {
        let _ = write!(h, " `{e}` entry fuel | `{e}` operators |");
        sep.push_str(" ---: | ---: |");
    }
    w(&mut md, &h);
    w(&mut md, &sep);
    for r in results {
        let Ok(m) = &r.measured else { continue };
        let mut row = format!("| {} |", r.variant.name);
        for cost in &m.entry {
            match cost {
                Some(c) => {
                    let via = c.via.map_or(String::new(), |f| format!(" (`{f}`)"));
                    let _ = write!(row, " {}{via} | {} |", c.entry, c.total);
                }
                None => row.push_str(" inlined | – |"),
            }
        }
        w(&mut md, &row);
    }
    w(&mut md, "");

    render_options(&mut md, results, options);

    // Per-call fuel.
    w(&mut md, "## Fuel of one allocator call");
    w(&mut md, "");
    let _ = writeln!(
        md,
        "`one_alloc(size)` and `one_free(ptr, size)` (align 8) called one at a time from the host through a \
         churn sequence on a fresh instance: {} allocations of 8..=256 B (fixed-seed PRNG) into 64 slots, a \
         slot's block freed before the slot is reused, then every block left freed. Each call's fuel is net \
         of the same export called with size 0 / a null pointer, which skips the allocator call, so it is \
         the allocator's own cost (± a few fuel of argument passing). The first allocation pays the allocator's \
         initialisation and every call that grows memory pays 1,024 fuel per page: the last two columns \
         show the worst allocation among those that did not grow memory, and among all but the first.",
        env.calls
    );
    w(&mut md, "");
    render_per_call(&mut md, results, |m| &m.per_call, &SIZE_BUCKETS);
    let _ = writeln!(
        md,
        "The same, for large buffers (a diagnostic, not judged): {} allocations of 1..=64 KiB into 4 \
         slots, freed out of order, as in `large_buffers` but without filling them.",
        env.large_calls
    );
    w(&mut md, "");
    render_per_call(&mut md, results, |m| &m.per_call_large, &LARGE_BUCKETS);
    render_windows(&mut md, env, results);
    let _ = writeln!(
        md,
        "`realloc` as `Vec` growth uses it (a diagnostic, not judged): the allocator calls of `vec_push` \
         replayed one at a time for {} rounds: a `Vec<u32>` allocated at 16 B, doubled by `one_realloc` \
         up to 1..=64 elements and freed, while one long `Vec<u32>` doubles as it gains 8 elements a round.",
        env.growth_rounds
    );
    w(&mut md, "");
    render_growth(&mut md, results);

    render_steady(&mut md, env, results);
    render_targets(&mut md, results, options, expected);
    md
}

/// The measurements of variant `name`, if it was built and measured.
fn measured_of<'a>(results: &'a [VariantResult], name: &str) -> Option<&'a Measured> {
    results
        .iter()
        .find(|r| r.variant.name == name)
        .and_then(|r| r.measured.as_ref().ok())
}

/// A measured build's figures for the options table.
struct OptionFigures {
    /// Code section bytes.
    code: usize,
    /// Total fuel of the workloads (`None` if one failed).
    fuel: Option<u64>,
    /// Total pages the workloads grew (`None` if one failed).
    pages: Option<u64>,
    /// Alloc and free medians of the small per-call sequence.
    medians: Option<(u64, u64)>,
}

fn option_figures(m: &Measured) -> OptionFigures {
    let total = |pick: fn(&WorkloadRun) -> u64| {
        m.workloads
            .iter()
            .map(|r| r.as_ref().ok().map(pick))
            .sum::<Option<u64>>()
    };
    OptionFigures {
        code: m.size.code,
        fuel: total(|r| r.fuel),
        pages: total(|r| r.pages_grown),
        medians: m
            .per_call
            .as_ref()
            .ok()
            .map(|p| (Stats::of(&p.alloc).median, Stats::of(&p.free).median)),
    }
}

/// "What each option costs": the default build of each heap (`capheap`,
/// `capheap-mini`) against one build per option of it, in code bytes and
/// fuel.
fn render_options(md: &mut String, results: &[VariantResult], options: &[OptionResult]) {
    /// Each heap whose options are measured: its variant, how a contract
    /// declares its default configuration, and what that configuration is.
    const BASES: [(&str, &str, &str); 2] = [
        (
            "capheap",
            "`Config::DEFAULT`",
            "no caps, free growth, in-place realloc, no statistics beyond live bytes and failures",
        ),
        (
            "capheap-mini",
            "`MiniHeap::new(Config::DEFAULT)`",
            "`MiniHeap` as above: no caps, free growth, in-place realloc",
        ),
    ];
    let default = |name| measured_of(results, name);
    if default("capheap").is_none() {
        return;
    }
    w(md, "## What each option costs");
    w(md, "");
    w(
        md,
        "Each heap's default build against builds of the same contract with one option changed (an \
         `alloc-bench` feature each). With a constant `Config` in a `static` every option that is off \
         compiles away: a cap that is `None`, a pricing model that is not selected and an absent gas \
         hook generate no code. In-place realloc is on by default and is the one option whose removal \
         takes code out (`Config::realloc_in_place(false)`: every realloc moves); with it, `MiniHeap` \
         is capheap's smallest configuration. Arenas \
         (`capheap::arena`), pools (`capheap::pool`), the host-ABI exports (`export_host_abi!`) and the \
         stats export (`export_stats!`) are generic or opt-in and not linked unless a contract uses \
         them. Fuel and pages grown are the totals of the seven workloads above; the medians are those \
         of the small-object per-call sequence below.",
    );
    w(md, "");
    w(
        md,
        "| build | how to turn it on | what it changes | code section bytes | Δ code | workload fuel | Δ fuel | pages grown | Δ pages | alloc median | free median |",
    );
    w(
        md,
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    let medians = |m: Option<(u64, u64)>| match m {
        Some((a, f)) => format!("{} | {}", thousands(a), thousands(f)),
        None => "n/a | n/a".to_owned(),
    };
    let or_na = |n: Option<u64>| n.map_or("n/a".to_owned(), thousands);
    for (name, how, what) in BASES {
        let Some(default) = default(name) else {
            continue;
        };
        let base = option_figures(default);
        let _ = writeln!(
            md,
            "| {name} | {how} | {what} | {} | – | {} | – | {} | – | {} |",
            thousands(base.code as u64),
            or_na(base.fuel),
            or_na(base.pages),
            medians(base.medians)
        );
        for o in options.iter().filter(|o| o.option.base == name) {
            let lead = format!(
                "| `{}` | {} | {} |",
                o.option.name, o.option.how, o.option.what
            );
            let m = match &o.measured {
                Ok(m) => m,
                Err(e) => {
                    let _ = writeln!(md, "{lead} {} | | | | | | | |", cell_error(e));
                    continue;
                }
            };
            let f = option_figures(m);
            let dfuel = match (f.fuel, base.fuel) {
                (Some(f), Some(f0)) if f0 > 0 => format!(
                    "{} ({:+.1}%)",
                    signed(f as i64 - f0 as i64),
                    (f as f64 / f0 as f64 - 1.0) * 100.0
                ),
                _ => "n/a".to_owned(),
            };
            let dpages = match (f.pages, base.pages) {
                (Some(p), Some(p0)) => signed(p as i64 - p0 as i64),
                _ => "n/a".to_owned(),
            };
            let _ = writeln!(
                md,
                "{lead} {} | {} | {} | {dfuel} | {} | {dpages} | {} |",
                thousands(f.code as u64),
                signed(f.code as i64 - base.code as i64),
                or_na(f.fuel),
                or_na(f.pages),
                medians(f.medians)
            );
        }
    }
    w(md, "");
}

/// The steady-state table.
/// The `large_buffers` run of `r` with `window` live slots, if measured.
fn window_run(r: &VariantResult, window: usize) -> Option<&WorkloadRun> {
    let i = super::workloads::LARGE_WINDOWS
        .iter()
        .position(|&w| w == window)?;
    r.windows.as_ref().ok()?.get(i)
}

/// The freeing variant of `results` that `key` ranks lowest at `window`
/// (the first in report order on a tie), with its figure.
fn lowest_at(
    results: &[VariantResult],
    window: usize,
    key: fn(&WorkloadRun) -> u64,
) -> Option<(&'static str, u64)> {
    results
        .iter()
        .filter(|r| r.variant.frees)
        .filter_map(|r| window_run(r, window).map(|run| (r.variant.name, key(run))))
        .min_by_key(|&(_, v)| v)
}

/// "Large buffers by how many are live": `large_buffers` with 4 to 256 live
/// slots, from each variant's `large-windows` build.
fn render_windows(md: &mut String, env: &Env, results: &[VariantResult]) {
    let windows = super::workloads::LARGE_WINDOWS;
    w(md, "### Large buffers by how many are live");
    w(md, "");
    let _ = write!(
        md,
        "`large_buffers` (n = {}, the same sizes) with {} slots, so that up to that many buffers are \
         live (a diagnostic, not judged): an allocator that searches its free blocks one by one pays \
         for every block it passes. Fuel of the call, with the pages it grew in brackets. These runs \
         come from a second build of each variant with the `large-windows` feature (exports \
         `large_buffers_w<W>`), so the code sizes above stay those of the seven workloads; each \
         checksum is checked against the host's. The last two columns name the allocator that frees \
         with the least fuel and with the fewest pages at that window (on a tie, the first in the \
         table's order).",
        env.n,
        windows
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let large = workload_names().iter().position(|&n| n == "large_buffers");
    let bump = results.iter().find(|r| r.variant.name == "bump");
    if let Some((here, above)) = bump.and_then(|b| {
        Some((
            window_run(b, super::workloads::LARGE_WINDOW)?.fuel,
            workload(b, large?)?.fuel,
        ))
    }) {
        let _ = write!(
            md,
            " The row for {} is `large_buffers` itself, built with the other exports: its own code \
             is laid out differently there (bump: {} fuel here, {} in the workload table), so \
             compare within this table.",
            super::workloads::LARGE_WINDOW,
            thousands(here),
            thousands(above)
        );
    }
    w(md, "");
    w(md, "");
    let mut h = "| live buffers |".to_owned();
    let mut sep = "| ---: |".to_owned();
    for r in results {
        let _ = write!(h, " {} |", r.variant.name);
        sep.push_str(" ---: |");
    }
    h.push_str(" cheapest that frees | fewest pages of those that free |");
    sep.push_str(" --- | --- |");
    w(md, &h);
    w(md, &sep);
    for (i, &window) in windows.iter().enumerate() {
        let mut row = format!("| {window} |");
        for r in results {
            let cell = match (&r.measured, &r.windows) {
                (Err(_), _) => "not built".to_owned(),
                (Ok(_), Err(e)) => cell_error(e),
                (Ok(_), Ok(runs)) => match runs.get(i) {
                    Some(run) => format!("{} ({})", thousands(run.fuel), run.pages_grown),
                    None => "n/a".to_owned(),
                },
            };
            let _ = write!(row, " {cell} |");
        }
        let name_of = |best: Option<(&str, u64)>| {
            best.map_or_else(|| "n/a".to_owned(), |(name, _)| name.to_owned())
        };
        let _ = write!(
            row,
            " {} | {} |",
            name_of(lowest_at(results, window, |run| run.fuel)),
            name_of(lowest_at(results, window, |run| run.pages_grown))
        );
        w(md, &row);
    }
    w(md, "");
}

/// Where `peer`'s lead over capheap on `large_buffers` ends, from the
/// window runs: the first window at which capheap is cheaper, and `peer`'s
/// fuel against capheap's at the largest window (empty without both runs).
fn window_crossover(capheap: &VariantResult, peer: Option<&VariantResult>, name: &str) -> String {
    let windows = super::workloads::LARGE_WINDOWS;
    let Some(peer) = peer else {
        return String::new();
    };
    let pairs: Vec<(usize, u64, u64)> = windows
        .iter()
        .filter_map(|&w| Some((w, window_run(capheap, w)?.fuel, window_run(peer, w)?.fuel)))
        .collect();
    if pairs.len() != windows.len() {
        return String::new();
    }
    let (last, ours, theirs) = pairs[pairs.len() - 1];
    match pairs.iter().find(|&&(_, ours, theirs)| ours < theirs) {
        Some(&(w, ours_w, theirs_w)) => format!(
            " With more buffers live the lead turns (\"Large buffers by how many are live\"): \
             with {w} live capheap is cheaper ({} against {}), and with {last} {name} costs {} \
             capheap's fuel ({} against {}).",
            thousands(ours_w),
            thousands(theirs_w),
            fmt_ratio(ratio(theirs, ours)),
            thousands(theirs),
            thousands(ours)
        ),
        None => format!(
            " {name} stays cheaper with up to {last} buffers live ({} against {}, \
             \"Large buffers by how many are live\").",
            thousands(theirs),
            thousands(ours)
        ),
    }
}

fn render_steady(md: &mut String, env: &Env, results: &[VariantResult]) {
    let _ = writeln!(md, "## Steady state: many calls on one instance");
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "`random_steady` called {} times on one instance, {} operations of `random_sizes` per call on a \
         live set that persists across calls (nothing is freed at the end of a call). An allocator that \
         reuses what it frees stops growing once the live set has reached its peak: the last column is the \
         pages grown after the call with the highest live peak, which should be 0.",
        env.steady_calls, env.steady_ops
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "| variant | pages at start | pages after the peak call | pages at the end | total fuel | pages grown after the peak call |"
    );
    let _ = writeln!(md, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for r in results {
        match r.measured.as_ref().map(|m| &m.steady) {
            Err(_) => {
                let _ = writeln!(md, "| {} | not built | | | | |", r.variant.name);
            }
            Ok(Err(e)) => {
                let _ = writeln!(md, "| {} | {} | | | | |", r.variant.name, cell_error(e));
            }
            Ok(Ok(s)) => {
                let k = s.peak_call();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} (call {}) | {} | {} | {} |",
                    r.variant.name,
                    s.pages_start,
                    s.pages_after.get(k).copied().unwrap_or(0),
                    k + 1,
                    s.pages_after.last().copied().unwrap_or(0),
                    thousands(s.fuel.iter().sum()),
                    s.growth_after_peak()
                );
            }
        }
    }
    let _ = writeln!(md);
}

/// One per-call table (stats and medians by size bucket) for every variant.
fn render_per_call(
    md: &mut String,
    results: &[VariantResult],
    select: impl Fn(&Measured) -> &Result<PerCall, String>,
    buckets: &[(u32, u32)],
) {
    let _ = writeln!(
        md,
        "| variant | alloc median | alloc p99 | alloc max | alloc max/median | free median | free p99 | free max | free max/median | alloc max w/o growth | alloc max after 1st call |"
    );
    let _ = writeln!(
        md,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for r in results {
        match r.measured.as_ref().map(&select) {
            Err(_) => {
                let _ = writeln!(md, "| {} | not built | | | | | | | | | |", r.variant.name);
            }
            Ok(Err(e)) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | | | | | | | | | |",
                    r.variant.name,
                    cell_error(e)
                );
            }
            Ok(Ok(pc)) => {
                let a = Stats::of(&pc.alloc);
                let f = Stats::of(&pc.free);
                let no_grow: Vec<u64> = pc
                    .alloc
                    .iter()
                    .zip(&pc.alloc_grew)
                    .filter(|(_, g)| !**g)
                    .map(|(f, _)| *f)
                    .collect();
                let after_first = Stats::of(pc.alloc.get(1..).unwrap_or(&[])).max;
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.variant.name,
                    thousands(a.median),
                    thousands(a.p99),
                    thousands(a.max),
                    fmt_ratio(Some(a.spread())),
                    thousands(f.median),
                    thousands(f.p99),
                    thousands(f.max),
                    fmt_ratio(Some(f.spread())),
                    thousands(Stats::of(&no_grow).max),
                    thousands(after_first),
                );
            }
        }
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "Median fuel of one allocation by requested size:");
    let _ = writeln!(md);
    let mut h = "| variant |".to_owned();
    let mut sep = "| --- |".to_owned();
    for (lo, hi) in buckets {
        let _ = write!(h, " {} |", bucket_label(*lo, *hi));
        sep.push_str(" ---: |");
    }
    let _ = writeln!(md, "{h}");
    let _ = writeln!(md, "{sep}");
    for r in results {
        let Some(Ok(pc)) = r.measured.as_ref().ok().map(&select) else {
            continue;
        };
        let mut row = format!("| {} |", r.variant.name);
        for (lo, hi) in buckets {
            let fuel: Vec<u64> = pc
                .alloc
                .iter()
                .zip(&pc.alloc_sizes)
                .filter(|(_, s)| (*lo..=*hi).contains(*s))
                .map(|(f, _)| *f)
                .collect();
            let _ = write!(row, " {} |", thousands(Stats::of(&fuel).median));
        }
        let _ = writeln!(md, "{row}");
    }
    let _ = writeln!(md);
}

/// The realloc table of the `vec_push` replay.
fn render_growth(md: &mut String, results: &[VariantResult]) {
    let mut h =
        "| variant | alloc median | free median | realloc median | realloc p99 | realloc max |"
            .to_owned();
    let mut sep = "| --- | ---: | ---: | ---: | ---: | ---: |".to_owned();
    for (lo, hi) in GROWTH_BUCKETS {
        let _ = write!(h, " realloc median to {} |", bucket_label(lo, hi));
        sep.push_str(" ---: |");
    }
    let _ = writeln!(md, "{h}");
    let _ = writeln!(md, "{sep}");
    for r in results {
        match r.measured.as_ref().map(|m| &m.per_call_growth) {
            Err(_) => {
                let _ = writeln!(md, "| {} | not built | | | | | | | |", r.variant.name);
            }
            Ok(Err(e)) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | | | | | | | |",
                    r.variant.name,
                    cell_error(e)
                );
            }
            Ok(Ok(pc)) => {
                let re = Stats::of(&pc.realloc);
                let mut row = format!(
                    "| {} | {} | {} | {} | {} | {} |",
                    r.variant.name,
                    thousands(Stats::of(&pc.alloc).median),
                    thousands(Stats::of(&pc.free).median),
                    thousands(re.median),
                    thousands(re.p99),
                    thousands(re.max)
                );
                for (lo, hi) in GROWTH_BUCKETS {
                    let fuel: Vec<u64> = pc
                        .realloc
                        .iter()
                        .zip(&pc.realloc_sizes)
                        .filter(|(_, s)| (lo..=hi).contains(*s))
                        .map(|(f, _)| *f)
                        .collect();
                    let _ = write!(row, " {} |", thousands(Stats::of(&fuel).median));
                }
                let _ = writeln!(md, "{row}");
            }
        }
    }
    let _ = writeln!(md);
}

fn bucket_label(lo: u32, hi: u32) -> String {
    if lo >= 1024 {
        format!("{}–{} KiB", lo / 1024, hi / 1024)
    } else {
        format!("{lo}–{hi} B")
    }
}

/// A verdict row.
#[derive(Debug, Default)]
struct Verdict {
    target: String,
    measured: String,
    met: Option<bool>,
    gap: String,
    /// Why a missed target is missed, from the measurements (empty if met).
    why: String,
}

/// The general-purpose allocators the memory target compares with (the
/// others that free are built for size: lol_alloc, wee_alloc).
const GENERAL_PURPOSE: [&str; 3] = ["dlmalloc", "talc", "rlsf"];

/// `(peer, pages)` of every peer for which `pages` has a figure.
fn peer_pages(
    peers: &[&VariantResult],
    pages: impl Fn(&VariantResult) -> Option<u64>,
) -> Vec<(&'static str, u64)> {
    peers
        .iter()
        .filter_map(|p| Some((p.variant.name, pages(p)?)))
        .collect()
}

/// The memory target: on every workload (pages grown) and at the steady
/// state's end (pages), capheap uses no more pages than the fewest of
/// dlmalloc, talc and rlsf, and at most one page more than any freeing peer.
/// Each case is `(what, capheap's figure, the peers' figures)`; a case
/// without capheap's figure or one of the three leaves the verdict
/// unmeasured.
fn memory_target(
    cases: impl IntoIterator<Item = (String, Option<u64>, Vec<(&'static str, u64)>)>,
) -> Verdict {
    let (mut misses, mut complete) = (Vec::new(), true);
    // capheap's largest excess over the fewest of the three, and over the
    // fewest of any peer.
    let (mut over_general, mut over_any) = (i64::MIN, i64::MIN);
    for (what, capheap, peers) in cases {
        let fewest = |among: &dyn Fn(&str) -> bool| {
            peers
                .iter()
                .filter(|(p, _)| among(p))
                .min_by_key(|(_, n)| *n)
                .copied()
        };
        // The fewest of the three, only when all three have a figure.
        let general = GENERAL_PURPOSE
            .iter()
            .all(|g| peers.iter().any(|(p, _)| p == g))
            .then(|| fewest(&|p| GENERAL_PURPOSE.contains(&p)))
            .flatten();
        let (Some(c), Some((gp, g)), Some((ap, a))) = (capheap, general, fewest(&|_| true)) else {
            complete = false;
            continue;
        };
        let excess = |f: u64| c as i64 - f as i64;
        over_general = over_general.max(excess(g));
        over_any = over_any.max(excess(a));
        if c > g {
            misses.push(format!("{what}: capheap {c}, {gp} {g} (+{})", c - g));
        }
        if c > a + 1 {
            misses.push(format!(
                "{what}: capheap {c}, {ap} {a} (+{}, more than 1)",
                c - a
            ));
        }
    }
    Verdict {
        target: "pages ≤ the fewest of the general-purpose allocators (dlmalloc, talc, rlsf), and \
                 ≤ +1 page over any freeing peer, on every workload and at the steady state's end"
            .to_owned(),
        measured: if complete {
            format!(
                "capheap's largest excess: {} page(s) over the fewest of the three, {} over \
                 any peer",
                signed(over_general),
                signed(over_any)
            )
        } else {
            "not every allocator has a valid run".to_owned()
        },
        met: complete.then_some(misses.is_empty()),
        gap: misses.join("; "),
        ..Verdict::default()
    }
}

/// Body bytes of an allocator's own functions in a build: those under its
/// crate's module path (capheap: [`super::capheap_part`]), and the global
/// allocator's entry points where they were not inlined away.
fn own_bytes(m: &Measured, krate: &str) -> usize {
    m.functions
        .iter()
        .filter(|(name, _)| {
            let path = name.strip_prefix('<').unwrap_or(name);
            let ours = if krate == "capheap" {
                super::capheap_part(name).is_some()
            } else {
                path.starts_with(krate) && path[krate.len()..].starts_with("::")
            };
            ours || super::ENTRY_POINTS.iter().any(|e| name.ends_with(e))
        })
        .map(|(_, &bytes)| bytes)
        .sum()
}

/// The largest of a capheap build's own functions: `(short name, bytes)`.
fn largest_capheap_fn(m: &Measured) -> Option<(String, usize)> {
    m.functions
        .iter()
        .filter(|(name, _)| {
            super::capheap_part(name).is_some()
                && !super::ENTRY_POINTS.iter().any(|e| name.ends_with(e))
        })
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(name, &bytes)| {
            let short = name.rsplit("::").next().unwrap_or(name);
            (format!("`{short}`"), bytes)
        })
}

/// Why `winner` is cheaper than capheap on `workload`: the per-call
/// medians of the diagnostic sequence that matches it.
fn fuel_miss_why(
    workload: &str,
    peer: &str,
    capheap: &VariantResult,
    winner: Option<&VariantResult>,
) -> String {
    let large = workload == "large_buffers";
    let pick = |r: &VariantResult| -> Option<(u64, u64)> {
        let m = r.measured.as_ref().ok()?;
        let pc = if large {
            &m.per_call_large
        } else {
            &m.per_call
        };
        pc.as_ref().ok().map(medians)
    };
    let (kind, table) = if large {
        ("large", "the large-buffer per-call table")
    } else {
        ("small", "the small-object per-call table")
    };
    let Some(((ca, cf), (pa, pf))) = pick(capheap).zip(winner.and_then(pick)) else {
        return format!("On `{workload}` {peer} is cheaper; no per-call figures say where.");
    };
    let mut why = format!(
        "On `{workload}`, a median {kind} allocation and free cost capheap {} + {} fuel and \
         {peer} {} + {} ({table}).",
        thousands(ca),
        thousands(cf),
        thousands(pa),
        thousands(pf)
    );
    if large {
        why.push_str(
            " capheap's large path keeps size-class lists, splits and coalesces, and wasmi \
             charges each function it enters whole, whichever branch runs (see \"Where the fuel \
             of a call goes\").",
        );
        if peer == "lol_alloc" {
            why.push_str(
                " lol_alloc walks one first-fit list, which stays short with 4 buffers live.",
            );
        }
        why.push_str(&window_crossover(capheap, winner, peer));
    }
    why
}

/// Why the capheap build `ours` has more code than `peer`: the two
/// allocators' own bytes, capheap's largest function, and what capheap
/// carries that the peer does not.
fn code_size_why(ours: &str, o: &Measured, peer: &str, m: &Measured, bump: &Measured) -> String {
    let inlined = m.entry.iter().filter(|e| e.is_none()).count();
    let gzip_delta = |x: &Measured| signed(x.size.gzip as i64 - bump.size.gzip as i64);
    let stylus_delta = |x: &Measured| signed(x.size.stylus as i64 - bump.size.stylus as i64);
    let mut why = format!(
        "{ours}'s own functions are {} bytes, {peer}'s {}{}. Compressed (gzip -9, over bump) \
         {ours} is {} and {peer} {}; as Stylus stores it (brotli, over bump) {} and {}.",
        thousands(own_bytes(o, "capheap") as u64),
        thousands(own_bytes(m, peer) as u64),
        if inlined > 0 {
            format!(" (plus {inlined} inlined entry points, counted in the rest of its delta)")
        } else {
            String::new()
        },
        gzip_delta(o),
        gzip_delta(m),
        stylus_delta(o),
        stylus_delta(m)
    );
    if let Some((name, bytes)) = largest_capheap_fn(o) {
        let _ = write!(
            why,
            " The largest of {ours}'s is {name}, {} bytes.",
            thousands(bytes as u64)
        );
    }
    if ours == "capheap" {
        why.push_str(
            " `Heap` is two allocators in one (headerless small-object runs on class lists, and \
         boundary-tagged large blocks with segregated fits), plus growth through the meter \
         with foreign-growth sealing and in-place realloc: one function per path, and a \
         constant `Config` already compiles away every option that is off (\"What each option \
         costs\"). `MiniHeap` is the configuration for code size.",
        );
    } else {
        // A `-moving` configuration has no in-place realloc to claim.
        let realloc = if ours.ends_with("-moving") {
            ""
        } else {
            ", in-place realloc"
        };
        let _ = write!(
            why,
            " `MiniHeap` keeps what a chain needs and the peer does not have: caps, growth priced \
             through the meter with a budget and a gas hook, typed failures with counters, foreign \
             growth{realloc} and reset when empty."
        );
    }
    why
}

/// Median fuel of one allocation and one free in a per-call sample.
fn medians(pc: &PerCall) -> (u64, u64) {
    (Stats::of(&pc.alloc).median, Stats::of(&pc.free).median)
}

fn render_targets(
    md: &mut String,
    results: &[VariantResult],
    options: &[OptionResult],
    expected: &[u32],
) {
    let names = workload_names();
    let _ = writeln!(md, "## capheap against its targets");
    let _ = writeln!(md);
    let capheap = results.iter().find(|r| r.variant.name == "capheap");
    let bump = results.iter().find(|r| r.variant.name == "bump");
    let (Some(capheap), Some(bump)) = (capheap, bump) else {
        let _ = writeln!(md, "Not judged: capheap or bump was not part of this run.");
        return;
    };
    if let Err(e) = &capheap.measured {
        let _ = writeln!(
            md,
            "Not judged: the capheap variant did not build on this toolchain:\n\n```text\n{}\n```",
            e.trim()
        );
        return;
    }
    let peers: Vec<&VariantResult> = results
        .iter()
        .filter(|r| r.variant.frees && !r.variant.name.starts_with("capheap"))
        .collect();
    let idx = |name: &str| names.iter().position(|n| *n == name).unwrap_or(0);
    fn good<'a>(r: &'a VariantResult, i: usize, expected: &[u32]) -> Option<&'a WorkloadRun> {
        workload(r, i).filter(|run| Some(&run.checksum) == expected.get(i))
    }
    let mut verdicts = Vec::new();

    for (name, limit) in [
        ("alloc_free", 1.3),
        ("churn", 1.3),
        ("btree", 1.1),
        ("strings", 1.1),
        ("large_buffers", 0.95),
    ] {
        let i = idx(name);
        let target = format!("`{name}` fuel ≤ {limit:.2}x bump");
        let v = match (good(capheap, i, expected), good(bump, i, expected)) {
            (Some(c), Some(b)) => {
                let r = c.fuel as f64 / b.fuel as f64;
                let allowed = (b.fuel as f64 * limit).floor() as u64;
                let met = c.fuel <= allowed;
                Verdict {
                    target,
                    measured: format!("{:.3}x ({} vs {})", r, thousands(c.fuel), thousands(b.fuel)),
                    met: Some(met),
                    gap: if met {
                        format!("{} fuel of headroom", thousands(allowed - c.fuel))
                    } else {
                        format!(
                            "over by {} fuel ({:.1}% above the {} allowed)",
                            thousands(c.fuel - allowed),
                            (c.fuel as f64 / allowed as f64 - 1.0) * 100.0,
                            thousands(allowed)
                        )
                    },
                    why: if met {
                        String::new()
                    } else {
                        "the per-call tables below show which calls cost the difference".to_owned()
                    },
                }
            }
            _ => Verdict {
                target,
                measured: "no valid run".to_owned(),
                ..Verdict::default()
            },
        };
        verdicts.push(v);
    }

    // Cheaper than every freeing peer, and no more pages than the fewest.
    let mut fuel_misses = Vec::new();
    let mut fuel_whys = Vec::new();
    let mut page_misses = Vec::new();
    let mut incomplete = false;
    for (i, name) in names.iter().enumerate() {
        let Some(c) = good(capheap, i, expected) else {
            incomplete = true;
            continue;
        };
        let runs: Vec<(&str, &WorkloadRun)> = peers
            .iter()
            .filter_map(|p| good(p, i, expected).map(|run| (p.variant.name, run)))
            .collect();
        if let Some((peer, best)) = runs.iter().min_by_key(|(_, run)| run.fuel)
            && c.fuel >= best.fuel
        {
            fuel_misses.push(format!(
                "`{name}`: {peer} {} vs capheap {} (+{:.1}%)",
                thousands(best.fuel),
                thousands(c.fuel),
                (c.fuel as f64 / best.fuel as f64 - 1.0) * 100.0
            ));
            let winner = peers.iter().find(|p| p.variant.name == *peer);
            fuel_whys.push(fuel_miss_why(name, peer, capheap, winner.copied()));
        }
        if let Some((peer, fewest)) = runs.iter().min_by_key(|(_, run)| run.pages_grown)
            && c.pages_grown > fewest.pages_grown
        {
            page_misses.push(format!(
                "`{name}`: {peer} {} vs capheap {} (+{})",
                fewest.pages_grown,
                c.pages_grown,
                c.pages_grown - fewest.pages_grown
            ));
        }
    }
    let peer_names: Vec<&str> = peers.iter().map(|p| p.variant.name).collect();
    verdicts.push(Verdict {
        target: "fuel < every freeing peer on every workload".to_owned(),
        measured: format!("peers measured: {}", peer_names.join(", ")),
        met: (!incomplete).then_some(fuel_misses.is_empty()),
        gap: if fuel_misses.is_empty() {
            String::new()
        } else {
            format!("cheapest peer wins on {}", fuel_misses.join("; "))
        },
        why: fuel_whys.join(" "),
    });
    let capheap_pages: Vec<String> = (0..names.len())
        .map(|i| good(capheap, i, expected).map_or("–".to_owned(), |r| r.pages_grown.to_string()))
        .collect();
    // Steady state.
    let steady_ok = capheap
        .measured
        .as_ref()
        .ok()
        .and_then(|m| m.steady.as_ref().ok());
    verdicts.push(Verdict {
        target: "steady state: no growth after the call with the highest live peak".to_owned(),
        measured: steady_ok.map_or("no valid run".to_owned(), |s| {
            format!(
                "{} pages grown after call {} of {}",
                s.growth_after_peak(),
                s.peak_call() + 1,
                s.peaks.len()
            )
        }),
        met: steady_ok.map(|s| s.growth_after_peak() == 0),
        ..Verdict::default()
    });
    let steady_end = |r: &VariantResult| {
        r.measured
            .as_ref()
            .ok()
            .and_then(|m| m.steady.as_ref().ok())
            .and_then(|s| s.pages_after.last().copied())
    };
    let fewest = peers
        .iter()
        .filter_map(|p| steady_end(p).map(|n| (p.variant.name, n)))
        .min_by_key(|(_, n)| *n);
    verdicts.push(Verdict {
        target: "steady state: pages at the end ≤ the fewest of any freeing peer".to_owned(),
        measured: match (steady_end(capheap), fewest) {
            (Some(c), Some((peer, f))) => format!("capheap {c}, fewest {f} ({peer})"),
            _ => "no valid run".to_owned(),
        },
        met: match (steady_end(capheap), fewest) {
            (Some(c), Some((_, f))) => Some(c <= f),
            _ => None,
        },
        gap: match (steady_end(capheap), fewest) {
            (Some(c), Some((_, f))) if c > f => format!("+{} page(s)", c - f),
            _ => String::new(),
        },
        why: match (steady_end(capheap), fewest) {
            (Some(c), Some((peer, f))) if c > f => {
                let total = |r: &VariantResult| -> Option<u64> {
                    Some(r.measured.as_ref().ok()?.steady.as_ref().ok()?.fuel.iter().sum())
                };
                let winner = peers.iter().find(|p| p.variant.name == peer);
                match (total(capheap), winner.and_then(|w| total(w))) {
                    (Some(cf), Some(pf)) => format!(
                        "{peer} fits the same live set in {f} pages but spends {} capheap's fuel on \
                         the run ({} vs {}). capheap finds a fit in a few operations from its size \
                         classes; an allocator that searches its free blocks can place them tighter, \
                         at that cost.",
                        fmt_ratio(ratio(pf, cf)),
                        thousands(pf),
                        thousands(cf)
                    ),
                    _ => String::new(),
                }
            }
            _ => String::new(),
        },
    });
    verdicts.push(Verdict {
        target: "pages grown ≤ the fewest of any freeing peer on every workload".to_owned(),
        measured: format!("capheap: {} (workload order)", capheap_pages.join(", ")),
        met: (!incomplete).then_some(page_misses.is_empty()),
        gap: page_misses.join("; "),
        ..Verdict::default()
    });
    let steady_pages = |r: &VariantResult| steady_end(r).map(u64::from);
    verdicts.push(memory_target(
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let pages = |r: &VariantResult| good(r, i, expected).map(|run| run.pages_grown);
                (
                    format!("`{name}` (pages grown)"),
                    pages(capheap),
                    peer_pages(&peers, pages),
                )
            })
            .chain(std::iter::once((
                "steady state (pages at the end)".to_owned(),
                steady_pages(capheap),
                peer_pages(&peers, steady_pages),
            ))),
    ));

    // Code size.
    if let (Ok(c), Ok(b)) = (&capheap.measured, &bump.measured) {
        let measured = |name| measured_of(results, name);
        type Measure = fn(&CodeSize) -> usize;
        let measures: [(&str, Measure); 2] = [(".wasm", |s| s.total), ("code section", |s| s.code)];
        for (what, size) in measures {
            let (cv, bv) = (size(&c.size), size(&b.size));
            // The freeing peer with the smallest delta by this measure.
            let smallest_peer = peers
                .iter()
                .filter_map(|p| {
                    let m = p.measured.as_ref().ok()?;
                    Some((p.variant.name, size(&m.size) as i64 - bv as i64))
                })
                .min_by_key(|&(_, d)| d);
            let delta = cv as i64 - bv as i64;
            let met = delta <= 1000;
            verdicts.push(Verdict {
                target: format!("{what} size ≤ bump + 1,000 bytes"),
                measured: format!("{} bytes ({} vs bump)", thousands(cv as u64), signed(delta)),
                met: Some(met),
                gap: if met {
                    format!("{} bytes of headroom", thousands((1000 - delta) as u64))
                } else {
                    format!("over by {} bytes", thousands((delta - 1000) as u64))
                },
                why: match smallest_peer {
                    Some((peer, d)) if !met => format!(
                        "capheap's own functions are {} bytes (\"Where capheap's code goes\"); no \
                         allocator that frees fits in 1,000 bytes here: the smallest {what} delta \
                         of the freeing peers is {peer}'s, {}.",
                        thousands(own_bytes(c, "capheap") as u64),
                        signed(d)
                    ),
                    _ => String::new(),
                },
            });
        }
        // The smallest measured configuration of `MiniHeap`: its default or
        // one of its options ("What each option costs").
        let mini = std::iter::once(("capheap-mini", measured("capheap-mini")))
            .chain(
                options
                    .iter()
                    .filter(|o| o.option.base == "capheap-mini")
                    .map(|o| (o.option.name, o.measured.as_ref().ok())),
            )
            .filter_map(|(name, m)| Some((name, m?)))
            .min_by_key(|(_, m)| m.size.code);
        let ours = [
            (
                "default `Heap`",
                measured("capheap").map(|m| ("capheap", m)),
                "talc",
            ),
            ("smallest `MiniHeap` configuration", mini, "lol_alloc"),
        ];
        for (what, ours, peer) in ours {
            let (Some((ours, o)), Some(m)) = (ours, measured(peer)) else {
                continue;
            };
            let d = o.size.code as i64 - b.size.code as i64;
            let p = m.size.code as i64 - b.size.code as i64;
            let why = if d > p {
                code_size_why(ours, o, peer, m, b)
            } else {
                String::new()
            };
            verdicts.push(Verdict {
                target: format!("code section of the {what} ≤ {peer}'s (over bump)"),
                measured: format!("{ours} {}, {peer} {}", signed(d), signed(p)),
                met: Some(d <= p),
                gap: if d <= p {
                    format!("{} bytes of headroom", thousands((p - d) as u64))
                } else {
                    format!("over by {} bytes", thousands((d - p) as u64))
                },
                why,
            });
        }
    }

    // Per-call spread.
    match per_call(capheap) {
        Some(pc) => {
            for (what, values) in [("alloc", &pc.alloc), ("free", &pc.free)] {
                let s = Stats::of(values);
                let limit = s.median.saturating_mul(3);
                let met = s.max <= limit;
                verdicts.push(Verdict {
                    target: format!("max fuel of one {what} ≤ 3x its median"),
                    measured: format!(
                        "median {}, max {} ({})",
                        thousands(s.median),
                        thousands(s.max),
                        fmt_ratio(Some(s.spread()))
                    ),
                    met: Some(met),
                    gap: if met {
                        String::new()
                    } else {
                        let over: Vec<usize> = values
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| **v > limit)
                            .map(|(i, _)| i)
                            .collect();
                        let rest = Stats::of(values.get(1..).unwrap_or(&[]));
                        format!(
                            "max over 3x median by {} fuel; {} of {} calls above 3x median (call #{} first); \
                             without the first call: max {} ({})",
                            thousands(s.max - limit),
                            over.len(),
                            values.len(),
                            over.first().map_or(0, |i| i + 1),
                            thousands(rest.max),
                            fmt_ratio(Some(rest.max as f64 / s.median.max(1) as f64))
                        )
                    },
                    why: match values.iter().position(|v| *v > limit) {
                        Some(0) if values.get(1..).is_some_and(|r| r.iter().all(|v| *v <= limit)) => {
                            format!(
                                "only the first {what} is over: it sets the heap up (reads the heap \
                                 base and the memory size, sets the limits), once per instance."
                            )
                        }
                        Some(_) => format!(
                            "{} of {} calls are over; the per-call table below shows their sizes.",
                            values.iter().filter(|v| **v > limit).count(),
                            values.len()
                        ),
                        None => String::new(),
                    },
                });
            }
        }
        None => verdicts.push(Verdict {
            target: "max fuel of one alloc/free ≤ 3x its median".to_owned(),
            measured: "no valid per-call run".to_owned(),
            ..Verdict::default()
        }),
    }

    let _ = writeln!(md, "| target | measured | met? | gap |");
    let _ = writeln!(md, "| --- | --- | --- | --- |");
    for v in &verdicts {
        let met = match v.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(md, "| {} | {} | {met} | {} |", v.target, v.measured, v.gap);
    }
    let met = verdicts.iter().filter(|v| v.met == Some(true)).count();
    let _ = writeln!(md);
    let _ = writeln!(md, "{met} of {} targets met.", verdicts.len());
    let missed: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| v.met == Some(false) && !v.why.is_empty())
        .collect();
    if !missed.is_empty() {
        let _ = writeln!(md);
        let _ = writeln!(md, "### Why the missed targets are missed");
        let _ = writeln!(md);
        for v in missed {
            let _ = writeln!(md, "- **{}**: {}", v.target, v.why);
        }
    }
}

/// The code-section delta of the capheap build over bump, by part of
/// capheap: the bytes of its functions, grouped by module, and the rest
/// (workload and library code that LTO inlined or laid out differently).
fn where_capheap_code_goes(md: &mut String, results: &[VariantResult]) {
    let measured = |name| measured_of(results, name);
    let (Some(capheap), Some(bump)) = (measured("capheap"), measured("bump")) else {
        return;
    };
    let mut parts: std::collections::BTreeMap<String, (usize, usize)> =
        std::collections::BTreeMap::new();
    let mut own = 0usize;
    for (name, &bytes) in &capheap.functions {
        if let Some(part) = super::capheap_part(name) {
            let entry = parts.entry(part).or_default();
            entry.0 += 1;
            entry.1 += bytes;
            own += bytes;
        }
    }
    let bump_own: usize = bump
        .functions
        .iter()
        .filter(|(name, _)| super::capheap_part(name).is_some())
        .map(|(_, &bytes)| bytes)
        .sum();
    let delta = capheap.size.code as i64 - bump.size.code as i64;
    let mut rows: Vec<(String, (usize, usize))> = parts.into_iter().collect();
    rows.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(&b.0)));
    w(md, "### Where capheap's code goes");
    w(md, "");
    w(
        md,
        "The capheap build's functions that are capheap's own (by the module path of their demangled \
         names in the `name` section; the global allocator's entry points, which bump has too, \
         counted whole), with their body bytes. What remains of the code-section delta is the \
         workload and `alloc` code that LTO inlined or laid out differently around the other \
         allocator, and the function count's encoding.",
    );
    w(md, "");
    w(md, "| part of capheap | functions | body bytes |");
    w(md, "| --- | ---: | ---: |");
    for (part, (count, bytes)) in &rows {
        let _ = writeln!(md, "| {part} | {count} | {} |", thousands(*bytes as u64));
    }
    let _ = writeln!(
        md,
        "| **capheap, in all** | | **{}** |\n| bump's entry points | | {} |\n| the rest of the delta | | {} |\n| **code-section delta over bump** | | **{}** |",
        thousands(own as u64),
        signed(-(bump_own as i64)),
        signed(delta - own as i64 + bump_own as i64),
        signed(delta)
    );
    w(md, "");
}

#[cfg(test)]
mod option_tests {
    use super::*;

    /// A measurement with `code` bytes of code section, workloads of
    /// `fuels` (a `None` failed), and one small per-call sample.
    fn measured(code: usize, fuels: &[Option<u64>], alloc: u64, free: u64) -> Measured {
        let workloads = fuels
            .iter()
            .map(|f| {
                f.map(|fuel| WorkloadRun {
                    fuel,
                    pages_grown: 0,
                    checksum: 0,
                })
                .ok_or_else(|| "trapped".to_owned())
            })
            .collect();
        Measured {
            size: CodeSize {
                total: code,
                code,
                gzip: code / 2,
                stylus: code / 3,
            },
            functions: Default::default(),
            initial_pages: 17,
            heap_base: None,
            entry: Vec::new(),
            workloads,
            per_call: Ok(PerCall {
                alloc: vec![alloc],
                free: vec![free],
                ..PerCall::default()
            }),
            per_call_large: Err("not run".to_owned()),
            per_call_growth: Err("not run".to_owned()),
            steady: Err("not run".to_owned()),
        }
    }

    /// Window runs with these fuels and pages, in `LARGE_WINDOWS` order.
    fn window_runs(fuel: [u64; 4], pages: [u64; 4]) -> Result<Vec<WorkloadRun>, String> {
        Ok(fuel
            .into_iter()
            .zip(pages)
            .map(|(fuel, pages_grown)| WorkloadRun {
                fuel,
                pages_grown,
                checksum: 0,
            })
            .collect())
    }

    #[test]
    fn the_window_table_names_the_cheapest_and_the_tightest_at_each_window() {
        use super::super::VARIANTS;
        let (bump, capheap, dl, lol) = (VARIANTS[0], VARIANTS[1], VARIANTS[3], VARIANTS[6]);
        assert_eq!(
            (bump.name, capheap.name, dl.name, lol.name),
            ("bump", "capheap", "dlmalloc", "lol_alloc")
        );
        let results = [
            // The floor is cheapest everywhere, but it never frees.
            VariantResult {
                variant: bump,
                measured: Ok(measured(10_000, &[], 71, 0)),
                windows: window_runs([100, 100, 100, 100], [1_000, 1_000, 1_000, 1_000]),
            },
            VariantResult {
                variant: capheap,
                measured: Ok(measured(15_000, &[], 44, 50)),
                windows: window_runs([900, 950, 1_000, 1_100], [5, 14, 46, 159]),
            },
            VariantResult {
                variant: dl,
                measured: Ok(measured(16_000, &[], 900, 300)),
                windows: Err("large_buffers_w64(2000): trapped".to_owned()),
            },
            VariantResult {
                variant: lol,
                measured: Ok(measured(11_000, &[], 1_009, 280)),
                windows: window_runs([800, 1_000, 2_000, 5_500], [5, 17, 40, 165]),
            },
        ];
        let env = Env {
            n: 2000,
            ..Env::default()
        };
        let mut md = String::new();
        render_windows(&mut md, &env, &results);
        assert!(
            md.contains("(n = 2000, the same sizes) with 4, 16, 64, 256 slots"),
            "{md}"
        );
        assert_eq!(
            row(&md, "| live buffers |"),
            "| live buffers | bump | capheap | dlmalloc | lol_alloc | cheapest that frees | \
             fewest pages of those that free |"
        );
        // A tie on pages goes to the first in report order.
        assert_eq!(
            row(&md, "| 4 |"),
            "| 4 | 100 (1000) | 900 (5) | failed: large_buffers_w64(2000): trapped | 800 (5) | \
             lol_alloc | capheap |"
        );
        assert_eq!(
            row(&md, "| 16 |"),
            "| 16 | 100 (1000) | 950 (14) | failed: large_buffers_w64(2000): trapped | 1,000 (17) | \
             capheap | capheap |"
        );
        assert!(
            row(&md, "| 64 |").ends_with("| capheap | lol_alloc |"),
            "{md}"
        );
        assert!(
            row(&md, "| 256 |").ends_with("| capheap | capheap |"),
            "{md}"
        );
        // Without a peer's windows, the fuel explanation adds nothing.
        assert_eq!(
            window_crossover(&results[1], Some(&results[2]), "dlmalloc"),
            ""
        );
        assert_eq!(window_crossover(&results[1], None, "dlmalloc"), "");
        // A peer cheaper at every window is said to be.
        let always = VariantResult {
            variant: lol,
            measured: Ok(measured(11_000, &[], 1_009, 280)),
            windows: window_runs([800, 900, 950, 1_000], [5, 17, 48, 165]),
        };
        assert_eq!(
            window_crossover(&results[1], Some(&always), "lol_alloc"),
            " lol_alloc stays cheaper with up to 256 buffers live (1,000 against 1,100, \
             \"Large buffers by how many are live\")."
        );
    }

    fn row<'a>(md: &'a str, lead: &str) -> &'a str {
        md.lines()
            .find(|l| l.starts_with(lead))
            .unwrap_or_else(|| panic!("no row {lead:?} in\n{md}"))
    }

    #[test]
    fn each_option_is_measured_against_the_default_build() {
        let capheap = super::super::VARIANTS[1];
        assert_eq!(capheap.name, "capheap");
        // Pages grown per workload, set on a measurement.
        let with_pages = |mut m: Measured, pages: [u64; 2]| {
            for (run, p) in m.workloads.iter_mut().zip(pages) {
                if let Ok(run) = run {
                    run.pages_grown = p;
                }
            }
            m
        };
        let results = [VariantResult {
            variant: capheap,
            measured: Ok(with_pages(
                measured(20_000, &[Some(1_000), Some(3_000)], 44, 50),
                [1, 5],
            )),
            windows: Err("not run".to_owned()),
        }];
        let opts = super::super::CAPHEAP_OPTIONS;
        let options = [
            OptionResult {
                option: opts[0],
                measured: Ok(measured(21_098, &[Some(1_100), Some(3_300)], 73, 68)),
            },
            OptionResult {
                option: opts[4],
                measured: Ok(with_pages(
                    measured(19_300, &[Some(960), Some(3_000)], 44, 50),
                    [2, 5],
                )),
            },
            OptionResult {
                option: opts[1],
                measured: Ok(measured(19_990, &[Some(900), None], 44, 50)),
            },
            OptionResult {
                option: opts[2],
                measured: Err("error: could not compile".to_owned()),
            },
        ];
        let mut md = String::new();
        render_options(&mut md, &results, &options);
        assert_eq!(
            row(&md, "| capheap |"),
            "| capheap | `Config::DEFAULT` | no caps, free growth, in-place realloc, no statistics \
             beyond live bytes and failures | 20,000 | – | 4,000 | – | 6 | – | 44 | 50 |"
        );
        let stats = row(&md, "| `capheap-stats` |");
        assert!(
            stats.ends_with("| 21,098 | +1,098 | 4,400 | +400 (+10.0%) | 0 | -6 | 73 | 68 |"),
            "{stats}"
        );
        // An option that removes code: negative deltas, and the page it costs.
        let moving = row(&md, "| `capheap-moving` |");
        assert!(
            moving.ends_with("| 19,300 | -700 | 3,960 | -40 (-1.0%) | 7 | +1 | 44 | 50 |"),
            "{moving}"
        );
        // A failed workload leaves fuel and pages unknown, not understated.
        let caps = row(&md, "| `capheap-caps` |");
        assert!(
            caps.ends_with("| 19,990 | -10 | n/a | n/a | n/a | n/a | 44 | 50 |"),
            "{caps}"
        );
        let metered = row(&md, "| `capheap-metered` |");
        assert!(
            metered.contains("failed: error: could not compile"),
            "{metered}"
        );
        assert!(
            !md.contains("capheap-debug"),
            "only the measured options are listed"
        );
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(table.len(), 7, "header, rule, default and four options");
        for line in &table {
            assert_eq!(line.matches('|').count(), 12, "eleven cells: {line}");
        }
    }

    #[test]
    fn every_missed_target_says_why_from_the_measurements() {
        use super::super::VARIANTS;
        let (bump, capheap, lol) = (VARIANTS[0], VARIANTS[1], VARIANTS[6]);
        assert_eq!(
            (bump.name, capheap.name, lol.name),
            ("bump", "capheap", "lol_alloc")
        );
        let names = workload_names();
        let large = names.iter().position(|n| *n == "large_buffers").unwrap();
        // Every workload costs 1,000 fuel, but `large_buffers`, where lol_alloc
        // (800) beats capheap (900).
        let fuels = |lb: u64| -> Vec<Option<u64>> {
            (0..names.len())
                .map(|i| Some(if i == large { lb } else { 1_000 }))
                .collect()
        };
        let large_calls = |alloc: u64, free: u64| PerCall {
            alloc: vec![alloc],
            free: vec![free],
            ..PerCall::default()
        };
        let mut c = measured(15_000, &fuels(900), 44, 50);
        c.functions = [
            ("capheap::engine::Core::alloc".to_owned(), 300),
            (
                "capheap::engine::grow::<impl capheap::engine::Core>::room_slow".to_owned(),
                700,
            ),
            ("__rust_alloc".to_owned(), 10),
            ("alloc_bench::workloads::churn".to_owned(), 5_000),
        ]
        .into();
        c.per_call_large = Ok(large_calls(257, 240));
        // The first allocation is over 3x the median; the others are not.
        c.per_call.as_mut().unwrap().alloc = vec![180, 44, 44];
        let mut l = measured(11_000, &fuels(800), 1_009, 280);
        l.functions = [
            (
                "<lol_alloc::free_list_allocator::FreeListAllocator<T> as \
                 core::alloc::global::GlobalAlloc>::dealloc"
                    .to_owned(),
                224,
            ),
            ("lol_allocator::not_it".to_owned(), 99),
            ("__rust_realloc".to_owned(), 60),
        ]
        .into();
        l.per_call_large = Ok(large_calls(118, 104));
        // lol_alloc's lead on large buffers ends at 16 live.
        let results = [
            VariantResult {
                variant: bump,
                measured: Ok(measured(10_000, &fuels(1_000), 71, 0)),
                windows: Err("not run".to_owned()),
            },
            VariantResult {
                variant: capheap,
                measured: Ok(c),
                windows: window_runs([900, 950, 1_000, 1_100], [5, 14, 46, 159]),
            },
            VariantResult {
                variant: lol,
                measured: Ok(l),
                windows: window_runs([800, 1_000, 2_000, 5_500], [5, 17, 48, 165]),
            },
        ];
        let mut md = String::new();
        render_targets(&mut md, &results, &[], &vec![0; names.len()]);
        let why = md
            .split_once("### Why the missed targets are missed\n\n")
            .unwrap_or_else(|| panic!("no why section in\n{md}"))
            .1;
        let line = |lead: &str| {
            why.lines()
                .find(|l| l.starts_with(&format!("- **{lead}")))
                .unwrap_or_else(|| panic!("no why for {lead:?} in\n{why}"))
        };
        let fuel = line("fuel < every freeing peer");
        assert!(
            fuel.contains("capheap 257 + 240 fuel and lol_alloc 118 + 104 (the large-buffer"),
            "{fuel}"
        );
        assert!(fuel.contains("first-fit list"), "{fuel}");
        assert!(
            fuel.contains(
                "first-fit list, which stays short with 4 buffers live. With more buffers live \
                 the lead turns (\"Large buffers by how many are live\"): with 16 live capheap \
                 is cheaper (950 against 1,000), and with 256 lol_alloc costs 5.00x capheap's \
                 fuel (5,500 against 1,100). On `random_sizes`"
            ),
            "{fuel}"
        );
        // capheap's own bytes: its modules and its entry point, not the workload.
        let code = line("code section size ≤ bump + 1,000");
        assert!(code.contains("own functions are 1,010 bytes"), "{code}");
        assert!(code.contains("lol_alloc's, +1,000."), "{code}");
        let first = line("max fuel of one alloc");
        assert!(first.contains("only the first alloc is over"), "{first}");
        // Met targets (the free spread, pages) and unmeasured ones (steady
        // state) say nothing; without talc and capheap-mini builds their
        // code-size targets are not judged.
        assert_eq!(why.lines().count(), 4, "{why}");
        assert!(!why.contains("free ≤") && !why.contains("talc"), "{why}");
    }

    #[test]
    fn the_minimal_heap_target_judges_its_smallest_measured_configuration() {
        use super::super::CAPHEAP_OPTIONS;
        let n = workload_names().len();
        let ok = |name: &str, code: usize| VariantResult {
            variant: super::super::variant_named(name).unwrap(),
            measured: Ok(measured(code, &vec![Some(1_000); n], 44, 50)),
            windows: Err("not run".to_owned()),
        };
        let results = [
            ok("bump", 10_000),
            ok("capheap", 15_000),
            ok("capheap-mini", 12_000),
            ok("lol_alloc", 11_000),
        ];
        let moving = *CAPHEAP_OPTIONS
            .iter()
            .find(|o| o.base == "capheap-mini")
            .unwrap();
        let row = |options: &[OptionResult]| {
            let mut md = String::new();
            render_targets(&mut md, &results, options, &vec![0; n]);
            md.lines()
                .find(|l| l.contains("smallest `MiniHeap` configuration"))
                .unwrap_or_else(|| panic!("no MiniHeap row in\n{md}"))
                .to_owned()
        };
        let option = |code: Option<usize>| OptionResult {
            option: moving,
            measured: code
                .map(|c| measured(c, &vec![Some(1_000); n], 44, 50))
                .ok_or_else(|| "error: could not compile".to_owned()),
        };
        // The option is smaller: it is the one judged (+1,500 against +1,000).
        let smaller = row(&[option(Some(11_500))]);
        assert!(
            smaller.contains(
                "| capheap-mini-moving +1,500, lol_alloc +1,000 | **no** | over by 500 bytes |"
            ),
            "{smaller}"
        );
        // Not smaller, or not built: the default configuration is judged.
        for options in [vec![option(Some(12_100))], vec![option(None)], vec![]] {
            let default = row(&options);
            assert!(
                default.contains(
                    "| capheap-mini +2,000, lol_alloc +1,000 | **no** | over by 1,000 bytes |"
                ),
                "{default}"
            );
        }
    }

    #[test]
    fn a_peer_s_own_bytes_are_its_crate_s_functions_and_entry_points() {
        let mut m = measured(0, &[], 0, 0);
        m.functions = [
            ("talc::base::Talc<S,B>::allocate".to_owned(), 877),
            (
                "<talc::Talck<R,A> as core::alloc::global::GlobalAlloc>::dealloc".to_owned(),
                100,
            ),
            ("talcum::other".to_owned(), 5),
            ("__rust_realloc".to_owned(), 129),
            ("capheap::engine::Core::alloc".to_owned(), 7),
        ]
        .into();
        assert_eq!(own_bytes(&m, "talc"), 877 + 100 + 129);
        assert_eq!(own_bytes(&m, "capheap"), 7 + 129);
    }

    #[test]
    fn a_minimal_heap_option_is_measured_against_the_minimal_heap() {
        use super::super::CAPHEAP_OPTIONS;
        let result = |name: &str, code: usize, fuel: u64| VariantResult {
            variant: super::super::variant_named(name).unwrap(),
            measured: Ok(measured(code, &[Some(fuel)], 42, 64)),
            windows: Err("not run".to_owned()),
        };
        let results = [
            result("capheap", 20_000, 1_000),
            result("capheap-mini", 17_000, 1_200),
        ];
        let moving = *CAPHEAP_OPTIONS
            .iter()
            .find(|o| o.name == "capheap-mini-moving")
            .unwrap();
        let options = [OptionResult {
            option: moving,
            measured: Ok(measured(16_800, &[Some(1_260)], 42, 64)),
        }];
        let mut md = String::new();
        render_options(&mut md, &results, &options);
        // The rows after the header and the rule.
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
        assert!(rows[1].starts_with("| capheap | "), "{md}");
        assert!(rows[2].starts_with("| capheap-mini | "), "{md}");
        assert!(
            rows[2].ends_with("| 17,000 | – | 1,200 | – | 0 | – | 42 | 64 |"),
            "{}",
            rows[2]
        );
        // Against `capheap-mini` (17,000 bytes, 1,200 fuel), not `capheap`.
        assert!(rows[3].starts_with("| `capheap-mini-moving` | "), "{md}");
        assert!(
            rows[3].ends_with("| 16,800 | -200 | 1,260 | +60 (+5.0%) | 0 | +0 | 42 | 64 |"),
            "{}",
            rows[3]
        );
        assert_eq!(
            rows.len(),
            4,
            "header, default, mini default, its option: {md}"
        );
    }

    #[test]
    fn no_table_without_the_default_build() {
        let mut md = String::new();
        render_options(&mut md, &[], &[]);
        assert!(md.is_empty());
    }

    #[test]
    fn a_page_is_complete_only_when_every_build_built_and_every_run_checked_out() {
        use super::super::{CAPHEAP_OPTIONS, VARIANTS};
        let (bump, capheap, talc) = (VARIANTS[0], VARIANTS[1], VARIANTS[4]);
        assert_eq!(talc.name, "talc");
        let n = workload_names().len();
        let right = vec![Some(1_000); n];
        let expected = vec![0; n];
        let ok = |variant| VariantResult {
            variant,
            measured: Ok(measured(10_000, &right, 44, 50)),
            windows: window_runs([1, 2, 3, 4], [1, 1, 1, 1]),
        };
        let option = |measured| OptionResult {
            option: CAPHEAP_OPTIONS[0],
            measured,
        };
        // `measured` leaves the diagnostic runs failed ("not run"): fill them.
        let complete = |mut r: VariantResult| {
            let m = r.measured.as_mut().expect("measured");
            m.per_call_large = m.per_call.clone();
            m.per_call_growth = m.per_call.clone();
            m.steady = Ok(SteadyRun::default());
            r
        };
        let good = [complete(ok(bump)), complete(ok(capheap))];
        let good_option = option(good[1].measured.clone());
        assert_eq!(
            failures(&good, std::slice::from_ref(&good_option), &expected),
            Vec::<String>::new()
        );

        // A variant that did not build: named once, not again for its windows.
        let unbuilt = VariantResult {
            variant: talc,
            measured: Err("did not build: cargo failed".to_owned()),
            windows: Err("did not build: cargo failed".to_owned()),
        };
        let list = [good[0].clone(), good[1].clone(), unbuilt];
        assert_eq!(
            failures(&list, &[], &expected),
            ["talc not measured: did not build: cargo failed"]
        );

        // A wrong checksum, a trap, the diagnostic runs and the windows of a
        // variant that built are each named.
        let mut wrong = good[1].clone();
        let m = wrong.measured.as_mut().expect("measured");
        m.workloads[1] = Ok(WorkloadRun {
            fuel: 1,
            pages_grown: 0,
            checksum: 0xbad,
        });
        m.workloads[3] = Err("trapped: unreachable".to_owned());
        m.steady = Err("call 3 trapped".to_owned());
        m.per_call_growth = Err("out of fuel".to_owned());
        wrong.windows = Err("large_buffers_w16(2000): trapped".to_owned());
        let names = workload_names();
        assert_eq!(
            failures(&[wrong], &[], &expected),
            [
                format!("capheap {}: checksum 0xbad, expected 0x0", names[1]),
                format!("capheap {}: trapped: unreachable", names[3]),
                "capheap vec_push replay: out of fuel".to_owned(),
                "capheap steady state: call 3 trapped".to_owned(),
                "capheap large windows: large_buffers_w16(2000): trapped".to_owned(),
            ]
        );

        // An option that failed counts as much as a variant.
        let failed_option = option(Err("did not build: no such feature".to_owned()));
        assert_eq!(
            failures(&good, &[good_option, failed_option], &expected),
            ["capheap-stats not measured: did not build: no such feature"]
        );
    }

    #[test]
    fn the_memory_target_holds_capheap_to_the_three_and_to_one_page_over_anyone() {
        let peers = |dl: u64, talc: u64, rlsf: u64, lol: u64| {
            vec![
                ("dlmalloc", dl),
                ("talc", talc),
                ("rlsf", rlsf),
                ("lol_alloc", lol),
            ]
        };
        let case =
            |what: &str, c: Option<u64>, p: Vec<(&'static str, u64)>| (what.to_owned(), c, p);
        // As measured: level with the three everywhere, one page over
        // lol_alloc at the steady state's end.
        let v = memory_target([
            case("`a`", Some(1), peers(1, 1, 1, 1)),
            case("steady", Some(24), peers(24, 24, 24, 23)),
        ]);
        assert_eq!(v.met, Some(true), "{v:?}");
        assert_eq!(
            v.measured,
            "capheap's largest excess: +0 page(s) over the fewest of the three, +1 over any peer"
        );
        assert_eq!(v.gap, "");
        // Fewer than all of them: a negative excess.
        let v = memory_target([case("`a`", Some(3), peers(5, 6, 6, 5))]);
        assert_eq!(v.met, Some(true));
        assert!(
            v.measured
                .contains("-2 page(s) over the fewest of the three, -2 over"),
            "{v:?}"
        );
        // One page over the fewest of the three is a miss, even where it is
        // within a page of everyone.
        let v = memory_target([
            case("`a`", Some(1), peers(1, 1, 1, 1)),
            case("`b`", Some(7), peers(8, 6, 9, 6)),
        ]);
        assert_eq!(v.met, Some(false));
        assert_eq!(v.gap, "`b`: capheap 7, talc 6 (+1)");
        // Two pages over a peer outside the three is a miss too.
        let v = memory_target([case("steady", Some(25), peers(25, 26, 25, 23))]);
        assert_eq!(v.met, Some(false));
        assert_eq!(v.gap, "steady: capheap 25, lol_alloc 23 (+2, more than 1)");
        // Without capheap's figure or one of the three: not measured.
        let mut no_rlsf = peers(1, 1, 1, 1);
        no_rlsf.retain(|(p, _)| *p != "rlsf");
        for v in [
            memory_target([case("`a`", Some(1), no_rlsf)]),
            memory_target([case("`a`", None, peers(1, 1, 1, 1))]),
        ] {
            assert_eq!(v.met, None, "{v:?}");
            assert_eq!(v.measured, "not every allocator has a valid run");
        }
    }
}
