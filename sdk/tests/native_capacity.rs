//! `Heap` as the process allocator with no caps: the native backend holds
//! far more than the old 64 MiB (`NATIVE_HEAP_PAGES`, 1 GiB by default), so
//! a contract crate's ordinary test suite runs on capheap, and a request
//! beyond the reservation is an error value, not an abort.

use capheap::heap::NATIVE_HEAP_PAGES;
use capheap::{AllocError, Config, Heap, PAGE_SIZE};
use core::alloc::Layout;

#[global_allocator]
static HEAP: Heap = Heap::new(Config::DEFAULT);

#[test]
fn holds_more_than_64_mib_live_and_refuses_past_the_reservation() {
    let expected = option_env!("CAPHEAP_NATIVE_PAGES").map_or(16_384, |s| s.parse().unwrap());
    assert_eq!(NATIVE_HEAP_PAGES, expected);
    // 96 MiB live in 1 MiB chunks (fewer if the build asked for a smaller
    // reservation), each touched at both ends, then a 512 KiB allocation on
    // top (what aborted at 64 MiB before).
    let mib = ((NATIVE_HEAP_PAGES as usize * PAGE_SIZE) >> 20)
        .saturating_sub(2)
        .min(96) as u8;
    let chunks: Vec<Vec<u8>> = (0..mib)
        .map(|i| {
            let mut v = vec![0u8; 1 << 20];
            v[0] = i;
            v[(1 << 20) - 1] = i;
            v
        })
        .collect();
    let extra = vec![7u8; 512 << 10];
    let held = (mib as u64) << 20;
    assert!(HEAP.stats().live_bytes >= held);
    assert!(HEAP.stats().pages_grown >= held / PAGE_SIZE as u64);
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!((c[0], c[(1 << 20) - 1]), (i as u8, i as u8));
    }
    assert_eq!(extra[(512 << 10) - 1], 7);
    // Past the reservation: a typed error, nothing grown.
    let grown = HEAP.stats().pages_grown;
    let huge = Layout::from_size_align(NATIVE_HEAP_PAGES as usize * PAGE_SIZE, 8).unwrap();
    assert_eq!(HEAP.try_alloc(huge), Err(AllocError::OutOfMemory));
    assert_eq!(HEAP.stats().pages_grown, grown);
    HEAP.check_invariants().unwrap();
}
