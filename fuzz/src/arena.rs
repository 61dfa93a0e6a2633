//! Arena and pool operations checked against a model, for the `arena_pool`
//! target: every allocation aligned, inside the arena's memory and apart
//! from every live one; `live_bytes` exact; checkpoints that are not
//! positions of the arena refused.

use arbitrary::Arbitrary;
use capheap::arena::{Arena, Checkpoint};
use capheap::backend::{NativePages, PageSource};
use capheap::pool::Pool;
use core::alloc::Layout;

/// One arena or pool operation.
#[derive(Arbitrary, Debug, Clone)]
pub enum ArenaOp {
    /// Allocate `size` bytes at `1 << (align_log2 % 8)`.
    Alloc {
        /// Bytes.
        size: u16,
        /// Alignment exponent.
        align_log2: u8,
    },
    /// Take a checkpoint.
    Checkpoint,
    /// Go back to the `idx % n`-th checkpoint.
    ResetTo {
        /// Which checkpoint.
        idx: u8,
    },
    /// Free everything.
    Reset,
    /// Take a value from the pool.
    PoolAlloc(u64),
    /// Give the `idx % n`-th pool value back.
    PoolFree {
        /// Which value.
        idx: u8,
    },
}

/// Runs `ops` on an arena of at most 16 pages and a pool, checking each.
pub fn arena_pool(ops: &[ArenaOp]) {
    let mut arena = Arena::new(NativePages::new(0, 16));
    // (offset, size) of live arena blocks, in allocation order.
    let mut live: Vec<(usize, usize)> = Vec::new();
    let mut checkpoints: Vec<(Checkpoint, usize)> = Vec::new();
    let pool: Pool<u64, _> = Pool::new(NativePages::new(0, 4));
    let mut values: Vec<(core::ptr::NonNull<u64>, u64)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match *op {
            ArenaOp::Alloc { size, align_log2 } => {
                let align = 1usize << (align_log2 % 8);
                let layout = Layout::from_size_align(size as usize, align).expect("valid layout");
                if let Ok(p) = arena.try_alloc(layout) {
                    let addr = p.as_ptr() as usize;
                    assert_eq!(addr % align, 0, "op {i}: misaligned");
                    if size > 0 {
                        let base = arena.backend().base() as usize;
                        let end = base + arena.backend().pages() as usize * capheap::PAGE_SIZE;
                        assert!(
                            addr >= base && addr + size as usize <= end,
                            "op {i}: outside memory"
                        );
                        for &(o, s) in &live {
                            assert!(
                                addr + size as usize <= o || o + s <= addr,
                                "op {i}: overlap"
                            );
                        }
                        live.push((addr, size as usize));
                    }
                }
            }
            ArenaOp::Checkpoint => checkpoints.push((arena.checkpoint(), live.len())),
            ArenaOp::ResetTo { idx } if !checkpoints.is_empty() => {
                let k = idx as usize % checkpoints.len();
                let (cp, n) = checkpoints[k];
                arena
                    .reset_to(cp)
                    .expect("a checkpoint of this generation, not ahead");
                live.truncate(n);
                checkpoints.truncate(k + 1);
            }
            ArenaOp::ResetTo { .. } => {}
            ArenaOp::Reset => {
                arena.reset();
                live.clear();
                // Checkpoints of an earlier generation are refused.
                for (cp, _) in checkpoints.drain(..) {
                    assert!(
                        arena.reset_to(cp).is_err(),
                        "op {i}: a stale checkpoint was accepted"
                    );
                }
            }
            ArenaOp::PoolAlloc(v) => {
                if let Ok(p) = pool.alloc_raw() {
                    assert!(
                        values.iter().all(|(q, _)| *q != p),
                        "op {i}: pool slot handed out twice"
                    );
                    // SAFETY: a fresh slot of this pool, sized and aligned for a u64.
                    unsafe { p.as_ptr().write(v) };
                    values.push((p, v));
                }
            }
            ArenaOp::PoolFree { idx } if !values.is_empty() => {
                let (p, v) = values.swap_remove(idx as usize % values.len());
                // SAFETY: `p` came from this pool and is freed once.
                assert_eq!(unsafe { *p.as_ptr() }, v, "op {i}: pool value changed");
                // SAFETY: as above; the value (a u64) needs no drop.
                unsafe { pool.free_raw(p) };
            }
            ArenaOp::PoolFree { .. } => {}
        }
        let live_bytes: usize = live.iter().map(|b| b.1).sum();
        assert!(
            arena.stats().live_bytes as usize >= live_bytes,
            "op {i}: live_bytes below what is allocated"
        );
    }
}
