//! The global heap's lock.
//!
//! On wasm32 without the `atomics` target feature there are no threads: the
//! heap takes no lock at all unless its configuration runs user code (a
//! [`crate::meter::PagePricing::Custom`] function or a gas hook), in which case
//! a busy flag turns re-entry into [`crate::AllocError::Reentrant`] instead of
//! aliasing the heap state. Everywhere else (native hosts, wasm with threads)
//! it is a spin lock on an `AtomicBool`.

use core::sync::atomic::{AtomicBool, Ordering};

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
