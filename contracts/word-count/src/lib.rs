// no_std in the contract; the host build (unit tests) uses std.
#![cfg_attr(target_arch = "wasm32", no_std)]
extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};

use capheap::{AllocError, Config, Heap, PagePricing};

// One line: the whole contract allocates through capheap.
#[global_allocator]
static HEAP: Heap = Heap::new(Config {
    max_memory_pages: Some(64), // 4 MiB of linear memory, stack and data included
    pricing: PagePricing::STYLUS, // how growth is priced (must match the chain)
    growth_budget: Some(2_000_000), // refuse growth costing more than this in total
    ..Config::DEFAULT
});

// `capheap_stats() -> i64`: (ptr << 32) | len of the borsh-encoded `Stats`.
capheap::export_stats!(HEAP);
// `capheap_alloc(len: i32) -> i32` and `capheap_free(ptr: i32, len: i32)`.
capheap::export_host_abi!(HEAP);

// Only the wasm build needs a panic handler (the host build has std's).
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Entry point. The host placed `len` input bytes at `ptr` with
/// `capheap_alloc(len)`; the contract owns (and frees) them.
/// Returns the number of distinct words (an `i32`: a plain value), or a
/// negative error code instead of trapping.
#[unsafe(no_mangle)]
pub extern "C" fn process(ptr: i32, len: i32) -> i32 {
    // SAFETY: the host wrote `len` bytes at `ptr` (from `capheap_alloc(len)`).
    let input = unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    let result = match count_words(input) {
        Ok(n) => n as i32,
        Err(AllocError::CapExceeded { .. }) => -1,
        Err(AllocError::BudgetExhausted { .. }) => -2,
        Err(_) => -3,
    };
    // SAFETY: the input block came from `capheap_alloc(len)` and is not used any more.
    unsafe {
        HEAP.dealloc(
            ptr as usize as *mut u8,
            Layout::from_size_align_unchecked(len as usize, 1),
        )
    };
    result
}

/// The `try_*` path: a cap or budget hit comes back as an `AllocError`.
pub fn count_words(input: &[u8]) -> Result<usize, AllocError> {
    // A scratch buffer sized by the input: allocate it fallibly.
    let layout = Layout::array::<u32>(input.len()).map_err(|_| AllocError::LayoutTooLarge)?;
    let scratch = HEAP.try_alloc(layout)?;
    // SAFETY: `scratch` is a fresh block of `layout` and is freed right after.
    unsafe { HEAP.dealloc(scratch.as_ptr(), layout) };

    // Ordinary collections use the same heap; `try_reserve` reports failure
    // as a value, and `HEAP.last_error()` says which limit was hit.
    let mut words: Vec<&[u8]> = Vec::new();
    if words.try_reserve(input.len() / 2 + 1).is_err() {
        return Err(HEAP.last_error().unwrap_or(AllocError::OutOfMemory));
    }
    words.extend(input.split(|b| *b == b' ').filter(|w| !w.is_empty()));
    let mut counts: BTreeMap<&[u8], u32> = BTreeMap::new();
    for w in &words {
        *counts.entry(w).or_insert(0) += 1;
    }
    Ok(counts.len())
}

// The same crate builds natively for unit tests, with capheap as the test
// process's allocator (over its simulated memory).
#[cfg(test)]
mod tests {
    #[test]
    fn counts_distinct_words() {
        assert_eq!(super::count_words(b"a b a c d"), Ok(4));
    }
}
