//! Snapshots: round trips give the same roots and the same future; corrupt,
//! truncated, foreign and mismatched files are typed errors.

use capheap_sim::{
    Limit, PagePricing, SimError, Simulator, Snapshot, SnapshotError,
    snapshot::{SNAPSHOT_MAGIC, SNAPSHOT_VERSION},
};

/// A counter in a non-exported mutable global, storage writes and growth.
const STATEFUL: &str = r#"(module
  (import "capheap" "storage_write" (func $swrite (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i64) (i64.const 0))
  (global $scale (mut f64) (f64.const 1.5))
  (data (i32.const 16) "key")
  (func (export "count") (result i32)
    (global.set $count (i64.add (global.get $count) (i64.const 1)))
    (global.set $scale (f64.mul (global.get $scale) (f64.const 2)))
    (i64.store (i32.const 64) (global.get $count))
    (drop (call $swrite (i32.const 16) (i32.const 3) (i32.const 64) (i32.const 8)))
    (i32.wrap_i64 (global.get $count)))
  (func (export "scale") (result i32) (i32.trunc_f64_s (global.get $scale)))
  (func (export "grow") (result i32)
    (i32.store (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)) (i32.const 0xabcdef))
    (memory.size)))"#;

fn sim() -> Simulator {
    Simulator::builder()
        .pricing(PagePricing::STYLUS)
        .build()
        .unwrap()
}

fn stateful() -> capheap_sim::Contract {
    sim().load(&wat::parse_str(STATEFUL).unwrap()).unwrap()
}

fn snapshot_bytes() -> Vec<u8> {
    let mut instance = stateful().instantiate().unwrap();
    for export in ["count", "grow", "count", "grow", "count"] {
        instance.call(export, &[]).unwrap();
    }
    instance.snapshot().unwrap().to_bytes()
}

#[test]
fn round_trip_gives_the_same_roots_and_the_same_future() {
    let contract = stateful();
    let mut original = contract.instantiate().unwrap();
    for export in ["count", "grow", "count", "grow", "grow", "count"] {
        original.call(export, &[]).unwrap();
    }
    let snapshot = original.snapshot().unwrap();
    let bytes = snapshot.to_bytes();
    let parsed = Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(parsed, snapshot);
    assert_eq!(parsed.memory_root(), original.memory_root().root);
    assert_eq!(parsed.storage_root(), original.storage_root());
    assert_eq!(parsed.code_hash(), contract.code_hash());
    let mut restored = contract.restore(&parsed).unwrap();
    assert_eq!(restored.memory_root(), original.memory_root());
    assert_eq!(restored.storage_root(), original.storage_root());
    assert_eq!(restored.pages(), 4);
    assert_eq!(restored.high_water_pages(), original.high_water_pages());
    // The non-exported globals came back: both continue identically,
    // including the Stylus charges that depend on the high-water mark.
    for export in ["count", "scale", "grow", "count"] {
        let a = original.call(export, &[]).unwrap();
        let b = restored.call(export, &[]).unwrap();
        assert_eq!(a, b, "{export}");
    }
    assert_eq!(restored.call("count", &[]).unwrap().returned, Some(6));
}

#[test]
fn save_and_load_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.snap");
    let mut instance = stateful().instantiate().unwrap();
    instance.call("count", &[]).unwrap();
    let snapshot = instance.snapshot().unwrap();
    snapshot.save(&path).unwrap();
    assert_eq!(Snapshot::load(&path).unwrap(), snapshot);
    assert!(matches!(
        Snapshot::load(&dir.path().join("missing")).unwrap_err(),
        SimError::Io { .. }
    ));
}

#[test]
fn a_corrupt_file() {
    let bytes = snapshot_bytes();
    // Any flipped bit in the body or the checksum is caught.
    for i in [24, bytes.len() / 2, bytes.len() - 1] {
        let mut corrupt = bytes.clone();
        corrupt[i] ^= 0x01;
        assert_eq!(
            Snapshot::from_bytes(&corrupt).unwrap_err(),
            SnapshotError::ChecksumMismatch,
            "byte {i}"
        );
    }
}

#[test]
fn a_truncated_file() {
    let bytes = snapshot_bytes();
    for cut in [0, 4, 10, 19, 30, bytes.len() - 1] {
        assert!(
            matches!(Snapshot::from_bytes(&bytes[..cut]).unwrap_err(), SnapshotError::Truncated { len, .. } if len == cut as u64),
            "{cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Snapshot::from_bytes(&longer).unwrap_err(),
        SnapshotError::Malformed(_)
    ));
}

#[test]
fn a_foreign_file() {
    for bytes in [
        &b"PK\x03\x04 a zip file"[..],
        b"\0asm\x01\0\0\0",
        b"CAPHSNA!",
    ] {
        assert_eq!(
            Snapshot::from_bytes(bytes).unwrap_err(),
            SnapshotError::Foreign
        );
    }
}

#[test]
fn another_format_version() {
    let mut bytes = snapshot_bytes();
    bytes[8..12].copy_from_slice(&(SNAPSHOT_VERSION + 1).to_le_bytes());
    assert_eq!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::UnsupportedVersion {
            found: SNAPSHOT_VERSION + 1,
            supported: SNAPSHOT_VERSION
        }
    );
}

/// A file with a valid checksum whose body is not a snapshot.
#[test]
fn a_checksummed_but_malformed_body() {
    use sha2::Digest as _;
    let body = [0xffu8; 40];
    let mut bytes = SNAPSHOT_MAGIC.to_vec();
    bytes.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&body);
    let checksum = sha2::Sha256::digest(&bytes);
    bytes.extend_from_slice(&checksum);
    assert!(matches!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::Malformed(_)
    ));
}

#[test]
fn restoring_into_another_contract() {
    let snapshot = Snapshot::from_bytes(&snapshot_bytes()).unwrap();
    let other = sim()
        .load(&wat::parse_str("(module (memory 1))").unwrap())
        .unwrap();
    assert!(matches!(
        other.restore(&snapshot).unwrap_err(),
        SimError::Snapshot(SnapshotError::WrongContract { .. })
    ));
}

#[test]
fn restoring_past_the_page_cap() {
    let snapshot = Snapshot::from_bytes(&snapshot_bytes()).unwrap();
    assert_eq!(snapshot.pages(), 3);
    let small = Simulator::builder().max_pages(2).build().unwrap();
    let contract = small.load(&wat::parse_str(STATEFUL).unwrap()).unwrap();
    assert_eq!(
        contract.restore(&snapshot).unwrap_err(),
        SimError::LimitExceeded {
            limit: Limit::MemoryPages,
            max: 2,
            value: Some(3)
        }
    );
}
