//! Contract storage: an ordered byte map with a deterministic root.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::memroot::Digest;

const ROOT_DOMAIN: &[u8] = b"capheap-storage-v1";

/// Key-value storage of one contract, ordered by key (a `BTreeMap`, so
/// iteration and the root never depend on insertion order or hashing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Storage {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Bytes of all keys and values.
    bytes: u64,
}

impl Storage {
    /// Empty storage.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let storage = Storage::new();
    /// assert!(storage.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The value under `key`.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let mut storage = Storage::new();
    /// storage.insert(b"owner".to_vec(), b"alice".to_vec());
    /// assert_eq!(storage.get(b"owner"), Some(&b"alice"[..]));
    /// assert_eq!(storage.get(b"nobody"), None);
    /// ```
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.map.get(key).map(Vec::as_slice)
    }

    /// Sets `key` to `value`, returning the previous value.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let mut storage = Storage::new();
    /// assert_eq!(storage.insert(b"k".to_vec(), b"1".to_vec()), None);
    /// assert_eq!(storage.insert(b"k".to_vec(), b"2".to_vec()), Some(b"1".to_vec()));
    /// ```
    pub fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) -> Option<Vec<u8>> {
        let (key_len, value_len) = (key.len() as u64, value.len() as u64);
        let old = self.map.insert(key, value);
        self.bytes = match &old {
            // The key was there: only the value changed.
            Some(v) => self
                .bytes
                .saturating_sub(v.len() as u64)
                .saturating_add(value_len),
            None => self.bytes.saturating_add(key_len).saturating_add(value_len),
        };
        old
    }

    /// Removes `key`, returning its value.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let mut storage = Storage::new();
    /// storage.insert(b"k".to_vec(), b"v".to_vec());
    /// assert_eq!(storage.remove(b"k"), Some(b"v".to_vec()));
    /// assert!(storage.is_empty());
    /// ```
    pub fn remove(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let old = self.map.remove(key);
        if let Some(v) = &old {
            self.bytes = self.bytes.saturating_sub((key.len() + v.len()) as u64);
        }
        old
    }

    /// Bytes of all keys and values.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let mut storage = Storage::new();
    /// storage.insert(b"key".to_vec(), b"value".to_vec());
    /// assert_eq!(storage.bytes(), 3 + 5);
    /// ```
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Number of entries.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let mut storage = Storage::new();
    /// storage.insert(b"a".to_vec(), vec![]);
    /// storage.insert(b"b".to_vec(), vec![]);
    /// assert_eq!(storage.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether storage is empty.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// assert!(Storage::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries in key order.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let mut storage = Storage::new();
    /// storage.insert(b"b".to_vec(), b"2".to_vec());
    /// storage.insert(b"a".to_vec(), b"1".to_vec());
    /// let keys: Vec<&[u8]> = storage.iter().map(|(k, _)| k).collect();
    /// assert_eq!(keys, [&b"a"[..], &b"b"[..]], "key order, whatever the insertion order");
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.map.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// `SHA-256("capheap-storage-v1" ‖ n as u64 LE ‖ for each entry in key
    /// order: key length as u64 LE ‖ key ‖ value length as u64 LE ‖ value)`.
    ///
    /// ```
    /// use capheap_sim::Storage;
    ///
    /// let (mut a, mut b) = (Storage::new(), Storage::new());
    /// a.insert(b"x".to_vec(), b"1".to_vec());
    /// a.insert(b"y".to_vec(), b"2".to_vec());
    /// b.insert(b"y".to_vec(), b"2".to_vec());
    /// b.insert(b"x".to_vec(), b"1".to_vec());
    /// assert_eq!(a.root(), b.root());
    /// b.insert(b"x".to_vec(), b"3".to_vec());
    /// assert_ne!(a.root(), b.root());
    /// ```
    pub fn root(&self) -> Digest {
        let mut hasher = Sha256::new();
        hasher.update(ROOT_DOMAIN);
        hasher.update((self.map.len() as u64).to_le_bytes());
        for (key, value) in &self.map {
            hasher.update((key.len() as u64).to_le_bytes());
            hasher.update(key);
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value);
        }
        Digest(hasher.finalize().into())
    }
}

impl FromIterator<(Vec<u8>, Vec<u8>)> for Storage {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Vec<u8>)>>(iter: I) -> Self {
        let map: BTreeMap<Vec<u8>, Vec<u8>> = iter.into_iter().collect();
        let bytes = map.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        Storage { map, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_ignores_insertion_order_and_separates_entries() {
        let a: Storage = [
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec()),
        ]
        .into_iter()
        .collect();
        let b: Storage = [
            (b"b".to_vec(), b"2".to_vec()),
            (b"a".to_vec(), b"1".to_vec()),
        ]
        .into_iter()
        .collect();
        assert_eq!(a.root(), b.root());
        let c: Storage = [(b"ab".to_vec(), b"".to_vec())].into_iter().collect();
        let d: Storage = [(b"a".to_vec(), b"b".to_vec())].into_iter().collect();
        assert_ne!(c.root(), d.root());
        assert_ne!(Storage::new().root(), c.root());
    }

    #[test]
    fn bytes_follow_inserts_replacements_and_removals() {
        let mut s = Storage::new();
        s.insert(b"key".to_vec(), vec![0; 10]);
        assert_eq!(s.bytes(), 13);
        s.insert(b"key".to_vec(), vec![0; 4]);
        assert_eq!(s.bytes(), 7);
        s.insert(b"k2".to_vec(), Vec::new());
        assert_eq!(s.bytes(), 9);
        s.remove(b"key");
        assert_eq!(s.bytes(), 2);
        s.remove(b"absent");
        assert_eq!(s.bytes(), 2);
        let built: Storage = [(b"ab".to_vec(), b"cde".to_vec())].into_iter().collect();
        assert_eq!(built.bytes(), 5);
    }
}
