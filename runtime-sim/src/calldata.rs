//! Solidity calldata for Stylus calls: a signature with arguments encoded
//! (selector and ABI parameters), and return data decoded, with alloy's
//! `dyn-abi`.

use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_primitives::keccak256;

use crate::error::{Result, SimError};

fn bad(field: &str, message: impl Into<String>) -> SimError {
    SimError::BadCallInput {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Splits `name(type,...)` into the name and the parameter tuple type.
fn parse_signature(sig: &str) -> Result<(String, DynSolType)> {
    let sig = sig.trim();
    let open = sig
        .find('(')
        .ok_or_else(|| bad("sig", format!("`{sig}` is not `name(type,...)`")))?;
    let name = &sig[..open];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad("sig", format!("`{name}` is not a function name")));
    }
    let params =
        DynSolType::parse(&sig[open..]).map_err(|e| bad("sig", format!("`{sig}`: {e}")))?;
    Ok((name.to_owned(), params))
}

/// The 4-byte selector and ABI-encoded arguments of a call to `sig` (e.g.
/// `transfer(address,uint256)`) with `args` written as text (`0x…` for
/// addresses and bytes, decimal or `0x` hex for integers, `true`/`false`,
/// `[a, b]` for arrays).
///
/// ```
/// let calldata = capheap_sim::calldata::encode_call(
///     "transfer(address,uint256)",
///     &["0x00000000000000000000000000000000000000b0", "100"],
/// )?;
/// assert_eq!(&calldata[..4], &[0xa9, 0x05, 0x9c, 0xbb]); // transfer's selector
/// assert_eq!(calldata.len(), 4 + 2 * 32);
/// assert_eq!(calldata[4 + 32 + 31], 100);
/// # Ok::<(), capheap_sim::SimError>(())
/// ```
pub fn encode_call(sig: &str, args: &[impl AsRef<str>]) -> Result<Vec<u8>> {
    let (name, params) = parse_signature(sig)?;
    let DynSolType::Tuple(types) = &params else {
        return Err(bad("sig", format!("`{sig}` has no parameter list")));
    };
    let values = coerce(("args", "argument"), sig, types, args)?;
    let canonical = format!(
        "{name}({})",
        types
            .iter()
            .map(|t| t.sol_type_name().into_owned())
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut out = keccak256(canonical.as_bytes())[..4].to_vec();
    out.extend(DynSolValue::Tuple(values).abi_encode_params());
    Ok(out)
}

/// Parses each of `texts` as the value of its type in `types` (one text per
/// type); `field` and `what` name them, and `owner` the types, in errors.
fn coerce(
    (field, what): (&str, &str),
    owner: &str,
    types: &[DynSolType],
    texts: &[impl AsRef<str>],
) -> Result<Vec<DynSolValue>> {
    if types.len() != texts.len() {
        return Err(bad(
            field,
            format!(
                "`{owner}` takes {} {what}s, {} given",
                types.len(),
                texts.len()
            ),
        ));
    }
    types
        .iter()
        .zip(texts)
        .enumerate()
        .map(|(i, (ty, text))| {
            ty.coerce_str(text.as_ref()).map_err(|e| {
                bad(
                    field,
                    format!(
                        "{what} {} (`{}`) is not of type {ty}: {e}",
                        i + 1,
                        text.as_ref()
                    ),
                )
            })
        })
        .collect()
}

/// The types of `returns` (`uint256`, or `(bool,uint256)`) as a tuple.
fn returns_tuple(returns: &str) -> Result<DynSolType> {
    let text = returns.trim();
    let tuple = if text.starts_with('(') {
        text.to_owned()
    } else {
        format!("({text})")
    };
    DynSolType::parse(&tuple).map_err(|e| bad("returns", format!("`{returns}`: {e}")))
}

/// ABI-encodes `values` (written as for [`encode_call`]) as return data of
/// the types `returns` (`uint256`, or `(bool,uint256)`): what a contract
/// returns, and the inverse of [`decode_returns`].
///
/// ```
/// use capheap_sim::calldata::{decode_returns, encode_values};
///
/// let data = encode_values("(bool,uint256)", &["true", "7"])?;
/// assert_eq!(data.len(), 64);
/// assert_eq!(decode_returns("(bool,uint256)", &data)?, ["true", "7"]);
/// // One value per type.
/// assert!(encode_values("uint256", &["1", "2"]).is_err());
/// # Ok::<(), capheap_sim::SimError>(())
/// ```
pub fn encode_values(returns: &str, values: &[impl AsRef<str>]) -> Result<Vec<u8>> {
    let values = coerce_returns("values", returns, values)?;
    Ok(DynSolValue::Tuple(values).abi_encode_params())
}

/// Parses `values`, one text per type of `returns`; `field` names them in
/// errors.
fn coerce_returns(
    field: &str,
    returns: &str,
    values: &[impl AsRef<str>],
) -> Result<Vec<DynSolValue>> {
    let DynSolType::Tuple(types) = returns_tuple(returns)? else {
        return Err(bad(
            "returns",
            format!("`{returns}` is not a list of types"),
        ));
    };
    coerce((field, "value"), returns, &types, values)
}

/// Checks that `expected` (a scenario's `expect.returns`) has one value of
/// each type of `returns`, before anything runs.
pub(crate) fn check_expected(returns: &str, expected: &[impl AsRef<str>]) -> Result<()> {
    coerce_returns(EXPECTED, returns, expected).map(drop)
}

/// How errors name the expected return values.
const EXPECTED: &str = "expect.returns";

/// Decodes return data of the types `returns` (`uint256`, or `(bool,uint256)`)
/// into text, one value per type.
///
/// ```
/// let mut data = [0u8; 32];
/// data[31] = 7;
/// assert_eq!(capheap_sim::calldata::decode_returns("uint256", &data)?, ["7"]);
/// # Ok::<(), capheap_sim::SimError>(())
/// ```
pub fn decode_returns(returns: &str, data: &[u8]) -> Result<Vec<String>> {
    Ok(decode_values(returns, data)?.iter().map(render).collect())
}

/// Whether `data`, return data of the types `returns`, holds `expected`
/// (one text per type, written as for [`encode_call`]). Values are compared,
/// not their text: an address matches in any letter case (checksummed or
/// not), an integer in decimal or `0x` hex.
///
/// ```
/// use capheap_sim::calldata::{encode_values, returns_match};
///
/// let data = encode_values("(address,uint256)", &["0x00000000000000000000000000000000000000c1", "16"])?;
/// // [`decode_returns`](capheap_sim::calldata::decode_returns) writes the
/// // address checksummed (`…00C1`); any spelling of the same values matches.
/// assert!(returns_match("(address,uint256)", &data, &["0x00000000000000000000000000000000000000c1", "0x10"])?);
/// assert!(!returns_match("(address,uint256)", &data, &["0x00000000000000000000000000000000000000c1", "17"])?);
/// // A value that is not of its type is an error, not a mismatch.
/// assert!(returns_match("(address,uint256)", &data, &["0xc1", "16"]).is_err());
/// # Ok::<(), capheap_sim::SimError>(())
/// ```
pub fn returns_match(returns: &str, data: &[u8], expected: &[impl AsRef<str>]) -> Result<bool> {
    let want = coerce_returns(EXPECTED, returns, expected)?;
    Ok(decode_values(returns, data)? == want)
}

/// Decodes return data of the types `returns` into one value per type.
fn decode_values(returns: &str, data: &[u8]) -> Result<Vec<DynSolValue>> {
    let ty = returns_tuple(returns)?;
    let value = ty.abi_decode_params(data).map_err(|e| {
        bad(
            "returns",
            format!("0x{} is not ({returns}): {e}", crate::hex::encode(data)),
        )
    })?;
    Ok(match value {
        DynSolValue::Tuple(values) => values,
        other => vec![other],
    })
}

/// A value as text: integers in decimal, addresses checksummed, bytes in hex.
fn render(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::FixedBytes(b, size) => format!("0x{}", crate::hex::encode(&b[..*size])),
        DynSolValue::Bytes(b) => format!("0x{}", crate::hex::encode(b)),
        DynSolValue::String(s) => s.clone(),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            let inner: Vec<String> = items.iter().map(render).collect();
            if matches!(value, DynSolValue::Tuple(_)) {
                format!("({})", inner.join(", "))
            } else {
                format!("[{}]", inner.join(", "))
            }
        }
        DynSolValue::Function(f) => format!("0x{}", crate::hex::encode(f.as_slice())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_calls_name_the_field() {
        let e = encode_call("transfer(address,uint256)", &["0x12", "1"]).unwrap_err();
        assert!(
            matches!(&e, SimError::BadCallInput { field, .. } if field == "args"),
            "{e}"
        );
        let e = encode_call("transfer(address,uint256)", &["1"]).unwrap_err();
        assert!(e.to_string().contains("takes 2 arguments, 1 given"), "{e}");
        let e = encode_call("transfer address", &["1"]).unwrap_err();
        assert!(
            matches!(&e, SimError::BadCallInput { field, .. } if field == "sig"),
            "{e}"
        );
        let e = encode_call("f(uint257)", &["1"]).unwrap_err();
        assert!(
            matches!(&e, SimError::BadCallInput { field, .. } if field == "sig"),
            "{e}"
        );
        let e = decode_returns("uint256", &[1, 2, 3]).unwrap_err();
        assert!(
            matches!(&e, SimError::BadCallInput { field, .. } if field == "returns"),
            "{e}"
        );
    }

    #[test]
    fn selectors_match_solidity() {
        // balanceOf(address) = 0x70a08231, totalSupply() = 0x18160ddd.
        let call = encode_call(
            "balanceOf(address)",
            &["0x00000000000000000000000000000000000000a1"],
        )
        .unwrap();
        assert_eq!(&call[..4], &[0x70, 0xa0, 0x82, 0x31]);
        let none: [&str; 0] = [];
        assert_eq!(
            encode_call("totalSupply()", &none).unwrap(),
            [0x18, 0x16, 0x0d, 0xdd]
        );
        assert_eq!(
            decode_returns(
                "(bool,uint8)",
                &[[0u8; 31].as_slice(), &[1], &[0u8; 31], &[9]].concat()
            )
            .unwrap(),
            ["true", "9"]
        );
    }
}
