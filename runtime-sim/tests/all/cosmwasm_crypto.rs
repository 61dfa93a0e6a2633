//! The CosmWasm crypto imports (signature verification, public key recovery
//! and BLS12-381) called by a hand-written module with published test
//! vectors: RFC 8032 (Ed25519), NIST's P-256 `SigVer`, cosmjs's secp256k1
//! signature, RFC 9380's hash-to-curve vectors, and the BLS12-381
//! generators with the pairing's bilinearity. Each test checks the return
//! code and the bytes the import wrote, as cosmwasm-vm's `imports.rs`
//! defines them.

use capheap_sim::host::cosmwasm::crypto_gas;
use capheap_sim::{CallOutcome, DEFAULT_FUEL_LIMIT, SimError, Simulator, Storage};
use sha2::{Digest, Sha256};

/// One argument of the import under test.
enum Arg {
    /// An `i32` passed as is (a hash function, a recovery parameter).
    Const(u32),
    /// A Region holding these bytes.
    Bytes(Vec<u8>),
    /// An empty destination Region of this capacity; what the import writes
    /// is stored under the key `out`.
    Out(u32),
}

/// Where the module keeps its fixed Regions and data.
const KEY_CODE: u32 = 0x100; // Region of the key "code"
const KEY_OUT: u32 = 0x10c; // Region of the key "out"
const CODE: u32 = 0x118; // Region of the 8 bytes at CODE_DATA
const OK_REGION: u32 = 0x124; // Region of the `ContractResult`
const ARGS: u32 = 0x200; // one Region per argument, 12 bytes apart
const CODE_DATA: u32 = 0x800;
const KEYS: u32 = 0x810; // "code" then "out"
const OK_DATA: u32 = 0x900;
const DATA: u32 = 0x1000; // the arguments' bytes, 8-aligned, one after the other

const OK: &str = r#"{"ok":{"messages":[],"attributes":[],"events":[],"data":null}}"#;

fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

fn region(at: u32, offset: u32, capacity: u32, length: u32) -> String {
    format!(
        "(data (i32.const {at}) \"{}\")",
        wat_bytes(
            &[offset, capacity, length]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect::<Vec<_>>()
        )
    )
}

/// A CosmWasm module whose `execute` calls `env.<import>` with `args` and
/// stores its result (as 8 bytes, little-endian) under the key `code`, and
/// the bytes of the output Region (an `Out` argument, or for an `i64`
/// result the Region its low half points to) under `out`. With `stub`, the
/// module calls a function of its own that returns 0 instead of the import
/// (the control for the import's fuel).
fn module(import: &str, args: &[Arg], result: &str, stub: bool) -> Vec<u8> {
    let mut data = vec![
        region(KEY_CODE, KEYS, 4, 4),
        region(KEY_OUT, KEYS + 4, 3, 3),
        region(CODE, CODE_DATA, 8, 8),
        region(OK_REGION, OK_DATA, OK.len() as u32, OK.len() as u32),
        format!("(data (i32.const {KEYS}) \"codeout\")"),
        format!(
            "(data (i32.const {OK_DATA}) \"{}\")",
            OK.replace('"', "\\\"")
        ),
    ];
    let mut next = DATA;
    let mut params = Vec::new();
    let mut operands = Vec::new();
    let mut out = None;
    for (i, arg) in args.iter().enumerate() {
        let at = ARGS + 12 * i as u32;
        params.push("i32");
        match arg {
            Arg::Const(v) => operands.push(format!("(i32.const {v})")),
            Arg::Bytes(bytes) => {
                let len = bytes.len() as u32;
                data.push(region(at, next, len, len));
                data.push(format!(
                    "(data (i32.const {next}) \"{}\")",
                    wat_bytes(bytes)
                ));
                next += len.next_multiple_of(8).max(8);
                operands.push(format!("(i32.const {at})"));
            }
            Arg::Out(capacity) => {
                data.push(region(at, next, *capacity, 0));
                next += capacity.next_multiple_of(8).max(8);
                operands.push(format!("(i32.const {at})"));
                out = Some(at);
            }
        }
    }
    // `allocate` hands out memory above the arguments, in two more pages.
    let heap = next.next_multiple_of(0x10000);
    let pages = heap / 0x10000 + 2;
    let call = format!("(call $f {})", operands.join(" "));
    let params = params.join(" ");
    let f = if stub {
        format!("(func $f (param {params}) (result {result}) ({result}.const 0))")
    } else {
        format!("(import \"env\" \"{import}\" (func $f (param {params}) (result {result})))")
    };
    let (store, write_out) = match (result, out) {
        ("i32", Some(at)) => (
            format!("(i64.extend_i32_u {call})"),
            format!("(call $db_write (i32.const {KEY_OUT}) (i32.const {at}))"),
        ),
        ("i32", None) => (format!("(i64.extend_i32_u {call})"), String::new()),
        ("i64", None) => (
            call,
            format!(
                "(if (i32.wrap_i64 (i64.load (i32.const {CODE_DATA})))
                   (then (call $db_write (i32.const {KEY_OUT})
                           (i32.wrap_i64 (i64.load (i32.const {CODE_DATA}))))))"
            ),
        ),
        _ => unreachable!("no such shape"),
    };
    wat::parse_str(format!(
        r#"(module
          (import "env" "db_write" (func $db_write (param i32 i32)))
          {f}
          (memory (export "memory") {pages})
          (global $next (mut i32) (i32.const {heap}))
          {data}
          (func (export "interface_version_8"))
          (func (export "allocate") (param $len i32) (result i32)
            (local $r i32)
            (local.set $r (global.get $next))
            (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
            (i32.store offset=4 (local.get $r) (local.get $len))
            (i32.store offset=8 (local.get $r) (i32.const 0))
            (global.set $next (i32.and (i32.add (global.get $next)
              (i32.add (local.get $len) (i32.const 19))) (i32.const -8)))
            (local.get $r))
          (func (export "deallocate") (param i32))
          (func (export "execute") (param i32 i32 i32) (result i32)
            (i64.store (i32.const {CODE_DATA}) {store})
            (call $db_write (i32.const {KEY_CODE}) (i32.const {CODE}))
            {write_out}
            (i32.const {OK_REGION}))
          (func (export "query") (param i32 i32) (result i32) (i32.const {OK_REGION})))"#,
        data = data.join("\n          "),
    ))
    .expect("valid wat")
}

/// What one call returned: the result, and the output bytes if any.
#[derive(Debug, PartialEq, Eq)]
struct Returned {
    code: u64,
    out: Option<Vec<u8>>,
}

/// Runs `execute` once on a fresh instance with this fuel limit; the
/// outcome, and the instance's storage after it.
fn run(wasm: &[u8], fuel: u64) -> (CallOutcome, Storage) {
    let sim = Simulator::builder()
        .max_fuel_per_call(fuel)
        .build()
        .unwrap();
    let mut instance = sim.load(wasm).unwrap().instantiate().unwrap();
    let outcome = instance.execute("execute", b"{}");
    (outcome, instance.storage().clone())
}

fn call_with(import: &str, args: &[Arg], result: &str) -> Result<Returned, SimError> {
    let (outcome, storage) = run(&module(import, args, result, false), DEFAULT_FUEL_LIMIT);
    if let Some(err) = outcome.error {
        return Err(err);
    }
    let code = storage.get(b"code").expect("the code was stored");
    Ok(Returned {
        code: u64::from_le_bytes(code.try_into().unwrap()),
        out: storage.get(b"out").map(<[u8]>::to_vec),
    })
}

/// Asserts that calling `import` with `args` ends with a bad Region, named
/// for the import, whose reason contains `why`.
fn assert_bad_region(import: &str, args: &[Arg], why: &str) {
    let err = call_with(import, args, "i32").unwrap_err();
    assert!(
        matches!(&err, SimError::BadRegion { function, reason, .. } if *function == format!("env.{import}") && reason.contains(why)),
        "{import}: {err}"
    );
}

fn call(import: &str, args: &[Arg]) -> Returned {
    call_with(import, args, "i32").unwrap_or_else(|e| panic!("{import}: {e}"))
}

fn code(import: &str, args: &[Arg]) -> u64 {
    call(import, args).code
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn b(bytes: &[u8]) -> Arg {
    Arg::Bytes(bytes.to_vec())
}

/// cosmwasm-std's sections: each item followed by its 4-byte big-endian length.
fn sections(items: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(item);
        out.extend_from_slice(&(item.len() as u32).to_be_bytes());
    }
    out
}

// RFC 8032, section 7.1, TEST 1 (empty message).
const ED_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const ED_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

#[test]
fn ed25519_verifies_rfc_8032_and_names_bad_keys() {
    let verify = |msg: &[u8], sig: Vec<u8>, key: Vec<u8>| {
        code(
            "ed25519_verify",
            &[b(msg), Arg::Bytes(sig), Arg::Bytes(key)],
        )
    };
    assert_eq!(verify(b"", hex(ED_SIG), hex(ED_KEY)), 0, "valid");
    assert_eq!(verify(b"x", hex(ED_SIG), hex(ED_KEY)), 1, "another message");
    // A 31-byte key: cosmwasm-crypto's InvalidPubkeyFormat, code 5.
    assert_eq!(verify(b"", hex(ED_SIG), hex(&ED_KEY[2..])), 5);
    // A 63-byte signature: InvalidSignatureFormat, code 4.
    assert_eq!(verify(b"", hex(&ED_SIG[2..]), hex(ED_KEY)), 4);
}

#[test]
fn ed25519_batches_verify_each_signature_in_its_shapes() {
    let batch = |msgs: &[&[u8]], sigs: &[&[u8]], keys: &[&[u8]]| {
        code(
            "ed25519_batch_verify",
            &[
                Arg::Bytes(sections(msgs)),
                Arg::Bytes(sections(sigs)),
                Arg::Bytes(sections(keys)),
            ],
        )
    };
    let (sig, key) = (hex(ED_SIG), hex(ED_KEY));
    assert_eq!(batch(&[b"", b""], &[&sig, &sig], &[&key, &key]), 0);
    // One message and one key for every signature.
    assert_eq!(batch(&[b""], &[&sig, &sig], &[&key]), 0);
    assert_eq!(batch(&[b"", b"x"], &[&sig, &sig], &[&key, &key]), 1);
    // Two messages for three signatures: BatchErr, code 7.
    assert_eq!(batch(&[b"", b""], &[&sig, &sig, &sig], &[&key]), 7);
    // Sections that do not parse end the call, naming the import.
    let err = call_with(
        "ed25519_batch_verify",
        &[
            b(b"\0\0\0\x09"),
            b(&sections(&[&sig])),
            b(&sections(&[&key])),
        ],
        "i32",
    )
    .unwrap_err();
    assert!(
        matches!(&err, SimError::Host { function, message } if function == "env.ed25519_batch_verify" && message.contains("malformed message sections")),
        "{err}"
    );
}

// cosmjs's `Secp256k1.createSignature` vector, as cosmwasm-crypto tests it.
const K1_HASH: &str = "5ae8317d34d1e595e3fa7247db80c0af4320cce1116de187f8f7e2e099c0d8d0";
const K1_SIG: &str = "45c0b7f8c09a9e1f1cea0c25785594427b6bf8f9f878a8af0b1abbb48e16d0920d8becd0c220f67c51217eecfd7184ef0732481c843857e6bc7fc095c4f6b788";
const K1_KEY: &str = "044a071e8a6e10aada2b8cf39fa3b5fb3400b04e99ea8ae64ceea1a977dbeaf5d5f8c8fbd10b71ab14cd561f7df8eb6da50f8a8d81ba564342244d26d1d4211595";

#[test]
fn secp256k1_verifies_and_recovers_the_signer() {
    let verify = |hash: Vec<u8>, sig: Vec<u8>, key: Vec<u8>| {
        code(
            "secp256k1_verify",
            &[Arg::Bytes(hash), Arg::Bytes(sig), Arg::Bytes(key)],
        )
    };
    assert_eq!(verify(hex(K1_HASH), hex(K1_SIG), hex(K1_KEY)), 0);
    let mut other = hex(K1_HASH);
    other[0] ^= 1;
    assert_eq!(verify(other, hex(K1_SIG), hex(K1_KEY)), 1);
    // A 31-byte hash: InvalidHashFormat, code 3.
    assert_eq!(verify(hex(&K1_HASH[2..]), hex(K1_SIG), hex(K1_KEY)), 3);

    // Recovery returns the key's Region in the low half of an i64 ...
    let recover = |param: u32| {
        call_with(
            "secp256k1_recover_pubkey",
            &[b(&hex(K1_HASH)), b(&hex(K1_SIG)), Arg::Const(param)],
            "i64",
        )
        .unwrap()
    };
    let found = recover(1);
    assert_eq!(found.code >> 32, 0, "no error");
    assert_ne!(found.code, 0, "a Region pointer");
    assert_eq!(found.out, Some(hex(K1_KEY)));
    // ... and the other parameter a different key.
    let wrong = recover(0);
    assert_eq!(wrong.code >> 32, 0);
    assert_ne!(wrong.out, Some(hex(K1_KEY)));
    // An error code in the high half: InvalidRecoveryParam, 6, for 2 and for
    // a parameter that is not a byte.
    for param in [2, 256] {
        assert_eq!(
            recover(param),
            Returned {
                code: 6 << 32,
                out: None
            },
            "param {param}"
        );
    }
}

#[test]
fn secp256r1_verifies_the_nist_sigver_vector() {
    // NIST CAVP `SigVer.rsp`, P-256 with SHA-256, first vector (as in
    // cosmwasm-crypto's `secp256r1_tests.json`).
    let msg = hex(
        "5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf416983fe165b1a045ee2bcd2e6dca3bdf46c4310a7461f9a37960ca672d3feb5473e253605fb1ddfd28065b53cb5858a8ad28175bf9bd386a5e471ea7a65c17cc934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0debd97d79ce8",
    );
    let key = hex(
        "041ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9",
    );
    let sig = hex(
        "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903",
    );
    let hash = Sha256::digest(&msg).to_vec();
    let verify = |hash: &[u8], key: &[u8]| code("secp256r1_verify", &[b(hash), b(&sig), b(key)]);
    assert_eq!(verify(&hash, &key), 0);
    assert_eq!(verify(&Sha256::digest(b"other"), &key), 1);
    // A key of the wrong length: InvalidPubkeyFormat, code 5.
    assert_eq!(verify(&hash, &key[..64]), 5);
}

// The generators of G1 and G2, compressed (ZCash's serialization, as
// cosmwasm-crypto reads and writes points), and 2 * G1.
const G1: &str = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
const G2: &str = "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8";
const G1_TIMES_2: &str = "a572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e";

#[test]
fn bls12_381_aggregates_points_into_the_destination() {
    let g1 = hex(G1);
    let aggregate_g1 = |points: Vec<u8>| {
        call(
            "bls12_381_aggregate_g1",
            &[Arg::Bytes(points), Arg::Out(48)],
        )
    };
    assert_eq!(
        aggregate_g1(g1.clone()),
        Returned {
            code: 0,
            out: Some(g1.clone())
        }
    );
    assert_eq!(
        aggregate_g1([g1.clone(), g1.clone()].concat()).out,
        Some(hex(G1_TIMES_2))
    );
    // Not a multiple of 48 bytes, and no points: Aggregation errors, codes
    // 15 and 14; the destination is left as it was (empty).
    let short = aggregate_g1(g1[..47].to_vec());
    assert_eq!(short.code, 15);
    assert_eq!(short.out, Some(Vec::new()));
    assert_eq!(aggregate_g1(Vec::new()).code, 14);
    // A point that is not on the curve: InvalidPoint, code 8.
    let mut off_curve = g1.clone();
    off_curve[47] ^= 1;
    assert_eq!(aggregate_g1(off_curve).code, 8);

    let g2 = hex(G2);
    let sum = call(
        "bls12_381_aggregate_g2",
        &[Arg::Bytes([g2.clone(), g2.clone()].concat()), Arg::Out(96)],
    );
    assert_eq!(sum.code, 0);
    let sum = sum.out.unwrap();
    assert_eq!(sum.len(), 96);
    assert_ne!(sum, g2, "2 * G2 is not G2");
    // A destination too small for the point ends the call, naming the import.
    assert_bad_region(
        "bls12_381_aggregate_g2",
        &[Arg::Bytes(g2), Arg::Out(95)],
        "96 bytes do not fit its capacity 95",
    );
}

#[test]
fn bls12_381_pairing_equality_follows_bilinearity() {
    let pairing = |ps: &[&str], qs: &[&str], r: &str, s: &str| {
        let points = |list: &[&str]| list.iter().flat_map(|p| hex(p)).collect::<Vec<_>>();
        code(
            "bls12_381_pairing_equality",
            &[
                Arg::Bytes(points(ps)),
                Arg::Bytes(points(qs)),
                b(&hex(r)),
                b(&hex(s)),
            ],
        )
    };
    // e(G1, G2) = e(G1, G2); e(G1, G2)^2 = e(2 G1, G2); but not e(G1, G2) = e(2 G1, G2).
    assert_eq!(pairing(&[G1], &[G2], G1, G2), 0);
    assert_eq!(pairing(&[G1, G1], &[G2, G2], G1_TIMES_2, G2), 0);
    assert_eq!(pairing(&[G1], &[G2], G1_TIMES_2, G2), 1);
    // Two G1 points and one G2 point, and half a G1 point: PairingEquality
    // errors, codes 13 and 11.
    assert_eq!(pairing(&[G1, G1], &[G2], G1, G2), 13);
    assert_eq!(pairing(&[&G1[..48]], &[G2], G1, G2), 11);
    // r longer than a G1 point exceeds the import's limit for that Region.
    assert_bad_region(
        "bls12_381_pairing_equality",
        &[b(&hex(G1)), b(&hex(G2)), b(&hex(G2)), b(&hex(G2))],
        "length 96 exceeds this import's limit of 48",
    );
}

#[test]
fn bls12_381_hashes_to_the_curve_as_rfc_9380() {
    // RFC 9380, appendix J.9.1 and J.10.1, msg = "abc": the points' x
    // coordinates with the compression flag set (y is the smaller root).
    let cases = [
        (
            "bls12_381_hash_to_g1",
            &b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_"[..],
            48,
            "83567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903",
        ),
        (
            "bls12_381_hash_to_g2",
            &b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_"[..],
            96,
            "939cddbccdc5e91b9623efd38c49f81a6f83f175e80b06fc374de9eb4b41dfe4ca3a230ed250fbe3a2acf73a41177fd802c2d18e033b960562aae3cab37a27ce00d80ccd5ba4b7fe0e7a210245129dbec7780ccc7954725f4168aff2787776e6",
        ),
    ];
    for (import, dst, len, expected) in cases {
        let hashed = |function: u32, dst: &[u8]| {
            call(
                import,
                &[Arg::Const(function), b(b"abc"), b(dst), Arg::Out(len)],
            )
        };
        assert_eq!(
            hashed(0, dst),
            Returned {
                code: 0,
                out: Some(hex(expected))
            },
            "{import}"
        );
        // Only hash function 0 (SHA-256) is known: UnknownHashFunction, 9.
        assert_eq!(hashed(1, dst).code, 9, "{import}");
        // The longest tag the import takes (hashed down, as RFC 9380 says
        // for tags over 255 bytes) gives a point; one byte more is refused.
        // Its last byte counts: the whole tag reaches the hash.
        let long = vec![b'D'; 5 * 1024];
        let point = hashed(0, &long).out.unwrap();
        assert_eq!(point.len(), len as usize);
        assert_ne!(point, hex(expected));
        let mut other = long.clone();
        other[5 * 1024 - 1] = b'E';
        assert_ne!(hashed(0, &other).out.unwrap(), point, "{import}");
        assert_bad_region(
            import,
            &[
                Arg::Const(0),
                b(b"abc"),
                b(&[long, vec![b'D']].concat()),
                Arg::Out(len),
            ],
            "exceeds this import's limit of 5120",
        );
    }
}

/// The fuel an import adds to a call over the stub that returns 0: what the
/// simulator charges for its Regions and its cryptography (the host fuel of
/// everything else, the inputs and the two `db_write`s, is the same).
fn import_fuel(import: &str, args: &[Arg]) -> u64 {
    let host_fuel = |stub| {
        let (outcome, _) = run(&module(import, args, "i32", stub), DEFAULT_FUEL_LIMIT);
        assert_eq!(outcome.error, None, "{import}");
        outcome.fuel.host
    };
    host_fuel(false) - host_fuel(true)
}

#[test]
fn crypto_imports_charge_cosmwasm_vm_s_price_as_fuel() {
    // 100 fuel a Region read plus one a byte (the default `HostCosts`), then
    // cosmwasm-vm's gas at 115 a wasm operation: ed25519, 35 µs.
    let ed = [b(b""), b(&hex(ED_SIG)), b(&hex(ED_KEY))];
    assert_eq!(crypto_gas::fuel(crypto_gas::ED25519_VERIFY), 304_348);
    assert_eq!(import_fuel("ed25519_verify", &ed), 300 + 64 + 32 + 304_348);
    // A pairing check of two pairs and (r, s): 2,112 µs + 3 * 163 µs
    // = 2,601,000,000 gas, 22,617,392 operations (rounded up).
    let pairing = [
        b(&[hex(G1), hex(G1)].concat()),
        b(&[hex(G2), hex(G2)].concat()),
        b(&hex(G1_TIMES_2)),
        b(&hex(G2)),
    ];
    assert_eq!(
        import_fuel("bls12_381_pairing_equality", &pairing),
        400 + 96 + 192 + 48 + 96 + 22_617_392
    );
    // Over the call's fuel, the call ends before any cryptography, as
    // cosmwasm-vm runs out of gas before it: nothing is stored.
    let wasm = module("bls12_381_pairing_equality", &pairing, "i32", false);
    let (outcome, storage) = run(&wasm, 20_000_000);
    assert!(
        matches!(
            outcome.error,
            Some(SimError::OutOfFuel { limit: 20_000_000 })
        ),
        "{:?}",
        outcome.error
    );
    assert!(storage.is_empty());
    // The most points the import takes cost more fuel than a call has by
    // default: a hostile list is refused for its price, not computed.
    let most = vec![0u8; 2 * 1024 * 1024 / 48 * 48];
    let hostile = [b(&most), b(&[]), b(&hex(G1)), b(&hex(G2))];
    let err = call_with("bls12_381_pairing_equality", &hostile, "i32").unwrap_err();
    assert_eq!(err.kind(), "out-of-fuel", "{err}");
}
