//! Inputs for `capheap-sim fuzz`: random bytes, or a template with typed
//! fields per ABI (borsh fields for capheap's ABI, a Solidity signature for
//! Stylus, a JSON message with placeholders for CosmWasm). Every value comes
//! from a seeded ChaCha8 stream, so a seed gives the same inputs everywhere.

use alloy_dyn_abi::DynSolType;
use alloy_primitives::{Address, I256, U256};
use base64::Engine as _;
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;
use serde_json::Value;

use crate::error::{Result, SimError};

/// A field of a borsh-encoded input (capheap's ABI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BorshField {
    /// `u8`.
    U8,
    /// `u16`, little-endian.
    U16,
    /// `u32`, little-endian.
    U32,
    /// `u64`, little-endian.
    U64,
    /// `u128`, little-endian.
    U128,
    /// `bool`: one byte, 0 or 1.
    Bool,
    /// `String`: `u32` length, then UTF-8.
    String,
    /// `Vec<u8>`: `u32` length, then the bytes.
    Bytes,
}

/// How a fuzzed call's input is made.
#[derive(Clone, Debug, PartialEq)]
pub enum InputTemplate {
    /// Random bytes, at most `max_len` of them (lengths biased small).
    Bytes {
        /// Longest input.
        max_len: usize,
    },
    /// Borsh fields in order (capheap's ABI), e.g. `u32,string,bytes`.
    Borsh(Vec<BorshField>),
    /// A Solidity call (Stylus): the signature's selector and random
    /// arguments of its types.
    Solidity {
        /// `name(type,...)`.
        sig: String,
    },
    /// A JSON message (CosmWasm) whose string values `"$addr"`, `"$u128"`,
    /// `"$u64"`, `"$u32"`, `"$string"`, `"$base64"` and `"$bool"` are
    /// replaced by random values of that kind (`$addr` from a small pool of
    /// valid addresses, so transfers between them succeed often).
    Json(Value),
}

impl InputTemplate {
    /// Parses a borsh field list: `u8`, `u16`, `u32`, `u64`, `u128`,
    /// `bool`, `string`, `bytes`, comma-separated.
    ///
    /// ```
    /// use capheap_sim::fuzzing::input::{BorshField, InputTemplate};
    ///
    /// let t = InputTemplate::borsh("u32, string")?;
    /// assert_eq!(t, InputTemplate::Borsh(vec![BorshField::U32, BorshField::String]));
    /// # Ok::<(), capheap_sim::SimError>(())
    /// ```
    pub fn borsh(spec: &str) -> Result<InputTemplate> {
        spec.split(',')
            .map(|f| match f.trim() {
                "u8" => Ok(BorshField::U8),
                "u16" => Ok(BorshField::U16),
                "u32" => Ok(BorshField::U32),
                "u64" => Ok(BorshField::U64),
                "u128" => Ok(BorshField::U128),
                "bool" => Ok(BorshField::Bool),
                "string" => Ok(BorshField::String),
                "bytes" => Ok(BorshField::Bytes),
                other => Err(SimError::BadCallInput {
                    field: "template".to_owned(),
                    message: format!(
                        "borsh field `{other}`: expected u8, u16, u32, u64, u128, bool, string or bytes"
                    ),
                }),
            })
            .collect::<Result<Vec<_>>>()
            .map(InputTemplate::Borsh)
    }

    /// Checks the template once (a bad signature or JSON is an error before
    /// any call).
    ///
    /// ```
    /// use capheap_sim::fuzzing::input::InputTemplate;
    ///
    /// let ok = InputTemplate::Solidity { sig: "transfer(address,uint256)".into() };
    /// assert!(ok.validate().is_ok());
    /// let bad = InputTemplate::Solidity { sig: "transfer(address,uint9)".into() };
    /// assert!(bad.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if let InputTemplate::Solidity { sig } = self {
            sol_types(sig)?;
        }
        Ok(())
    }

    /// One input, drawn from `rng` (addresses from `pool`).
    ///
    /// ```
    /// use capheap_sim::fuzzing::input::{AddressPool, InputTemplate};
    /// use rand_chacha::ChaCha8Rng;
    /// use rand_core::SeedableRng;
    ///
    /// let pool = AddressPool { evm: vec![], bech32: vec!["cosmwasm1alice".into()] };
    /// let template = InputTemplate::Json(serde_json::json!(
    ///     { "transfer": { "recipient": "$addr", "amount": "$u128" } }
    /// ));
    /// let input = template.generate(&mut ChaCha8Rng::seed_from_u64(1), &pool)?;
    /// let msg: serde_json::Value = serde_json::from_slice(&input)?;
    /// assert_eq!(msg["transfer"]["recipient"], "cosmwasm1alice");
    /// // CosmWasm's Uint128 is a decimal string.
    /// assert!(msg["transfer"]["amount"].as_str().unwrap().parse::<u128>().is_ok());
    ///
    /// // Borsh fields: a u32 and a bool, 5 bytes.
    /// let borsh = InputTemplate::borsh("u32,bool")?;
    /// let bytes = borsh.generate(&mut ChaCha8Rng::seed_from_u64(1), &pool)?;
    /// assert_eq!(bytes.len(), 5);
    /// assert!(bytes[4] <= 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generate(&self, rng: &mut ChaCha8Rng, pool: &AddressPool) -> Result<Vec<u8>> {
        match self {
            InputTemplate::Bytes { max_len } => {
                let len = length(rng, *max_len);
                Ok(bytes(rng, len))
            }
            InputTemplate::Borsh(fields) => {
                let mut out = Vec::new();
                for field in fields {
                    borsh_field(rng, *field, &mut out);
                }
                Ok(out)
            }
            InputTemplate::Solidity { sig } => {
                let types = sol_types(sig)?;
                let args: Vec<String> = types.iter().map(|t| sol_text(rng, t, pool, 0)).collect();
                crate::calldata::encode_call(sig, &args)
            }
            InputTemplate::Json(template) => {
                Ok(fill_json(rng, template, pool).to_string().into_bytes())
            }
        }
    }
}

/// Addresses the generators pick from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPool {
    /// Stylus: 0x addresses.
    pub evm: Vec<Address>,
    /// CosmWasm: bech32 addresses.
    pub bech32: Vec<String>,
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    if n == 0 { 0 } else { rng.next_u64() % n }
}

/// A length at most `max`, biased small: 0, a few, tens, then anything.
fn length(rng: &mut ChaCha8Rng, max: usize) -> usize {
    let cap = max as u64;
    let len = match below(rng, 8) {
        0 => 0,
        1..=3 => below(rng, 9),
        4..=5 => below(rng, 65),
        _ => below(rng, cap.saturating_add(1)),
    };
    (len.min(cap)) as usize
}

fn bytes(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// An integer of `bits` bits, biased to edges (0, 1, max) and small values.
fn uint(rng: &mut ChaCha8Rng, bits: u32) -> U256 {
    let max = if bits >= 256 {
        U256::MAX
    } else {
        (U256::from(1u8) << bits as usize) - U256::from(1u8)
    };
    match below(rng, 8) {
        0 => U256::ZERO,
        1 => U256::from(1u8),
        2 => max,
        3..=5 => U256::from(below(rng, 1_000_000)).min(max),
        _ => {
            let mut raw = [0u8; 32];
            rng.fill_bytes(&mut raw);
            U256::from_be_bytes(raw) & max
        }
    }
}

fn text(rng: &mut ChaCha8Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 _-";
    let len = length(rng, 64);
    (0..len)
        .map(|_| ALPHABET[below(rng, ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn borsh_field(rng: &mut ChaCha8Rng, field: BorshField, out: &mut Vec<u8>) {
    let n = |rng: &mut ChaCha8Rng, bits: u32| uint(rng, bits).to_le_bytes::<32>();
    match field {
        BorshField::U8 => out.extend_from_slice(&n(rng, 8)[..1]),
        BorshField::U16 => out.extend_from_slice(&n(rng, 16)[..2]),
        BorshField::U32 => out.extend_from_slice(&n(rng, 32)[..4]),
        BorshField::U64 => out.extend_from_slice(&n(rng, 64)[..8]),
        BorshField::U128 => out.extend_from_slice(&n(rng, 128)[..16]),
        BorshField::Bool => out.push(u8::from(below(rng, 2) == 1)),
        BorshField::String => {
            let s = text(rng);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        BorshField::Bytes => {
            let len = length(rng, 1024);
            out.extend_from_slice(&(len as u32).to_le_bytes());
            out.extend(bytes(rng, len));
        }
    }
}

fn sol_types(sig: &str) -> Result<Vec<DynSolType>> {
    let bad = |m: String| SimError::BadCallInput {
        field: "sig".to_owned(),
        message: m,
    };
    let open = sig
        .find('(')
        .ok_or_else(|| bad(format!("`{sig}` is not `name(type,...)`")))?;
    match DynSolType::parse(&sig[open..]).map_err(|e| bad(format!("`{sig}`: {e}")))? {
        DynSolType::Tuple(types) => Ok(types),
        other => Ok(vec![other]),
    }
}

/// A random value of `ty` as the text `encode_call` parses.
fn sol_text(rng: &mut ChaCha8Rng, ty: &DynSolType, pool: &AddressPool, depth: u32) -> String {
    match ty {
        DynSolType::Address => match pool.evm.get(below(rng, pool.evm.len() as u64 + 1) as usize) {
            Some(a) => a.to_string(),
            None => Address::from_slice(&bytes(rng, 20)).to_string(),
        },
        DynSolType::Bool => (below(rng, 2) == 1).to_string(),
        DynSolType::Uint(bits) => uint(rng, *bits as u32).to_string(),
        DynSolType::Int(bits) => {
            let magnitude = uint(rng, (*bits as u32).saturating_sub(1));
            let value = I256::from_raw(magnitude);
            if below(rng, 2) == 1 {
                (-value).to_string()
            } else {
                value.to_string()
            }
        }
        DynSolType::FixedBytes(n) => format!("0x{}", crate::hex::encode(&bytes(rng, *n))),
        DynSolType::Bytes => {
            let len = length(rng, 256);
            format!("0x{}", crate::hex::encode(&bytes(rng, len)))
        }
        DynSolType::String => text(rng),
        DynSolType::Array(inner) => {
            // Nesting is bounded by the type; lengths shrink with depth.
            let len = if depth < 2 { below(rng, 5) as usize } else { 0 };
            let items: Vec<String> = (0..len)
                .map(|_| sol_text(rng, inner, pool, depth + 1))
                .collect();
            format!("[{}]", items.join(", "))
        }
        DynSolType::FixedArray(inner, n) => {
            let items: Vec<String> = (0..*n)
                .map(|_| sol_text(rng, inner, pool, depth + 1))
                .collect();
            format!("[{}]", items.join(", "))
        }
        DynSolType::Tuple(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|t| sol_text(rng, t, pool, depth + 1))
                .collect();
            format!("({})", items.join(", "))
        }
        DynSolType::Function => format!("0x{}", crate::hex::encode(&bytes(rng, 24))),
    }
}

fn fill_json(rng: &mut ChaCha8Rng, template: &Value, pool: &AddressPool) -> Value {
    match template {
        Value::String(s) => match s.as_str() {
            "$addr" => match pool
                .bech32
                .get(below(rng, pool.bech32.len() as u64) as usize)
            {
                Some(a) => Value::String(a.clone()),
                None => Value::String(text(rng)),
            },
            "$u128" => Value::String(uint(rng, 128).to_string()),
            "$u64" => Value::String(uint(rng, 64).to_string()),
            "$u32" => Value::from(u32::try_from(uint(rng, 32)).unwrap_or(0)),
            "$string" => Value::String(text(rng)),
            "$base64" => {
                let len = length(rng, 256);
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes(rng, len)))
            }
            "$bool" => Value::Bool(below(rng, 2) == 1),
            _ => template.clone(),
        },
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill_json(rng, v, pool)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_json(rng, v, pool)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn a_seed_gives_the_same_inputs_and_templates_fill_their_types() {
        let pool = AddressPool {
            evm: vec![Address::repeat_byte(0xa1)],
            bech32: vec!["cosmwasm1alice".to_owned()],
        };
        let json = InputTemplate::Json(
            serde_json::json!({"transfer": {"recipient": "$addr", "amount": "$u128"}}),
        );
        let sol = InputTemplate::Solidity {
            sig: "transfer(address,uint256)".to_owned(),
        };
        let borsh = InputTemplate::borsh("u32,string").unwrap();
        let run = |t: &InputTemplate| {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            (0..20)
                .map(|_| t.generate(&mut rng, &pool).unwrap())
                .collect::<Vec<_>>()
        };
        for t in [&json, &sol, &borsh, &InputTemplate::Bytes { max_len: 100 }] {
            assert_eq!(run(t), run(t));
        }
        for input in run(&json) {
            let v: Value = serde_json::from_slice(&input).unwrap();
            assert_eq!(v["transfer"]["recipient"], "cosmwasm1alice");
            assert!(
                v["transfer"]["amount"]
                    .as_str()
                    .unwrap()
                    .parse::<u128>()
                    .is_ok()
            );
        }
        for input in run(&sol) {
            assert_eq!(input.len(), 68);
            assert_eq!(&input[..4], &[0xa9, 0x05, 0x9c, 0xbb]);
        }
        for input in run(&borsh) {
            let len = u32::from_le_bytes(input[4..8].try_into().unwrap()) as usize;
            assert_eq!(input.len(), 8 + len);
        }
        assert!(
            run(&InputTemplate::Bytes { max_len: 100 })
                .iter()
                .all(|i| i.len() <= 100)
        );
        assert!(InputTemplate::borsh("u32,float").is_err());
        assert!(
            InputTemplate::Solidity {
                sig: "f(uint7)".to_owned()
            }
            .validate()
            .is_err()
        );
    }
}
