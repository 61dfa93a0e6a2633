//! The allocator benchmark: builds `contracts/alloc-bench` once per allocator
//! and measures it in the simulator. Used by `src/bin/alloc-bench.rs`.

pub mod report;

#[path = "../../../contracts/alloc-bench/src/workloads.rs"]
pub mod workloads;

use std::path::{Path, PathBuf};
use std::process::Command;

use capheap_sim::limits::WASM32_MAX_PAGES;
use capheap_sim::{
    BuildError, BuildOptions, BuiltContract, Contract, Instance, PagePricing, Simulator,
};

use capheap_tests::{contract_dir, repo_root, u32_args};

/// The contract every variant is built from.
pub const CONTRACT: &str = "alloc-bench";

/// One allocator the benchmark builds `alloc-bench` with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Its cargo feature (also its name in the report).
    pub name: &'static str,
    /// What `allocator_id()` must return for this build.
    pub id: u32,
    /// Does it ever free? (Only `bump` does not.)
    pub frees: bool,
}

const fn variant(name: &'static str, id: u32, frees: bool) -> Variant {
    Variant { name, id, frees }
}

/// Every variant, in report order: `bump` (the floor) first, `capheap` second.
pub const VARIANTS: [Variant; 8] = [
    variant("bump", 1, false),
    variant("capheap", 2, true),
    variant("capheap-mini", 8, true),
    variant("dlmalloc", 3, true),
    variant("talc", 4, true),
    variant("rlsf", 5, true),
    variant("lol_alloc", 6, true),
    variant("wee_alloc", 7, true),
];

/// The variant of [`VARIANTS`] called `name`.
pub fn variant_named(name: &str) -> Option<Variant> {
    VARIANTS.iter().find(|v| v.name == name).copied()
}

/// A capheap configuration with one option turned on, built as
/// `alloc-bench`'s `name` feature and measured against the default
/// configuration of the same heap (`base`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapheapOption {
    /// The `alloc-bench` feature (and build directory) of this configuration.
    pub name: &'static str,
    /// The variant it changes one option of: `capheap` or `capheap-mini`.
    pub base: &'static str,
    /// How a contract turns it on.
    pub how: &'static str,
    /// What it buys.
    pub what: &'static str,
}

/// The options of the "what each option costs" table, in report order.
pub const CAPHEAP_OPTIONS: [CapheapOption; 6] = [
    CapheapOption {
        name: "capheap-stats",
        base: "capheap",
        how: "`Config::detailed_stats(true)`",
        what: "allocation, free and realloc counts, peak live bytes, rounding waste",
    },
    CapheapOption {
        name: "capheap-caps",
        base: "capheap",
        how: "`Config::max_memory_pages(1024).max_heap_bytes(48 << 20)`",
        what: "both hard caps (not reached by these workloads)",
    },
    CapheapOption {
        name: "capheap-metered",
        base: "capheap",
        how: "`Config::pricing(PagePricing::STYLUS).growth_budget(1 << 40).host_gas_hook()`",
        what: "Stylus growth pricing, a growth budget and the host gas hook",
    },
    CapheapOption {
        name: "capheap-debug",
        base: "capheap",
        how: "cargo feature `debug-checks`",
        what: "invalid-free detection (layout, double free, foreign pointer) and poisoning of freed memory",
    },
    CapheapOption {
        name: "capheap-moving",
        base: "capheap",
        how: "`Config::realloc_in_place(false)`",
        what: "every realloc allocates, copies and frees; the in-place code is not linked",
    },
    CapheapOption {
        name: "capheap-mini-moving",
        base: "capheap-mini",
        how: "`MiniHeap` with `Config::realloc_in_place(false)`",
        what: "`MiniHeap`'s smallest configuration: every realloc moves; the in-place code is not linked",
    },
];

/// Where variant `name` is built: its own target directory, so switching
/// variants never forces a rebuild of another.
pub fn variant_target_dir(name: &str) -> PathBuf {
    repo_root()
        .join("contracts")
        .join("target")
        .join(CONTRACT)
        .join(name)
}

/// Build options for variant `name`.
pub fn variant_options(name: &str) -> BuildOptions {
    BuildOptions {
        target_dir: Some(variant_target_dir(name)),
        no_default_features: true,
        features: vec![name.to_owned()],
        ..BuildOptions::default()
    }
}

/// Builds variant `name` of `alloc-bench` (a no-op when nothing changed).
pub fn build_variant(name: &str) -> Result<BuiltContract, BuildError> {
    capheap_sim::build_contract(&contract_dir(CONTRACT), &variant_options(name))
}

/// The `alloc-bench` feature that adds the `large_buffers_w<W>` exports.
pub const WINDOWS_FEATURE: &str = "large-windows";

/// Builds variant `name` of `alloc-bench` with [`WINDOWS_FEATURE`] too, into
/// a target directory of its own (`<name>+windows`): the exports add code, so
/// the build whose size the page reports does not have them.
pub fn build_windows(name: &str) -> Result<BuiltContract, String> {
    let mut options = variant_options(name);
    options.target_dir = Some(variant_target_dir(&format!("{name}+windows")));
    options.features.push(WINDOWS_FEATURE.to_owned());
    capheap_sim::build_contract(&contract_dir(CONTRACT), &options).map_err(|e| e.to_string())
}

/// Runs `large_buffers_w<W>(n)` for every window of
/// [`workloads::LARGE_WINDOWS`] on a fresh instance of `contract` (a
/// [`build_windows`] build), each checked against the checksum the same code
/// computes on the host.
pub fn large_windows(contract: &Contract, n: u32) -> Result<Vec<WorkloadRun>, String> {
    workloads::LARGE_WINDOWS
        .iter()
        .map(|&window| {
            let export = format!("large_buffers_w{window}");
            let run = run_workload(contract, &export, n)?;
            let expected = workloads::large_buffers_window(window, n)
                .ok_or_else(|| format!("no host copy of window {window}"))?;
            if run.checksum != expected {
                return Err(format!(
                    "{export}({n}): checksum {:#x}, the host computes {expected:#x}",
                    run.checksum
                ));
            }
            Ok(run)
        })
        .collect()
}

/// Bytes in a wasm page.
pub const PAGE: u64 = 65_536;

/// Fuel the benchmark's simulator charges per page of growth: the rate wasmi
/// itself charges for a `memory.grow` (one fuel per 64 bytes).
pub const GROWTH_FUEL_PER_PAGE: u64 = 1024;

/// The simulator every variant runs in: growth priced flat at
/// [`GROWTH_FUEL_PER_PAGE`], no page cap short of wasm32's 4 GiB (the bump
/// floor never frees), and no memory roots or stats reads (per-call
/// sequences make thousands of calls).
pub fn simulator() -> Result<Simulator, String> {
    Simulator::builder()
        .pricing(PagePricing::Flat {
            per_page: GROWTH_FUEL_PER_PAGE,
        })
        .max_pages(WASM32_MAX_PAGES)
        .memory_roots(false)
        .read_stats(false)
        .build()
        .map_err(|e| e.to_string())
}

/// One workload run on a fresh instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadRun {
    /// Fuel of the call (input placement, a few constant fuel, included).
    pub fuel: u64,
    /// Pages of linear memory the call grew.
    pub pages_grown: u64,
    /// What the workload returned.
    pub checksum: u32,
}

/// Runs workload `export` with `n` on a fresh instance of `contract`.
pub fn run_workload(contract: &Contract, export: &str, n: u32) -> Result<WorkloadRun, String> {
    let mut instance = contract.instantiate().map_err(|e| e.to_string())?;
    let out = instance
        .call(export, &u32_args(&[n]))
        .map_err(|e| format!("{export}({n}): {e}"))?;
    Ok(WorkloadRun {
        fuel: out.fuel.total,
        pages_grown: u64::from(out.pages_after.saturating_sub(out.pages_before)),
        checksum: out.returned.unwrap_or(0) as u32,
    })
}

/// The steady-state run: many `random_steady` calls on one instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SteadyRun {
    /// Pages of the instance before the first call.
    pub pages_start: u32,
    /// Pages after each call.
    pub pages_after: Vec<u32>,
    /// Peak live bytes of the workload during each call (what the contract
    /// returned, checked against the same code run on the host).
    pub peaks: Vec<u32>,
    /// Fuel of each call.
    pub fuel: Vec<u64>,
}

impl SteadyRun {
    /// The first call with the highest live peak.
    pub fn peak_call(&self) -> usize {
        let max = self.peaks.iter().copied().max().unwrap_or(0);
        self.peaks.iter().position(|&p| p == max).unwrap_or(0)
    }

    /// Pages grown after the call with the highest live peak.
    pub fn growth_after_peak(&self) -> u32 {
        let k = self.peak_call();
        match (self.pages_after.get(k), self.pages_after.last()) {
            (Some(at), Some(end)) => end - at,
            _ => 0,
        }
    }
}

/// Steady state: `calls` calls of `random_steady(ops)` on one instance (the
/// live set persists across calls).
pub fn steady(contract: &Contract, calls: u32, ops: u32) -> Result<SteadyRun, String> {
    let mut instance = contract.instantiate().map_err(|e| e.to_string())?;
    let mut host = workloads::RandomSizes::new();
    let mut run = SteadyRun {
        pages_start: instance.pages(),
        ..SteadyRun::default()
    };
    for call in 0..calls {
        let out = instance
            .call("random_steady", &u32_args(&[ops]))
            .map_err(|e| format!("random_steady call {call}: {e}"))?;
        let peak = out.returned.unwrap_or(-1) as u32;
        host.run(ops);
        if peak as usize != host.peak {
            return Err(format!(
                "random_steady call {call}: peak {peak} live bytes, the host computes {}",
                host.peak
            ));
        }
        run.pages_after.push(out.pages_after);
        run.peaks.push(peak);
        run.fuel.push(out.fuel.total);
    }
    host.finish();
    Ok(run)
}

/// Fuel of single allocator calls, net of the matching no-op export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerCall {
    /// Net fuel of each `one_alloc`, in call order.
    pub alloc: Vec<u64>,
    /// Whether that `one_alloc` grew memory.
    pub alloc_grew: Vec<bool>,
    /// Net fuel of each `one_free`, in call order.
    pub free: Vec<u64>,
    /// The sizes passed to each `one_alloc`.
    pub alloc_sizes: Vec<u32>,
    /// Net fuel of each `one_realloc` (only in [`per_call_growth`]).
    pub realloc: Vec<u64>,
    /// The new size of each `one_realloc`.
    pub realloc_sizes: Vec<u32>,
    /// Fuel of the `one_alloc(0)` / `one_free(null)` baselines that were subtracted.
    pub baseline: (u64, u64),
}

/// A churn sequence for [`per_call`]: `allocs` allocations of sizes drawn
/// uniformly from `min..=max` into `window` slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// Allocations.
    pub allocs: u32,
    /// Smallest size.
    pub min: u32,
    /// Largest size.
    pub max: u32,
    /// Live slots.
    pub window: u32,
}

impl Sequence {
    /// The small-object sequence the per-call target is judged on: 8..=256 B, 64 slots.
    pub const fn small(allocs: u32) -> Self {
        Sequence {
            allocs,
            min: 8,
            max: 256,
            window: 64,
        }
    }

    /// A large-buffer sequence (diagnostic): 1..=64 KiB, 4 slots.
    pub const fn large(allocs: u32) -> Self {
        Sequence {
            allocs,
            min: 1024,
            max: 65536,
            window: 4,
        }
    }
}

/// Drives `one_alloc` / `one_free` one call at a time through churn sequence
/// `seq` on a fresh instance: each allocation (fixed-seed PRNG size) goes into
/// a random slot, freeing the slot's block first; at the end every block left
/// is freed. Each call's fuel is taken net of the no-op export of the same
/// shape called with size 0 / a null pointer, which skips the allocator. Also
/// checks that blocks are aligned and never overlap a live block.
pub fn per_call(contract: &Contract, seq: Sequence) -> Result<PerCall, String> {
    let mut inst = contract.instantiate().map_err(|e| e.to_string())?;
    let call = |inst: &mut Instance, export: &str, input: &[u8]| {
        inst.call(export, input)
            .map_err(|e| format!("{export}: {e}"))
    };
    // The same exports with size 0 / a null pointer skip the allocator.
    let base_alloc = call(&mut inst, "one_alloc", &u32_args(&[0]))?.fuel.total;
    let base_free = call(&mut inst, "one_free", &u32_args(&[0, 64]))?.fuel.total;
    let mut out = PerCall {
        baseline: (base_alloc, base_free),
        ..PerCall::default()
    };
    let mut rng = workloads::Rng::new(0x5EED_CA11);
    let mut live: Vec<Option<(u32, u32)>> = vec![None; seq.window.max(1) as usize];
    let free = |inst: &mut Instance, out: &mut PerCall, (ptr, size): (u32, u32)| {
        let o = call(inst, "one_free", &u32_args(&[ptr, size]))?;
        out.free.push(o.fuel.total.saturating_sub(base_free));
        Ok::<(), String>(())
    };
    for _ in 0..seq.allocs {
        let size = seq.min + rng.below(seq.max - seq.min + 1);
        let slot = rng.below(live.len() as u32) as usize;
        if let Some(block) = live[slot].take() {
            free(&mut inst, &mut out, block)?;
        }
        let o = call(&mut inst, "one_alloc", &u32_args(&[size]))?;
        let ptr = o.returned.unwrap_or(0) as u32;
        if ptr == 0 || !ptr.is_multiple_of(8) {
            return Err(format!("one_alloc({size}) returned {ptr:#x}"));
        }
        let (lo, hi) = (u64::from(ptr), u64::from(ptr) + u64::from(size));
        if let Some((p, s)) = live.iter().flatten().find(|&&(p, s)| {
            let (plo, phi) = (u64::from(p), u64::from(p) + u64::from(s));
            lo < phi && plo < hi
        }) {
            return Err(format!(
                "one_alloc({size}) = {ptr:#x} overlaps the live block {p:#x}+{s}"
            ));
        }
        out.alloc.push(o.fuel.total.saturating_sub(base_alloc));
        out.alloc_grew.push(o.pages_after > o.pages_before);
        out.alloc_sizes.push(size);
        live[slot] = Some((ptr, size));
    }
    for block in live.iter_mut().filter_map(Option::take) {
        free(&mut inst, &mut out, block)?;
    }
    Ok(out)
}

/// Replays the allocator calls of the `vec_push` workload one at a time:
/// `rounds` times, a `Vec<u32>` is allocated at capacity 4 (16 B), grown by
/// doubling reallocs to hold `1 + i % 64` elements and freed, while one long
/// `Vec<u32>` gains 8 elements per round (doubling reallocs from 16 B). Each
/// call's fuel is net of the same export skipping the allocator.
pub fn per_call_growth(contract: &Contract, rounds: u32) -> Result<PerCall, String> {
    let mut inst = contract.instantiate().map_err(|e| e.to_string())?;
    let base = |inst: &mut Instance, export: &str, input: &[u8]| {
        inst.call(export, input)
            .map(|o| o.fuel.total)
            .map_err(|e| format!("{export}: {e}"))
    };
    let base_alloc = base(&mut inst, "one_alloc", &u32_args(&[0]))?;
    let base_free = base(&mut inst, "one_free", &u32_args(&[0, 16]))?;
    let base_realloc = base(&mut inst, "one_realloc", &u32_args(&[0, 16, 32]))?;
    let mut g = Growth {
        inst,
        out: PerCall {
            baseline: (base_alloc, base_free),
            ..PerCall::default()
        },
        base_alloc,
        base_realloc,
    };
    // `Vec::push` on an empty `Vec<u32>` allocates capacity 4, then doubles.
    let (mut long, mut long_cap, mut long_len) = (0u32, 0u32, 0u32);
    for i in 0..rounds {
        let len = 1 + i % 64;
        let mut cap = 4;
        let mut p = g.alloc(cap * 4)?;
        while cap < len {
            p = g.realloc(p, cap * 4, cap * 8)?;
            cap *= 2;
        }
        long_len += 8;
        if long_cap == 0 {
            long_cap = 4;
            long = g.alloc(long_cap * 4)?;
        }
        while long_cap < long_len {
            long = g.realloc(long, long_cap * 4, long_cap * 8)?;
            long_cap *= 2;
        }
        let o = g
            .inst
            .call("one_free", &u32_args(&[p, cap * 4]))
            .map_err(|e| format!("one_free: {e}"))?;
        g.out.free.push(o.fuel.total.saturating_sub(base_free));
    }
    Ok(g.out)
}

/// State of [`per_call_growth`].
struct Growth {
    inst: Instance,
    out: PerCall,
    base_alloc: u64,
    base_realloc: u64,
}

impl Growth {
    fn alloc(&mut self, size: u32) -> Result<u32, String> {
        let o = self
            .inst
            .call("one_alloc", &u32_args(&[size]))
            .map_err(|e| format!("one_alloc: {e}"))?;
        self.out
            .alloc
            .push(o.fuel.total.saturating_sub(self.base_alloc));
        self.out.alloc_grew.push(o.pages_after > o.pages_before);
        self.out.alloc_sizes.push(size);
        match o.returned.unwrap_or(0) as u32 {
            0 => Err(format!("one_alloc({size}) failed")),
            p => Ok(p),
        }
    }

    fn realloc(&mut self, ptr: u32, old: u32, new: u32) -> Result<u32, String> {
        let o = self
            .inst
            .call("one_realloc", &u32_args(&[ptr, old, new]))
            .map_err(|e| format!("one_realloc: {e}"))?;
        self.out
            .realloc
            .push(o.fuel.total.saturating_sub(self.base_realloc));
        self.out.realloc_sizes.push(new);
        match o.returned.unwrap_or(0) as u32 {
            0 => Err(format!("one_realloc({old} -> {new}) failed")),
            p => Ok(p),
        }
    }
}

/// Sizes of a module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeSize {
    /// The whole `.wasm` file.
    pub total: usize,
    /// The code section (function bodies), header included.
    pub code: usize,
    /// The whole `.wasm` file compressed with gzip at level 9 (what a chain
    /// that stores or charges compressed code sees, approximately).
    pub gzip: usize,
    /// The code Stylus would store for the module: the module cargo-stylus
    /// sends, brotli at quality 11, behind its 4-byte prefix (what EIP-170's
    /// 24,576 bytes bound; see `capheap_sim::deploy`).
    pub stylus: usize,
}

/// Measures `wasm` with wasmparser.
pub fn code_size(wasm: &[u8]) -> Result<CodeSize, String> {
    let stylus = capheap_sim::deploy::deployment(capheap_sim::Abi::Stylus, wasm)
        .map_err(|e| e.to_string())?
        .map_or(0, |d| d.stored_bytes);
    let mut size = CodeSize {
        total: wasm.len(),
        code: 0,
        gzip: capheap_sim::deploy::gzip_size(wasm),
        stylus,
    };
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionStart { range, .. } =
            payload.map_err(|e| e.to_string())?
        {
            size.code = range.len();
        }
    }
    Ok(size)
}

/// Body bytes of every named function in `wasm`, by demangled name without
/// its hash (functions of the same name summed), from the code section and
/// the `name` section.
pub fn function_sizes(wasm: &[u8]) -> Result<std::collections::BTreeMap<String, usize>, String> {
    use wasmparser::{KnownCustom, Name, Payload, TypeRef};
    let mut imported = 0u32;
    let mut sizes = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(reader) => {
                for import in reader {
                    if matches!(import.map_err(|e| e.to_string())?.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => sizes.push(body.range().len()),
            Payload::CustomSection(section) => {
                if let KnownCustom::Name(reader) = section.as_known() {
                    for name in reader.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                names.insert(naming.index, naming.name.to_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for (i, size) in sizes.into_iter().enumerate() {
        let index = u32::try_from(i)
            .ok()
            .and_then(|i| i.checked_add(imported))
            .ok_or("too many functions")?;
        let name = names.get(&index).map_or_else(
            || format!("function {index}"),
            |n| format!("{:#}", rustc_demangle::demangle(n)),
        );
        *out.entry(name).or_insert(0) += size;
    }
    Ok(out)
}

/// The part of capheap a demangled function name belongs to: its module
/// path (`capheap::engine::grow`), `entry points` for the global allocator
/// symbols, or `None` for code that is not capheap's.
pub fn capheap_part(name: &str) -> Option<String> {
    if ENTRY_POINTS.iter().any(|e| name.ends_with(e)) {
        return Some("`__rust_alloc`, `__rust_dealloc`, `__rust_realloc`".to_owned());
    }
    let path = name.strip_prefix('<').unwrap_or(name);
    if !path.starts_with("capheap::") {
        return None;
    }
    let segments: Vec<&str> = path.split("::").collect();
    let mut modules = segments
        .iter()
        .take_while(|seg| {
            seg.starts_with(|c: char| c.is_ascii_lowercase()) && !seg.contains(['<', ' '])
        })
        .count();
    if modules == segments.len() {
        // A free function: its last segment is its own name.
        modules -= 1;
    }
    Some(format!("`{}`", segments[..modules].join("::")))
}

pub const ENTRY_POINTS: [&str; 3] = ["__rust_alloc", "__rust_dealloc", "__rust_realloc"];

/// Where an entry point's code lives when the entry point itself is a bare
/// call that LTO inlined into its callers: capheap's entry points only call
/// these. For each entry point, (demangled name without the hash, the short
/// name the report shows) of `Heap`'s and `MiniHeap`'s function.
pub const ENTRY_BODIES: [[(&str, &str); 2]; 3] = [
    [
        ("capheap::engine::Core::alloc", "Core::alloc"),
        ("capheap::mini::MiniCore::alloc", "MiniCore::alloc"),
    ],
    [
        ("capheap::engine::Core::dealloc", "Core::dealloc"),
        ("capheap::mini::MiniCore::dealloc", "MiniCore::dealloc"),
    ],
    [
        (
            "capheap::engine::realloc::<impl capheap::engine::Core>::realloc",
            "Core::realloc",
        ),
        ("capheap::mini::MiniCore::realloc", "MiniCore::realloc"),
    ],
];

/// Static fuel of one function under wasmi's metering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StaticFuel {
    /// Fuel charged on entry, whichever path runs: wasmi 2 charges every
    /// operator of a function's body that is not inside a `loop`, `if` or
    /// `else` when the function is entered (`block` and `br_if` do not split
    /// the charge).
    pub entry: u32,
    /// Every charged operator of the body.
    pub total: u32,
    /// The function measured (its short name), when the entry point was
    /// inlined away and [`ENTRY_BODIES`] names the function it called.
    pub via: Option<&'static str>,
}

/// Static fuel of each of [`ENTRY_POINTS`] in `wasm` (`None`: no such
/// function, e.g. inlined into its callers by LTO). Names come from the
/// `name` custom section (matched by suffix, so any mangling works).
pub fn entry_fuel(wasm: &[u8]) -> Result<Vec<Option<StaticFuel>>, String> {
    use wasmparser::{KnownCustom, Name, Operator, Payload, TypeRef};
    let mut imported = 0u32;
    let mut bodies = Vec::new();
    let mut names: Vec<(u32, String)> = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(reader) => {
                for import in reader {
                    if matches!(import.map_err(|e| e.to_string())?.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
                // Innermost-first: does each open frame start a fuel region?
                let mut frames: Vec<bool> = Vec::new();
                let mut cost = StaticFuel::default();
                while !ops.eof() {
                    let op = ops.read().map_err(|e| e.to_string())?;
                    let charged = !matches!(
                        op,
                        Operator::Nop
                            | Operator::Drop
                            | Operator::Block { .. }
                            | Operator::Loop { .. }
                            | Operator::Unreachable
                            | Operator::Return
                            | Operator::Else
                            | Operator::End
                    );
                    if charged {
                        cost.total += 1;
                        if !frames.contains(&true) {
                            cost.entry += 1;
                        }
                    }
                    match op {
                        Operator::Block { .. } => frames.push(false),
                        Operator::Loop { .. } | Operator::If { .. } => frames.push(true),
                        Operator::End => {
                            frames.pop();
                        }
                        _ => {}
                    }
                }
                bodies.push(cost);
            }
            Payload::CustomSection(section) => {
                if let KnownCustom::Name(reader) = section.as_known() {
                    for name in reader {
                        if let Ok(Name::Function(map)) = name {
                            for naming in map.into_iter().flatten() {
                                names.push((naming.index, naming.name.to_owned()));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let body = |index: u32| bodies.get(index.checked_sub(imported)? as usize).copied();
    Ok(ENTRY_POINTS
        .iter()
        .zip(ENTRY_BODIES)
        .map(|(entry, inner)| {
            if let Some((index, _)) = names.iter().find(|(_, n)| n.ends_with(entry)) {
                return body(*index);
            }
            let (index, short) = names.iter().find_map(|(i, n)| {
                let n = format!("{:#}", rustc_demangle::demangle(n));
                inner
                    .iter()
                    .find(|(full, _)| *full == n)
                    .map(|(_, s)| (*i, *s))
            })?;
            let cost = body(index)?;
            Some(StaticFuel {
                via: Some(short),
                ..cost
            })
        })
        .collect())
}

/// The value of the `__heap_base` global the linker exports (the first byte
/// after static data and the stack), if `wasm` exports it as a constant.
pub fn heap_base(wasm: &[u8]) -> Option<u32> {
    use wasmparser::{ExternalKind, Operator, Payload};
    let mut globals = Vec::new();
    let mut exported = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let mut ops = global.ok()?.init_expr.get_operators_reader();
                    globals.push(match ops.read().ok()? {
                        Operator::I32Const { value } => Some(value as u32),
                        _ => None,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.ok()?;
                    if export.name == "__heap_base" && export.kind == ExternalKind::Global {
                        exported = Some(export.index);
                    }
                }
            }
            _ => {}
        }
    }
    // Globals are only defined here (contracts import none).
    globals.get(exported? as usize).copied().flatten()
}

/// First line of `program --version` (or why it failed).
pub fn tool_version(program: &Path) -> String {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned(),
        Ok(out) => format!(
            "{} --version failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("{} cannot run: {e}", program.display()),
    }
}

/// The versions of `name` that `lockfile` pins, joined with `, `.
pub fn locked_version(lockfile: &Path, name: &str) -> String {
    let Ok(text) = std::fs::read_to_string(lockfile) else {
        return "?".to_owned();
    };
    let mut versions = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"")
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            versions.push(v.trim_matches('"').to_owned());
        }
    }
    if versions.is_empty() {
        "?".to_owned()
    } else {
        versions.join(", ")
    }
}

#[cfg(test)]
mod part_tests {
    use super::capheap_part;

    #[test]
    fn functions_are_grouped_by_their_module() {
        let part = |name| capheap_part(name);
        assert_eq!(
            part("capheap::engine::Core::carve").as_deref(),
            Some("`capheap::engine`")
        );
        assert_eq!(
            part("capheap::engine::grow::<impl capheap::engine::Core>::room_slow").as_deref(),
            Some("`capheap::engine::grow`")
        );
        assert_eq!(
            part("capheap::engine::block_size").as_deref(),
            Some("`capheap::engine`")
        );
        assert_eq!(
            part("capheap::large::LargeLists::unlink").as_deref(),
            Some("`capheap::large`")
        );
        assert_eq!(
            part("__rustc::__rust_alloc").as_deref(),
            Some("`__rust_alloc`, `__rust_dealloc`, `__rust_realloc`")
        );
        assert_eq!(part("alloc::raw_vec::RawVecInner<A>::deallocate"), None);
        assert_eq!(part("churn"), None);
    }
}
