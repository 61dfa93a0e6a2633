//! `debug-checks`: double frees and foreign pointers are detected (and the
//! bad free is ignored), freed memory is poisoned.
//! Run with `cargo test -p capheap --features debug-checks`.
#![cfg(feature = "debug-checks")]

use capheap::backend::NativePages;
use capheap::{AllocError, Config, LocalHeap};
use core::alloc::Layout;

fn heap() -> LocalHeap<NativePages> {
    LocalHeap::new(NativePages::new(0, 64), Config::DEFAULT)
}

#[test]
fn small_double_free_is_detected() {
    let mut h = heap();
    let l = Layout::from_size_align(40, 8).unwrap();
    let keep = h.try_alloc(l).unwrap();
    let p = h.try_alloc(l).unwrap().as_ptr();
    unsafe {
        assert_eq!(h.try_dealloc(p, l), Ok(()));
        // Freed memory is poisoned (after the free-list link word).
        assert!((8..40).all(|i| *p.add(i) == 0xDE));
        assert_eq!(h.try_dealloc(p, l), Err(AllocError::DoubleFree));
    }
    assert_eq!(h.stats().invalid_frees, 1);
    assert_eq!(h.stats().live_bytes, 40);
    // The heap is still consistent: the slot is handed out once.
    let a = h.try_alloc(l).unwrap();
    let b = h.try_alloc(l).unwrap();
    assert_ne!(a, b);
    assert_ne!(a, keep);
}

#[test]
fn large_double_free_is_detected() {
    let mut h = heap();
    let l = Layout::from_size_align(5000, 8).unwrap();
    let _keep = h.try_alloc(Layout::from_size_align(8, 8).unwrap()).unwrap();
    let p = h.try_alloc(l).unwrap().as_ptr();
    let _after = h
        .try_alloc(Layout::from_size_align(5000, 8).unwrap())
        .unwrap();
    unsafe {
        assert_eq!(h.try_dealloc(p, l), Ok(()));
        assert!((64..4000).all(|i| *p.add(i) == 0xDE));
        assert_eq!(h.try_dealloc(p, l), Err(AllocError::DoubleFree));
    }
    assert_eq!(h.stats().invalid_frees, 1);
}

#[test]
fn foreign_pointers_are_rejected() {
    let mut h = heap();
    let l = Layout::from_size_align(64, 8).unwrap();
    let _a = h.try_alloc(l).unwrap();
    let mut outside = [0u64; 16];
    let p = outside.as_mut_ptr().cast::<u8>();
    unsafe {
        assert_eq!(h.try_dealloc(p, l), Err(AllocError::InvalidPointer));
        let big = Layout::from_size_align(4096, 8).unwrap();
        assert_eq!(h.try_dealloc(p, big), Err(AllocError::InvalidPointer));
    }
    assert_eq!(h.stats().invalid_frees, 2);
    assert_eq!(h.stats().live_bytes, 64);
}
