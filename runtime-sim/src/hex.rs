//! Lowercase hex for digests and byte strings in reports.

/// Lowercase hex of `bytes`.
///
/// ```
/// use capheap_sim::hex;
///
/// assert_eq!(hex::encode(&[0x00, 0xab, 0xff]), "00abff");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Parses hex (`0x` prefix optional, either case).
///
/// ```
/// use capheap_sim::hex;
///
/// assert_eq!(hex::decode("0xABff").unwrap(), [0xab, 0xff]);
/// // Odd lengths and non-hex digits are errors.
/// assert!(hex::decode("abc").is_err());
/// assert!(hex::decode("zz").is_err());
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text).as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("`{text}`: odd number of hex digits"));
    }
    let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    digits
        .chunks_exact(2)
        .map(|pair| match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
            _ => Err(format!("`{text}`: not hex")),
        })
        .collect()
}

/// `serde(with = "crate::hex::serde_bytes")`: bytes as a hex string.
pub(crate) mod serde_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        super::decode(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        assert_eq!(super::encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(super::decode("0x00AB10").unwrap(), vec![0, 0xab, 0x10]);
        assert!(super::decode("abc").is_err());
        assert!(super::decode("zz").is_err());
    }
}
