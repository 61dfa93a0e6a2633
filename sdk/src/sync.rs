//! The global heap's lock.
//!
//! On wasm32 without the `atomics` target feature there are no threads: the
//! heap takes no lock at all unless its configuration runs user code (a
//! [`crate::meter::PagePricing::Custom`] function or a gas hook), in which case
//! a busy flag turns re-entry into [`crate::AllocError::Reentrant`] instead of
//! aliasing the heap state. Everywhere else (native hosts, wasm with threads)
//! it is a spin lock on an `AtomicBool`.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::cap::AllocError;

/// `true` where no other thread can ever touch the heap.
pub(crate) const SINGLE_THREADED: bool =
    cfg!(all(target_family = "wasm", not(target_feature = "atomics")));

/// A minimal lock / busy flag.
#[derive(Debug)]
pub(crate) struct Lock(AtomicBool);

impl Lock {
    pub(crate) const fn new() -> Self {
        Self(AtomicBool::new(false))
    }

    /// Take the busy flag if it is free, where no other thread exists
    /// ([`SINGLE_THREADED`]): a plain load and store, about half the wasm of
    /// a compare-and-swap (the busy flag is checked on
    /// every call of a heap that runs user code, so it is paid in fuel on
    /// every call).
    #[inline(always)]
    pub(crate) fn try_enter(&self) -> bool {
        if self.0.load(Ordering::Relaxed) {
            return false;
        }
        self.0.store(true, Ordering::Relaxed);
        true
    }

    /// Spin until the lock is taken.
    #[inline(always)]
    pub(crate) fn acquire(&self) {
        while self
            .0
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
    }

    #[inline(always)]
    pub(crate) fn release(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The one program-wide state behind a global allocator handle ([`crate::Heap`],
/// [`crate::mini::MiniHeap`]): the state, its lock, and the count of requests
/// refused because the state was busy.
pub(crate) struct Shared<S> {
    lock: Lock,
    cell: UnsafeCell<S>,
    /// Requests refused because the state was busy (re-entered): counted
    /// here because the state itself is borrowed when that happens.
    reentered: AtomicU32,
}

// SAFETY: `cell` is only accessed through `Shared::state` between `enter` and
// `leave`, which hold `lock` (multi-threaded targets, or configurations that
// run user code), or run on a single-threaded wasm target where no code can
// re-enter while the state is borrowed (the caller says the configuration
// calls no user code). The state
// is plain integers and addresses of memory the allocator owns, so handing it
// from thread to thread under the lock is as sound as a `Mutex` of it.
unsafe impl<S> Sync for Shared<S> {}

impl<S> Shared<S> {
    pub(crate) const fn new(state: S) -> Self {
        Self {
            lock: Lock::new(),
            cell: UnsafeCell::new(state),
            reentered: AtomicU32::new(0),
        }
    }

    /// Take the state for one call, unless it is already taken (re-entry
    /// from user code, only possible when `runs_user_code`: then false).
    /// Pair every `true` with [`Shared::leave`], with the same argument.
    ///
    /// (See `heap::GlobalState`'s `with` for why callers use these in line
    /// rather than through a closure.)
    #[inline(always)]
    pub(crate) fn enter(&self, runs_user_code: bool) -> bool {
        if SINGLE_THREADED && !runs_user_code {
            // Single-threaded wasm and no user code runs while the state is
            // borrowed: nothing can re-enter, no flag is needed.
            return true;
        }
        if SINGLE_THREADED {
            return self.lock.try_enter();
        }
        self.lock.acquire();
        true
    }

    /// Give back the state taken by [`Shared::enter`].
    #[inline(always)]
    pub(crate) fn leave(&self, runs_user_code: bool) {
        if !SINGLE_THREADED || runs_user_code {
            self.lock.release();
        }
    }

    /// The state.
    ///
    /// # Safety
    /// Between a `true` [`Shared::enter`] and its [`Shared::leave`], once:
    /// then this is the only reference to the state.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn state(&self) -> &mut S {
        // SAFETY: the caller entered, so no other reference exists.
        unsafe { &mut *self.cell.get() }
    }

    /// Count a request refused because the state was busy, and say so. (Out
    /// of line: on the busy-flag path of every call, its code would be
    /// charged fuel on every call.)
    #[cold]
    #[inline(never)]
    pub(crate) fn refuse(&self) -> AllocError {
        self.reentered.fetch_add(1, Ordering::Relaxed);
        AllocError::Reentrant
    }

    /// [`Shared::refuse`] for the `GlobalAlloc` methods: null.
    #[cold]
    #[inline(never)]
    pub(crate) fn refuse_null(&self) -> *mut u8 {
        self.refuse();
        core::ptr::null_mut()
    }

    /// Requests refused so far because the state was busy.
    pub(crate) fn refused(&self) -> u64 {
        u64::from(self.reentered.load(Ordering::Relaxed))
    }
}
