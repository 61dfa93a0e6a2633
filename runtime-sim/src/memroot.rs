//! Memory roots: a SHA-256 root over per-page digests of linear memory.
//!
//! `page digest = SHA-256(page bytes)` for every 64 KiB page, and
//! `root = SHA-256("capheap-memroot-v1" ‖ page count as u32 LE ‖ digest 0 ‖
//! digest 1 ‖ …)`. Two memories with the same root are equal (up to SHA-256);
//! when roots differ, the first differing page digest locates the divergence
//! to a page and [`first_difference`] to a byte.
//!
//! Hashing is the hot path of replays. `sha2` picks the SHA-NI / ARMv8 SHA
//! instructions at run time where the CPU has them; all-zero pages (fresh
//! growth) are recognised with a word compare and get a precomputed digest.

use std::fmt;
use std::sync::OnceLock;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::limits::PAGE_SIZE;

const PAGE: usize = PAGE_SIZE as usize;
const ROOT_DOMAIN: &[u8] = b"capheap-memroot-v1";

/// A SHA-256 digest; shown and serialised as 64 lowercase hex digits.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// SHA-256 of `bytes`.
    ///
    /// ```
    /// use capheap_sim::Digest;
    ///
    /// assert_eq!(
    ///     Digest::of(b"abc").to_hex(),
    ///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    /// );
    /// ```
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The digest as hex.
    ///
    /// ```
    /// use capheap_sim::Digest;
    ///
    /// assert_eq!(Digest::of(b"").to_hex().len(), 64);
    /// ```
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// The root of a memory and the digests of its pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryRoot {
    /// The root.
    pub root: Digest,
    /// Number of pages.
    pub pages: u32,
    /// Digest of each page, in order.
    #[serde(skip)]
    pub page_digests: Vec<Digest>,
}

impl MemoryRoot {
    /// Hashes `memory` (a whole number of pages; a trailing partial page is
    /// hashed as its own page, which never happens for wasm memories).
    /// Memories of [`PARALLEL_PAGES`] pages or more are hashed on all cores;
    /// the result does not depend on it.
    ///
    /// ```
    /// use capheap_sim::{MemoryRoot, PAGE_SIZE};
    ///
    /// let memory = vec![0u8; 3 * PAGE_SIZE as usize];
    /// let root = MemoryRoot::of(&memory);
    /// assert_eq!(root.pages, 3);
    /// assert_eq!(root.root, capheap_sim::memroot::memory_root(&memory));
    /// ```
    pub fn of(memory: &[u8]) -> MemoryRoot {
        Self::from_digests(digest_pages(memory))
    }

    fn from_digests(page_digests: Vec<Digest>) -> MemoryRoot {
        let pages = u32::try_from(page_digests.len()).unwrap_or(u32::MAX);
        MemoryRoot {
            root: root_of(&page_digests),
            pages,
            page_digests,
        }
    }

    /// The first page whose digest differs from `other`'s (a page present in
    /// one memory only counts as differing).
    ///
    /// ```
    /// use capheap_sim::{MemoryRoot, PAGE_SIZE};
    ///
    /// let a = vec![0u8; 3 * PAGE_SIZE as usize];
    /// let mut b = a.clone();
    /// b[2 * PAGE_SIZE as usize + 7] = 1;
    /// assert_eq!(MemoryRoot::of(&a).first_differing_page(&MemoryRoot::of(&b)), Some(2));
    /// assert_eq!(MemoryRoot::of(&a).first_differing_page(&MemoryRoot::of(&a)), None);
    /// ```
    pub fn first_differing_page(&self, other: &MemoryRoot) -> Option<u32> {
        let common = self.page_digests.len().min(other.page_digests.len());
        let differing = (0..common)
            .find(|&i| self.page_digests[i] != other.page_digests[i])
            .or((self.page_digests.len() != other.page_digests.len()).then_some(common));
        differing.map(|i| u32::try_from(i).unwrap_or(u32::MAX))
    }
}

/// Memories at least this many pages long are hashed in parallel.
pub const PARALLEL_PAGES: usize = 64;

/// Digests of every page, in order.
fn digest_pages(memory: &[u8]) -> Vec<Digest> {
    let pages = memory.len().div_ceil(PAGE);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if pages < PARALLEL_PAGES || threads < 2 {
        return memory.chunks(PAGE).map(page_digest).collect();
    }
    let per_thread = pages.div_ceil(threads) * PAGE;
    std::thread::scope(|scope| {
        let parts: Vec<_> = memory
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.chunks(PAGE).map(page_digest).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The largest memory [`PageCache`] keeps a copy of by default: 64 MiB
/// (1,024 pages, the default page cap). Larger memories are hashed whole on
/// every call instead, so the cache never doubles a huge memory.
pub const DEFAULT_SHADOW_LIMIT: usize = 64 << 20;

/// Incremental memory roots: keeps a copy of the memory last hashed and
/// its page digests, and rehashes only pages whose bytes changed (a page
/// compare is an order of magnitude faster than SHA-256). The root is
/// identical to [`MemoryRoot::of`]; the price is one copy of memory, up to
/// a limit ([`DEFAULT_SHADOW_LIMIT`]) past which nothing is cached.
#[derive(Clone, Debug)]
pub struct PageCache {
    shadow: Vec<u8>,
    digests: Vec<Digest>,
    limit: usize,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::with_limit(DEFAULT_SHADOW_LIMIT)
    }
}

impl PageCache {
    /// An empty cache.
    ///
    /// ```
    /// use capheap_sim::memroot::{PageCache, memory_root};
    /// use capheap_sim::PAGE_SIZE;
    ///
    /// let mut cache = PageCache::new();
    /// let mut memory = vec![0u8; 4 * PAGE_SIZE as usize];
    /// cache.root(&memory);
    /// memory[5] = 1;
    /// // Only the changed page is hashed again; the root is the same as from scratch.
    /// assert_eq!(cache.root(&memory).root, memory_root(&memory));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache that copies memories of at most `limit` bytes.
    ///
    /// ```
    /// use capheap_sim::memroot::{PageCache, memory_root};
    /// use capheap_sim::PAGE_SIZE;
    ///
    /// // Above the limit the cache keeps no copy, and still gives the right root.
    /// let mut cache = PageCache::with_limit(PAGE_SIZE as usize);
    /// let memory = vec![7u8; 2 * PAGE_SIZE as usize];
    /// assert_eq!(cache.root(&memory).root, memory_root(&memory));
    /// assert_eq!(cache.held_bytes(), 0);
    /// ```
    pub fn with_limit(limit: usize) -> Self {
        PageCache {
            shadow: Vec::new(),
            digests: Vec::new(),
            limit,
        }
    }

    /// Bytes the cache holds (its copy of memory).
    ///
    /// ```
    /// use capheap_sim::memroot::PageCache;
    /// use capheap_sim::PAGE_SIZE;
    ///
    /// let mut cache = PageCache::new();
    /// assert_eq!(cache.held_bytes(), 0);
    /// cache.root(&vec![1u8; PAGE_SIZE as usize]);
    /// assert_eq!(cache.held_bytes(), PAGE_SIZE as usize);
    /// ```
    pub fn held_bytes(&self) -> usize {
        self.shadow.capacity()
    }

    /// The root of `memory`, reusing digests of unchanged pages.
    ///
    /// ```
    /// use capheap_sim::memroot::PageCache;
    /// use capheap_sim::{MemoryRoot, PAGE_SIZE};
    ///
    /// let mut cache = PageCache::new();
    /// let memory = vec![3u8; 2 * PAGE_SIZE as usize];
    /// assert_eq!(cache.root(&memory), MemoryRoot::of(&memory));
    /// ```
    pub fn root(&mut self, memory: &[u8]) -> MemoryRoot {
        if memory.len() > self.limit {
            // Too large to copy: hash it whole, and drop what was cached.
            self.shadow = Vec::new();
            self.digests = Vec::new();
            return MemoryRoot::of(memory);
        }
        if self.shadow.is_empty() {
            let root = MemoryRoot::of(memory);
            self.shadow = memory.to_vec();
            self.digests = root.page_digests.clone();
            return root;
        }
        self.shadow.resize(memory.len(), 0);
        let pages = memory.len().div_ceil(PAGE);
        self.digests.truncate(pages);
        for (i, (page, shadow)) in memory
            .chunks(PAGE)
            .zip(self.shadow.chunks_mut(PAGE))
            .enumerate()
        {
            if i < self.digests.len() && page == shadow {
                continue;
            }
            shadow.copy_from_slice(page);
            let digest = page_digest(page);
            match self.digests.get_mut(i) {
                Some(slot) => *slot = digest,
                None => self.digests.push(digest),
            }
        }
        MemoryRoot::from_digests(self.digests.clone())
    }
}

/// The root over page digests.
///
/// ```
/// use capheap_sim::memroot::{page_digest, root_of};
/// use capheap_sim::{MemoryRoot, PAGE_SIZE};
///
/// let memory = vec![9u8; 2 * PAGE_SIZE as usize];
/// let pages: Vec<_> = memory.chunks(PAGE_SIZE as usize).map(page_digest).collect();
/// assert_eq!(root_of(&pages), MemoryRoot::of(&memory).root);
/// ```
pub fn root_of(page_digests: &[Digest]) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(ROOT_DOMAIN);
    let pages = u32::try_from(page_digests.len()).unwrap_or(u32::MAX);
    hasher.update(pages.to_le_bytes());
    for digest in page_digests {
        hasher.update(digest.0);
    }
    Digest(hasher.finalize().into())
}

/// The root of `memory` without keeping the page digests.
///
/// ```
/// use capheap_sim::memroot::memory_root;
/// use capheap_sim::{MemoryRoot, PAGE_SIZE};
///
/// let memory = vec![0u8; PAGE_SIZE as usize];
/// assert_eq!(memory_root(&memory), MemoryRoot::of(&memory).root);
/// ```
pub fn memory_root(memory: &[u8]) -> Digest {
    MemoryRoot::of(memory).root
}

/// SHA-256 of one page, with a fast path for all-zero pages.
///
/// ```
/// use capheap_sim::memroot::page_digest;
/// use capheap_sim::{Digest, PAGE_SIZE};
///
/// // The all-zero fast path gives the plain SHA-256.
/// let zero = vec![0u8; PAGE_SIZE as usize];
/// assert_eq!(page_digest(&zero), Digest::of(&zero));
/// ```
pub fn page_digest(page: &[u8]) -> Digest {
    if page.len() == PAGE && is_zero(page) {
        static ZERO_PAGE: OnceLock<Digest> = OnceLock::new();
        return *ZERO_PAGE.get_or_init(|| Digest::of(&[0u8; PAGE]));
    }
    Digest::of(page)
}

/// Whether every byte is zero (compares 16 bytes at a time).
fn is_zero(bytes: &[u8]) -> bool {
    let (chunks, rest) = bytes.as_chunks::<16>();
    chunks.iter().all(|c| u128::from_ne_bytes(*c) == 0) && rest.iter().all(|&b| b == 0)
}

/// Where two memories first differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ByteDifference {
    /// Byte offset in linear memory.
    pub offset: u64,
    /// The page holding it (`offset / 65536`).
    pub page: u32,
    /// The byte in the first memory (`None`: past its end).
    pub expected: Option<u8>,
    /// The byte in the second memory (`None`: past its end).
    pub actual: Option<u8>,
}

/// The first byte at which `expected` and `actual` differ, or `None` when
/// they are equal. Memories of different sizes differ at the shorter's end
/// if their common prefix is equal.
///
/// ```
/// use capheap_sim::memroot::first_difference;
///
/// let d = first_difference(b"abcd", b"abXd").unwrap();
/// assert_eq!((d.offset, d.page, d.expected, d.actual), (2, 0, Some(b'c'), Some(b'X')));
/// // A longer memory differs where the shorter one ends.
/// let d = first_difference(b"ab", b"abc").unwrap();
/// assert_eq!((d.offset, d.expected, d.actual), (2, None, Some(b'c')));
/// assert!(first_difference(b"same", b"same").is_none());
/// ```
pub fn first_difference(expected: &[u8], actual: &[u8]) -> Option<ByteDifference> {
    let common = expected.len().min(actual.len());
    let offset = first_mismatch(&expected[..common], &actual[..common])
        .or((expected.len() != actual.len()).then_some(common))?;
    let offset64 = offset as u64;
    Some(ByteDifference {
        offset: offset64,
        page: u32::try_from(offset64 / PAGE_SIZE).unwrap_or(u32::MAX),
        expected: expected.get(offset).copied(),
        actual: actual.get(offset).copied(),
    })
}

/// Index of the first differing byte of two equal-length slices.
fn first_mismatch(a: &[u8], b: &[u8]) -> Option<usize> {
    // Skip equal 4 KiB blocks with a memcmp, then scan the first unequal one.
    const BLOCK: usize = 4096;
    let mut start = 0;
    for (x, y) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
        if x != y {
            return x.iter().zip(y).position(|(p, q)| p != q).map(|i| start + i);
        }
        start += x.len();
    }
    None
}

#[cfg(test)]
mod cache_limit_tests {
    use super::*;

    #[test]
    fn memories_past_the_limit_are_hashed_without_a_copy() {
        let mut cache = PageCache::with_limit(2 * PAGE);
        let small = vec![3u8; 2 * PAGE];
        assert_eq!(cache.root(&small), MemoryRoot::of(&small));
        assert_eq!(cache.held_bytes(), 2 * PAGE);
        let mut big = vec![3u8; 3 * PAGE];
        big[PAGE + 5] = 9;
        assert_eq!(cache.root(&big), MemoryRoot::of(&big));
        assert_eq!(cache.held_bytes(), 0, "a memory past the limit was copied");
        assert_eq!(cache.root(&small), MemoryRoot::of(&small));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_page_fast_path_matches_sha256() {
        assert_eq!(page_digest(&[0u8; PAGE]), Digest::of(&[0u8; PAGE]));
        let mut page = vec![0u8; PAGE];
        page[PAGE - 1] = 1;
        assert_eq!(page_digest(&page), Digest::of(&page));
    }

    #[test]
    fn root_commits_to_page_count() {
        assert_ne!(MemoryRoot::of(&[]).root, MemoryRoot::of(&[0u8; PAGE]).root);
    }

    #[test]
    fn cache_and_parallel_hashing_agree_with_plain_hashing() {
        let mut memory: Vec<u8> = (0..(PARALLEL_PAGES + 3) * PAGE)
            .map(|i| (i % 251) as u8)
            .collect();
        let plain = |m: &[u8]| {
            let digests: Vec<Digest> = m.chunks(PAGE).map(page_digest).collect();
            root_of(&digests)
        };
        assert_eq!(MemoryRoot::of(&memory).root, plain(&memory));
        let mut cache = PageCache::new();
        assert_eq!(cache.root(&memory).root, plain(&memory));
        memory[5 * PAGE + 3] ^= 0xff;
        assert_eq!(cache.root(&memory).root, plain(&memory));
        memory.truncate(2 * PAGE);
        assert_eq!(cache.root(&memory), MemoryRoot::of(&memory));
        memory.resize(4 * PAGE, 0);
        assert_eq!(cache.root(&memory), MemoryRoot::of(&memory));
        memory[3 * PAGE] = 1;
        assert_eq!(cache.root(&memory), MemoryRoot::of(&memory));
    }

    #[test]
    fn difference_is_located() {
        let a = vec![0u8; 3 * PAGE];
        let mut b = a.clone();
        b[PAGE + 77] = 9;
        let d = first_difference(&a, &b).unwrap();
        assert_eq!((d.offset, d.page), (PAGE as u64 + 77, 1));
        assert_eq!((d.expected, d.actual), (Some(0), Some(9)));
        assert_eq!(
            MemoryRoot::of(&a).first_differing_page(&MemoryRoot::of(&b)),
            Some(1)
        );
        assert_eq!(first_difference(&a, &a), None);
        let d = first_difference(&a[..PAGE], &a).unwrap();
        assert_eq!(
            (d.offset, d.expected, d.actual),
            (PAGE as u64, None, Some(0))
        );
    }
}
