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

/// Bytes in one period of a block's pattern: byte `i` of a block filled
/// with `tag` is `period(tag)[i % PERIOD]`.
const PERIOD: usize = 256;

/// One period of the pattern `fill` writes for `tag` (neighbouring blocks
/// get different tags, so a byte written into the wrong block shows).
fn period(tag: u32) -> [u8; PERIOD] {
    core::array::from_fn(|i| {
        (tag as usize)
            .wrapping_mul(31)
            .wrapping_add(i.wrapping_mul(7)) as u8
            ^ 0x5A
    })
}

/// Fill `len` bytes at `p` with a pattern derived from `tag`. A period at a
/// time, as one copy each: Miri runs a byte loop orders of magnitude slower
/// than a copy, and the model tests fill every block they allocate.
pub fn fill(p: *mut u8, len: usize, tag: u32) {
    let period = period(tag);
    let mut at = 0;
    while at < len {
        let n = (len - at).min(PERIOD);
        // SAFETY: `p..p+len` is a live block we own and `at + n <= len`; the
        // source is a local array, so the two do not overlap.
        unsafe { core::ptr::copy_nonoverlapping(period.as_ptr(), p.add(at), n) };
        at += n;
    }
}

/// Check the pattern written by `fill` on the first `len` bytes, a period at
/// a time (a slice comparison, one `memcmp` under Miri too); a mismatch
/// names the first byte that differs.
pub fn check(p: *const u8, len: usize, tag: u32) {
    if len == 0 {
        return;
    }
    // SAFETY: `p..p+len` is a live block we own (`len > 0`, so `p` is a real
    // block, not null), filled by `fill`, and nothing writes it while the
    // slice lives.
    let bytes = unsafe { core::slice::from_raw_parts(p, len) };
    let period = period(tag);
    for (k, chunk) in bytes.chunks(PERIOD).enumerate() {
        let want = &period[..chunk.len()];
        if chunk != want {
            let j = (0..chunk.len()).find(|&j| chunk[j] != want[j]).unwrap();
            panic!(
                "content lost at byte {} of block {tag}: {:#04x} instead of {:#04x}",
                k * PERIOD + j,
                chunk[j],
                want[j]
            );
        }
    }
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

#[test]
fn check_finds_a_changed_byte_in_any_period() {
    let mut block = vec![0u8; 1000];
    fill(block.as_mut_ptr(), block.len(), 3);
    check(block.as_ptr(), block.len(), 3);
    // Every byte of a period differs (7 is odd), so a block moved by less
    // than a period fails the check too; the next period repeats it.
    let mut one = block[..PERIOD].to_vec();
    one.sort_unstable();
    one.dedup();
    assert_eq!(one.len(), PERIOD);
    assert_eq!(block[..PERIOD], block[PERIOD..2 * PERIOD]);
    block[700] ^= 1;
    let err = std::panic::catch_unwind(|| check(block.as_ptr(), block.len(), 3)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.starts_with("content lost at byte 700 of block 3"),
        "{msg}"
    );
    block[700] ^= 1;
    let err = std::panic::catch_unwind(|| check(block.as_ptr(), block.len(), 4)).unwrap_err();
    assert!(
        err.downcast_ref::<String>()
            .unwrap()
            .contains("at byte 0 of block 4")
    );
}
