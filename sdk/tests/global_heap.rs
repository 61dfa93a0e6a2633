//! `Heap` as the process's `#[global_allocator]` on the host (static
//! `NATIVE_HEAP_PAGES` backend, spin lock): std collections, threads, `try_*`, stats, the host
//! ABI helpers and the stats encoding.

use capheap::abi::{host_alloc_ptr, host_free_ptr};
use capheap::{AllocError, CapKind, Config, Heap, Region, Stats, StatsLenError};
use core::alloc::Layout;
use std::collections::BTreeMap;

#[global_allocator]
static HEAP: Heap = Heap::new(Config {
    // The whole 64 MiB native region: panics with backtraces need room.
    max_memory_pages: Some(1024),
    detailed_stats: true,
    ..Config::DEFAULT
});

#[test]
fn std_collections_and_threads_run_on_capheap() {
    let before = HEAP.stats();
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut m = BTreeMap::new();
                let mut s = String::new();
                for i in 0..5000u64 {
                    m.insert(i * 7 + t, vec![i as u8; (i % 300) as usize]);
                    if i % 3 == 0 {
                        m.remove(&(i * 7 + t).saturating_sub(21));
                    }
                    s.push_str(&format!("{i},"));
                }
                (m.values().map(|v| v.len()).sum::<usize>(), s.len())
            })
        })
        .collect();
    for h in handles {
        let (n, len) = h.join().unwrap();
        assert!(n > 0 && len > 0);
    }
    let after = HEAP.stats();
    assert!(after.allocs > before.allocs + 20_000);
    assert!(after.frees > before.frees);
    assert!(after.reallocs > before.reallocs);
    assert!(after.peak_live_bytes >= after.live_bytes);
}

#[test]
fn try_alloc_reports_the_cap_instead_of_aborting() {
    let big = Layout::from_size_align(80 << 20, 8).unwrap();
    let e = HEAP.try_alloc(big).unwrap_err();
    assert!(
        matches!(
            e,
            AllocError::CapExceeded {
                cap: CapKind::MemoryPages,
                limit: 1024,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(HEAP.stats().failed_cap >= 1);
    let ok = HEAP
        .try_alloc(Layout::from_size_align(1000, 64).unwrap())
        .unwrap();
    assert_eq!(ok.as_ptr() as usize % 64, 0);
    // SAFETY: `ok` is live in `HEAP` with this layout; the realloc's result replaces it and is
    // freed once.
    unsafe {
        let p = HEAP
            .try_realloc(ok, Layout::from_size_align(1000, 64).unwrap(), 3000)
            .unwrap();
        assert_eq!(p.as_ptr() as usize % 64, 0);
        HEAP.try_dealloc(p, Layout::from_size_align(3000, 64).unwrap())
            .unwrap();
    }
    assert_eq!(HEAP.config().max_memory_pages, Some(1024));
}

#[test]
fn growth_budget_can_be_set_at_runtime() {
    // Free pricing: growth costs 0, so even a zero budget lets the heap grow,
    // and nothing is taken from it. (The budget's effect under a priced
    // model is `pricing::runtime_budget_limits_growth`.)
    let old = HEAP.growth_budget();
    HEAP.set_growth_budget(Some(0));
    // 40 MiB: more than anything else in this binary ever holds, so it
    // cannot be served without growing.
    let l = Layout::from_size_align(40 << 20, 8).unwrap();
    let grown = HEAP.stats().pages_grown;
    let p = HEAP.try_alloc(l).expect("free growth under a zero budget");
    assert!(HEAP.stats().pages_grown >= grown + 640);
    assert_eq!(HEAP.growth_budget(), Some(0));
    // SAFETY: `p` is live in `HEAP` with `l` and is not used again.
    unsafe { HEAP.try_dealloc(p, l).unwrap() };
    HEAP.set_growth_budget(old);
    assert_eq!(HEAP.growth_budget(), old);
}

#[test]
fn host_abi_allocates_and_frees() {
    assert!(host_alloc_ptr(&HEAP, -1).is_null());
    let z = host_alloc_ptr(&HEAP, 0);
    assert_eq!(z as usize, 1);
    // SAFETY: `z` came from `host_alloc_ptr(&HEAP, 0)` and is not used again.
    unsafe { host_free_ptr(&HEAP, z, 0) };
    let p = host_alloc_ptr(&HEAP, 100);
    assert!(!p.is_null());
    // SAFETY: `p` came from `host_alloc_ptr(&HEAP, 100)`: 100 writable bytes, then freed once with
    // the same length.
    unsafe {
        p.write_bytes(7, 100);
        host_free_ptr(&HEAP, p, 100);
    }
    assert_eq!(core::mem::size_of::<Region>(), Region::SIZE);
    assert_eq!(capheap::HOST_ALLOC_EXPORT, "capheap_alloc");
    assert_eq!(capheap::HOST_FREE_EXPORT, "capheap_free");
    assert_eq!(capheap::STATS_EXPORT, "capheap_stats");
}

#[test]
fn stats_encoding_is_borsh() {
    let s = Stats {
        live_bytes: 1,
        peak_live_bytes: 2,
        heap_bytes: 3,
        pages_grown: 4,
        growth_price_charged: u64::MAX,
        allocs: 6,
        frees: 7,
        reallocs: 8,
        resets: 9,
        failed_cap: 10,
        failed_budget: 11,
        failed_gas_hook: 12,
        failed_oom: 13,
        failed_layout: 14,
        invalid_frees: 15,
        rounding_waste_bytes: 16,
        failed_reentrant: 17,
    };
    let mut buf = [0u8; Stats::ENCODED_LEN];
    s.encode_into(&mut buf);
    // Borsh's bytes for the fields in declaration order (a fixed array has
    // no length prefix), and, with the `borsh` feature, for the struct.
    let mut fields: [u64; Stats::FIELDS] = core::array::from_fn(|i| i as u64 + 1);
    fields[4] = u64::MAX;
    assert_eq!(buf.to_vec(), borsh::to_vec(&fields).unwrap());
    #[cfg(feature = "borsh")]
    assert_eq!(buf.to_vec(), borsh::to_vec(&s).unwrap());
    assert_eq!(Stats::decode(&buf), Ok(s));
    for len in [0, 10, Stats::ENCODED_LEN - 1] {
        assert_eq!(Stats::decode(&buf[..len]), Err(StatsLenError { len }));
    }
    let mut long = buf.to_vec();
    long.push(0);
    assert_eq!(
        Stats::decode(&long),
        Err(StatsLenError {
            len: Stats::ENCODED_LEN + 1
        })
    );
    #[cfg(feature = "borsh")]
    {
        use borsh::BorshDeserialize;
        assert_eq!(Stats::try_from_slice(&buf).unwrap(), s);
    }
    let live = HEAP.stats();
    let mut buf2 = [0u8; Stats::ENCODED_LEN];
    live.encode_into(&mut buf2);
    assert_eq!(Stats::decode(&buf2).unwrap(), live);
}

/// The error types say what failed (their `Display` is written by hand: the
/// SDK has no dependency), and are `core::error::Error`s.
#[test]
fn errors_say_what_failed() {
    use capheap::{InvariantError, ParsePricingError};
    let all = [
        AllocError::CapExceeded {
            cap: CapKind::MemoryPages,
            limit: 4,
            requested: 5,
        },
        AllocError::BudgetExhausted {
            price: 9,
            remaining: 2,
        },
        AllocError::Unpriceable {
            current_pages: 120,
            delta_pages: 16,
        },
        AllocError::GasHookRefused {
            price: 7,
            gas_left: -1,
        },
        AllocError::LayoutTooLarge,
        AllocError::OutOfMemory,
        AllocError::DoubleFree,
        AllocError::InvalidPointer,
        AllocError::Reentrant,
        AllocError::LayoutMismatch,
    ];
    let texts: Vec<String> = all.iter().map(|e| e.to_string()).collect();
    assert_eq!(texts[0], "MemoryPages cap exceeded: limit 4, requested 5");
    assert_eq!(texts[1], "growth budget exhausted: price 9, remaining 2");
    assert_eq!(texts[2], "growth of 16 pages from 120 pages is unpriceable");
    assert_eq!(texts[3], "gas hook refused growth: price 7, gas left -1");
    let mut unique = texts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), AllocError::CODES, "{texts:?}");
    let e: &dyn core::error::Error = &all[5];
    assert_eq!(e.to_string(), "out of memory: the backend refused to grow");

    assert_eq!(
        "flat:1:2".parse::<capheap::PagePricing>().unwrap_err(),
        ParsePricingError::Arity {
            model: "flat",
            expected: 1,
            got: 2
        }
    );
    let e: &dyn core::error::Error = &ParsePricingError::ZeroDivisor;
    assert_eq!(e.to_string(), "the evm divisor must not be 0");
    assert_eq!(
        ParsePricingError::Arity {
            model: "flat",
            expected: 1,
            got: 2
        }
        .to_string(),
        "`flat` takes 1 numbers, got 2"
    );
    let e: &dyn core::error::Error = &InvariantError {
        at: 0x40,
        what: "free list holds a used block",
    };
    assert_eq!(
        e.to_string(),
        "heap invariant violated at 0x40: free list holds a used block"
    );
    let e: &dyn core::error::Error = &StatsLenError { len: 3 };
    assert_eq!(
        e.to_string(),
        "encoded capheap stats are 136 bytes (17 little-endian u64), not 3"
    );
}
