//! Edge cases: zero size, huge alignments, overflowing sizes, caps, budgets,
//! gas hooks, reuse and coalescing, in-place realloc, foreign growth, static
//! regions.

use crate::common::{Ranges, Shared, check, fill, nn, ops};
use capheap::backend::{NativePages, PageSource, StaticRegion};
use capheap::{AllocError, CapKind, Config, LocalHeap, PAGE_SIZE, PagePricing, Stats};
use core::alloc::Layout;
use std::cell::RefCell;
use std::rc::Rc;

fn heap(initial: u32, cfg: Config) -> LocalHeap<NativePages> {
    LocalHeap::new(NativePages::new(initial, 512), cfg.detailed_stats(true))
}

fn l(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

#[test]
fn zero_size_is_dangling_aligned_and_free() {
    let mut h = heap(0, Config::DEFAULT);
    for align in [1, 8, 16, 4096, 65536] {
        let p = h.try_alloc(l(0, align)).unwrap();
        assert_eq!(p.as_ptr() as usize % align, 0);
        // SAFETY: `p` was allocated by `h` with `l(0, align)` just above and is not used again.
        unsafe { h.dealloc(p.as_ptr(), l(0, align)) };
    }
    assert_eq!(h.stats(), Stats::default());
    assert_eq!(h.backend().pages(), 0);
}

#[test]
fn huge_alignments_up_to_64k_and_beyond() {
    let mut h = heap(1, Config::DEFAULT);
    let mut live = vec![];
    let mut r = Ranges::default();
    for (i, (size, align)) in [
        (1, 65536),
        (100_000, 65536),
        (24, 16),
        (300, 4096),
        (5, 1 << 20),
        (70_000, 32),
    ]
    .into_iter()
    .enumerate()
    {
        let p = h.try_alloc(l(size, align)).unwrap().as_ptr();
        assert_eq!(p as usize % align, 0, "align {align}");
        r.insert(p as usize, size);
        fill(p, size, i as u32);
        live.push((p, size, align, i as u32));
    }
    for &(p, size, align, tag) in &live {
        check(p, size, tag);
        // SAFETY: each `p` is live in `h` with `l(size, align)` (recorded when allocated) and
        // freed once.
        unsafe { h.dealloc(p, l(size, align)) };
    }
    assert_eq!(h.stats().live_bytes, 0);
    // Aligned requests reuse freed memory too.
    let a = h.try_alloc(l(1000, 8)).unwrap();
    let keep = h.try_alloc(l(8, 8)).unwrap();
    let big = h.try_alloc(l(200_000, 8)).unwrap();
    let _guard = h.try_alloc(l(8, 8)).unwrap();
    // SAFETY: `big` is live in `h` with `l(200_000, 8)` and is not used again.
    unsafe { h.dealloc(big.as_ptr(), l(200_000, 8)) };
    let pages = h.stats().pages_grown;
    let p = h.try_alloc(l(50_000, 65536)).unwrap();
    assert_eq!(p.as_ptr() as usize % 65536, 0);
    assert_eq!(
        h.stats().pages_grown,
        pages,
        "aligned request should reuse the freed block"
    );
    let _ = (a, keep);
}

#[test]
fn overflowing_sizes_fail_cleanly_without_growth() {
    let mut h = heap(1, Config::DEFAULT);
    let cases = [
        l(isize::MAX as usize - 65535, 65536),
        l(isize::MAX as usize, 1),
        l(usize::MAX / 4, 8),
        l(1 << 33, 8),
        l(8, 1 << 40),
    ];
    for c in cases {
        let e = h.try_alloc(c).unwrap_err();
        assert_eq!(e, AllocError::LayoutTooLarge, "{c:?}");
    }
    let s = h.stats();
    assert_eq!(s.failed_layout, cases.len() as u64);
    assert_eq!(s.pages_grown, 0);
    assert_eq!(h.backend().pages(), 1);
    // Backend maximum reached: a clean OutOfMemory.
    let e = h.try_alloc(l(40 << 20, 8)).unwrap_err();
    assert_eq!(e, AllocError::OutOfMemory);
    assert_eq!(h.stats().failed_oom, 1);
    assert_eq!(h.backend().pages(), 1);
    // A realloc to an impossible size keeps the old block.
    let p = h.try_alloc(l(100, 8)).unwrap().as_ptr();
    fill(p, 100, 9);
    // SAFETY: `p` is live in `h` with `l(100, 8)`; the call fails (asserted) and leaves it live.
    assert!(unsafe { h.try_realloc(nn(p), l(100, 8), isize::MAX as usize) }.is_err());
    check(p, 100, 9);
}

#[test]
fn memory_pages_cap_fails_without_growing() {
    let mut h = heap(2, Config::DEFAULT.max_memory_pages(4));
    let _a = h.try_alloc(l(200_000, 8)).unwrap(); // grows exactly to 4 pages
    assert_eq!(h.backend().pages(), 4);
    let e = h.try_alloc(l(100_000, 8)).unwrap_err(); // would need a 5th page
    assert_eq!(
        e,
        AllocError::CapExceeded {
            cap: CapKind::MemoryPages,
            limit: 4,
            requested: 5
        }
    );
    assert_eq!(h.backend().pages(), 4);
    assert_eq!(h.stats().failed_cap, 1);
    assert_eq!(h.last_error(), Some(e));
    // Small objects still fit in what is left.
    for _ in 0..100 {
        h.try_alloc(l(64, 8)).unwrap();
    }
}

#[test]
fn heap_bytes_cap_fails_without_growing() {
    let mut h = heap(0, Config::DEFAULT.max_heap_bytes(10_000));
    let mut n = 0;
    loop {
        match h.try_alloc(l(1000, 8)) {
            Ok(_) => n += 1,
            Err(AllocError::CapExceeded {
                cap: CapKind::HeapBytes,
                limit: 10_000,
                requested,
            }) => {
                assert!(requested > 10_000);
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(n, 9); // 9 * 1008 bytes
    let s = h.stats();
    assert!(s.heap_bytes <= 10_000);
    assert_eq!(s.pages_grown, 1);
    // Small objects use the rest, up to the cap.
    while h.try_alloc(l(8, 8)).is_ok() {}
    assert!(h.stats().heap_bytes <= 10_000);
    assert!(h.stats().heap_bytes > 10_000 - 16);
}

#[test]
fn growth_budget_exhaustion_fails_without_growing() {
    let cfg = Config::DEFAULT
        .pricing(PagePricing::Flat { per_page: 10 })
        .growth_budget(25);
    let mut h = heap(0, cfg);
    let _a = h.try_alloc(l(2 * PAGE_SIZE - 100, 8)).unwrap(); // 2 pages, price 20
    assert_eq!(h.growth_budget(), Some(5));
    assert_eq!(h.stats().growth_price_charged, 20);
    // Exactly one more page is needed: price 10 > 5 left.
    let e = h.try_alloc(l(PAGE_SIZE, 8)).unwrap_err();
    assert_eq!(
        e,
        AllocError::BudgetExhausted {
            price: 10,
            remaining: 5
        }
    );
    assert_eq!(h.backend().pages(), 2);
    assert_eq!(h.growth_budget(), Some(5));
    assert_eq!(h.stats().failed_budget, 1);
    // Refill the budget: the same request now succeeds.
    h.set_growth_budget(Some(1000));
    h.try_alloc(l(PAGE_SIZE, 8)).unwrap();
    assert_eq!(h.growth_budget(), Some(990));
    assert_eq!(h.stats().pages_grown, 3);
    assert_eq!(h.meter().charged(), 30);
}

#[test]
fn unpriceable_growth_fails() {
    let mut h = heap(127, Config::DEFAULT.pricing(PagePricing::STYLUS));
    let e = h.try_alloc(l(130 * PAGE_SIZE, 8)).unwrap_err();
    assert!(
        matches!(
            e,
            AllocError::Unpriceable {
                current_pages: 127,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(h.backend().pages(), 127);
    assert_eq!(h.stats().failed_budget, 1);
}

fn poor() -> i64 {
    500
}

#[test]
fn gas_hook_refuses_unaffordable_growth() {
    let cfg = Config::DEFAULT
        .pricing(PagePricing::Flat { per_page: 400 })
        .gas_hook(poor);
    let mut h = heap(0, cfg);
    h.try_alloc(l(1000, 8)).unwrap(); // 1 page: 400 <= 500
    let e = h.try_alloc(l(2 * PAGE_SIZE, 8)).unwrap_err(); // 2 more pages
    assert_eq!(
        e,
        AllocError::GasHookRefused {
            price: 800,
            gas_left: 500
        }
    );
    assert_eq!(h.backend().pages(), 1);
    assert_eq!(h.stats().failed_gas_hook, 1);
}

#[test]
fn freed_memory_is_reused_and_coalesced_before_growing() {
    let mut h = heap(0, Config::DEFAULT);
    let a = h.try_alloc(l(3000, 8)).unwrap();
    let b = h.try_alloc(l(3000, 8)).unwrap();
    let c = h.try_alloc(l(3000, 8)).unwrap();
    let _pin = h.try_alloc(l(16, 8)).unwrap();
    // SAFETY: `a`, `b` and `c` are live in `h` with `l(3000, 8)`, each freed once and not used
    // again.
    unsafe {
        h.dealloc(a.as_ptr(), l(3000, 8));
        h.dealloc(c.as_ptr(), l(3000, 8));
        h.dealloc(b.as_ptr(), l(3000, 8));
    }
    // a, b, c coalesced into one block: a 9000-byte request fits at a.
    let top = h.bounds().1;
    let d = h.try_alloc(l(9000, 8)).unwrap();
    assert_eq!(d, a);
    assert_eq!(h.bounds().1, top, "must not carve from the top");
    // Small classes reuse freed objects (LIFO).
    let x = h.try_alloc(l(40, 8)).unwrap();
    // SAFETY: `x` is live in `h` with `l(40, 8)` and is not used again (only compared).
    unsafe { h.dealloc(x.as_ptr(), l(40, 8)) };
    assert_eq!(h.try_alloc(l(33, 4)).unwrap(), x);
}

#[test]
fn alternating_large_buffers_stay_within_peak() {
    // Buffers of 1..64 KiB freed out of order (the benchmark pattern): the
    // footprint stays near the peak live set instead of growing forever.
    let mut h = heap(0, Config::DEFAULT);
    let mut live: Vec<Option<(*mut u8, Layout)>> = vec![None; 4];
    let mut r: u64 = 99;
    let mut peak = 0usize;
    for _ in 0..ops(2000) {
        r = r
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let kb = ((r >> 33) % 64 + 1) as usize;
        let k = ((r >> 20) % 4) as usize;
        if let Some((p, lay)) = live[k].take() {
            // SAFETY: a slot holds a live block of `h` with its own layout; `take` empties the
            // slot, so it is freed once.
            unsafe { h.dealloc(p, lay) };
        }
        let lay = l(kb * 1024, 8);
        live[k] = Some((h.try_alloc(lay).unwrap().as_ptr(), lay));
        peak = peak.max(h.stats().live_bytes as usize);
    }
    let pages = h.stats().pages_grown as usize;
    assert!(
        pages * PAGE_SIZE <= 3 * peak,
        "pages {pages} for peak {peak}"
    );
}

#[test]
fn realloc_in_place_at_top_and_within_class() {
    let mut h = heap(0, Config::DEFAULT);
    let mut p = h.try_alloc(l(8, 1)).unwrap().as_ptr();
    let first = p;
    // A growing string at the top of the run never moves.
    let mut size = 8;
    while size < 256 {
        fill(p, size, 1);
        // SAFETY: `p` is live in `h` with `l(size, 1)` (the previous round's new size); it is
        // replaced by the result.
        p = unsafe { h.try_realloc(nn(p), l(size, 1), size * 2) }
            .unwrap()
            .as_ptr();
        check(p, size, 1);
        size *= 2;
    }
    assert_eq!(p, first);
    // Same class: no move.
    // SAFETY: `p` is live in `h` with `l(256, 1)` (the loop's last size).
    let q = unsafe { h.try_realloc(nn(p), l(256, 1), 250) }
        .unwrap()
        .as_ptr();
    assert_eq!(q, p);
    // A large buffer at the top grows and shrinks in place.
    let big = h.try_alloc(l(10_000, 8)).unwrap().as_ptr();
    fill(big, 10_000, 2);
    // SAFETY: `big` is live in `h` with `l(10_000, 8)`.
    let big2 = unsafe { h.try_realloc(nn(big), l(10_000, 8), 300_000) }
        .unwrap()
        .as_ptr();
    assert_eq!(big2, big);
    check(big2, 10_000, 2);
    // SAFETY: `big2` is live in `h` with `l(300_000, 8)` (the realloc above succeeded).
    let big3 = unsafe { h.try_realloc(nn(big2), l(300_000, 8), 1000) }
        .unwrap()
        .as_ptr();
    assert_eq!(big3, big);
    check(big3, 1000, 2);
    assert_eq!(h.stats().reallocs, 8);
    assert_eq!(h.stats().allocs, 2);
}

#[test]
fn foreign_growth_starts_a_new_segment() {
    let shared = Shared(Rc::new(RefCell::new(NativePages::new(0, 512))));
    let mut outsider = shared.clone();
    let mut h = LocalHeap::new(shared, Config::DEFAULT.detailed_stats(true));
    let mut r = Ranges::default();
    let mut live = vec![];
    for i in 0..50u32 {
        let size = [24, 600, 7000, 80][i as usize % 4];
        let p = h.try_alloc(l(size, 8)).unwrap().as_ptr();
        fill(p, size, i);
        r.insert(p as usize, size);
        live.push((p, size, i));
        if i % 10 == 5 {
            // Someone else takes 2 pages at the end of memory.
            let prev = outsider.grow(2).unwrap() as usize;
            let base = outsider.0.borrow().base() as usize;
            r.insert(base + prev * PAGE_SIZE, 2 * PAGE_SIZE);
        }
    }
    for &(p, size, tag) in &live {
        check(p, size, tag);
    }
    let s = h.stats();
    assert_eq!(s.live_bytes, live.iter().map(|x| x.1 as u64).sum::<u64>());
    // Foreign pages are not heap bytes.
    let (start, top) = h.bounds();
    assert!((s.heap_bytes as usize) < top - start);
    for (p, size, _) in live {
        // SAFETY: each block is live in `h` with `l(size, 8)` (recorded when allocated) and freed
        // once.
        unsafe { h.dealloc(p, l(size, 8)) };
    }
    assert_eq!(h.stats().live_bytes, 0);
}

#[test]
fn static_region_serves_until_full() {
    let buf: &'static mut [u8] = Box::leak(vec![0u8; 100_000].into_boxed_slice());
    let mut h = LocalHeap::new(StaticRegion::new(buf), Config::DEFAULT);
    let mut n = 0;
    while h.try_alloc(l(1000, 8)).is_ok() {
        n += 1;
    }
    assert!(n >= 95, "{n}");
    assert_eq!(h.last_error(), Some(AllocError::OutOfMemory));
    assert_eq!(h.stats().pages_grown, 0);
}

#[test]
fn try_dealloc_is_ok_without_debug_checks() {
    let mut h = heap(0, Config::DEFAULT);
    let p = h.try_alloc(l(10, 1)).unwrap();
    // SAFETY: `p` was allocated by `h` with `l(10, 1)` and is not used again.
    assert!(unsafe { h.try_dealloc(p, l(10, 1)) }.is_ok());
}

#[test]
fn growth_is_exact_at_every_page_boundary() {
    // Bump small objects (and, once, a large block that closes the run) across
    // several page boundaries: after every allocation the memory end is the
    // first page boundary at or above `top + RESERVE`.
    use capheap::layout::RESERVE;
    let mut h = heap(0, Config::DEFAULT);
    let base = h.backend().base() as usize;
    // 40,000 objects cross 10 boundaries natively; an eighth of them under
    // Miri, 1.
    let n = ops(40_000);
    for i in 0..n {
        let size = if i == n * 9 / 40 {
            3000
        } else {
            8 + (i % 3) * 8
        };
        h.try_alloc(l(size, 8)).unwrap();
        let (_, top) = h.bounds();
        let end = base + h.backend().pages() as usize * PAGE_SIZE;
        assert!(top + RESERVE <= end);
        assert!(top + RESERVE > end - PAGE_SIZE, "over-grown at {i}");
    }
}

#[test]
fn emptying_a_small_heap_keeps_free_lists_and_a_big_one_resets() {
    use capheap::layout::RESET_MIN;
    let mut h = heap(0, Config::DEFAULT);
    // Small footprint: emptying it does not reset; the freed object is reused.
    let p = h.try_alloc(l(64, 8)).unwrap().as_ptr();
    // SAFETY: `p` is live in `h` with `l(64, 8)` and is not used again (only compared).
    unsafe { h.dealloc(p, l(64, 8)) };
    let (start, top) = h.bounds();
    assert!(top - start <= RESET_MIN);
    assert_eq!(h.stats().resets, 0);
    assert_eq!(h.stats().live_bytes, 0);
    for _ in 0..ops(1000) {
        let q = h.try_alloc(l(64, 8)).unwrap().as_ptr();
        assert_eq!(q, p);
        // SAFETY: `q` was allocated just above with `l(64, 8)` and is not used again.
        unsafe { h.dealloc(q, l(64, 8)) };
    }
    assert_eq!(
        h.bounds(),
        (start, top),
        "a tight loop does not move the top"
    );
    // Above RESET_MIN, emptying the heap rewinds it to its start.
    let big = h.try_alloc(l(RESET_MIN, 8)).unwrap().as_ptr();
    let small = h.try_alloc(l(24, 8)).unwrap().as_ptr();
    assert!(h.bounds().1 - start > RESET_MIN);
    // SAFETY: `big` and `small` are live in `h` with these layouts and are not used again.
    unsafe {
        h.dealloc(big, l(RESET_MIN, 8));
        h.dealloc(small, l(24, 8));
    }
    assert_eq!(h.stats().resets, 1);
    assert_eq!(h.bounds(), (start, start));
    let q = h.try_alloc(l(64, 8)).unwrap().as_ptr();
    assert_eq!(q as usize, start, "after a reset the heap starts again");
}

/// Regression (found by the heap model): growing the block at the top when
/// the heap-bytes cap refuses the room must not look past the top, where
/// stale bytes of a freed block can read like a free block's header.
#[test]
fn growing_the_top_block_past_a_cap_does_not_read_past_the_top() {
    let cfg = Config::DEFAULT.max_heap_bytes(40_000);
    let mut h = LocalHeap::new(NativePages::new(0, 16), cfg);
    // A block full of 0xFF at the top, then freed: the top retreats over it
    // and its bytes stay behind.
    let z = l(30_000, 8);
    let pz = h.alloc(z);
    // SAFETY: `pz` is a live 30,000-byte block of `h` (non-null: the allocation is within the
    // cap), written and then freed once.
    unsafe {
        pz.write_bytes(0xFF, 30_000);
        h.dealloc(pz, z);
    }
    // A small-but-large block now at the top ends inside those stale bytes.
    let a = l(1_000, 8);
    let pa = h.alloc(a);
    assert_eq!(pa, pz, "the freed space is reused at the top");
    // SAFETY: `pa` is a live 1,000-byte block of `h`.
    unsafe { pa.write_bytes(7, 1_000) };
    // Growing it past the cap fails cleanly and leaves it intact.
    // SAFETY: `pa` is live in `h` with `a`; the call fails (asserted) and leaves it live.
    let err = unsafe { h.try_realloc(nn(pa), a, 50_000) }.unwrap_err();
    assert!(matches!(err, AllocError::CapExceeded { .. }), "{err:?}");
    // SAFETY: `pa` is still a live 1,000-byte block (the realloc failed).
    assert!((0..1_000).all(|i| unsafe { *pa.add(i) } == 7));
    h.check_invariants().unwrap();
    // And within the cap it grows in place at the top.
    // SAFETY: `pa` is live in `h` with `a`.
    let q = unsafe { h.try_realloc(nn(pa), a, 20_000) }.unwrap();
    assert_eq!(q.as_ptr(), pa);
    h.check_invariants().unwrap();
}
