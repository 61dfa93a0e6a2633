//! Object pools: a typed [`Pool<T>`] and size-class pools ([`ClassPools`])
//! for small untyped sizes. Both are O(1) per alloc and free: an intrusive
//! LIFO free list (the link lives in the free slot), with new slots bumped
//! from an [`Arena`].
//!
//! ```
//! use capheap::backend::NativePages;
//! use capheap::pool::Pool;
//!
//! let pool: Pool<[u64; 4], _> = Pool::new(NativePages::new(0, 4)).with_max_items(2);
//! let a = pool.alloc([1; 4]).unwrap();
//! let b = pool.alloc([2; 4]).unwrap();
//! assert!(pool.alloc([3; 4]).is_err()); // capacity cap
//! drop(a);
//! let c = pool.alloc([4; 4]).unwrap(); // reuses a's slot
//! assert_eq!(b[0] + c[0], 6);
//! ```

use core::alloc::Layout;
use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use crate::arena::{Arena, ArenaConfig};
use crate::backend::PageSource;
use crate::cap::{self, AllocError, CapKind};
use crate::small::{GRAN, SmallLists, class_of, class_size};
use crate::stats::Stats;
use crate::util::{ptr, rd, wr};

/// A pool of `T` slots.
pub struct Pool<T, B: PageSource> {
    arena: Arena<B>,
    free: Cell<usize>,
    live: Cell<usize>,
    frees: Cell<u64>,
    max_items: Option<usize>,
    _t: PhantomData<T>,
}

impl<T, B: PageSource> core::fmt::Debug for Pool<T, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pool")
            .field("live", &self.live.get())
            .field("max_items", &self.max_items)
            .finish_non_exhaustive()
    }
}

impl<T, B: PageSource> Pool<T, B> {
    /// Layout of one slot: `T`, but at least one word and word-aligned.
    pub const SLOT: Layout = {
        let w = core::mem::size_of::<usize>();
        let align = if core::mem::align_of::<T>() > w {
            core::mem::align_of::<T>()
        } else {
            w
        };
        let size = if core::mem::size_of::<T>() > w {
            core::mem::size_of::<T>()
        } else {
            w
        };
        match Layout::from_size_align(size, align) {
            Ok(l) => l.pad_to_align(),
            Err(_) => panic!("slot layout"),
        }
    };

    /// A pool over `backend`, uncapped.
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<u64, _> = Pool::new(NativePages::new(0, 4));
    /// let x = pool.alloc(7).unwrap();
    /// assert_eq!(*x, 7);
    /// ```
    pub fn new(backend: B) -> Self {
        Self::with_arena_config(backend, ArenaConfig::DEFAULT)
    }

    /// A pool whose slots come from an arena with `cfg`.
    ///
    /// ```
    /// use capheap::arena::ArenaConfig;
    /// use capheap::{backend::NativePages, pool::Pool, PagePricing};
    ///
    /// let cfg = ArenaConfig {
    ///     pricing: PagePricing::Flat { per_page: 3 },
    ///     ..ArenaConfig::DEFAULT
    /// };
    /// let pool: Pool<[u8; 100], _> = Pool::with_arena_config(NativePages::new(0, 4), cfg);
    /// let _item = pool.alloc([0; 100]).unwrap();
    /// assert_eq!(pool.stats().growth_price_charged, 3);
    /// ```
    pub fn with_arena_config(backend: B, cfg: ArenaConfig) -> Self {
        Self {
            arena: Arena::with_config(backend, cfg),
            free: Cell::new(0),
            live: Cell::new(0),
            frees: Cell::new(0),
            max_items: None,
            _t: PhantomData,
        }
    }

    /// Cap the number of live items.
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool, AllocError, CapKind};
    ///
    /// let pool: Pool<u32, _> = Pool::new(NativePages::new(0, 4)).with_max_items(1);
    /// let a = pool.alloc(1).unwrap();
    /// assert!(matches!(
    ///     pool.alloc(2),
    ///     Err(AllocError::CapExceeded { cap: CapKind::PoolItems, limit: 1, .. })
    /// ));
    /// assert_eq!(pool.stats().failed_cap, 1);
    /// drop(a);
    /// assert!(pool.alloc(3).is_ok());
    /// ```
    pub fn with_max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n);
        self
    }

    /// Live items.
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<u32, _> = Pool::new(NativePages::new(0, 4));
    /// let a = pool.alloc(1).unwrap();
    /// let b = pool.alloc(2).unwrap();
    /// assert_eq!(pool.live(), 2);
    /// drop((a, b));
    /// assert_eq!(pool.live(), 0);
    /// ```
    pub fn live(&self) -> usize {
        self.live.get()
    }

    /// An uninitialised slot.
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<u64, _> = Pool::new(NativePages::new(0, 4));
    /// let p = pool.alloc_raw().unwrap();
    /// // SAFETY: `p` is a fresh slot for one `u64`, freed once below.
    /// unsafe {
    ///     p.as_ptr().write(42);
    ///     assert_eq!(p.as_ptr().read(), 42);
    ///     pool.free_raw(p);
    /// }
    /// assert_eq!(pool.live(), 0);
    /// ```
    pub fn alloc_raw(&self) -> Result<NonNull<T>, AllocError> {
        let live = self.live.get();
        cap::check(
            CapKind::PoolItems,
            self.max_items.map(|m| m as u64),
            live as u64 + 1,
        )
        .map_err(|e| self.arena.refused(e))?;
        let f = self.free.get();
        let p = if f != 0 {
            // SAFETY: `f` is a free slot whose first word links to the next.
            self.free.set(unsafe { rd(f) });
            // SAFETY: slots are never at address 0.
            unsafe { NonNull::new_unchecked(ptr(f)) }
        } else {
            self.arena.try_alloc(Self::SLOT)?
        };
        self.live.set(live + 1);
        Ok(p.cast())
    }

    /// Return a slot (its value must already be dropped or moved out).
    ///
    /// # Safety
    /// `p` came from [`Pool::alloc_raw`] of this pool and is not used afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<u64, _> = Pool::new(NativePages::new(0, 4));
    /// let p = pool.alloc_raw().unwrap();
    /// // SAFETY: `p` came from `alloc_raw` of this pool and is not used again
    /// // (a `u64` needs no drop).
    /// unsafe { pool.free_raw(p) };
    /// // The slot is reused first (LIFO).
    /// assert_eq!(pool.alloc_raw().unwrap(), p);
    /// ```
    pub unsafe fn free_raw(&self, p: NonNull<T>) {
        let a = p.as_ptr() as usize;
        // SAFETY: the slot is ours again, word-aligned and at least a word long.
        unsafe { wr(a, self.free.get()) };
        self.free.set(a);
        self.live.set(self.live.get() - 1);
        self.frees.set(self.frees.get() + 1);
    }

    /// Move `value` into a slot.
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<String, _> = Pool::new(NativePages::new(0, 4));
    /// let mut name = pool.alloc(String::from("cap")).unwrap();
    /// name.push_str("heap");
    /// assert_eq!(*name, "capheap");
    /// // Dropping the box drops the `String` and frees the slot.
    /// drop(name);
    /// assert_eq!(pool.live(), 0);
    /// ```
    pub fn alloc(&self, value: T) -> Result<PoolBox<'_, T, B>, AllocError> {
        let p = self.alloc_raw()?;
        // SAFETY: fresh slot, aligned and sized for `T`.
        unsafe { p.as_ptr().write(value) };
        Ok(PoolBox { pool: self, ptr: p })
    }

    /// Statistics of the pool (items as `allocs`/`frees`, bytes from its
    /// arena; failures: refusals by the item cap and by the arena).
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<u64, _> = Pool::new(NativePages::new(0, 4));
    /// let a = pool.alloc(1).unwrap();
    /// drop(a);
    /// let s = pool.stats();
    /// assert_eq!((s.allocs, s.frees, s.live_bytes), (1, 1, 0));
    /// ```
    pub fn stats(&self) -> Stats {
        let mut s = self.arena.stats();
        s.frees = self.frees.get();
        s.allocs = s.frees + self.live.get() as u64;
        s.live_bytes = (self.live.get() * Self::SLOT.size()) as u64;
        s
    }
}

/// An owned `T` in a [`Pool`]; dropping it drops `T` and frees the slot.
pub struct PoolBox<'a, T, B: PageSource> {
    pool: &'a Pool<T, B>,
    ptr: NonNull<T>,
}

impl<T, B: PageSource> PoolBox<'_, T, B> {
    /// Give up ownership without dropping; free later with [`Pool::free_raw`].
    ///
    /// ```
    /// use capheap::{backend::NativePages, pool::Pool};
    ///
    /// let pool: Pool<u64, _> = Pool::new(NativePages::new(0, 4));
    /// let p = pool.alloc(5).unwrap().into_raw();
    /// assert_eq!(pool.live(), 1, "still allocated");
    /// // SAFETY: `p` came from this pool (through `alloc`) and is not used again.
    /// unsafe { pool.free_raw(p) };
    /// ```
    pub fn into_raw(self) -> NonNull<T> {
        let p = self.ptr;
        core::mem::forget(self);
        p
    }
}

impl<T, B: PageSource> Deref for PoolBox<'_, T, B> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the slot holds an initialised `T` owned by this box.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T, B: PageSource> DerefMut for PoolBox<'_, T, B> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T, B: PageSource> Drop for PoolBox<'_, T, B> {
    fn drop(&mut self) {
        // SAFETY: we own the initialised value and the slot.
        unsafe {
            core::ptr::drop_in_place(self.ptr.as_ptr());
            self.pool.free_raw(self.ptr);
        }
    }
}

impl<T: core::fmt::Debug, B: PageSource> core::fmt::Debug for PoolBox<'_, T, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (**self).fmt(f)
    }
}

/// Size-class pools for small untyped allocations (1..=512 bytes, align <= 8),
/// the same 64 classes as the heap, over an arena.
pub struct ClassPools<B: PageSource> {
    arena: Arena<B>,
    lists: UnsafeCell<SmallLists>,
    live: Cell<usize>,
    max_bytes: Option<usize>,
}

impl<B: PageSource> core::fmt::Debug for ClassPools<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClassPools")
            .field("live", &self.live.get())
            .finish_non_exhaustive()
    }
}

impl<B: PageSource> ClassPools<B> {
    /// Pools over `backend`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, pool::ClassPools};
    ///
    /// let pools = ClassPools::new(NativePages::new(0, 4));
    /// let p = pools.try_alloc(Layout::from_size_align(20, 4).unwrap()).unwrap();
    /// assert_eq!(p.as_ptr() as usize % 4, 0);
    /// ```
    pub fn new(backend: B) -> Self {
        Self::with_arena_config(backend, ArenaConfig::DEFAULT)
    }

    /// Pools whose slots come from an arena with `cfg`.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::arena::ArenaConfig;
    /// use capheap::{backend::NativePages, pool::ClassPools};
    ///
    /// let cfg = ArenaConfig { max_memory_pages: Some(1), ..ArenaConfig::DEFAULT };
    /// let pools = ClassPools::with_arena_config(NativePages::new(0, 4), cfg);
    /// let small = Layout::from_size_align(512, 8).unwrap();
    /// // One page holds fewer than 128 objects of 512 bytes.
    /// let n = (0..200).take_while(|_| pools.try_alloc(small).is_ok()).count();
    /// assert!(n < 128);
    /// assert_eq!(pools.stats().failed_cap, 1);
    /// ```
    pub fn with_arena_config(backend: B, cfg: ArenaConfig) -> Self {
        Self {
            arena: Arena::with_config(backend, cfg),
            lists: UnsafeCell::new(SmallLists::new()),
            live: Cell::new(0),
            max_bytes: None,
        }
    }

    /// Cap the live bytes (rounded to classes); counted as [`CapKind::PoolItems`].
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, pool::ClassPools, AllocError};
    ///
    /// let pools = ClassPools::new(NativePages::new(0, 4)).with_max_bytes(64);
    /// let l = Layout::from_size_align(30, 8).unwrap();
    /// pools.try_alloc(l).unwrap();
    /// pools.try_alloc(l).unwrap();
    /// // Two objects of 30 bytes already take 64 (two 32-byte classes).
    /// assert!(matches!(pools.try_alloc(l), Err(AllocError::CapExceeded { .. })));
    /// ```
    pub fn with_max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = Some(n);
        self
    }

    /// Live bytes (rounded to classes).
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, pool::ClassPools};
    ///
    /// let pools = ClassPools::new(NativePages::new(0, 4));
    /// pools.try_alloc(Layout::from_size_align(13, 1).unwrap()).unwrap();
    /// assert_eq!(pools.live_bytes(), 16, "rounded up to the 16-byte class");
    /// ```
    pub fn live_bytes(&self) -> usize {
        self.live.get()
    }

    /// Allocate; fails with [`AllocError::LayoutTooLarge`] outside the classes.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, pool::ClassPools, AllocError};
    ///
    /// let pools = ClassPools::new(NativePages::new(0, 4));
    /// assert!(pools.try_alloc(Layout::from_size_align(512, 8).unwrap()).is_ok());
    /// // Larger than the largest class, or aligned above 8: not served here.
    /// assert_eq!(
    ///     pools.try_alloc(Layout::from_size_align(513, 8).unwrap()),
    ///     Err(AllocError::LayoutTooLarge)
    /// );
    /// assert_eq!(
    ///     pools.try_alloc(Layout::from_size_align(16, 16).unwrap()),
    ///     Err(AllocError::LayoutTooLarge)
    /// );
    /// assert_eq!(pools.stats().failed_layout, 2);
    /// ```
    pub fn try_alloc(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let Some(c) = class_of(layout.size(), layout.align()) else {
            return Err(self.arena.refused(AllocError::LayoutTooLarge));
        };
        let cs = class_size(c);
        let live = self.live.get();
        cap::check(
            CapKind::PoolItems,
            self.max_bytes.map(|m| m as u64),
            (live + cs) as u64,
        )
        .map_err(|e| self.arena.refused(e))?;
        // SAFETY: short exclusive borrow (`!Sync`, no user code inside);
        // `c < NUM_SMALL`; list members are free slots of class `c`.
        let p = unsafe { (*self.lists.get()).pop(c) };
        let p = if p != 0 {
            // SAFETY: slots are never at address 0.
            unsafe { NonNull::new_unchecked(ptr(p)) }
        } else {
            // SAFETY: `cs` is a multiple of 8 and 8 is a power of two.
            let l = unsafe { Layout::from_size_align_unchecked(cs, GRAN) };
            self.arena.try_alloc(l)?
        };
        self.live.set(live + cs);
        Ok(p)
    }

    /// Free.
    ///
    /// # Safety
    /// `p` came from [`ClassPools::try_alloc`] of these pools with `layout`
    /// and is not used afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, pool::ClassPools};
    ///
    /// let pools = ClassPools::new(NativePages::new(0, 4));
    /// let l = Layout::from_size_align(100, 8).unwrap();
    /// let p = pools.try_alloc(l).unwrap();
    /// // SAFETY: `p` came from `try_alloc` with `l` and is not used again.
    /// unsafe { pools.dealloc(p, l) };
    /// assert_eq!(pools.live_bytes(), 0);
    /// // Its class reuses the slot.
    /// assert_eq!(pools.try_alloc(l).unwrap(), p);
    /// ```
    pub unsafe fn dealloc(&self, p: NonNull<u8>, layout: Layout) {
        if let Some(c) = class_of(layout.size(), layout.align()) {
            // SAFETY: short exclusive borrow; `p` is a free slot of class `c`.
            unsafe { (*self.lists.get()).push(c, p.as_ptr() as usize) };
            self.live.set(self.live.get() - class_size(c));
        }
    }

    /// Statistics of the underlying arena, with the pools' own refusals (the
    /// byte cap, layouts outside the classes) among the failures.
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use capheap::{backend::NativePages, pool::ClassPools};
    ///
    /// let pools = ClassPools::new(NativePages::new(0, 4));
    /// pools.try_alloc(Layout::from_size_align(100, 8).unwrap()).unwrap();
    /// let s = pools.stats();
    /// assert_eq!((s.pages_grown, s.allocs), (1, 1));
    /// ```
    pub fn stats(&self) -> Stats {
        let mut s = self.arena.stats();
        s.live_bytes = self.live.get() as u64;
        s
    }
}
