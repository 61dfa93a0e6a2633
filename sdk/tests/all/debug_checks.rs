//! `debug-checks`: double frees, foreign pointers and frees with the wrong
//! layout are detected (and the bad free is ignored, or traps), freed memory
//! is poisoned. Run with `cargo test -p capheap --all-features` (`.ci/run`
//! does).
#![cfg(feature = "debug-checks")]

use crate::common::nn;
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
    // SAFETY: `p` is a live block of `h` with `l` for the first free. The second breaks
    // `try_dealloc`'s contract on purpose: with `debug-checks` the heap detects the double free
    // before touching anything and ignores it (the behaviour under test). Reading the freed bytes
    // is sound: they are still `h`'s mapped memory.
    unsafe {
        assert_eq!(h.try_dealloc(nn(p), l), Ok(()));
        // Freed memory is poisoned (after the free-list link word).
        assert!((8..40).all(|i| *p.add(i) == 0xDE));
        assert_eq!(h.try_dealloc(nn(p), l), Err(AllocError::DoubleFree));
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
    // SAFETY: `p` is a live block of `h` with `l` for the first free. The second breaks
    // `try_dealloc`'s contract on purpose: with `debug-checks` the heap detects the double free
    // before touching anything and ignores it (the behaviour under test). Reading the freed bytes
    // is sound: they are still `h`'s mapped memory.
    unsafe {
        assert_eq!(h.try_dealloc(nn(p), l), Ok(()));
        assert!((64..4000).all(|i| *p.add(i) == 0xDE));
        assert_eq!(h.try_dealloc(nn(p), l), Err(AllocError::DoubleFree));
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
    // SAFETY: this breaks `try_dealloc`'s contract on purpose (a pointer `h` never allocated):
    // with `debug-checks` the heap recognises it as foreign before touching it and refuses the
    // free (the behaviour under test).
    unsafe {
        assert_eq!(h.try_dealloc(nn(p), l), Err(AllocError::InvalidPointer));
        let big = Layout::from_size_align(4096, 8).unwrap();
        assert_eq!(h.try_dealloc(nn(p), big), Err(AllocError::InvalidPointer));
    }
    assert_eq!(h.stats().invalid_frees, 2);
    assert_eq!(h.stats().live_bytes, 64);
}

/// The cosmwasm-std 2.0.0 case: a 1024-byte buffer freed with a 62-byte
/// layout (its `Region` was rebuilt with the wrong capacity). dlmalloc
/// aborts here; capheap with `debug-checks` reports it and keeps the block.
#[test]
fn large_block_freed_with_a_small_layout_is_a_layout_mismatch() {
    let mut h = heap();
    let big = Layout::from_size_align(1024, 1).unwrap();
    let wrong = Layout::from_size_align(62, 1).unwrap();
    let p = h.try_alloc(big).unwrap().as_ptr();
    let _after = h.try_alloc(Layout::new::<u64>()).unwrap();
    // SAFETY: the wrong layout breaks `try_dealloc`'s contract on purpose: with `debug-checks` the
    // heap compares it with the block's own before touching the block and refuses the free (the
    // behaviour under test).
    unsafe {
        assert_eq!(h.try_dealloc(nn(p), wrong), Err(AllocError::LayoutMismatch));
    }
    let s = h.stats();
    assert_eq!((s.invalid_frees, s.live_bytes), (1, 1024 + 8));
    assert_eq!(h.last_error(), Some(AllocError::LayoutMismatch));
    // The block is still live and intact; the right free works.
    // SAFETY: the refused free left `p` live with `big` (asserted above), and it is not used
    // again.
    unsafe { h.try_dealloc(nn(p), big).unwrap() };
    assert_eq!(h.stats().live_bytes, 8);
    h.check_invariants().unwrap();
}

#[test]
fn wrong_large_sizes_and_small_objects_freed_as_large_are_detected() {
    let mut h = heap();
    let l = Layout::from_size_align(5000, 8).unwrap();
    let p = h.try_alloc(l).unwrap().as_ptr();
    let small = Layout::from_size_align(24, 8).unwrap();
    let s1 = h.try_alloc(small).unwrap().as_ptr();
    let s2 = h.try_alloc(small).unwrap().as_ptr();
    // SAFETY: the wrong layouts break `try_dealloc`'s contract on purpose: with `debug-checks`
    // each is detected before the block is touched and the free refused (the behaviour under
    // test). The last three frees are of live blocks with layouts their blocks accept, and nothing
    // is used afterwards.
    unsafe {
        // Another block size (bigger and smaller).
        for wrong in [4000, 6000, 1000] {
            let w = Layout::from_size_align(wrong, 8).unwrap();
            assert_eq!(h.try_dealloc(nn(p), w), Err(AllocError::LayoutMismatch));
        }
        // Within the block's own rounding: accepted (same block size).
        let same_block = Layout::from_size_align(4999, 8).unwrap();
        // A small object in a run freed with a large layout.
        let w = Layout::from_size_align(2000, 8).unwrap();
        assert_eq!(h.try_dealloc(nn(s2), w), Err(AllocError::LayoutMismatch));
        // A small object whose class runs past its run's end.
        let w = Layout::from_size_align(500, 8).unwrap();
        assert_eq!(h.try_dealloc(nn(s2), w), Err(AllocError::LayoutMismatch));
        assert_eq!(h.stats().invalid_frees, 5);
        h.try_dealloc(nn(p), same_block).unwrap();
        h.try_dealloc(nn(s1), small).unwrap();
        h.try_dealloc(nn(s2), small).unwrap();
    }
    // `live_bytes` is exact: 5000 freed as 4999 leaves exactly 1 byte.
    assert_eq!(h.stats().live_bytes, 1);
    h.check_invariants().unwrap();
}

#[test]
fn realloc_with_a_wrong_layout_is_refused_and_changes_nothing() {
    let mut h = heap();
    let l = Layout::from_size_align(3000, 8).unwrap();
    let p = h.try_alloc(l).unwrap().as_ptr();
    // SAFETY: `p` is a live 3000-byte block of `h`.
    unsafe { p.write(7) };
    let wrong = Layout::from_size_align(100, 8).unwrap();
    // SAFETY: the wrong layout breaks `try_realloc`'s contract on purpose: with `debug-checks` it
    // is detected before the block is touched and the call refused (the behaviour under test).
    let err = unsafe { h.try_realloc(nn(p), wrong, 6000) }.unwrap_err();
    assert_eq!(err, AllocError::LayoutMismatch);
    // SAFETY: the refused realloc left `p` live (its first byte is what we check).
    assert_eq!(unsafe { p.read() }, 7);
    assert_eq!(h.stats().live_bytes, 3000);
    // SAFETY: `p` is still live with `l`, and it is not used again.
    unsafe { h.try_dealloc(nn(p), l).unwrap() };
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process, which Miri cannot")]
fn trap_on_invalid_free_aborts_the_process() {
    // The trap aborts, so it runs in a child process: this test binary,
    // asked to run only `trap_child`, with the variable that arms it.
    if std::env::var_os("CAPHEAP_TRAP_CHILD").is_some() {
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "debug_checks::trap_child", "--nocapture"])
        .env("CAPHEAP_TRAP_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "child survived: {stderr}");
    assert!(
        stderr.contains("capheap: invalid free detected (AllocError code 9)"),
        "{stderr}"
    );
}

/// Child of `trap_on_invalid_free_aborts_the_process` (does nothing unless
/// armed).
#[test]
fn trap_child() {
    if std::env::var_os("CAPHEAP_TRAP_CHILD").is_none() {
        return;
    }
    let mut h = LocalHeap::new(
        NativePages::new(0, 64),
        Config::DEFAULT.trap_on_invalid_free(true),
    );
    let big = Layout::from_size_align(1024, 8).unwrap();
    let p = h.alloc(big);
    // SAFETY: the wrong layout breaks `dealloc`'s contract on purpose: with `trap_on_invalid_free`
    // the heap detects it before touching the block and aborts this child process, which its parent
    // test expects.
    unsafe { h.dealloc(p, Layout::from_size_align(62, 8).unwrap()) };
    unreachable!("the wrong free should have aborted");
}
