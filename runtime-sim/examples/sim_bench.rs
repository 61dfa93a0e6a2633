//! Performance figures for `docs/src/simulator.md` (a report, not a test):
//!
//! 1. simulator overhead over bare wasmi on the same calls, no growth;
//! 2. memory hashing throughput;
//! 3. N replays against N single runs of a scenario (module compiled once).
//!
//! `cargo run --release -p capheap-sim --example sim_bench`
//! (`-- --quick` for fewer iterations).

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

fn simulator(wasm: &[u8], export: &str, roots: bool) -> impl FnMut() {
    let sim = Simulator::builder()
        .memory_roots(roots)
        .read_stats(roots)
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

fn overhead(quick: bool) {
    let wasm = wat::parse_str(WORK).unwrap();
    println!("## Overhead over bare wasmi (no growth)\n");
    println!(
        "| call | bare wasmi | simulator, roots off | overhead | simulator, roots on (17 pages) | overhead |"
    );
    println!("|---|---|---|---|---|---|");
    let rounds = if quick { 3 } else { 15 };
    for (export, iters) in [
        ("small", if quick { 1_000 } else { 5_000 }),
        ("large", if quick { 2 } else { 8 }),
    ] {
        let mut bare = bare_wasmi(&wasm, export);
        let mut off = simulator(&wasm, export, false);
        let mut on = simulator(&wasm, export, true);
        let best = interleaved(iters, rounds, &mut [&mut bare, &mut off, &mut on]);
        let pct = |d: Duration| (d.as_secs_f64() / best[0].as_secs_f64() - 1.0) * 100.0;
        println!(
            "| `{export}` | {:.2} µs | {:.2} µs | {:+.1}% | {:.2} µs | {:+.1}% |",
            per_call(best[0], iters),
            per_call(best[1], iters),
            pct(best[1]),
            per_call(best[2], iters),
            pct(best[2])
        );
    }
}

fn hashing(quick: bool) {
    println!("\n## Memory hashing\n");
    println!(
        "Single-threaded `page_digest` loop, then `MemoryRoot::of` (parallel from 64 pages):\n"
    );
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
    println!(
        "- 64 MiB of random bytes, one thread: {:.2} GiB/s",
        gib(single)
    );
    let full = time(iters, || {
        black_box(MemoryRoot::of(&memory));
    });
    println!(
        "- 64 MiB of random bytes, `MemoryRoot::of` ({} threads): {:.2} GiB/s (SHA-NI: {})",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        gib(full),
        if sha_ni() { "yes" } else { "no" }
    );
    let zero = vec![0u8; pages * 65536];
    let zeros = time(iters, || {
        black_box(MemoryRoot::of(&zero));
    });
    println!(
        "- 64 MiB of zero pages (fast path): {:.2} GiB/s",
        gib(zeros)
    );
}

fn replays(quick: bool) {
    println!("\n## N replays vs N single runs\n");
    let wasm = match capheap_sim::build_contract(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/hello"),
        &capheap_sim::BuildOptions::default(),
    ) {
        Ok(built) => built.wasm,
        Err(e) => {
            println!("(skipped: cannot build contracts/hello: {e})");
            return;
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
    let ratio = |d: Duration| d.as_secs_f64() / best[0].as_secs_f64();
    println!(
        "- scenario: hello, {} calls, Stylus pricing, memory roots on",
        scenario.len()
    );
    println!("- {n} single runs (`run_scenario`): {:.1} ms", ms(best[0]));
    println!(
        "- `replay`, {n} runs, snapshot replay off: {:.1} ms ({:.3}x)",
        ms(best[1]),
        ratio(best[1])
    );
    println!(
        "- `replay`, {n} runs + snapshot replay from the middle: {:.1} ms ({:.3}x)",
        ms(best[2]),
        ratio(best[2])
    );
}

fn sha_ni() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("sha");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

fn main() {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("(load average: {})\n", load.trim());
    }
    let quick = std::env::args().any(|a| a == "--quick");
    overhead(quick);
    hashing(quick);
    replays(quick);
}
