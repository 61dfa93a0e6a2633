//! Model-based tests of the heap algorithm on the host backend.
//!
//! Random sequences of alloc / free / realloc against a reference model:
//! no overlap, alignment honoured, contents preserved, caps never exceeded,
//! failures change nothing, a request that fits under the caps and the
//! backend succeeds, statistics equal the model (pages from the backend,
//! rounding from the size classes), the heap walker finds every invariant
//! intact after every operation, and the growth bound documented in
//! `docs/src/allocator-design.md` holds exactly.

use crate::common::{Ranges, big, check, config, fill, layout, nn, ops};
use capheap::backend::{NativePages, PageSource};
use capheap::layout::{
    LARGE_HEADER, MIN_BLOCK, NUM_CLASSES, RESERVE, RESET_MIN, SMALL_MAX, class_size,
};
use capheap::{AllocError, CapKind, Config, LocalHeap, PAGE_SIZE, Stats};
use core::alloc::Layout;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Alloc(usize, u8),
    Free(usize),
    Realloc(usize, usize),
    FreeAll,
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        12 => 1usize..=256,
        5 => 257usize..=4096,
        2 => 4097usize..=big(150_000),
        1 => Just(0usize),
    ]
}

/// Realloc targets: zero, small, large and very large.
fn realloc_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        1 => Just(0usize),
        8 => 1usize..=SMALL_MAX,
        6 => SMALL_MAX + 1..=20_000,
        2 => 20_001usize..=big(150_000),
    ]
}

fn align() -> impl Strategy<Value = u8> {
    prop_oneof![16 => 0u8..=3, 3 => 4u8..=12, 1 => Just(16u8)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (size(), align()).prop_map(|(s, a)| Op::Alloc(s, a)),
        7 => any::<usize>().prop_map(Op::Free),
        4 => (any::<usize>(), realloc_size()).prop_map(|(i, s)| Op::Realloc(i, s)),
        1 => Just(Op::FreeAll),
    ]
}

#[derive(Debug, Clone)]
struct Setup {
    initial_pages: u32,
    heap_base: usize,
    max_memory_pages: Option<u32>,
    max_heap_bytes: Option<usize>,
    /// The backend's own maximum (real out-of-memory when small).
    backend_pages: u32,
    /// `Config::realloc_in_place`.
    realloc_in_place: bool,
}

impl Setup {
    fn plain() -> Self {
        Setup {
            initial_pages: 0,
            heap_base: 0,
            max_memory_pages: None,
            max_heap_bytes: None,
            backend_pages: MAX_PAGES,
            realloc_in_place: true,
        }
    }
}

prop_compose! {
    fn setup()(
        initial_pages in 0u32..3,
        heap_base in 0usize..2000,
        max_memory_pages in prop::option::weighted(0.3, 2u32..64),
        max_heap_bytes in prop::option::weighted(0.3, 1usize..3_000_000),
        backend_pages in prop_oneof![3 => Just(MAX_PAGES), 1 => 3u32..24],
        realloc_in_place in prop_oneof![3 => Just(true), 1 => Just(false)],
    ) -> Setup {
        Setup { initial_pages, heap_base, max_memory_pages, max_heap_bytes, backend_pages, realloc_in_place }
    }
}

const MAX_PAGES: u32 = 300;

struct Live {
    p: *mut u8,
    l: Layout,
    tag: u32,
}

/// Bump-bound cost of one allocation (see the docs): what a bump allocator
/// with capheap's per-object overhead would spend.
fn bump_cost(l: Layout) -> usize {
    if l.size() == 0 {
        0
    } else if l.size() <= SMALL_MAX && l.align() <= 8 {
        class_size((l.size() - 1) / 8) + 8
    } else {
        let n = ((l.size() + LARGE_HEADER + 7) & !7).max(MIN_BLOCK);
        n + if l.align() > 8 {
            l.align() + MIN_BLOCK
        } else {
            0
        }
    }
}

struct Model {
    heap: LocalHeap<NativePages>,
    live: Vec<Live>,
    ranges: Ranges,
    next_tag: u32,
    expect: Stats,
    live_bytes: usize,
    start: usize,
    mem_end0: usize,
    max_top: usize,
    epoch_bump: usize,
    cfg: Config,
    initial_pages: u32,
    /// One past the last byte the heap may ever use: the lower of the
    /// backend's maximum and the page cap, minus the reserve.
    mem_limit: usize,
}

impl Model {
    fn new(s: &Setup) -> Self {
        let be = NativePages::new(s.initial_pages, s.backend_pages).with_heap_base(s.heap_base);
        let mem_end0 = be.end();
        let base = be.base() as usize;
        let pages = s
            .max_memory_pages
            .map_or(s.backend_pages, |c| c.min(s.backend_pages));
        let mem_limit = (base + pages as usize * PAGE_SIZE).saturating_sub(RESERVE);
        let start = (be.heap_base() + 7) & !7;
        let cfg = Config {
            max_memory_pages: s.max_memory_pages,
            max_heap_bytes: s.max_heap_bytes,
            detailed_stats: true,
            realloc_in_place: s.realloc_in_place,
            ..Config::DEFAULT
        };
        Model {
            heap: LocalHeap::new(be, cfg),
            live: Vec::new(),
            ranges: Ranges::default(),
            next_tag: 0,
            expect: Stats::default(),
            live_bytes: 0,
            start,
            mem_end0,
            max_top: start,
            epoch_bump: 0,
            cfg,
            initial_pages: s.initial_pages,
            mem_limit,
        }
    }

    /// Whether a request for `l` certainly fits: carving it at the top (the
    /// heap's last resort) needs at most `bump_cost(l)` bytes above the top,
    /// and that stays under the memory limit and the heap-bytes cap.
    fn fits(&self, l: Layout) -> bool {
        let (start, top) = self.heap.bounds();
        let (start, top) = if start == 0 {
            (self.start, self.start)
        } else {
            (start, top)
        };
        let need = bump_cost(l);
        top + need <= self.mem_limit
            && self
                .cfg
                .max_heap_bytes
                .is_none_or(|c| top - start + need <= c)
    }

    fn on_live_change(&mut self) {
        self.expect.live_bytes = self.live_bytes as u64;
        self.expect.peak_live_bytes = self.expect.peak_live_bytes.max(self.live_bytes as u64);
    }

    fn alloc(&mut self, l: Layout) {
        let before = self.heap.stats();
        match self.heap.try_alloc(l) {
            Ok(p) => {
                let p = p.as_ptr();
                assert_eq!(p as usize % l.align(), 0, "misaligned {l:?}");
                let tag = self.next_tag;
                self.next_tag += 1;
                if l.size() != 0 {
                    self.ranges.insert(p as usize, l.size());
                    fill(p, l.size(), tag);
                    self.expect.allocs += 1;
                    self.live_bytes += l.size();
                    self.epoch_bump += bump_cost(l);
                }
                self.live.push(Live { p, l, tag });
                self.on_live_change();
            }
            Err(e) => self.check_failure(e, before, l),
        }
    }

    fn check_failure(&mut self, e: AllocError, before: Stats, l: Layout) {
        assert!(
            !self.fits(l),
            "refused {l:?} ({e:?}) although it fits under the caps and the backend"
        );
        let after = self.heap.stats();
        assert_eq!(
            after.pages_grown, before.pages_grown,
            "failure grew memory ({e:?})"
        );
        assert_eq!(
            after.heap_bytes, before.heap_bytes,
            "failure moved the top ({e:?})"
        );
        assert_eq!(after.live_bytes, before.live_bytes);
        match e {
            AllocError::CapExceeded {
                cap,
                limit,
                requested,
            } => {
                assert!(requested > limit);
                match cap {
                    CapKind::MemoryPages => {
                        assert_eq!(Some(limit as u32), self.cfg.max_memory_pages)
                    }
                    CapKind::HeapBytes => assert_eq!(Some(limit as usize), self.cfg.max_heap_bytes),
                    other => panic!("unexpected cap {other:?}"),
                }
                self.expect.failed_cap += 1;
            }
            AllocError::OutOfMemory => self.expect.failed_oom += 1,
            AllocError::LayoutTooLarge => self.expect.failed_layout += 1,
            other => panic!("unexpected error {other:?}"),
        }
    }

    fn free(&mut self, i: usize) {
        if self.live.is_empty() {
            return;
        }
        let Live { p, l, tag } = self.live.swap_remove(i % self.live.len());
        check(p, l.size(), tag);
        self.ranges.remove(p as usize, l.size());
        let (_, top_before) = self.heap.bounds();
        // SAFETY: `p` is live with layout `l`.
        unsafe { self.heap.try_dealloc(nn(p), l).unwrap() };
        if l.size() != 0 {
            self.expect.frees += 1;
            self.live_bytes -= l.size();
            // Emptied: the heap resets (a new epoch) only above `RESET_MIN`.
            if self.live_bytes == 0 && top_before - self.start > RESET_MIN {
                self.expect.resets += 1;
                self.epoch_bump = 0;
                assert_eq!(self.heap.bounds().1, self.start, "reset rewinds the top");
            }
            if self.live_bytes == 0 {
                self.ranges.clear();
                assert!(self.live.iter().all(|x| x.l.size() == 0));
            }
        }
        self.on_live_change();
    }

    fn realloc(&mut self, i: usize, new: usize) {
        if self.live.is_empty() {
            return;
        }
        let i = i % self.live.len();
        let (p, l, tag) = (self.live[i].p, self.live[i].l, self.live[i].tag);
        let before = self.heap.stats();
        let (_, top_before) = self.heap.bounds();
        // SAFETY: `p` is live with layout `l`.
        match unsafe { self.heap.try_realloc(nn(p), l, new) } {
            Ok(q) => {
                let q = q.as_ptr();
                assert_eq!(q as usize % l.align(), 0);
                // Without in-place resizing a block always moves: the new
                // one is allocated while the old one is still live.
                assert!(
                    self.cfg.realloc_in_place || l.size() == 0 || q != p,
                    "resized in place with realloc_in_place off"
                );
                check(q, l.size().min(new), tag);
                self.ranges.remove(p as usize, l.size());
                self.ranges.insert(q as usize, new);
                let nl = Layout::from_size_align(new, l.align()).unwrap();
                let tag2 = self.next_tag;
                self.next_tag += 1;
                fill(q, new, tag2);
                self.live[i] = Live {
                    p: q,
                    l: nl,
                    tag: tag2,
                };
                if l.size() == 0 {
                    self.expect.reallocs += 1;
                } else {
                    self.expect.reallocs += 1;
                    if q != p {
                        // Moved: both blocks were live for a moment.
                        self.expect.peak_live_bytes = self
                            .expect
                            .peak_live_bytes
                            .max((self.live_bytes + new) as u64);
                    }
                }
                self.live_bytes = self.live_bytes - l.size() + new;
                self.epoch_bump += bump_cost(nl);
                // Shrinking the last live block to nothing frees it: the heap
                // empties and resets as on a free.
                if new == 0 && l.size() != 0 && self.live_bytes == 0 {
                    if top_before - self.start > RESET_MIN {
                        self.expect.resets += 1;
                        self.epoch_bump = 0;
                    }
                    self.ranges.clear();
                }
                self.on_live_change();
            }
            Err(e) => {
                check(p, l.size(), tag);
                let nl = Layout::from_size_align(new, l.align()).unwrap();
                self.check_failure(e, before, nl);
            }
        }
    }

    fn verify(&mut self) {
        let s = self.heap.stats();
        let (start, top) = self.heap.bounds();
        if start == 0 {
            // Not initialised yet: only zero-size blocks so far (which a
            // realloc between them still counts), nothing carved or grown.
            let expect = Stats {
                heap_bytes: 0,
                pages_grown: 0,
                rounding_waste_bytes: 0,
                ..self.expect
            };
            assert_eq!(s, expect);
            assert_eq!(self.heap.backend().pages(), self.initial_pages);
            return;
        }
        assert_eq!(start, self.start);
        self.max_top = self.max_top.max(top);
        let waste: usize = self
            .live
            .iter()
            .filter(|x| x.l.size() != 0)
            // SAFETY: live blocks.
            .map(|x| unsafe { self.heap.usable_size(x.p, x.l) } - x.l.size())
            .sum();
        // Each block's usable size is what its size class or block size
        // allows: a small class exactly, a large block at most one
        // too-small-to-split tail above its 8-rounded size.
        for x in self.live.iter().filter(|x| x.l.size() != 0) {
            // SAFETY: live block.
            let usable = unsafe { self.heap.usable_size(x.p, x.l) };
            let size = x.l.size();
            if size <= SMALL_MAX && x.l.align() <= 8 {
                assert_eq!(usable, class_size((size - 1) / 8), "small block {size}");
            } else {
                let n = ((size + 7) & !7).max(MIN_BLOCK - LARGE_HEADER);
                assert!(
                    usable >= n && usable - n < MIN_BLOCK,
                    "block {size}: usable {usable}"
                );
            }
            // Every live block lies below the top the statistics report.
            assert!(x.p as usize + size <= start + s.heap_bytes as usize);
        }
        let pages = self.heap.backend().pages();
        let mut expect = self.expect;
        expect.heap_bytes = (top - start) as u64;
        // Pages grown, from the backend's own count.
        expect.pages_grown = u64::from(pages - self.initial_pages);
        expect.rounding_waste_bytes = waste as u64;
        assert_eq!(s, expect, "statistics differ from the model");
        let shape = self
            .heap
            .check_invariants()
            .unwrap_or_else(|e| panic!("heap walker: {e}"));
        if self.live_bytes == 0 && s.resets > 0 && top == start {
            assert_eq!(shape, Default::default(), "a reset heap holds nothing");
        }
        // Caps.
        if let Some(c) = self.cfg.max_heap_bytes {
            assert!(s.heap_bytes as usize <= c, "heap-bytes cap exceeded");
        }
        if let Some(c) = self.cfg.max_memory_pages {
            assert!(pages <= c.max(self.heap.backend().pages() - s.pages_grown as u32));
        }
        // Growth bound, part 1 (exactness): pages grown are exactly the pages
        // needed to hold the highest top ever reached plus the reserve.
        let needed = if self.max_top > start {
            (self.max_top + RESERVE).saturating_sub(self.mem_end0)
        } else {
            0 // nothing was ever carved
        };
        assert_eq!(
            s.pages_grown as usize,
            needed.div_ceil(PAGE_SIZE),
            "growth not exact"
        );
        // Part 2 (never worse than bump with capheap's per-object overhead,
        // per reset epoch).
        assert!(
            top - start <= self.epoch_bump,
            "top {} > bump bound {}",
            top - start,
            self.epoch_bump
        );
    }

    fn run(&mut self, ops: &[Op]) {
        for op in ops {
            match *op {
                Op::Alloc(s, a) => self.alloc(layout(s, a)),
                Op::Free(i) => self.free(i),
                Op::Realloc(i, n) => self.realloc(i, n),
                Op::FreeAll => {
                    while !self.live.is_empty() {
                        self.free(0);
                    }
                }
            }
            self.verify();
        }
    }

    fn offsets(&self) -> Vec<usize> {
        // Zero-size blocks are dangling (not in the heap), so skip them.
        self.live
            .iter()
            .filter(|x| x.l.size() != 0)
            .map(|x| self.heap.backend().offset_of(x.p))
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { max_shrink_iters: 2000, ..config(64) })]

    #[test]
    fn heap_matches_model(s in setup(), ops in prop::collection::vec(op(), 1..ops(160))) {
        let mut m = Model::new(&s);
        m.run(&ops);
        // Free everything: the heap must reset and be reusable.
        while !m.live.is_empty() { m.free(0); m.verify(); }
        m.run(&ops);
    }

    #[test]
    fn heap_is_deterministic(s in setup(), ops in prop::collection::vec(op(), 1..ops(120))) {
        let mut a = Model::new(&s);
        let mut b = Model::new(&s);
        a.run(&ops);
        b.run(&ops);
        prop_assert_eq!(a.offsets(), b.offsets());
        prop_assert_eq!(a.heap.stats(), b.heap.stats());
        prop_assert_eq!(a.heap.backend().pages(), b.heap.backend().pages());
        prop_assert_eq!(a.heap.meter(), b.heap.meter());
    }

    /// Growth bound, part 3: with only small objects, the footprint is at most
    /// the per-class peaks (in class-size bytes) plus one run header.
    #[test]
    fn small_only_footprint_is_bounded_by_class_peaks(
        ops in prop::collection::vec(prop_oneof![
            3 => (1usize..=SMALL_MAX).prop_map(|s| Op::Alloc(s, 0)),
            2 => any::<usize>().prop_map(Op::Free),
        ], 1..ops(400))
    ) {
        let mut m = Model::new(&Setup::plain());
        let mut count = [0usize; NUM_CLASSES];
        let mut peak = [0usize; NUM_CLASSES];
        for op in &ops {
            match *op {
                Op::Alloc(s, _) => {
                    m.alloc(layout(s, 0));
                    let c = (s - 1) / 8;
                    count[c] += 1;
                    peak[c] = peak[c].max(count[c]);
                }
                Op::Free(i) => {
                    if m.live.is_empty() { continue; }
                    let k = i % m.live.len();
                    let c = (m.live[k].l.size() - 1) / 8;
                    // Free exactly that one (same choice as `Model::free`).
                    let resets = m.heap.stats().resets;
                    m.free(i);
                    count[c] -= 1;
                    if m.heap.stats().resets != resets { count = [0; NUM_CLASSES]; peak = [0; NUM_CLASSES]; }
                }
                _ => unreachable!(),
            }
            m.verify();
            let bound: usize = (0..NUM_CLASSES).map(|c| peak[c] * class_size(c)).sum::<usize>() + 8;
            let (start, top) = m.heap.bounds();
            prop_assert!(top - start <= bound, "footprint {} > class-peak bound {}", top - start, bound);
        }
    }
}

#[test]
fn free_all_resets_to_start() {
    let mut m = Model::new(&Setup {
        initial_pages: 1,
        heap_base: 100,
        ..Setup::plain()
    });
    for s in [8, 300, 5000, 64, 100_000, 17] {
        m.alloc(layout(s, 3));
    }
    m.verify();
    while !m.live.is_empty() {
        m.free(0);
    }
    m.verify();
    let (start, top) = m.heap.bounds();
    assert_eq!(top, start);
    assert_eq!(m.heap.stats().resets, 1);
    assert_eq!(m.heap.stats().heap_bytes, 0);
}
