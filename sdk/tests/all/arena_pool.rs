//! Model-based tests of `Arena`, `Pool` and `ClassPools` on the host backend.

use crate::common::{self, Ranges, Shared, check, config, fill, layout};
use capheap::arena::{Arena, ArenaConfig};
use capheap::backend::{NativePages, PageSource};
use capheap::pool::{ClassPools, Pool};
use capheap::{AllocError, CapKind, PAGE_SIZE, PagePricing};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum AOp {
    Alloc(usize, u8),
    FreeLast,
    Checkpoint,
    ResetTo(usize),
    Reset,
}

fn aop() -> impl Strategy<Value = AOp> {
    prop_oneof![
        12 => (prop_oneof![8 => 0usize..=300, 2 => 301usize..=70_000], 0u8..=7)
            .prop_map(|(s, a)| AOp::Alloc(s, a)),
        1 => Just(AOp::Alloc(1, 16)),
        2 => Just(AOp::FreeLast),
        2 => Just(AOp::Checkpoint),
        2 => any::<usize>().prop_map(AOp::ResetTo),
        1 => Just(AOp::Reset),
    ]
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn arena_matches_model(
        initial in 0u32..2,
        cap in prop::option::weighted(0.4, 1usize..400_000),
        ops in prop::collection::vec(aop(), 1..200),
    ) {
        let cfg = ArenaConfig { max_bytes: cap, ..ArenaConfig::DEFAULT };
        let mut arena = Arena::with_config(NativePages::new(initial, 64), cfg);
        // (ptr, size, tag) in allocation order; checkpoints are indices into it.
        let mut live: Vec<(*mut u8, usize, u32)> = vec![];
        let mut cps: Vec<(capheap::arena::Checkpoint, usize, u64)> = vec![];
        let mut ranges = Ranges::default();
        let mut live_bytes = 0u64;
        // Whether the newest live block is the arena's most recent
        // allocation (only that one can be given back).
        let mut newest_is_last = false;
        // A block just given back: the next allocation of the same layout
        // must reuse its address.
        let mut given_back: Option<(*mut u8, usize)> = None;
        for (tag, op) in ops.iter().enumerate() {
            let tag = tag as u32;
            match *op {
                AOp::Alloc(s, a) => {
                    let l = layout(s, a);
                    let grown = arena.stats().pages_grown;
                    match arena.try_alloc(l) {
                        Ok(p) => {
                            let p = p.as_ptr();
                            prop_assert_eq!(p as usize % l.align(), 0);
                            if s != 0 {
                                if let Some((q, qs)) = given_back.take()
                                    && qs == s
                                    && (q as usize).is_multiple_of(l.align())
                                {
                                    prop_assert_eq!(p, q, "a given-back block is reused");
                                }
                                ranges.insert(p as usize, s);
                                fill(p, s, tag);
                                live.push((p, s, tag));
                                live_bytes += s as u64;
                                newest_is_last = true;
                            }
                        }
                        Err(AllocError::CapExceeded { cap: CapKind::ArenaBytes, limit, requested }) => {
                            prop_assert_eq!(Some(limit as usize), cap);
                            prop_assert!(requested > limit);
                            prop_assert_eq!(arena.stats().pages_grown, grown);
                        }
                        Err(AllocError::OutOfMemory) => prop_assert_eq!(arena.stats().pages_grown, grown),
                        Err(e) => prop_assert!(false, "unexpected {:?}", e),
                    }
                }
                AOp::FreeLast => {
                    let Some(&(p, s, t)) = live.last() else { continue };
                    let l = core::alloc::Layout::from_size_align(s, 1).unwrap();
                    // SAFETY: `p` is live in this arena with size `s`
                    // (the alignment does not take part in the free).
                    unsafe { arena.dealloc(core::ptr::NonNull::new(p).unwrap(), l) };
                    if newest_is_last {
                        // The most recent allocation is given back.
                        live.pop();
                        ranges.remove(p as usize, s);
                        live_bytes -= s as u64;
                        given_back = Some((p, s));
                        // Checkpoints taken after it are void in the model.
                        cps.retain(|c| c.1 <= live.len());
                    } else {
                        // Anything else is a no-op: still live and intact.
                        check(p, s, t);
                    }
                    newest_is_last = false;
                }
                AOp::Checkpoint => cps.push((arena.checkpoint(), live.len(), live_bytes)),
                AOp::ResetTo(i) => {
                    if cps.is_empty() { continue; }
                    let k = i % cps.len();
                    let (cp, n, lb) = cps[k];
                    arena.reset_to(cp).unwrap();
                    for (p, s, _) in live.drain(n..) { ranges.remove(p as usize, s); }
                    cps.truncate(k + 1);
                    live_bytes = lb;
                    newest_is_last = false;
                    given_back = None;
                }
                AOp::Reset => {
                    arena.reset();
                    live.clear();
                    cps.clear();
                    ranges.clear();
                    live_bytes = 0;
                    newest_is_last = false;
                    given_back = None;
                }
            }
            if tag.is_multiple_of(16) || tag as usize + 1 == ops.len() {
                for &(p, s, t) in &live { check(p, s, t); }
            }
            let st = arena.stats();
            prop_assert_eq!(st.live_bytes, live_bytes);
            if let Some(c) = cap { prop_assert!(st.heap_bytes as usize <= c); }
            prop_assert!(arena.backend().pages() <= 64);
        }
    }

    #[test]
    fn pool_matches_model(
        cap in prop::option::of(1usize..200),
        ops in prop::collection::vec((any::<bool>(), any::<u64>()), 1..common::ops(400)),
    ) {
        let mut pool: Pool<[u64; 3], _> = Pool::new(NativePages::new(0, 16));
        if let Some(c) = cap { pool = pool.with_max_items(c); }
        let mut live = vec![];
        let mut ranges = Ranges::default();
        let mut refused = 0;
        for (alloc, v) in ops {
            if alloc || live.is_empty() {
                match pool.alloc([v, !v, v ^ 7]) {
                    Ok(b) => {
                        ranges.insert(&*b as *const _ as usize, 24);
                        live.push((b, v));
                    }
                    Err(AllocError::CapExceeded { cap: CapKind::PoolItems, limit, requested }) => {
                        prop_assert_eq!(Some(limit as usize), cap);
                        prop_assert_eq!(requested, limit + 1);
                        prop_assert_eq!(live.len(), limit as usize);
                        refused += 1;
                    }
                    Err(e) => prop_assert!(false, "unexpected {:?}", e),
                }
            } else {
                let (b, v) = live.swap_remove((v as usize) % live.len());
                prop_assert_eq!(*b, [v, !v, v ^ 7]);
                ranges.remove(&*b as *const _ as usize, 24);
                drop(b);
            }
            prop_assert_eq!(pool.live(), live.len());
            // Every refusal of the item cap is counted, and nothing else fails.
            prop_assert_eq!((pool.stats().failed_cap, pool.stats().failed()), (refused, refused));
            for (b, v) in &live { prop_assert_eq!(**b, [*v, !*v, *v ^ 7]); }
        }
    }

    #[test]
    fn class_pools_match_model(ops in prop::collection::vec((any::<bool>(), 1usize..=512, any::<usize>()), 1..common::ops(400))) {
        let pools = ClassPools::new(NativePages::new(0, 16));
        let mut live: Vec<(*mut u8, usize, u32)> = vec![];
        let mut ranges = Ranges::default();
        for (tag, (alloc, size, pick)) in ops.into_iter().enumerate() {
            if alloc || live.is_empty() {
                let p = pools.try_alloc(layout(size, 3)).unwrap().as_ptr();
                prop_assert_eq!(p as usize % 8, 0);
                ranges.insert(p as usize, size);
                fill(p, size, tag as u32);
                live.push((p, size, tag as u32));
            } else {
                let (p, size, t) = live.swap_remove(pick % live.len());
                check(p, size, t);
                ranges.remove(p as usize, size);
                // SAFETY: `p` was allocated from `pools` with `layout(size, 3)` (the same call
                // made it) and is dropped from `live` here, so it is not used again.
                unsafe { pools.dealloc(core::ptr::NonNull::new(p).unwrap(), layout(size, 3)) };
            }
            let rounded: usize = live.iter().map(|x| (x.1 + 7) & !7).sum();
            prop_assert_eq!(pools.live_bytes(), rounded);
        }
        prop_assert_eq!(pools.stats().failed(), 0);
        prop_assert_eq!(pools.try_alloc(layout(513, 0)).unwrap_err(), AllocError::LayoutTooLarge);
        prop_assert_eq!(pools.try_alloc(layout(8, 4)).unwrap_err(), AllocError::LayoutTooLarge);
        prop_assert_eq!(pools.stats().failed_layout, 2);
    }

    #[test]
    fn arena_is_deterministic(ops in prop::collection::vec(aop(), 1..common::ops(120))) {
        let run = || {
            let mut arena = Arena::new(NativePages::new(0, 64));
            let base = arena.backend().base() as usize;
            let mut offs = vec![];
            let mut cps = vec![];
            for op in &ops {
                match *op {
                    AOp::Alloc(s, a) => {
                        if let Ok(p) = arena.try_alloc(layout(s, a)) && s != 0 {
                            offs.push(p.as_ptr() as usize - base);
                        }
                    }
                    AOp::Checkpoint => cps.push(arena.checkpoint()),
                    AOp::ResetTo(i) if !cps.is_empty() => { let k = i % cps.len(); arena.reset_to(cps[k]).unwrap(); cps.truncate(k + 1); }
                    AOp::Reset => { arena.reset(); cps.clear(); }
                    _ => {}
                }
            }
            (offs, arena.stats())
        };
        prop_assert_eq!(run(), run());
    }
}

#[test]
fn arena_scope_frees_and_reuses() {
    let mut arena = Arena::new(NativePages::new(0, 8));
    let p1 = arena.scope(|a| {
        let v = a.alloc_slice_copy(&[1u32; 1000]).unwrap();
        v.as_ptr() as usize
    });
    assert_eq!(arena.stats().live_bytes, 0);
    let v = arena.alloc_slice_copy(&[2u32; 1000]).unwrap();
    assert_eq!(v.as_ptr() as usize, p1);
    assert_eq!(arena.alloc_str("hello").unwrap(), "hello");
    let pages = arena.stats().pages_grown;
    for _ in 0..10 {
        arena.scope(|a| {
            for i in 0..100u64 {
                *a.alloc_value(i).unwrap() += 1;
            }
        });
    }
    assert_eq!(arena.stats().pages_grown, pages, "scopes reuse memory");
}

#[test]
fn stale_and_future_checkpoints_are_refused() {
    let mut arena = Arena::new(NativePages::new(0, 8));
    arena.alloc_slice_copy(&[1u8; 100]).unwrap();
    let before = arena.checkpoint();
    arena.alloc_slice_copy(&[2u8; 300]).unwrap();
    let after = arena.checkpoint();
    // Back to `before`; `after` now lies ahead of the current position.
    arena.reset_to(before).unwrap();
    assert_eq!(arena.stats().live_bytes, 100);
    assert_eq!(arena.reset_to(after), Err(AllocError::InvalidPointer));
    assert_eq!(arena.stats().live_bytes, 100);
    // A full reset voids every older checkpoint.
    arena.reset();
    assert_eq!(arena.reset_to(before), Err(AllocError::InvalidPointer));
    assert_eq!(
        arena.stats().live_bytes,
        0,
        "live_bytes must count what is allocated"
    );
    let fresh = arena.checkpoint();
    arena.alloc_slice_copy(&[3u8; 50]).unwrap();
    arena.reset_to(fresh).unwrap();
    assert_eq!(arena.stats().live_bytes, 0);
}

#[test]
fn arena_chunks_survive_foreign_growth_and_reset() {
    // Two arenas over one memory cannot exist safely, so simulate foreign
    // growth with a backend the test also grows.
    use std::cell::RefCell;
    use std::rc::Rc;
    let shared = Shared(Rc::new(RefCell::new(NativePages::new(0, 64))));
    let mut other = shared.clone();
    let mut arena = Arena::new(shared);
    let mut ranges = Ranges::default();
    let mut live = vec![];
    for i in 0..40u32 {
        let s = 5000 + i as usize * 300;
        let p = arena.try_alloc(layout(s, 3)).unwrap().as_ptr();
        ranges.insert(p as usize, s);
        fill(p, s, i);
        live.push((p, s, i));
        if i % 7 == 3 {
            let prev = other.grow(1).unwrap() as usize;
            ranges.insert(
                other.0.borrow().base() as usize + prev * PAGE_SIZE,
                PAGE_SIZE,
            );
        }
    }
    for &(p, s, t) in &live {
        check(p, s, t);
    }
    let pages = other.pages();
    arena.reset();
    // After a reset the same chunks are reused: no growth for the same work.
    for i in 0..40u32 {
        let s = 5000 + i as usize * 300;
        arena.try_alloc(layout(s, 3)).unwrap();
    }
    assert_eq!(other.pages(), pages);
}

#[test]
fn arena_growth_is_metered_and_capped() {
    let cfg = ArenaConfig {
        pricing: PagePricing::Flat { per_page: 5 },
        growth_budget: Some(12),
        ..ArenaConfig::DEFAULT
    };
    let arena = Arena::with_config(NativePages::new(0, 64), cfg);
    arena.try_alloc(layout(2 * PAGE_SIZE - 64, 3)).unwrap();
    assert_eq!(arena.stats().growth_price_charged, 10);
    let e = arena.try_alloc(layout(PAGE_SIZE, 3)).unwrap_err();
    assert_eq!(
        e,
        AllocError::BudgetExhausted {
            price: 5,
            remaining: 2
        }
    );
    assert_eq!(arena.stats().failed_budget, 1);
    assert_eq!(arena.stats().pages_grown, 2);
    let _ = arena.checkpoint();
    // A checkpoint from another arena is rejected.
    let other = Arena::new(NativePages::new(1, 2));
    other.try_alloc(layout(8, 3)).unwrap();
    let mut arena = arena;
    arena.try_alloc(layout(8, 3)).unwrap();
    assert_eq!(
        arena.reset_to(other.checkpoint()),
        Err(AllocError::InvalidPointer)
    );
}

#[cfg(feature = "allocator-api2")]
#[test]
fn arena_works_as_allocator_api2_allocator() {
    use allocator_api2::vec::Vec;
    let mut arena = Arena::new(NativePages::new(0, 8));
    {
        let mut v: Vec<u64, _> = Vec::new_in(&arena);
        for i in 0..10_000u64 {
            v.push(i);
        }
        assert_eq!(v.iter().sum::<u64>(), 49_995_000);
        // Doubling growth: in place while the chunk has room, else a copy.
        assert!(arena.stats().live_bytes < 3 * 16_384 * 8);
    }
    arena.reset();
    assert_eq!(arena.stats().live_bytes, 0);
}
