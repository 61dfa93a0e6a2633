//! Performance figures for `docs/src/simulator.md` (a report, not a test):
//!
//! 1. simulator overhead over bare wasmi on the same calls, no growth;
//! 2. memory hashing throughput;
//! 3. N replays against N single runs of a scenario (module compiled once).
//!
//! `cargo run --release -p capheap-sim --example sim_bench` prints the
//! figures; `-- --write` also replaces the generated block of
//! `docs/src/simulator.md` with them; `-- --quick` takes fewer iterations
//! and one run; `-- --runs N` repeats the whole measurement N times (default
//! 5) and reports the median with the spread.
//!
//! Wall-clock figures are noisy on a shared machine: each run keeps the best
//! batch of variants measured interleaved, and the report gives the median
//! run and the fastest and slowest, with the machine they came from.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use capheap_sim::{MemoryRoot, ReplayOptions, Scenario, ScenarioCall, Simulator, SnapshotPoint};
use wasmi::{CompilationMode, Config, Engine, Linker, Module, Store, Val};

/// `spin(n)`-style workloads with fixed trip counts; they touch memory and
/// never grow it.
const WORK: &str = r#"(module
  (memory (export "memory") 17)
  (func $work (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (i32.store (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 0xffff))
                 (local.get $acc))
      (local.set $acc (i32.add (local.get $acc)
        (i32.load (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 0xffff)))))
      (local.set $acc (i32.xor (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "small") (result i32) (call $work (i32.const 1000)))
  (func (export "large") (result i32) (call $work (i32.const 1000000))))"#;

fn time<F: FnMut()>(iters: u32, mut f: F) -> Duration {
    // One warm-up, then the best of three batches.
    f();
    (0..3)
        .map(|_| batch(iters, &mut f))
        .min()
        .unwrap_or_default()
}

fn batch<F: FnMut()>(iters: u32, f: &mut F) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

/// Measures several variants of the same work interleaved (A B C A B C
/// ...), keeping each one's best batch, so load from other processes on a
/// shared machine hits all variants alike.
fn interleaved(iters: u32, rounds: u32, variants: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    let mut best = vec![Duration::MAX; variants.len()];
    for f in variants.iter_mut() {
        f();
    }
    for _ in 0..rounds {
        for (f, best) in variants.iter_mut().zip(&mut best) {
            *best = (*best).min(batch(iters, f));
        }
    }
    best
}

fn bare_wasmi(wasm: &[u8], export: &str) -> impl FnMut() {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .compilation_mode(CompilationMode::Eager);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_fuel(u64::MAX).unwrap();
    let instance = Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .unwrap();
    let func = instance.get_func(&store, export).unwrap();
    move || {
        store.set_fuel(10_000_000_000).unwrap();
        let mut out = [Val::I32(0)];
        func.call(&mut store, &[], &mut out).unwrap();
        black_box(&out);
    }
}

/// The simulator on `export`: memory roots and stats on or off, failed
/// calls rolled back (a copy of memory before each call) or not.
fn simulator(wasm: &[u8], export: &str, roots: bool, rollback: bool) -> impl FnMut() {
    let sim = Simulator::builder()
        .memory_roots(roots)
        .read_stats(roots)
        .keep_failed_writes(!rollback)
        .build()
        .unwrap();
    let mut instance = sim.load(wasm).unwrap().instantiate().unwrap();
    let export = export.to_owned();
    move || {
        black_box(instance.call(&export, &[]).unwrap());
    }
}

fn per_call(d: Duration, iters: u32) -> f64 {
    d.as_secs_f64() * 1e6 / f64::from(iters)
}

/// Per-call times in µs: `[bare, rollback off, roots off, roots on]` for
/// `small` and `large`.
fn overhead(quick: bool) -> [[f64; 4]; 2] {
    let wasm = wat::parse_str(WORK).unwrap();
    let rounds = if quick { 3 } else { 15 };
    let mut out = [[0.0; 4]; 2];
    for ((export, iters), row) in [
        ("small", if quick { 1_000 } else { 5_000 }),
        ("large", if quick { 2 } else { 8 }),
    ]
    .into_iter()
    .zip(&mut out)
    {
        let mut bare = bare_wasmi(&wasm, export);
        let mut plain = simulator(&wasm, export, false, false);
        let mut off = simulator(&wasm, export, false, true);
        let mut on = simulator(&wasm, export, true, true);
        let best = interleaved(
            iters,
            rounds,
            &mut [&mut bare, &mut plain, &mut off, &mut on],
        );
        for (cell, d) in row.iter_mut().zip(best) {
            *cell = per_call(d, iters);
        }
    }
    out
}

/// GiB/s over 64 MiB: one thread over random bytes, `MemoryRoot::of` over
/// random bytes, `MemoryRoot::of` over zero pages.
fn hashing(quick: bool) -> [f64; 3] {
    let pages = 1024usize;
    let mut memory = vec![0u8; pages * 65536];
    // Deterministic pseudo-random fill (xorshift), no zero pages.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in memory.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let iters = if quick { 2 } else { 5 };
    let gib = |d: Duration| {
        (memory.len() as f64 * f64::from(iters)) / d.as_secs_f64() / (1u64 << 30) as f64
    };
    let single = time(iters, || {
        let digests: Vec<_> = memory
            .chunks(65536)
            .map(capheap_sim::memroot::page_digest)
            .collect();
        black_box(capheap_sim::memroot::root_of(&digests));
    });
    let full = time(iters, || {
        black_box(MemoryRoot::of(&memory));
    });
    let zero = vec![0u8; pages * 65536];
    let zeros = time(iters, || {
        black_box(MemoryRoot::of(&zero));
    });
    [gib(single), gib(full), gib(zeros)]
}

/// Milliseconds: N single runs, `replay` without and with the snapshot
/// replay; `None` when `contracts/hello` cannot be built.
fn replays(quick: bool) -> Option<[f64; 3]> {
    let wasm = match capheap_sim::build_contract(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/hello"),
        &capheap_sim::BuildOptions::default(),
    ) {
        Ok(built) => built.wasm,
        Err(e) => {
            eprintln!("replays skipped: cannot build contracts/hello: {e}");
            return None;
        }
    };
    let big: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let scenario = Scenario::new()
        .call(ScenarioCall::new("reverse", b"capheap".to_vec()))
        .call(ScenarioCall::new("checksum", big.clone()).repeat(4))
        .call(ScenarioCall::new("reverse", big).repeat(4));
    let contract = Simulator::builder()
        .pricing(capheap_sim::PagePricing::STYLUS)
        .build()
        .unwrap()
        .load(&wasm)
        .unwrap();
    let n = if quick { 3 } else { 10 };
    let rounds = if quick { 2 } else { 7 };
    let mut single = || {
        for seed in 0..n {
            black_box(contract.run_scenario(&scenario, seed as u64).unwrap());
        }
    };
    let replay = |snapshot| {
        let options = ReplayOptions {
            runs: n,
            seeds: vec![],
            snapshot,
        };
        let contract = contract.clone();
        let scenario = scenario.clone();
        move || {
            let report = contract.replay(&scenario, &options).unwrap();
            assert!(report.deterministic);
            black_box(report);
        }
    };
    let mut without = replay(SnapshotPoint::Off);
    let mut with = replay(SnapshotPoint::Middle);
    let best = interleaved(1, rounds, &mut [&mut single, &mut without, &mut with]);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Some([ms(best[0]), ms(best[1]), ms(best[2])])
}

fn sha_ni() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("sha");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// One full measurement.
struct Run {
    overhead: [[f64; 4]; 2],
    hashing: [f64; 3],
    replays: Option<[f64; 3]>,
}

/// The median of `values` with the fastest and slowest: `(median, min, max)`.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    (median, values[0], values[values.len() - 1])
}

/// What the figures came from: CPU, cores, SHA-NI, load, compiler.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{cpu}, {} cores available to the process, SHA-NI {}; load average {load} when it started; {rustc}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if sha_ni() { "yes" } else { "no" },
    )
}

/// The generated block of `docs/src/simulator.md`.
fn report(runs: &[Run]) -> String {
    let figure = |f: &dyn Fn(&Run) -> f64| spread(runs.iter().map(f).collect());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated by `cargo run --release -p capheap-sim --example sim_bench -- --write`; do not edit. -->\n\n\
         Machine: {}. Each figure is the median of {} runs of the whole \
         benchmark, with the fastest and slowest run in brackets; within a run, \
         the variants of a row are measured interleaved and each keeps its best \
         batch, so load from other processes hits them alike.\n",
        machine(),
        runs.len()
    );
    let _ = writeln!(
        out,
        "**Overhead over bare wasmi**, same module, same engine settings, no growth \
         (`small`: 1 000 loop iterations; `large`: 10⁶; the fuel is identical on \
         every variant):\n\n\
         | call | bare wasmi | simulator, no rollback, roots and stats off | + rollback (default) | + memory root and stats per call |\n\
         |---|---|---|---|---|"
    );
    for (row, (call, unit, scale)) in [("small", "µs", 1.0), ("large", "ms", 1e-3)]
        .into_iter()
        .enumerate()
    {
        let cell = |i: usize| {
            let (m, lo, hi) = figure(&|r: &Run| r.overhead[row][i] * scale);
            format!("{m:.2} {unit} [{lo:.2} … {hi:.2}]")
        };
        let pct = |i: usize| {
            let (m, lo, hi) =
                figure(&|r: &Run| (r.overhead[row][i] / r.overhead[row][0] - 1.0) * 100.0);
            format!("{m:+.1}% [{lo:+.1}% … {hi:+.1}%]")
        };
        let _ = writeln!(
            out,
            "| `{call}` | {} | {}, {} | {}, {} | {}, {} |",
            cell(0),
            cell(1),
            pct(1),
            cell(2),
            pct(2),
            cell(3),
            pct(3)
        );
    }
    let gib = |i: usize| {
        let (m, lo, hi) = figure(&|r: &Run| r.hashing[i]);
        format!("{m:.2} GiB/s [{lo:.2} … {hi:.2}]")
    };
    let _ = writeln!(
        out,
        "\n**Memory hashing**, 64 MiB:\n\n\
         | input | throughput |\n|---|---|\n\
         | random bytes, one thread (`page_digest` per page, then `root_of`) | {} |\n\
         | random bytes, `MemoryRoot::of` (all cores from 64 pages) | {} |\n\
         | zero pages, `MemoryRoot::of` (word compare, precomputed digest) | {} |",
        gib(0),
        gib(1),
        gib(2)
    );
    if runs.iter().all(|r| r.replays.is_some()) {
        let ms = |i: usize| {
            let (m, lo, hi) = figure(&|r: &Run| r.replays.map_or(0.0, |x| x[i]));
            format!("{m:.1} ms [{lo:.1} … {hi:.1}]")
        };
        let ratio = |i: usize| {
            let (m, lo, hi) = figure(&|r: &Run| r.replays.map_or(0.0, |x| x[i] / x[0]));
            format!("{m:.2}× [{lo:.2} … {hi:.2}]")
        };
        let _ = writeln!(
            out,
            "\n**Replays**: `contracts/hello`, 9 calls (100 kB inputs, memory growing), \
             Stylus pricing, memory roots on, 10 runs; the module is compiled once:\n\n\
             | | time | against 10 single runs |\n|---|---|---|\n\
             | 10 × `run_scenario` | {} | 1 |\n\
             | `replay`, snapshot replay off | {} | {} |\n\
             | `replay` + snapshot replay from the middle call | {} | {} |",
            ms(0),
            ms(1),
            ratio(1),
            ms(2),
            ratio(2)
        );
    }
    out
}

const BEGIN: &str = "<!-- sim_bench:begin -->\n";
const END: &str = "<!-- sim_bench:end -->\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let write = args.iter().any(|a| a == "--write");
    let count = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 1 } else { 5 })
        .max(1);
    let mut runs = Vec::new();
    for i in 0..count {
        eprintln!("run {} of {count}", i + 1);
        runs.push(Run {
            overhead: overhead(quick),
            hashing: hashing(quick),
            replays: replays(quick),
        });
    }
    let block = report(&runs);
    print!("{block}");
    if write {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/src/simulator.md");
        let page = std::fs::read_to_string(&path).expect("docs/src/simulator.md");
        let (Some(start), Some(end)) = (page.find(BEGIN), page.find(END)) else {
            eprintln!("{}: no {BEGIN:?} … {END:?} block", path.display());
            std::process::exit(1);
        };
        let page = format!("{}{BEGIN}{block}{}", &page[..start], &page[end..]);
        std::fs::write(&path, page).expect("writes docs/src/simulator.md");
        eprintln!("wrote {}", path.display());
    }
}
