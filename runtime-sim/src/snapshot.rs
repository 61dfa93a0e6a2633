//! Snapshots: instance state (memory, mutable globals, storage, pricing
//! high-water mark) saved and restored, in a versioned, checksummed file.
//!
//! File layout (all integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `CAPHSNAP` |
//! | 4 | format version ([`SNAPSHOT_VERSION`]) |
//! | 8 | body length `n` |
//! | n | body: borsh of the snapshot (code hash, pages, high-water mark, non-zero pages, mutable globals, storage) |
//! | 32 | SHA-256 of everything before it |
//!
//! Tables are not saved: a restored instance has the tables its module
//! initialises. Contracts that mutate tables at run time (`table.set`,
//! `table.grow`, ...; rare in Rust contracts, which `check` reports) do not
//! round-trip exactly. Globals are reached through the reserved exports the
//! load-time rewrite adds, so non-exported mutable globals (Rust's stack
//! pointer) are saved too.

use std::path::Path;

use borsh::{BorshDeserialize, BorshSerialize};
use sha2::{Digest as _, Sha256};
use wasmi::Val;

use crate::contract::Contract;
pub use crate::error::SnapshotError;
use crate::error::{Result, SimError};
use crate::instance::Instance;
use crate::instrument::global_export;
use crate::limits::{Limit, PAGE_SIZE, WASM32_MAX_PAGES};
use crate::memroot::{Digest, page_digest, root_of};
use crate::storage::Storage;

/// First bytes of every snapshot file.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"CAPHSNAP";
/// The snapshot format version this simulator writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

const HEADER: usize = 8 + 4 + 8;
const CHECKSUM: usize = 32;
const PAGE: usize = PAGE_SIZE as usize;

/// The value of a mutable global (floats as their bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
enum GlobalValue {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
struct SavedPage {
    index: u32,
    bytes: Vec<u8>,
}

/// Saved state of an [`Instance`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Snapshot {
    code_hash: Digest,
    pages: u32,
    high_water_pages: u32,
    /// Non-zero pages, ascending.
    memory: Vec<SavedPage>,
    /// `(global index, value)`, ascending.
    globals: Vec<(u32, GlobalValue)>,
    /// Entries in key order.
    storage: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Snapshot {
    /// The code hash of the contract it was taken of.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let contract = Simulator::new().load(&wasm)?;
    /// let snapshot = contract.instantiate()?.snapshot()?;
    /// assert_eq!(snapshot.code_hash(), contract.code_hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn code_hash(&self) -> Digest {
        self.code_hash
    }

    /// Pages of linear memory.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("grow", &[])?;
    /// assert_eq!(instance.snapshot()?.pages(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// The pricing high-water mark.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("grow", &[])?;
    /// instance.reset()?;
    /// let snapshot = instance.snapshot()?;
    /// assert_eq!((snapshot.pages(), snapshot.high_water_pages()), (1, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn high_water_pages(&self) -> u32 {
        self.high_water_pages
    }

    /// Memory root of the saved memory (equal to the instance's at the time).
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("bump", &[])?;
    /// assert_eq!(instance.snapshot()?.memory_root(), instance.memory_root().root);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_root(&self) -> Digest {
        let zero = page_digest(&[0u8; PAGE]);
        let mut digests = vec![zero; self.pages as usize];
        for page in &self.memory {
            if let Some(slot) = digests.get_mut(page.index as usize) {
                *slot = page_digest(&page.bytes);
            }
        }
        root_of(&digests)
    }

    /// Storage root of the saved storage.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.storage_mut().insert(b"k".to_vec(), b"v".to_vec());
    /// assert_eq!(instance.snapshot()?.storage_root(), instance.storage_root());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage_root(&self) -> Digest {
        self.storage.iter().cloned().collect::<Storage>().root()
    }

    /// The file form: header, borsh body, SHA-256 checksum.
    ///
    /// ```
    /// use capheap_sim::{Simulator, Snapshot};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let snapshot = Simulator::new().load(&wasm)?.instantiate()?.snapshot()?;
    /// let bytes = snapshot.to_bytes();
    /// assert_eq!(Snapshot::from_bytes(&bytes)?, snapshot);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data into a Vec cannot fail.
        let body = borsh::to_vec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER + body.len() + CHECKSUM);
        out.extend_from_slice(&SNAPSHOT_MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        let checksum: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&checksum);
        out
    }

    /// Parses and checks the file form.
    ///
    /// ```
    /// use capheap_sim::{Simulator, Snapshot};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut bytes = Simulator::new().load(&wasm)?.instantiate()?.snapshot()?.to_bytes();
    /// // One flipped byte fails the checksum: a typed error, not a panic.
    /// let mid = bytes.len() / 2;
    /// bytes[mid] ^= 1;
    /// assert!(Snapshot::from_bytes(&bytes).is_err());
    /// assert!(Snapshot::from_bytes(b"short").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let len = bytes.len() as u64;
        let magic_len = bytes.len().min(SNAPSHOT_MAGIC.len());
        if bytes[..magic_len] != SNAPSHOT_MAGIC[..magic_len] {
            return Err(SnapshotError::Foreign);
        }
        let minimum = (HEADER + CHECKSUM) as u64;
        if bytes.len() < HEADER {
            return Err(SnapshotError::Truncated {
                len,
                expected: minimum,
            });
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: version,
                supported: SNAPSHOT_VERSION,
            });
        }
        let body_len = u64::from_le_bytes(bytes[12..HEADER].try_into().unwrap_or_default());
        let expected = body_len
            .checked_add(minimum)
            .ok_or_else(|| SnapshotError::Malformed(format!("body length {body_len}")))?;
        if len < expected {
            return Err(SnapshotError::Truncated { len, expected });
        }
        if len > expected {
            return Err(SnapshotError::Malformed(format!(
                "{} trailing bytes after the checksum",
                len - expected
            )));
        }
        let (content, checksum) = bytes.split_at(bytes.len() - CHECKSUM);
        if Sha256::digest(content)[..] != *checksum {
            return Err(SnapshotError::ChecksumMismatch);
        }
        let snapshot: Snapshot = borsh::from_slice(&content[HEADER..])
            .map_err(|e| SnapshotError::Malformed(e.to_string()))?;
        snapshot.validate()?;
        Ok(snapshot)
    }

    /// Writes the file form to `path`.
    ///
    /// ```
    /// use capheap_sim::{Simulator, Snapshot};
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let snapshot = Simulator::new().load(&wasm)?.instantiate()?.snapshot()?;
    /// let path = std::env::temp_dir().join("capheap-sim-doc-save.snap");
    /// snapshot.save(&path)?;
    /// assert_eq!(Snapshot::load(&path)?, snapshot);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_bytes()).map_err(|e| SimError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads and checks a snapshot file (at most
    /// [`MAX_SNAPSHOT_FILE`](crate::limits::MAX_SNAPSHOT_FILE) bytes).
    ///
    /// ```
    /// use capheap_sim::Snapshot;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let path = std::env::temp_dir().join("capheap-sim-doc-load.snap");
    /// std::fs::write(&path, b"not a snapshot")?;
    /// assert!(Snapshot::load(&path).is_err());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: &Path) -> Result<Snapshot> {
        let bytes = crate::limits::read_capped(path, crate::limits::MAX_SNAPSHOT_FILE)?;
        Ok(Snapshot::from_bytes(&bytes)?)
    }

    fn validate(&self) -> Result<(), SnapshotError> {
        let malformed = |m: String| Err(SnapshotError::Malformed(m));
        if self.pages > WASM32_MAX_PAGES {
            return malformed(format!("{} pages exceed wasm32's maximum", self.pages));
        }
        if self.high_water_pages < self.pages {
            return malformed("high-water mark below the page count".to_owned());
        }
        let mut previous = None;
        for page in &self.memory {
            if page.index >= self.pages || previous.is_some_and(|p| p >= page.index) {
                return malformed(format!("page index {} out of order or range", page.index));
            }
            if page.bytes.len() != PAGE {
                return malformed(format!(
                    "page {} has {} bytes",
                    page.index,
                    page.bytes.len()
                ));
            }
            previous = Some(page.index);
        }
        if !self.globals.windows(2).all(|w| w[0].0 < w[1].0) {
            return malformed("globals out of order".to_owned());
        }
        if !self.storage.windows(2).all(|w| w[0].0 < w[1].0) {
            return malformed("storage keys out of order".to_owned());
        }
        Ok(())
    }
}

impl Instance {
    /// Saves memory, mutable globals, storage and the pricing high-water mark.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let contract = Simulator::new().load(&wasm)?;
    /// let mut instance = contract.instantiate()?;
    /// instance.call("bump", &[])?;
    /// let snapshot = instance.snapshot()?;
    /// // The restored instance continues where the first one was.
    /// let mut restored = contract.restore(&snapshot)?;
    /// assert_eq!(restored.call("bump", &[])?.returned, Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(&self) -> Result<Snapshot> {
        let memory = self
            .memory()
            .chunks(PAGE)
            .enumerate()
            .filter(|(_, page)| page.iter().any(|&b| b != 0))
            .map(|(index, page)| SavedPage {
                index: index as u32,
                bytes: page.to_vec(),
            })
            .collect();
        let (store, instance) = self.parts();
        let mut globals = Vec::new();
        for &(index, _) in &self.contract().inner.info.mutable_globals {
            let global = instance
                .get_global(store, &global_export(index))
                .ok_or_else(|| SnapshotError::Unsupported(format!("global {index} not found")))?;
            let value = match global.get(store) {
                Val::I32(v) => GlobalValue::I32(v),
                Val::I64(v) => GlobalValue::I64(v),
                Val::F32(v) => GlobalValue::F32(v.to_bits()),
                Val::F64(v) => GlobalValue::F64(v.to_bits()),
                other => {
                    return Err(SnapshotError::Unsupported(format!(
                        "mutable global {index} of type {:?}",
                        other.ty()
                    ))
                    .into());
                }
            };
            globals.push((index, value));
        }
        Ok(Snapshot {
            code_hash: self.contract().code_hash(),
            pages: self.pages(),
            high_water_pages: self.high_water_pages().max(self.pages()),
            memory,
            globals,
            storage: self
                .storage()
                .iter()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect(),
        })
    }
}

impl Contract {
    /// A new instance in the state `snapshot` saved (seed 0). Growth back to
    /// the saved size is not charged.
    ///
    /// ```
    /// use capheap_sim::Simulator;
    ///
    /// let wasm = wat::parse_str(
    ///     r#"(module
    ///          (memory (export "memory") 1)
    ///          (global $n (mut i32) (i32.const 0))
    ///          (func (export "bump") (result i32)
    ///            (global.set $n (i32.add (global.get $n) (i32.const 1)))
    ///            (i32.store (i32.const 1024) (global.get $n))
    ///            (global.get $n))
    ///          (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    /// )?;
    /// let mut instance = Simulator::new().load(&wasm)?.instantiate()?;
    /// instance.call("grow", &[])?;
    /// let snapshot = instance.snapshot()?;
    /// // Another contract cannot take this snapshot.
    /// let other = Simulator::new().load(&wat::parse_str("(module (memory 2))")?)?;
    /// assert!(other.restore(&snapshot).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore(&self, snapshot: &Snapshot) -> Result<Instance> {
        if snapshot.code_hash != self.code_hash() {
            return Err(SnapshotError::WrongContract {
                expected: self.code_hash(),
                found: snapshot.code_hash,
            }
            .into());
        }
        let cap = self.simulator().limits().max_pages;
        // A state file is trusted input (docs/src/determinism.md), but a
        // high-water mark past the cap would make growth priced as already
        // paid for: refuse it.
        if snapshot.high_water_pages > cap {
            return Err(SimError::LimitExceeded {
                limit: Limit::MemoryPages,
                max: u64::from(cap),
                value: Some(u64::from(snapshot.high_water_pages)),
            });
        }
        if snapshot.pages > cap {
            return Err(SimError::LimitExceeded {
                limit: Limit::MemoryPages,
                max: u64::from(cap),
                value: Some(u64::from(snapshot.pages)),
            });
        }
        let mut instance = self.instantiate_with(Storage::new(), snapshot.high_water_pages, 0)?;
        let pages = instance.pages();
        if snapshot.pages < pages {
            return Err(SnapshotError::Incompatible(format!(
                "{} saved pages, but the module starts with {pages}",
                snapshot.pages
            ))
            .into());
        }
        if snapshot.pages > pages {
            instance
                .grow_unmetered(snapshot.pages - pages)
                .map_err(|e| SnapshotError::Incompatible(e.to_string()))?;
        }
        if snapshot.pages > 0 {
            let memory = instance.memory_mut()?;
            memory.fill(0);
            for page in &snapshot.memory {
                let dst = (page.index as usize)
                    .checked_mul(PAGE)
                    .and_then(|start| memory.get_mut(start..start.checked_add(PAGE)?))
                    .ok_or_else(|| {
                        SnapshotError::Malformed(format!("page {} outside memory", page.index))
                    })?;
                dst.copy_from_slice(&page.bytes);
            }
        }
        let mutable = &self.inner.info.mutable_globals;
        let (store, wasm_instance) = instance.parts_mut();
        for &(index, value) in &snapshot.globals {
            let incompatible =
                || SnapshotError::Incompatible(format!("the module has no mutable global {index}"));
            let ty = mutable
                .iter()
                .find(|(i, _)| *i == index)
                .ok_or_else(incompatible)?
                .1;
            let global = wasm_instance
                .get_global(&*store, &global_export(index))
                .ok_or_else(incompatible)?;
            let val = match (value, ty) {
                (GlobalValue::I32(v), wasmparser::ValType::I32) => Val::I32(v),
                (GlobalValue::I64(v), wasmparser::ValType::I64) => Val::I64(v),
                (GlobalValue::F32(v), wasmparser::ValType::F32) => {
                    Val::F32(wasmi::F32::from_bits(v))
                }
                (GlobalValue::F64(v), wasmparser::ValType::F64) => {
                    Val::F64(wasmi::F64::from_bits(v))
                }
                _ => {
                    return Err(SnapshotError::Incompatible(format!(
                        "global {index} has another type"
                    ))
                    .into());
                }
            };
            global
                .set(&mut *store, val)
                .map_err(|e| SnapshotError::Incompatible(e.to_string()))?;
        }
        if snapshot.globals.len() != mutable.len() {
            return Err(SnapshotError::Incompatible(format!(
                "{} saved globals, the module has {} mutable globals",
                snapshot.globals.len(),
                mutable.len()
            ))
            .into());
        }
        // A start function may have written storage or grown memory: the
        // snapshot's state wins.
        *instance.storage_mut() = snapshot.storage.iter().cloned().collect();
        instance.set_high_water_pages(snapshot.high_water_pages.max(snapshot.pages));
        // Restored memory is not the module's initial memory: under a chain
        // ABI the next call starts on a fresh instance, as the original did.
        instance.mark_used();
        // The restored memory holds the statistics of the moment of the
        // snapshot: the base of the next call's refusal counts. Reading them
        // rewrites the stats buffer with the bytes the original's last read
        // left there, so memory is unchanged.
        let base = if self.inner.sim.config.read_stats {
            instance.stats().ok().flatten()
        } else {
            None
        };
        instance.parts_mut().0.data_mut().stats_base = base;
        Ok(instance)
    }
}
