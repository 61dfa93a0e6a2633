//! Small address helpers shared by every allocator in the crate.
//!
//! Addresses are plain `usize` values; they are turned back into pointers with
//! [`core::ptr::with_exposed_provenance_mut`]. Every backend exposes the
//! provenance of the memory it hands out (see [`crate::backend`]), so this is
//! sound under Rust's exposed-provenance model.

/// Bytes in one WebAssembly page.
pub const PAGE_SIZE: usize = 65_536;

/// Round `x` up to a multiple of `align` (a power of two). `None` on overflow.
#[inline(always)]
pub(crate) const fn align_up(x: usize, align: usize) -> Option<usize> {
    match x.checked_add(align - 1) {
        Some(v) => Some(v & !(align - 1)),
        None => None,
    }
}

/// Number of whole pages needed to hold `bytes` (rounded up).
#[inline(always)]
pub(crate) const fn pages_for(bytes: usize) -> usize {
    bytes / PAGE_SIZE + (bytes % PAGE_SIZE != 0) as usize
}

/// Read a machine word at address `a`.
///
/// # Safety
/// `a` must be word-aligned and point to readable memory owned by the caller.
#[inline(always)]
pub(crate) unsafe fn rd(a: usize) -> usize {
    // SAFETY: `read` needs a word-aligned, readable address with provenance:
    // the caller promises an aligned word of memory it owns (the contract
    // above), and every backend exposes the provenance of the memory it hands
    // out (module docs).
    unsafe { core::ptr::with_exposed_provenance::<usize>(a).read() }
}

/// Write a machine word at address `a`.
///
/// # Safety
/// `a` must be word-aligned and point to writable memory owned by the caller.
#[inline(always)]
pub(crate) unsafe fn wr(a: usize, v: usize) {
    // SAFETY: `write` needs a word-aligned, writable address with provenance:
    // the caller promises an aligned word of memory it owns (the contract
    // above), and every backend exposes the provenance of the memory it hands
    // out (module docs).
    unsafe { core::ptr::with_exposed_provenance_mut::<usize>(a).write(v) }
}

/// Read the word `off` bytes after address `a` (lets the compiler fold `off`
/// into the load's immediate offset on wasm).
///
/// # Safety
/// As for [`rd`], for `a + off`, which must lie in the same allocation as `a`.
#[inline(always)]
pub(crate) unsafe fn rd_at(a: usize, off: usize) -> usize {
    // SAFETY: `add` needs `a + off` inside `a`'s allocation and `read` an
    // aligned, readable word there: the caller promises both (the contract
    // above); provenance as in `rd`.
    unsafe {
        core::ptr::with_exposed_provenance::<u8>(a)
            .add(off)
            .cast::<usize>()
            .read()
    }
}

/// Write the word `off` bytes after address `a`.
///
/// # Safety
/// As for [`wr`], for `a + off`, which must lie in the same allocation as `a`.
#[inline(always)]
pub(crate) unsafe fn wr_at(a: usize, off: usize, v: usize) {
    // SAFETY: `add` needs `a + off` inside `a`'s allocation and `write` an
    // aligned, writable word there: the caller promises both (the contract
    // above); provenance as in `wr`.
    unsafe {
        core::ptr::with_exposed_provenance_mut::<u8>(a)
            .add(off)
            .cast::<usize>()
            .write(v)
    }
}

/// Turn an address into a byte pointer.
#[inline(always)]
pub(crate) fn ptr(a: usize) -> *mut u8 {
    core::ptr::with_exposed_provenance_mut(a)
}

/// Fill `len` bytes at `a` with `byte` (used only by `debug-checks`).
///
/// # Safety
/// The range must be writable memory owned by the caller.
#[cfg(feature = "debug-checks")]
#[inline]
pub(crate) unsafe fn poison(a: usize, len: usize, byte: u8) {
    // SAFETY: `write_bytes` needs `len` writable bytes at `a` with provenance:
    // the caller promises the range is writable memory it owns, and the
    // backend exposed its provenance (module docs).
    unsafe { ptr(a).write_bytes(byte, len) }
}
