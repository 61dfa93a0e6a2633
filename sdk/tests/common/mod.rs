//! Shared helpers for the integration tests.
#![allow(dead_code)]

use core::alloc::Layout;
use std::collections::BTreeMap;

/// Non-overlap tracker: start -> end of every live block.
#[derive(Default, Debug)]
pub struct Ranges(BTreeMap<usize, usize>);

impl Ranges {
    /// Insert `[a, a+len)`, panicking if it overlaps a live range.
    pub fn insert(&mut self, a: usize, len: usize) {
        if len == 0 {
            return;
        }
        let end = a + len;
        if let Some((&s, &e)) = self.0.range(..end).next_back() {
            assert!(
                e <= a || s >= end,
                "overlap: [{a:#x},{end:#x}) with [{s:#x},{e:#x})"
            );
        }
        assert!(self.0.insert(a, end).is_none());
    }

    pub fn remove(&mut self, a: usize, len: usize) {
        if len != 0 {
            assert_eq!(self.0.remove(&a), Some(a + len));
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// A pointer the test knows is not null.
pub fn nn(p: *mut u8) -> core::ptr::NonNull<u8> {
    core::ptr::NonNull::new(p).expect("a live block is not null")
}

/// Fill `len` bytes at `p` with a pattern derived from `tag`.
pub fn fill(p: *mut u8, len: usize, tag: u32) {
    for i in 0..len {
        // SAFETY: `p..p+len` is a live block we own.
        unsafe { p.add(i).write(pattern(tag, i)) };
    }
}

/// Check the pattern written by `fill` on the first `len` bytes.
pub fn check(p: *const u8, len: usize, tag: u32) {
    for i in 0..len {
        // SAFETY: `p..p+len` is a live block we own.
        let b = unsafe { p.add(i).read() };
        assert_eq!(
            b,
            pattern(tag, i),
            "content lost at byte {i} of block {tag}"
        );
    }
}

fn pattern(tag: u32, i: usize) -> u8 {
    (tag as usize)
        .wrapping_mul(31)
        .wrapping_add(i.wrapping_mul(7)) as u8
        ^ 0x5A
}

/// A layout from a size and an alignment exponent.
pub fn layout(size: usize, align_log2: u8) -> Layout {
    Layout::from_size_align(size, 1usize << align_log2).unwrap()
}

/// Proptest case count: `PROPTEST_CASES` from the environment, else `n`.
pub fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

/// Proptest configuration: [`cases`]`(n)` cases and, under Miri, no
/// regression files. A saved case replays a sequence of native length (up
/// to eight times what [`ops`] allows under Miri: minutes of interpretation
/// each), and the native run replays every saved case already.
pub fn config(n: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config::with_cases(cases(n));
    if cfg!(miri) {
        config.failure_persistence = None;
    }
    config
}

/// Longest operation sequence for a property test: `n`, or an eighth of it
/// (at least 8) under Miri, which interprets every byte written and runs
/// these tests in `.ci/run` at a few cases each.
pub const fn ops(n: usize) -> usize {
    if cfg!(miri) {
        if n / 8 > 8 { n / 8 } else { 8 }
    } else {
        n
    }
}

/// Largest block size a property test asks for: `n`, or 30,000 under Miri.
pub const fn big(n: usize) -> usize {
    if cfg!(miri) && n > 30_000 { 30_000 } else { n }
}

/// A backend shared with the test, so the test can grow memory behind an
/// allocator's back (as an arena or other code would in a contract).
#[derive(Clone)]
pub struct Shared(pub std::rc::Rc<std::cell::RefCell<capheap::backend::NativePages>>);

impl capheap::backend::PageSource for Shared {
    fn heap_base(&self) -> usize {
        self.0.borrow().heap_base()
    }
    fn pages(&self) -> u32 {
        self.0.borrow().pages()
    }
    fn end(&self) -> usize {
        self.0.borrow().end()
    }
    fn grow(&mut self, delta: u32) -> Option<u32> {
        self.0.borrow_mut().grow(delta)
    }
}
