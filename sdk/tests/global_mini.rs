//! `MiniHeap` as the process's `#[global_allocator]` on the host (its own
//! static backend, spin lock): std collections on several threads, then
//! `try_*`, stats and a cap refusal.

use capheap::mini::MiniHeap;
use capheap::{AllocError, CapKind, Config};
use core::alloc::Layout;
use std::collections::BTreeMap;

#[global_allocator]
static HEAP: MiniHeap = MiniHeap::new(Config {
    max_memory_pages: Some(4096),
    ..Config::DEFAULT
});

#[test]
fn std_collections_threads_and_a_cap_on_the_minimal_heap() {
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut m = BTreeMap::new();
                for i in 0..3000u64 {
                    m.insert(i * 5 + t, vec![i as u8; (i % 200) as usize]);
                    if i % 4 == 0 {
                        m.remove(&(i * 5 + t).saturating_sub(20));
                    }
                }
                m.iter()
                    .map(|(k, v)| v.iter().map(|&b| u64::from(b)).sum::<u64>() + k)
                    .sum::<u64>()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 0);
    }
    let before = HEAP.stats();
    let l = Layout::from_size_align(1000, 8).unwrap();
    let p = HEAP.try_alloc(l).unwrap();
    assert_eq!(HEAP.stats().live_bytes, before.live_bytes + 1000);
    // SAFETY: `p` was allocated with `l` and is not used again.
    unsafe { HEAP.dealloc_nonnull(p, l) };
    assert_eq!(HEAP.stats().live_bytes, before.live_bytes);
    // 4096 pages is the cap: a 512 MiB request crosses it, grows nothing.
    let before = HEAP.stats();
    let huge = Layout::from_size_align(512 << 20, 8).unwrap();
    let err = HEAP.try_alloc(huge).unwrap_err();
    assert!(
        matches!(
            err,
            AllocError::CapExceeded {
                cap: CapKind::MemoryPages,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(HEAP.last_error(), Some(err));
    assert_eq!(HEAP.stats().pages_grown, before.pages_grown);
    assert_eq!(HEAP.stats().failed_cap, before.failed_cap + 1);
}
