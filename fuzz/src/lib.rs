//! Shared harness of the capheap fuzz targets: a random sequence of heap
//! operations, run on a [`LocalHeap`] or a [`LocalMiniHeap`] over a simulated
//! linear memory, checked op by op against what an allocator must guarantee.
//!
//! Every check panics with the op index, so libFuzzer saves the input.

pub mod arena;
pub mod sim;

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use capheap::backend::{NativePages, PageSource};
use capheap::mini::LocalMiniHeap;
use capheap::{AllocError, Config, LocalHeap, PAGE_SIZE, Stats};
use core::alloc::Layout;
use core::ptr::NonNull;

/// Most pages a fuzzed heap may ever reach.
pub const MAX_PAGES: u32 = 64;

/// One heap operation.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// Allocate `size` (times 64 when `large`) bytes at `1 << (align_log2 % 17)`.
    Alloc {
        /// Size unit.
        size: u16,
        /// Scale the size by 64 (blocks up to 4 MiB).
        large: bool,
        /// Alignment exponent (mod 17: up to 64 KiB).
        align_log2: u8,
    },
    /// Free the `idx % live`-th live block.
    Free {
        /// Which block.
        idx: u16,
    },
    /// Resize the `idx % live`-th live block.
    Realloc {
        /// Which block.
        idx: u16,
        /// New size unit.
        size: u16,
        /// Scale by 64.
        large: bool,
    },
}

/// A fuzz input: caps and the operations.
#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    /// Memory cap in pages (clamped to 2..=MAX_PAGES).
    pub max_pages: u8,
    /// Heap-bytes cap in KiB, if any.
    pub heap_cap_kib: Option<u16>,
    /// `Config::realloc_in_place(false)`: every realloc moves.
    pub moving_realloc: bool,
    /// The operations.
    pub ops: Vec<Op>,
}

/// What happened: per op, the block's offset or the error, and the end state.
#[derive(Debug, PartialEq, Eq)]
pub struct Trace {
    /// Per op: `Ok(offset)` of the block (or 0 for frees), or the error text.
    pub results: Vec<Result<usize, String>>,
    /// Final statistics.
    pub stats: Stats,
    /// Final size in pages.
    pub pages: u32,
}

struct Block {
    /// Heap offset for non-empty blocks; the raw (dangling) address for
    /// zero-size ones, which live outside the heap.
    offset: usize,
    size: usize,
    layout: Layout,
    tag: u8,
}

/// Where `p` is: its heap offset, or for a zero-size block its raw address.
fn locate(p: *mut u8, size: usize, base: usize) -> usize {
    if size == 0 {
        p as usize
    } else {
        (p as usize).wrapping_sub(base)
    }
}

/// The pointer of a block at `offset`.
fn address(offset: usize, size: usize, base: usize) -> *mut u8 {
    if size == 0 {
        offset as *mut u8
    } else {
        (base + offset) as *mut u8
    }
}

fn size_of(unit: u16, large: bool) -> usize {
    usize::from(unit) * if large { 64 } else { 1 }
}

/// What the harness needs of a heap: both of capheap's heaps over a
/// [`NativePages`] backend.
pub trait Heap {
    /// A heap over `backend` with `cfg`.
    fn new(backend: NativePages, cfg: Config) -> Self;
    /// The backend.
    fn backend(&self) -> &NativePages;
    /// Allocate.
    fn try_alloc(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError>;
    /// Free.
    ///
    /// # Safety
    /// `p` is live with `layout`.
    unsafe fn dealloc(&mut self, p: *mut u8, layout: Layout);
    /// Resize.
    ///
    /// # Safety
    /// `p` is live with `layout`.
    unsafe fn try_realloc(
        &mut self,
        p: NonNull<u8>,
        layout: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError>;
    /// The heap's own invariants (the heap walker where there is one).
    fn check(&self) -> Result<(), String>;
    /// Statistics.
    fn stats(&self) -> Stats;
}

/// `Heap` for one of capheap's local heaps: every method forwards to the
/// heap's own, except `check`, which is `$check`.
macro_rules! forward_heap {
    ($heap:ident, $check:path) => {
        impl Heap for $heap<NativePages> {
            fn new(backend: NativePages, cfg: Config) -> Self {
                $heap::new(backend, cfg)
            }
            fn backend(&self) -> &NativePages {
                $heap::backend(self)
            }
            fn try_alloc(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
                $heap::try_alloc(self, layout)
            }
            unsafe fn dealloc(&mut self, p: *mut u8, layout: Layout) {
                // SAFETY: the local heap's `dealloc` needs `p` allocated by
                // it with `layout` and unused afterwards: this trait method's
                // contract says `p` is live with `layout` in this heap and
                // freeing it ends its use.
                unsafe { $heap::dealloc(self, p, layout) }
            }
            unsafe fn try_realloc(
                &mut self,
                p: NonNull<u8>,
                layout: Layout,
                new_size: usize,
            ) -> Result<NonNull<u8>, AllocError> {
                // SAFETY: the local heap's `try_realloc` needs `p` live in
                // it with `layout`: this trait method's own contract.
                unsafe { $heap::try_realloc(self, p, layout, new_size) }
            }
            fn check(&self) -> Result<(), String> {
                $check(self)
            }
            fn stats(&self) -> Stats {
                $heap::stats(self)
            }
        }
    };
}

forward_heap!(LocalHeap, walk_heap);
forward_heap!(LocalMiniHeap, top_in_memory);

/// `LocalHeap`'s check: the heap walker.
fn walk_heap(heap: &LocalHeap<NativePages>) -> Result<(), String> {
    heap.check_invariants()
        .map(|_| ())
        .map_err(|e| format!("heap walker: {e}"))
}

/// `LocalMiniHeap`'s check: the top stays within the memory and above the
/// start.
fn top_in_memory(heap: &LocalMiniHeap<NativePages>) -> Result<(), String> {
    let (start, top) = heap.bounds();
    let end = heap.backend().base() as usize + heap.backend().pages() as usize * PAGE_SIZE;
    if start <= top && top <= end {
        Ok(())
    } else {
        Err(format!("top {top:#x} outside {start:#x}..={end:#x}"))
    }
}

/// [`run_on`] with a [`LocalHeap`].
pub fn run(input: &Input) -> Trace {
    run_on::<LocalHeap<NativePages>>(input)
}

/// [`run_on`] with a [`LocalMiniHeap`].
pub fn run_mini(input: &Input) -> Trace {
    run_on::<LocalMiniHeap<NativePages>>(input)
}

/// Runs `input`, checking after every op that:
/// - blocks are aligned, inside memory, and never overlap a live block;
/// - contents survive until free and across realloc;
/// - the memory never exceeds its page cap and live bytes never exceed the heap cap;
/// - a failed request grows nothing;
/// - the statistics agree with the live set;
/// - the heap's own check ([`Heap::check`]: the heap walker for
///   `LocalHeap`) finds every invariant intact.
pub fn run_on<H: Heap>(input: &Input) -> Trace {
    let max_pages = u32::from(input.max_pages).clamp(2, MAX_PAGES);
    let heap_cap = input.heap_cap_kib.map(|k| usize::from(k) * 1024);
    let mut cfg = Config::DEFAULT.max_memory_pages(max_pages);
    if let Some(cap) = heap_cap {
        cfg = cfg.max_heap_bytes(cap);
    }
    if input.moving_realloc {
        cfg = cfg.realloc_in_place(false);
    }
    // Page 0 plays the module's data and stack: the heap starts 4 KiB in.
    let mut heap = H::new(NativePages::new(1, MAX_PAGES).with_heap_base(4096), cfg);
    let base = heap.backend().base() as usize;
    let mut live: Vec<Block> = Vec::new();
    // Live ranges by offset, for overlap checks.
    let mut ranges: BTreeMap<usize, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(input.ops.len());
    let mut next_tag = 1u8;

    let check_block = |live: &Block, i: usize| {
        // SAFETY: `live` is a block the heap handed out and has not freed; its
        // `size` bytes are readable (none for a zero-size block).
        let bytes =
            unsafe { std::slice::from_raw_parts(address(live.offset, live.size, base), live.size) };
        assert!(
            bytes.iter().all(|&b| b == live.tag),
            "op {i}: block at {:#x} lost its contents",
            live.offset
        );
    };

    for (i, op) in input.ops.iter().enumerate() {
        let pages_before = heap.backend().pages();
        let outcome = match *op {
            Op::Alloc {
                size,
                large,
                align_log2,
            } => {
                let size = size_of(size, large);
                let layout = Layout::from_size_align(size, 1 << (align_log2 % 17)).unwrap();
                match heap.try_alloc(layout) {
                    Ok(p) => {
                        let offset = locate(p.as_ptr(), size, base);
                        let tag = next_tag;
                        next_tag = next_tag.wrapping_add(1).max(1);
                        // SAFETY: a fresh block of `size` bytes.
                        unsafe { p.as_ptr().write_bytes(tag, size) };
                        live.push(Block {
                            offset,
                            size,
                            layout,
                            tag,
                        });
                        Ok(offset)
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            Op::Free { idx } if !live.is_empty() => {
                let block = live.swap_remove(usize::from(idx) % live.len());
                check_block(&block, i);
                if block.size > 0 {
                    ranges.remove(&block.offset);
                }
                // SAFETY: freed once, with its allocation layout.
                unsafe { heap.dealloc(address(block.offset, block.size, base), block.layout) };
                Ok(0)
            }
            Op::Realloc { idx, size, large } if !live.is_empty() => {
                let k = usize::from(idx) % live.len();
                let new_size = size_of(size, large);
                check_block(&live[k], i);
                let block = &live[k];
                // SAFETY: `block` is live and allocated with `block.layout`.
                let r = unsafe {
                    heap.try_realloc(
                        NonNull::new(address(block.offset, block.size, base))
                            .expect("blocks and dangling zero-size pointers are not null"),
                        block.layout,
                        new_size,
                    )
                };
                match r {
                    Ok(p) => {
                        let old = live.swap_remove(k);
                        if old.size > 0 {
                            ranges.remove(&old.offset);
                        }
                        let offset = locate(p.as_ptr(), new_size, base);
                        let kept = old.size.min(new_size);
                        // SAFETY: the new block has `new_size` bytes.
                        let bytes = unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), new_size) };
                        assert!(
                            bytes[..kept].iter().all(|&b| b == old.tag),
                            "op {i}: realloc lost contents"
                        );
                        bytes.fill(old.tag);
                        let layout = Layout::from_size_align(new_size, old.layout.align()).unwrap();
                        live.push(Block {
                            offset,
                            size: new_size,
                            layout,
                            tag: old.tag,
                        });
                        Ok(offset)
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            _ => Ok(0),
        };
        let pages = heap.backend().pages();
        assert!(
            pages <= max_pages,
            "op {i}: {pages} pages crosses the cap of {max_pages}"
        );
        if outcome.is_err() {
            assert_eq!(pages, pages_before, "op {i}: a failed request grew memory");
        }
        let placed = matches!(op, Op::Alloc { .. } | Op::Realloc { .. });
        if let Ok(offset) = outcome
            && placed
            && let Some(block) = live.last().filter(|b| b.offset == offset)
        {
            // Zero-size blocks are dangling addresses: only alignment applies.
            assert_eq!(offset % block.layout.align(), 0, "op {i}: misaligned");
            if block.size > 0 {
                let end = offset + block.size;
                assert!(
                    end <= pages as usize * PAGE_SIZE,
                    "op {i}: block past the end"
                );
                assert!(offset >= 4096, "op {i}: block below the heap base");
                if let Some((&prev, &prev_end)) = ranges.range(..end).next_back() {
                    assert!(
                        prev_end <= offset,
                        "op {i}: {offset:#x} overlaps block at {prev:#x}"
                    );
                }
                ranges.insert(offset, end);
            }
        }
        let live_bytes: usize = live.iter().map(|b| b.size).sum();
        if let Some(cap) = heap_cap {
            assert!(
                live_bytes <= cap,
                "op {i}: {live_bytes} live bytes cross the heap cap {cap}"
            );
        }
        if let Err(e) = heap.check() {
            panic!("op {i}: {e}");
        }
        let stats = heap.stats();
        assert!(
            stats.live_bytes >= live_bytes as u64,
            "op {i}: stats say {} live bytes, the program holds {live_bytes}",
            stats.live_bytes
        );
        results.push(outcome);
    }
    for block in &live {
        check_block(block, input.ops.len());
    }
    Trace {
        results,
        stats: heap.stats(),
        pages: heap.backend().pages(),
    }
}
