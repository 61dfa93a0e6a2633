//! The allocation workloads, as plain functions of `n` that return a checksum.
//!
//! This file has no dependency on the contract around it (only `core` and
//! `alloc`), so the end-to-end test compiles the very same source for the host
//! (`#[path]`) and checks that each wasm variant returns exactly the checksum
//! the host computes with its own allocator: an allocator that hands out
//! overlapping or corrupted blocks changes the checksum.
//!
//! `core::hint::black_box` keeps every allocation real: LLVM may otherwise
//! elide a heap allocation whose pointer does not escape.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::hint::black_box;

/// xorshift32 with a fixed seed: the same sequence on every target.
pub struct Rng(u32);

impl Rng {
    /// A generator seeded with `seed` (0 is replaced: xorshift needs a non-zero state).
    pub const fn new(seed: u32) -> Self {
        Rng(if seed == 0 { 0x9E37_79B9 } else { seed })
    }

    /// The next value.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// A value in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u32) -> u32 {
        self.next_u32() % bound
    }
}

/// Length plus first, middle and last byte: cheap, but sees a block that
/// another allocation overwrote.
fn check(bytes: &[u8]) -> u32 {
    let len = bytes.len();
    if len == 0 {
        return 0;
    }
    (len as u32)
        .wrapping_add(u32::from(bytes[0]))
        .wrapping_add(u32::from(bytes[len / 2]) << 8)
        .wrapping_add(u32::from(bytes[len - 1]) << 16)
}

/// (1) `n` times: allocate one 64-byte `Box`, read it, free it.
///
/// Checksum: the sum over `i` of `2 * (i mod 256)`.
pub fn alloc_free(n: u32) -> u32 {
    let mut sum = 0u32;
    for i in 0..n {
        let b: Box<[u8; 64]> = black_box(Box::new([i as u8; 64]));
        sum = sum
            .wrapping_add(u32::from(b[0]))
            .wrapping_add(u32::from(b[63]));
    }
    sum
}

/// (2) Vec push growth: `n` short-lived `Vec<u32>`s pushed to `1 + i % 64`
/// elements each (capacity 4, 8, ..., 64: a reallocation per doubling), plus
/// one long-lived `Vec<u32>` that grows by 8 pushes per round to `8n`.
pub fn vec_push(n: u32) -> u32 {
    let mut sum = 0u32;
    let mut long: Vec<u32> = Vec::new();
    for i in 0..n {
        let mut v: Vec<u32> = Vec::new();
        for j in 0..=(i % 64) {
            v.push(black_box(i ^ j));
        }
        let v = black_box(v);
        sum = v
            .iter()
            .fold(sum, |s, &x| s.wrapping_add(x))
            .wrapping_add(v.len() as u32);
        for k in 0..8 {
            long.push(black_box(i.wrapping_mul(8).wrapping_add(k)));
        }
    }
    let long = black_box(long);
    let mid = long.get(long.len() / 2).copied().unwrap_or(0);
    sum.wrapping_add(long.len() as u32).wrapping_add(mid)
}

/// Slots of small live objects in [`churn`].
pub const CHURN_WINDOW: usize = 64;

/// (3) Churn of small short-lived objects: `n` times, a PRNG picks a size in
/// 8..=256 bytes and one of 64 slots; the slot's old object (if any) is
/// checked and freed, and a new one filled with `i` takes its place. Objects
/// therefore die in random order with about 64 alive at once.
pub fn churn(n: u32) -> u32 {
    let mut rng = Rng::new(0x00C0_FFEE);
    let mut live: [Option<Box<[u8]>>; CHURN_WINDOW] = [const { None }; CHURN_WINDOW];
    let mut sum = 0u32;
    for i in 0..n {
        let size = 8 + rng.below(249) as usize;
        let slot = rng.below(CHURN_WINDOW as u32) as usize;
        if let Some(old) = live[slot].take() {
            sum = sum.wrapping_add(check(&old));
        }
        live[slot] = Some(black_box(vec![(i as u8) | 1; size].into_boxed_slice()));
    }
    for obj in live.iter().flatten() {
        sum = sum.wrapping_add(check(obj));
    }
    sum
}

/// (4) `BTreeMap<u32, [u8; 32]>`: `n` inserts of PRNG keys in `0..4n`, then
/// the same key sequence replayed, removing every other one; the checksum
/// folds the surviving entries and the map's length.
pub fn btree(n: u32) -> u32 {
    const SEED: u32 = 0x1234_5678;
    let range = n.saturating_mul(4).max(1);
    let mut map: BTreeMap<u32, [u8; 32]> = BTreeMap::new();
    let mut rng = Rng::new(SEED);
    for _ in 0..n {
        let k = rng.below(range);
        map.insert(black_box(k), [k as u8; 32]);
    }
    let mut rng = Rng::new(SEED);
    for i in 0..n {
        let k = rng.below(range);
        if i.is_multiple_of(2) {
            black_box(map.remove(&k));
        }
    }
    let map = black_box(map);
    map.iter().fold(map.len() as u32, |s, (k, v)| {
        s.wrapping_add(*k)
            .wrapping_add(u32::from(v[0]))
            .wrapping_add(u32::from(v[31]) << 8)
    })
}

/// (5) String formatting: `n` `alloc::format!` calls of a few fields each,
/// and every 16th result appended to one growing `String`.
pub fn strings(n: u32) -> u32 {
    let mut rng = Rng::new(7);
    let mut log = String::new();
    let mut sum = 0u32;
    for i in 0..n {
        let s = black_box(format!("key-{i}:{:08x}|{}", rng.next_u32(), "capheap"));
        sum = sum.wrapping_add(check(s.as_bytes()));
        if i.is_multiple_of(16) {
            log.push_str(&s);
        }
    }
    let log = black_box(log);
    sum.wrapping_add(check(log.as_bytes()))
}

/// Slots of large live buffers in [`large_buffers`].
pub const LARGE_WINDOW: usize = 4;

/// (6) Large buffers: `n` times, a PRNG picks a size of 1..=64 KiB and one of
/// 4 slots; the slot's old buffer is checked and freed (so buffers die out of
/// allocation order) and a new one, filled with `i`, takes its place.
pub fn large_buffers(n: u32) -> u32 {
    large_buffers_in::<LARGE_WINDOW>(n)
}

/// The live-buffer counts of the `large-windows` build's exports
/// (`large_buffers_w<W>`, [`large_buffers_in`] with `W` slots): how the cost
/// of a large allocation grows with the number of large buffers live.
pub const LARGE_WINDOWS: [usize; 4] = [LARGE_WINDOW, 16, 64, 256];

/// [`large_buffers_in`] with a window of [`LARGE_WINDOWS`] chosen at run
/// time (`None` for any other window).
pub fn large_buffers_window(window: usize, n: u32) -> Option<u32> {
    Some(match window {
        LARGE_WINDOW => large_buffers_in::<LARGE_WINDOW>(n),
        16 => large_buffers_in::<16>(n),
        64 => large_buffers_in::<64>(n),
        256 => large_buffers_in::<256>(n),
        _ => return None,
    })
}

/// [`large_buffers`] with `W` slots: up to `W` buffers live at once.
pub fn large_buffers_in<const W: usize>(n: u32) -> u32 {
    let mut rng = Rng::new(0x0BAD_5EED);
    let mut live: [Option<Vec<u8>>; W] = [const { None }; W];
    let mut sum = 0u32;
    for i in 0..n {
        let size = 1024 + rng.below(63 * 1024 + 1) as usize;
        let slot = rng.below(W as u32) as usize;
        if let Some(old) = live[slot].take() {
            sum = sum.wrapping_add(check(&old));
        }
        live[slot] = Some(black_box(vec![(i as u8) | 1; size]));
    }
    for buf in live.iter().flatten() {
        sum = sum.wrapping_add(check(buf));
    }
    sum
}

/// Slots of live blocks in [`random_sizes`].
pub const RANDOM_WINDOW: usize = 300;

/// The live set of [`random_sizes`], kept in a struct so that the steady-state
/// export can carry it across calls on one instance.
pub struct RandomSizes {
    rng: Rng,
    live: [Option<(core::ptr::NonNull<u8>, Layout)>; RANDOM_WINDOW],
    step: u32,
    live_bytes: usize,
    /// Highest `live_bytes` during the last [`RandomSizes::run`].
    pub peak: usize,
}

impl Default for RandomSizes {
    fn default() -> Self {
        Self::new()
    }
}

/// A size of 1 B to 10 KiB, log-uniform (as many 1–2 B requests as 5–10 KiB).
fn random_size(rng: &mut Rng) -> usize {
    let bits = 1 + rng.below(14);
    (1 + rng.below(1 << bits) as usize).min(10 * 1024)
}

/// An alignment: 8 B for 3 requests in 4, else 16 B to 2 KiB.
fn random_align(rng: &mut Rng) -> usize {
    if rng.below(4) != 0 {
        8
    } else {
        16 << rng.below(8)
    }
}

impl RandomSizes {
    /// An empty live set with a fixed seed.
    pub const fn new() -> Self {
        RandomSizes {
            rng: Rng::new(0x5EED_0007),
            live: [None; RANDOM_WINDOW],
            step: 0,
            live_bytes: 0,
            peak: 0,
        }
    }

    /// `n` operations: a PRNG picks a slot; an empty slot gets a new block
    /// (size 1 B..10 KiB, alignment 8 B..2 KiB, filled); a full one is
    /// checked, then reallocated to a new size (shrinking or growing, 3 in
    /// 10) or freed. Returns the checksum of what it checked.
    pub fn run(&mut self, n: u32) -> u32 {
        let mut sum = 0u32;
        self.peak = self.live_bytes;
        for _ in 0..n {
            self.step = self.step.wrapping_add(1);
            let tag = (self.step as u8) | 1;
            let slot = self.rng.below(RANDOM_WINDOW as u32) as usize;
            match self.live[slot].take() {
                None => {
                    let l = Layout::from_size_align(
                        random_size(&mut self.rng),
                        random_align(&mut self.rng),
                    )
                    .unwrap();
                    // SAFETY: `l` has a non-zero size.
                    let p = unsafe { alloc::alloc::alloc(l) };
                    let Some(p) = core::ptr::NonNull::new(p) else {
                        alloc::alloc::handle_alloc_error(l)
                    };
                    // SAFETY: a fresh block of `l.size()` bytes.
                    unsafe { p.as_ptr().write_bytes(tag, l.size()) };
                    self.live_bytes += l.size();
                    self.live[slot] = Some((black_box(p), l));
                }
                Some((p, l)) => {
                    // SAFETY: a live block of `l.size()` bytes.
                    let bytes = unsafe { core::slice::from_raw_parts(p.as_ptr(), l.size()) };
                    sum = sum.wrapping_add(check(bytes));
                    self.live_bytes -= l.size();
                    if self.rng.below(10) < 3 {
                        let new = random_size(&mut self.rng);
                        // SAFETY: `p` is live with layout `l`; `new` is non-zero
                        // and, rounded to the alignment, far below `isize::MAX`.
                        let q = unsafe { alloc::alloc::realloc(p.as_ptr(), l, new) };
                        let nl = Layout::from_size_align(new, l.align()).unwrap();
                        let Some(q) = core::ptr::NonNull::new(q) else {
                            alloc::alloc::handle_alloc_error(nl)
                        };
                        // SAFETY: `q` holds `new` bytes, the first
                        // `min(old, new)` of them kept from `p`.
                        let kept =
                            unsafe { core::slice::from_raw_parts(q.as_ptr(), l.size().min(new)) };
                        sum = sum.wrapping_add(check(kept));
                        // SAFETY: as above.
                        unsafe { q.as_ptr().write_bytes(tag, new) };
                        self.live_bytes += new;
                        self.live[slot] = Some((black_box(q), nl));
                    } else {
                        // SAFETY: `p` is live with layout `l`, dropped from the set.
                        unsafe { alloc::alloc::dealloc(p.as_ptr(), l) };
                    }
                }
            }
            self.peak = self.peak.max(self.live_bytes);
        }
        sum
    }

    /// Check and free every live block; the checksum of what it checked.
    pub fn finish(&mut self) -> u32 {
        let mut sum = 0u32;
        for slot in self.live.iter_mut() {
            if let Some((p, l)) = slot.take() {
                // SAFETY: a live block of `l.size()` bytes, freed once.
                unsafe {
                    sum =
                        sum.wrapping_add(check(core::slice::from_raw_parts(p.as_ptr(), l.size())));
                    alloc::alloc::dealloc(p.as_ptr(), l);
                }
            }
        }
        self.live_bytes = 0;
        sum
    }
}

/// (7) Random sizes: `n` operations of [`RandomSizes::run`] on a fresh live
/// set of up to 300 blocks of 1 B..10 KiB at alignments of 8 B..2 KiB,
/// allocated, reallocated (shrinking and growing) and freed in random order;
/// then everything is freed.
pub fn random_sizes(n: u32) -> u32 {
    let mut set = RandomSizes::new();
    let sum = set.run(n);
    sum.wrapping_add(set.finish())
}

/// A workload's export name and function.
pub type Workload = (&'static str, fn(u32) -> u32);

/// Every workload, in report order; each is exported under its name.
pub const WORKLOADS: [Workload; 7] = [
    ("alloc_free", alloc_free),
    ("vec_push", vec_push),
    ("churn", churn),
    ("btree", btree),
    ("strings", strings),
    ("large_buffers", large_buffers),
    ("random_sizes", random_sizes),
];
