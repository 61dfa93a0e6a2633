//! What a build *without* `debug-checks` does with a free whose layout is
//! smaller than the allocation (the cosmwasm-std 2.0.0 case): nothing is
//! corrupted, only the block's tail is leaked. (A layout *larger* than the
//! allocation is undefined behaviour and is not tested: see
//! `docs/src/caps-and-errors.md`.)
#![cfg(not(feature = "debug-checks"))]

use crate::common::{Ranges, check, fill};
use capheap::backend::NativePages;
use capheap::{Config, LocalHeap};
use core::alloc::Layout;

#[test]
fn a_large_block_freed_with_a_small_layout_leaks_only_its_tail() {
    let mut h = LocalHeap::new(NativePages::new(0, 64), Config::DEFAULT);
    let big = Layout::from_size_align(1024, 1).unwrap();
    let wrong = Layout::from_size_align(62, 1).unwrap();
    let mut live = Ranges::default();
    let mut keep = Vec::new();
    let p = h.alloc(big);
    // Neighbours on both sides, filled with patterns.
    for tag in 0..4u32 {
        let l = Layout::from_size_align(40 + tag as usize * 300, 8).unwrap();
        let q = h.alloc(l);
        fill(q, l.size(), tag);
        live.insert(q as usize, l.size());
        keep.push((q, l, tag));
    }
    // SAFETY: a smaller layout than the allocation's breaks `dealloc`'s
    // contract on purpose: the heap documents (caps-and-errors.md) that a
    // release build then files the block's front under the small layout's
    // class and leaks its tail, touching nothing else (the behaviour under
    // test); `p` is not used again except as an address compared below.
    unsafe { h.dealloc(p, wrong) };
    // The front of the block is reused as a 64-byte object; nothing it hands
    // out overlaps a live block, and the neighbours are intact.
    let mut again = Vec::new();
    for tag in 10..60u32 {
        let q = h.alloc(wrong);
        fill(q, 62, tag);
        live.insert(q as usize, 62);
        again.push((q, tag));
    }
    assert!(again.iter().any(|&(q, _)| q == p), "the slot is reused");
    for &(q, l, tag) in &keep {
        check(q, l.size(), tag);
    }
    for &(q, tag) in &again {
        check(q, 62, tag);
    }
    // The invariants hold; what is lost is the block's tail (1024 - 62
    // bytes still counted live, never handed out again until a reset).
    h.check_invariants().unwrap();
    let tail = 1024 - 62;
    let others: usize = keep.iter().map(|k| k.1.size()).sum::<usize>() + 50 * 62;
    assert_eq!(h.stats().live_bytes as usize, others + tail);
}
