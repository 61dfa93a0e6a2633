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

    /// Take the lock if it is free.
    #[inline(always)]
    pub(crate) fn try_acquire(&self) -> bool {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
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
