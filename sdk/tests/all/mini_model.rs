//! Model-based test of the minimal heap (`capheap::mini`): a reference model
//! written from the module's documentation predicts the address of every
//! allocation, every refusal and its error, the top after every free, and the
//! statistics; the test also checks that no two live blocks overlap and that
//! contents survive frees, reallocs and memory grown behind the heap's back.

use crate::common::{Ranges, Shared, big, check, config, fill, layout, ops};
use capheap::backend::{NativePages, PageSource};
use capheap::layout::{RESET_MIN, SMALL_MAX};
use capheap::mini::LocalMiniHeap;
use capheap::{AllocError, CapKind, Config, PAGE_SIZE};
use core::alloc::Layout;
use proptest::prelude::*;

/// Pages the test's backend can ever have.
const MAX_PAGES: u32 = 48;

#[derive(Debug, Clone)]
enum Op {
    Alloc(usize, u8),
    Free(usize),
    Realloc(usize, usize),
    /// Someone else grows the memory by this many pages.
    Foreign(u32),
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        12 => 1usize..=SMALL_MAX,
        4 => SMALL_MAX + 1..=8192,
        2 => 8193usize..=big(200_000),
        1 => Just(0usize),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (size(), prop_oneof![8 => 0u8..=3, 2 => 4u8..=12]).prop_map(|(s, a)| Op::Alloc(s, a)),
        8 => any::<usize>().prop_map(Op::Free),
        5 => (any::<usize>(), size()).prop_map(|(i, s)| Op::Realloc(i, s)),
        1 => (1u32..=3).prop_map(Op::Foreign),
    ]
}

fn round8(n: usize) -> usize {
    (n + 7) & !7
}

/// The heap as its documentation describes it.
#[derive(Debug)]
struct Model {
    ready: bool,
    base: usize,
    heap_base: usize,
    start: usize,
    seg_start: usize,
    top: usize,
    mem_end: usize,
    foreign: usize,
    live: usize,
    lists: Vec<Vec<usize>>,
    /// The backend's pages (ours and everybody else's).
    pages: u32,
    cap_pages: Option<u32>,
    cap_bytes: Option<usize>,
    pages_grown: u64,
    resets: u64,
    /// `Config::realloc_in_place`: off, every realloc moves.
    in_place: bool,
}

impl Model {
    fn end(&self) -> usize {
        match self.cap_bytes {
            Some(c) => (self.start + self.foreign + c).min(self.mem_end),
            None => self.mem_end,
        }
    }

    fn init(&mut self) {
        if !self.ready {
            self.ready = true;
            self.start = round8(self.heap_base);
            self.seg_start = self.start;
            self.top = self.start;
            self.mem_end = self.base + self.pages as usize * PAGE_SIZE;
        }
    }

    /// Make room for the top to reach `want`: `Ok(())` after growing or
    /// after moving above foreign pages.
    fn make_room(&mut self, want: usize) -> Result<(), AllocError> {
        let cur_end = self.base + self.pages as usize * PAGE_SIZE;
        if cur_end > self.mem_end {
            self.foreign += cur_end - self.mem_end;
            self.seg_start = cur_end;
            self.top = cur_end;
            self.mem_end = cur_end;
            return Ok(());
        }
        if let Some(cap) = self.cap_bytes {
            let footprint = want - self.start - self.foreign;
            if footprint > cap {
                return Err(AllocError::CapExceeded {
                    cap: CapKind::HeapBytes,
                    limit: cap as u64,
                    requested: footprint as u64,
                });
            }
        }
        let delta = (want - self.mem_end).div_ceil(PAGE_SIZE) as u32;
        if let Some(cap) = self.cap_pages
            && self.pages + delta > cap
        {
            return Err(AllocError::CapExceeded {
                cap: CapKind::MemoryPages,
                limit: u64::from(cap),
                requested: u64::from(self.pages + delta),
            });
        }
        if self.pages + delta > MAX_PAGES {
            return Err(AllocError::OutOfMemory);
        }
        self.pages += delta;
        self.pages_grown += u64::from(delta);
        self.mem_end = self.base + self.pages as usize * PAGE_SIZE;
        Ok(())
    }

    fn alloc(&mut self, size: usize, align: usize) -> Result<usize, AllocError> {
        let small = (1..=SMALL_MAX).contains(&size) && align <= 8;
        if small && let Some(p) = self.lists[(size - 1) / 8].pop() {
            self.live += size;
            return Ok(p);
        }
        if size == 0 {
            return Ok(align);
        }
        self.init();
        loop {
            let b = self.top.next_multiple_of(align);
            let e = b + round8(size);
            if e <= self.end() {
                self.top = e;
                self.live += size;
                return Ok(b);
            }
            self.make_room(e)?;
        }
    }

    fn dealloc(&mut self, a: usize, size: usize, align: usize) {
        if size == 0 {
            return;
        }
        self.live -= size;
        if self.live == 0 && self.top > self.seg_start + RESET_MIN {
            self.lists.iter_mut().for_each(Vec::clear);
            self.top = self.seg_start;
            self.resets += 1;
        } else if a + round8(size) == self.top {
            self.top = a;
        } else if (1..=SMALL_MAX).contains(&size) && align <= 8 {
            self.lists[(size - 1) / 8].push(a);
        }
    }

    /// The new address, or why it failed (the old block then stays).
    fn realloc(
        &mut self,
        a: usize,
        size: usize,
        align: usize,
        new: usize,
    ) -> Result<usize, AllocError> {
        if self.in_place && size != 0 && new != 0 && align <= 8 {
            let (n, m) = (round8(size), round8(new));
            let at_top = a + n == self.top;
            let fits = if at_top {
                a + m <= self.end() || (self.make_room(a + m).is_ok() && a + n == self.top)
            } else {
                m <= n
            };
            if fits {
                if at_top {
                    self.top = a + m;
                }
                self.live = self.live - size + new;
                return Ok(a);
            }
        }
        let q = self.alloc(new, align)?;
        self.dealloc(a, size, align);
        Ok(q)
    }
}

/// One live block: address, layout, fill tag.
type Block = (usize, Layout, u32);

fn run(
    heap_base: usize,
    cap_pages: Option<u32>,
    cap_bytes: Option<usize>,
    in_place: bool,
    list: &[Op],
) {
    let backend = Shared(std::rc::Rc::new(std::cell::RefCell::new(
        NativePages::new(1, MAX_PAGES).with_heap_base(heap_base),
    )));
    let base = backend.0.borrow().base() as usize;
    let cfg = Config {
        max_memory_pages: cap_pages,
        max_heap_bytes: cap_bytes,
        realloc_in_place: in_place,
        ..Config::DEFAULT
    };
    let mut heap = LocalMiniHeap::new(backend.clone(), cfg);
    let mut m = Model {
        ready: false,
        base,
        heap_base: base + heap_base,
        start: 0,
        seg_start: 0,
        top: 0,
        mem_end: 0,
        foreign: 0,
        live: 0,
        lists: vec![Vec::new(); SMALL_MAX / 8],
        pages: 1,
        cap_pages,
        cap_bytes,
        pages_grown: 0,
        resets: 0,
        in_place,
    };
    let mut live: Vec<Block> = Vec::new();
    let mut ranges = Ranges::default();
    let mut tag = 0u32;
    for op in list {
        match *op {
            Op::Alloc(size, a) => {
                let l = layout(size, a);
                let want = m.alloc(size, l.align());
                let got = heap.try_alloc(l).map(|p| p.as_ptr() as usize);
                assert_eq!(got, want, "alloc {l:?}");
                if let Ok(p) = got {
                    tag += 1;
                    fill(p as *mut u8, size, tag);
                    ranges.insert(p, size);
                    live.push((p, l, tag));
                }
            }
            Op::Free(i) if !live.is_empty() => {
                let (p, l, t) = live.swap_remove(i % live.len());
                check(p as *const u8, l.size(), t);
                ranges.remove(p, l.size());
                m.dealloc(p, l.size(), l.align());
                // SAFETY: `p` is live with layout `l`.
                unsafe { heap.dealloc(p as *mut u8, l) };
            }
            Op::Realloc(i, new) if !live.is_empty() => {
                let k = i % live.len();
                let (p, l, t) = live[k];
                let want = m.realloc(p, l.size(), l.align(), new);
                // SAFETY: `p` is live with layout `l`.
                let got = unsafe {
                    heap.try_realloc(core::ptr::NonNull::new(p as *mut u8).unwrap(), l, new)
                }
                .map(|q| q.as_ptr() as usize);
                assert_eq!(got, want, "realloc {l:?} to {new}");
                if let Ok(q) = got {
                    check(q as *const u8, l.size().min(new), t);
                    ranges.remove(p, l.size());
                    let nl = Layout::from_size_align(new, l.align()).unwrap();
                    tag += 1;
                    fill(q as *mut u8, new, tag);
                    ranges.insert(q, new);
                    live[k] = (q, nl, tag);
                }
            }
            Op::Foreign(k) if backend.0.borrow_mut().grow(k).is_some() => m.pages += k,
            _ => {}
        }
        let s = heap.stats();
        assert_eq!(s.live_bytes, m.live as u64);
        assert_eq!(s.pages_grown, m.pages_grown);
        assert_eq!(s.resets, m.resets);
        let footprint = if m.ready {
            m.top - m.start - m.foreign
        } else {
            0
        };
        assert_eq!(s.heap_bytes, footprint as u64);
        assert_eq!(heap.bounds(), (m.start, m.top));
        if let Some(cap) = cap_pages {
            assert!(backend.0.borrow().pages() <= cap.max(m.pages));
        }
    }
    for (p, l, t) in live {
        check(p as *const u8, l.size(), t);
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn mini_heap_matches_its_model(
        heap_base in prop_oneof![Just(0usize), 1usize..=60_000],
        cap_pages in prop_oneof![Just(None), (2u32..=40).prop_map(Some)],
        cap_bytes in prop_oneof![Just(None), (1usize..=1_500_000).prop_map(Some)],
        in_place in prop_oneof![3 => Just(true), 1 => Just(false)],
        list in proptest::collection::vec(op(), 1..ops(300)),
    ) {
        run(heap_base, cap_pages, cap_bytes, in_place, &list);
    }
}

#[test]
fn a_large_block_freed_below_the_top_is_not_reused_until_the_heap_empties() {
    let mut heap = LocalMiniHeap::new(NativePages::new(1, 8), Config::DEFAULT);
    let big = Layout::from_size_align(40_000, 8).unwrap();
    let a = heap.try_alloc(big).unwrap();
    let b = heap.try_alloc(big).unwrap();
    // SAFETY: `a` is live with layout `big`.
    unsafe { heap.dealloc(a.as_ptr(), big) };
    let c = heap.try_alloc(big).unwrap();
    assert!(c > b, "carved above b, not in a's place");
    // SAFETY: both live with layout `big`; then nothing is live.
    unsafe {
        heap.dealloc(b.as_ptr(), big);
        heap.dealloc(c.as_ptr(), big);
    }
    assert_eq!(heap.stats().resets, 1);
    assert_eq!(
        heap.try_alloc(big).unwrap(),
        a,
        "after the reset the top is back at the start"
    );
}

#[test]
fn growth_is_exactly_the_missing_pages() {
    let mut heap = LocalMiniHeap::new(NativePages::new(1, 8), Config::DEFAULT);
    let page = Layout::from_size_align(PAGE_SIZE, 8).unwrap();
    // The first page is there already: no growth.
    let a = heap.try_alloc(page).unwrap();
    assert_eq!(heap.stats().pages_grown, 0);
    // The next one ends exactly on a page boundary: one page.
    let b = heap.try_alloc(page).unwrap();
    assert_eq!(heap.stats().pages_grown, 1);
    assert_eq!(b.as_ptr() as usize - a.as_ptr() as usize, PAGE_SIZE);
    // One byte more than the memory holds: one more page.
    let c = heap
        .try_alloc(Layout::from_size_align(1, 8).unwrap())
        .unwrap();
    assert_eq!(heap.stats().pages_grown, 2);
    assert_eq!(c.as_ptr() as usize - b.as_ptr() as usize, PAGE_SIZE);
}
