//! What a chain stores when a contract is deployed, what that costs, and the
//! size limits it enforces: contract size as a contract author meets it.
//!
//! - **Stylus** stores the module as `cargo stylus deploy` sends it
//!   ([`stylus_module`]: printed to the text format and parsed back, custom
//!   sections stripped, its `project_hash` section added), compressed with
//!   brotli at quality 11 (window 2^22), behind a 4-byte prefix
//!   (`0xEFF00000`), as the code of an EVM contract. That code is bounded by
//!   EIP-170 (24,576 bytes) and pays the EVM's code deposit (200 gas a
//!   byte); ArbOS decompresses it at activation and refuses a module over
//!   128 KiB (nitro's `MaxWasmSize`).
//! - **CosmWasm** (wasmd) receives the module gzipped (`wasmd tx wasm store`
//!   gzips it), refuses one over 800 KiB uncompressed (`MaxWasmSize`, a
//!   compile-time setting a chain may change) and charges 3 SDK gas a byte of
//!   the uncompressed module to compile it (`DefaultCompileCost`).
//! - capheap's own host ABI is not a chain: no deployment figures.
//!
//! These are the defaults of ArbOS 40 to 59 (ArbOS 60 doubles the
//! decompressed limit and lets a contract span code fragments) and of wasmd;
//! a chain configured otherwise has other limits. The compressed size comes
//! from the `brotli` crate's encoder at the same quality and window as
//! cargo-stylus's (C brotli); the two encoders may differ by a few bytes.
//!
//! ```
//! use capheap_sim::Abi;
//! use capheap_sim::deploy::{Deployment, STYLUS_CODE_PREFIX, deployment};
//!
//! let name = "x".repeat(100);
//! let wasm = wat::parse_str(format!(r#"(module (@custom "name" "{name}") (memory (export "memory") 1))"#))?;
//! let d: Deployment = deployment(Abi::Stylus, &wasm)?.expect("Stylus is a chain");
//! // The 100-byte name section goes; cargo-stylus's 47-byte project hash comes.
//! assert!(d.module_bytes < wasm.len(), "the custom section is stripped");
//! assert!(d.stored_bytes > STYLUS_CODE_PREFIX.len());
//! assert!(d.fits());
//! assert_eq!(d.deploy_gas, 200 * d.stored_bytes as u64);
//! assert!(deployment(Abi::Capheap, &wasm)?.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Write as _;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use wasmparser::{Parser, Payload};

use crate::error::{Result, SimError};
use crate::host::Abi;

/// The prefix of a Stylus program's EVM code: a compressed module without a
/// dictionary (cargo-stylus's `EOF_PREFIX_NO_DICT`).
pub const STYLUS_CODE_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];
/// Brotli quality cargo-stylus compresses with.
pub const STYLUS_BROTLI_QUALITY: u32 = 11;
/// Brotli window (log2 bytes) cargo-stylus compresses with (brotli's default).
pub const STYLUS_BROTLI_WINDOW: u32 = 22;
/// The custom section cargo-stylus adds to the module it deploys: a 32-byte
/// hash of the project's sources, for reproducible verification.
pub const STYLUS_PROJECT_HASH_SECTION: &str = "project_hash";
/// Largest EVM contract code (EIP-170): the prefix and the compressed module.
pub const STYLUS_MAX_CODE_SIZE: usize = 24_576;
/// Largest module ArbOS activates, decompressed (nitro's `MaxWasmSize`,
/// ArbOS 40 to 59).
pub const STYLUS_MAX_WASM_SIZE: usize = 128 * 1024;
/// EVM gas per byte of deployed code (the code deposit).
pub const STYLUS_DEPOSIT_GAS_PER_BYTE: u64 = 200;
/// Largest module wasmd stores, uncompressed (its default `MaxWasmSize`).
pub const COSMWASM_MAX_WASM_SIZE: usize = 800 * 1024;
/// SDK gas wasmd charges per byte of the uncompressed module to compile it
/// (its default `CompileCost`).
pub const COSMWASM_COMPILE_GAS_PER_BYTE: u64 = 3;

/// Size of `wasm` gzipped at the highest level (deterministic).
///
/// ```
/// use capheap_sim::deploy::gzip_size;
///
/// let repetitive = vec![0u8; 100_000];
/// assert!(gzip_size(&repetitive) < 1_000);
/// assert_eq!(gzip_size(&repetitive), gzip_size(&repetitive), "deterministic");
/// ```
pub fn gzip_size(wasm: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(wasm);
    encoder.finish().map_or(0, |v| v.len())
}

/// `bytes` compressed with brotli at Stylus's quality and window
/// (deterministic).
///
/// ```
/// use capheap_sim::deploy::brotli;
///
/// let repetitive = vec![7u8; 100_000];
/// let small = brotli(&repetitive);
/// assert!(small.len() < 100);
/// assert_eq!(small, brotli(&repetitive), "deterministic");
/// ```
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: STYLUS_BROTLI_QUALITY as i32,
        lgwin: STYLUS_BROTLI_WINDOW as i32,
        ..Default::default()
    };
    let mut out = Vec::new();
    // Reading from a slice and writing to a Vec cannot fail.
    let _ = ::brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out
}

/// `wasm` without its custom sections (names, producers, debug info, build
/// metadata): what a chain that strips them stores. Every other section is
/// copied byte for byte, in order.
///
/// ```
/// use capheap_sim::deploy::strip_custom_sections;
///
/// let wasm = wat::parse_str(r#"(module (@custom "producers" "rustc") (func (export "f")))"#)?;
/// let stripped = strip_custom_sections(&wasm)?;
/// assert_eq!(stripped, wat::parse_str(r#"(module (func (export "f")))"#)?);
/// assert!(strip_custom_sections(b"\0asm\x01\0\0\0\x0b").is_err(), "malformed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn strip_custom_sections(wasm: &[u8]) -> Result<Vec<u8>> {
    Ok(without_custom_sections(wasm)?.finish())
}

/// [`strip_custom_sections`], before the module is finished.
fn without_custom_sections(wasm: &[u8]) -> Result<wasm_encoder::Module> {
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| SimError::InvalidWasm(e.to_string()))?;
        if matches!(payload, Payload::CustomSection(_)) {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            let data = wasm
                .get(range.clone())
                .ok_or_else(|| SimError::InvalidWasm(format!("section {id} out of bounds")))?;
            module.section(&wasm_encoder::RawSection { id, data });
        }
    }
    Ok(module)
}

/// The module `cargo stylus deploy` sends for `wasm`, which ArbOS
/// activates, as cargo-stylus 0.6 to 0.10 (`stylus-tools`' `process_wasm`)
/// makes it, without the opt-in `wasm-opt` step:
///
/// 1. printed to the text format and parsed back (its
///    `remove_dangling_references`, with `wasmprinter` and `wat` as there):
///    every LEB128 comes back in canonical form, among them the 5-byte
///    `call_indirect` table immediates that rustc 1.82 and later emit with
///    reference types on, which ArbOS's validator (reference types off)
///    refuses, and the padded function indices the linker leaves;
/// 2. custom sections stripped;
/// 3. a [`STYLUS_PROJECT_HASH_SECTION`] custom section appended: 32 bytes
///    of hash, here the SHA-256 of `wasm` (as incompressible as the real
///    one, so the stored size is the same).
///
/// Fails on a module that cannot be printed and parsed back (cargo-stylus
/// fails on it too).
///
/// ```
/// use capheap_sim::deploy::{STYLUS_PROJECT_HASH_SECTION, stylus_module};
///
/// let wasm = wat::parse_str(r#"(module (@custom "name" "x") (func (export "f")))"#)?;
/// let sent = stylus_module(&wasm)?;
/// let names: Vec<String> = wasmparser::Parser::new(0)
///     .parse_all(&sent)
///     .filter_map(|p| match p {
///         Ok(wasmparser::Payload::CustomSection(c)) => Some(c.name().to_owned()),
///         _ => None,
///     })
///     .collect();
/// assert_eq!(names, [STYLUS_PROJECT_HASH_SECTION]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stylus_module(wasm: &[u8]) -> Result<Vec<u8>> {
    let text = wasmprinter::print_bytes(wasm)
        .map_err(|e| SimError::InvalidWasm(format!("cannot print the module as text: {e}")))?;
    let canonical = wat::parse_str(&text)
        .map_err(|e| SimError::InvalidWasm(format!("cannot parse the module's text back: {e}")))?;
    let mut module = without_custom_sections(&canonical)?;
    let hash = Sha256::digest(wasm);
    module.section(&wasm_encoder::CustomSection {
        name: STYLUS_PROJECT_HASH_SECTION.into(),
        data: hash.as_slice().into(),
    });
    Ok(module.finish())
}

/// What a chain stores for a module, what storing it costs, and its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// The chain.
    pub abi: Abi,
    /// The module as the chain runs it: for Stylus, as cargo-stylus sends it
    /// ([`stylus_module`]); wasmd keeps the module whole.
    pub module_bytes: usize,
    /// The chain's limit on [`Deployment::module_bytes`].
    pub module_limit: usize,
    /// What is sent and stored: Stylus's prefix and brotli stream (its EVM
    /// code); for CosmWasm the module gzipped, as `wasmd tx wasm store`
    /// uploads it.
    pub stored_bytes: usize,
    /// The chain's limit on [`Deployment::stored_bytes`], if it has one
    /// (EIP-170 for Stylus; wasmd bounds only the uncompressed module).
    pub stored_limit: Option<usize>,
    /// Gas the chain charges for the code's size when it is stored: EVM gas
    /// for Stylus's code deposit, SDK gas for wasmd's compile cost.
    pub deploy_gas: u64,
}

impl Deployment {
    /// Whether both sizes are within the chain's limits.
    ///
    /// ```
    /// use capheap_sim::Abi;
    /// use capheap_sim::deploy::deployment;
    ///
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1))"#)?;
    /// assert!(deployment(Abi::CosmWasm, &wasm)?.unwrap().fits());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fits(&self) -> bool {
        self.module_bytes <= self.module_limit
            && self
                .stored_limit
                .is_none_or(|limit| self.stored_bytes <= limit)
    }

    /// What [`Deployment::deploy_gas`] is counted in.
    pub fn gas_unit(&self) -> &'static str {
        match self.abi {
            Abi::Stylus => "EVM gas of code deposit",
            _ => "SDK gas of compile cost",
        }
    }

    /// What [`Deployment::stored_bytes`] are.
    pub fn stored_as(&self) -> &'static str {
        match self.abi {
            Abi::Stylus => "brotli-11 behind the 4-byte prefix",
            _ => "gzip -9 upload",
        }
    }
}

/// The Stylus deployment figures of `module`, a module already processed
/// as cargo-stylus sends it ([`stylus_module`]), for a caller that needs the
/// processed module itself too (`check` validates it): [`deployment`]
/// without processing the module a second time.
///
/// ```
/// use capheap_sim::Abi;
/// use capheap_sim::deploy::{deployment, stylus_deployment, stylus_module};
///
/// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1))"#)?;
/// let sent = stylus_module(&wasm)?;
/// assert_eq!(Some(stylus_deployment(&sent)), deployment(Abi::Stylus, &wasm)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stylus_deployment(module: &[u8]) -> Deployment {
    let stored = STYLUS_CODE_PREFIX.len() + brotli(module).len();
    Deployment {
        abi: Abi::Stylus,
        module_bytes: module.len(),
        module_limit: STYLUS_MAX_WASM_SIZE,
        stored_bytes: stored,
        stored_limit: Some(STYLUS_MAX_CODE_SIZE),
        deploy_gas: STYLUS_DEPOSIT_GAS_PER_BYTE * stored as u64,
    }
}

/// The deployment figures of `wasm` on the chain of `abi` (`None` for
/// capheap's own ABI, which is not a chain). Fails only on a module whose
/// sections cannot be read.
///
/// ```
/// use capheap_sim::Abi;
/// use capheap_sim::deploy::{COSMWASM_COMPILE_GAS_PER_BYTE, deployment};
///
/// let wasm = wat::parse_str(r#"(module (@custom "name" "x") (memory (export "memory") 1))"#)?;
/// let d = deployment(Abi::CosmWasm, &wasm)?.unwrap();
/// assert_eq!(d.module_bytes, wasm.len(), "wasmd keeps custom sections");
/// assert_eq!(d.deploy_gas, COSMWASM_COMPILE_GAS_PER_BYTE * wasm.len() as u64);
/// assert_eq!(d.stored_limit, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn deployment(abi: Abi, wasm: &[u8]) -> Result<Option<Deployment>> {
    Ok(match abi {
        Abi::Capheap => None,
        Abi::Stylus => Some(stylus_deployment(&stylus_module(wasm)?)),
        Abi::CosmWasm => {
            // Read the sections all the same: a module wasmd cannot parse is
            // not deployable, whatever its size.
            strip_custom_sections(wasm)?;
            Some(Deployment {
                abi,
                module_bytes: wasm.len(),
                module_limit: COSMWASM_MAX_WASM_SIZE,
                stored_bytes: gzip_size(wasm),
                stored_limit: None,
                deploy_gas: COSMWASM_COMPILE_GAS_PER_BYTE * wasm.len() as u64,
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a passive data segment of `len` bytes from a fixed-seed
    /// PRNG (incompressible), plus a `name` section.
    fn module_with_data(len: usize) -> Vec<u8> {
        let mut x = 0x9E37_79B9u32;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let mut module = wasm_encoder::Module::new();
        let mut memories = wasm_encoder::MemorySection::new();
        memories.memory(wasm_encoder::MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        module.section(&memories);
        let mut exports = wasm_encoder::ExportSection::new();
        exports.export("memory", wasm_encoder::ExportKind::Memory, 0);
        module.section(&exports);
        let mut datas = wasm_encoder::DataSection::new();
        datas.passive(data);
        module.section(&datas);
        module.section(&wasm_encoder::CustomSection {
            name: "name".into(),
            data: vec![0; 1000].into(),
        });
        module.finish()
    }

    /// The `project_hash` section: its id, size, the name's length, the
    /// name and the 32-byte hash.
    const PROJECT_HASH_BYTES: usize = 1 + 1 + 1 + STYLUS_PROJECT_HASH_SECTION.len() + 32;

    #[test]
    fn stylus_counts_the_prefix_and_the_compressed_module_cargo_stylus_sends() {
        let wasm = module_with_data(2_000);
        let d = deployment(Abi::Stylus, &wasm).unwrap().unwrap();
        let stripped = strip_custom_sections(&wasm).unwrap();
        // The section: its id, a 2-byte size, the name's length and "name".
        assert_eq!(
            stripped.len() + 1 + 2 + 1 + 4 + 1000,
            wasm.len(),
            "the name section went"
        );
        // wasm-encoder writes canonical LEB128s: the text round trip keeps
        // the sections, and the project hash comes last.
        let sent = stylus_module(&wasm).unwrap();
        assert_eq!(sent[..stripped.len()], stripped[..]);
        assert_eq!(sent.len(), stripped.len() + PROJECT_HASH_BYTES);
        assert_eq!(sent[sent.len() - 32..], Sha256::digest(&wasm)[..]);
        assert_eq!(d.module_bytes, sent.len());
        assert_eq!(d.stored_bytes, 4 + brotli(&sent).len());
        // Random data does not compress: the stream is about as long.
        assert!(d.stored_bytes > 2_000 && d.stored_bytes < 2_150, "{d:?}");
        assert_eq!(d.deploy_gas, 200 * d.stored_bytes as u64);
        assert!(d.fits());
        // The stream decompresses to the module sent.
        let mut back = Vec::new();
        ::brotli::BrotliDecompress(&mut &brotli(&sent)[..], &mut back).unwrap();
        assert_eq!(back, sent);
    }

    /// `call_indirect` with its table immediate as a 5-byte LEB128 (as
    /// rustc 1.82 and later emit it): a valid module with reference types
    /// on, refused by a validator with them off (ArbOS's).
    pub(crate) const OVERLONG_CALL_INDIRECT: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: () -> ()
        0x03, 0x02, 0x01, 0x00, // one function of type 0
        0x04, 0x04, 0x01, 0x70, 0x00, 0x01, // a funcref table of 1
        0x0a, 0x0d, 0x01, 0x0b, 0x00, // code: one body of 11 bytes, no locals
        0x41, 0x00, // i32.const 0
        0x11, 0x00, 0x80, 0x80, 0x80, 0x80, 0x00, // call_indirect type 0, table 0 (5 bytes)
        0x0b, // end
    ];

    #[test]
    fn cargo_stylus_s_text_round_trip_makes_every_leb128_canonical() {
        let features =
            wasmparser::WasmFeatures::default() - wasmparser::WasmFeatures::REFERENCE_TYPES;
        let strict = |wasm: &[u8]| {
            wasmparser::Validator::new_with_features(features)
                .validate_all(wasm)
                .map(drop)
        };
        assert!(
            wasmparser::Validator::new()
                .validate_all(OVERLONG_CALL_INDIRECT)
                .is_ok()
        );
        let refused = strict(OVERLONG_CALL_INDIRECT).unwrap_err().to_string();
        assert!(refused.contains("zero byte expected"), "{refused}");
        let sent = stylus_module(OVERLONG_CALL_INDIRECT).unwrap();
        strict(&sent).unwrap();
        // The table immediate shrank from 5 bytes to 1.
        assert_eq!(
            sent.len(),
            OVERLONG_CALL_INDIRECT.len() - 4 + PROJECT_HASH_BYTES
        );
    }

    #[test]
    fn each_limit_is_enforced_at_its_edge() {
        // 24,576 bytes of EVM code: incompressible data a little under and
        // over it.
        let under = deployment(Abi::Stylus, &module_with_data(24_000))
            .unwrap()
            .unwrap();
        assert!(under.fits(), "{under:?}");
        let over = deployment(Abi::Stylus, &module_with_data(24_600))
            .unwrap()
            .unwrap();
        assert!(over.stored_bytes > STYLUS_MAX_CODE_SIZE && !over.fits());
        // A module that compresses well may still exceed 128 KiB unpacked.
        let zeros = wat::parse_str(format!(
            r#"(module (memory 3) (data (i32.const 0) "{}"))"#,
            "\\00".repeat(STYLUS_MAX_WASM_SIZE)
        ))
        .unwrap();
        let big = deployment(Abi::Stylus, &zeros).unwrap().unwrap();
        assert!(big.stored_bytes < 1_000, "{big:?}");
        assert!(big.module_bytes > STYLUS_MAX_WASM_SIZE && !big.fits());
        // wasmd: 800 KiB uncompressed, custom sections included.
        let cw = deployment(Abi::CosmWasm, &module_with_data(COSMWASM_MAX_WASM_SIZE))
            .unwrap()
            .unwrap();
        assert!(cw.module_bytes > COSMWASM_MAX_WASM_SIZE && !cw.fits());
        assert_eq!(
            cw.stored_bytes,
            gzip_size(&module_with_data(COSMWASM_MAX_WASM_SIZE))
        );
    }

    #[test]
    fn malformed_modules_are_errors_not_sizes() {
        for bad in [&b"\0asm\x01\0\0\0\x05\x10"[..], b"not wasm at all"] {
            for abi in [Abi::Stylus, Abi::CosmWasm] {
                assert!(
                    matches!(deployment(abi, bad), Err(SimError::InvalidWasm(_))),
                    "{abi:?} {bad:?}"
                );
            }
        }
        assert_eq!(deployment(Abi::Capheap, b"not wasm at all").unwrap(), None);
    }
}
