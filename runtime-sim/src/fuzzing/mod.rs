//! Fuzzing contracts for unbounded growth, cap hits, traps and
//! nondeterminism, two ways:
//!
//! - [`campaign`]: the engine of `capheap-sim fuzz`, needing no nightly
//!   toolchain: generated inputs ([`input`]), many calls per instance, shrunk
//!   reproductions written as scenario files.
//! - [`check_call`]: a harness to call from a cargo-fuzz target with the
//!   fuzzer's bytes as the call input (coverage-guided).
//!
//! [`check_call`] makes the same call on two fresh instances and compares
//! everything (output, error, fuel, pages, memory and storage roots, stats),
//! then keeps calling with the same input on one of them, [`Bounds::repeats`]
//! times, and demands a steady state: after [`Bounds::warmup`] calls, no call
//! may grow memory or raise capheap's live bytes. A leak, a cache that grows
//! without bound or an allocator that never reuses memory shows up as a
//! [`Finding`] naming the call.
//!
//! ```
//! use capheap_sim::fuzzing::{Bounds, check_call};
//! use capheap_sim::Simulator;
//!
//! // Each call grows memory by a page and never gives it back.
//! let wasm = wat::parse_str(
//!     r#"(module (memory (export "memory") 1)
//!          (func (export "leak") (drop (memory.grow (i32.const 1)))))"#,
//! )?;
//! let contract = Simulator::new().load(&wasm)?;
//! let finding = check_call(&contract, "leak", &[], &Bounds::default()).unwrap_err();
//! assert!(finding.to_string().contains("grew memory"), "{finding}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod campaign;
pub mod input;

use crate::{CallOutcome, Contract};

/// What a fuzzed call may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Most pages of linear memory after any call.
    pub max_pages: u32,
    /// Calls with the same input on one instance (at least 1).
    pub repeats: u32,
    /// Calls allowed to grow memory or live bytes before the steady state.
    pub warmup: u32,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_pages: 1024,
            repeats: 4,
            warmup: 1,
        }
    }
}

/// A property a fuzzed call broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Finding {
    /// The contract could not be instantiated.
    #[error("cannot instantiate: {0}")]
    Instantiate(String),
    /// The export cannot be called at all (missing, not a function, wrong
    /// signature): the fuzz target is misconfigured.
    #[error("`{export}` cannot be fuzzed: {reason}")]
    Unusable {
        /// The export.
        export: String,
        /// Why.
        reason: String,
    },
    /// Two fresh instances disagreed on the same call.
    #[error("nondeterministic: `{export}` on two fresh instances differs in {what}")]
    Nondeterministic {
        /// The export.
        export: String,
        /// What differed.
        what: &'static str,
    },
    /// Memory crossed [`Bounds::max_pages`].
    #[error("call {call} of `{export}` left {pages} pages, above the bound of {max}")]
    TooManyPages {
        /// The export.
        export: String,
        /// Which repetition (from 0).
        call: u32,
        /// Pages after it.
        pages: u32,
        /// The bound.
        max: u32,
    },
    /// Repeating the call kept growing memory.
    #[error(
        "call {call} of `{export}` grew memory from {before} to {after} pages after {warmup} warm-up calls: unbounded growth"
    )]
    KeepsGrowing {
        /// The export.
        export: String,
        /// Which repetition (from 0).
        call: u32,
        /// Pages before it.
        before: u32,
        /// Pages after it.
        after: u32,
        /// The warm-up allowed.
        warmup: u32,
    },
    /// Repeating the call kept raising capheap's live bytes.
    #[error(
        "call {call} of `{export}` raised live heap bytes from {before} to {after} after {warmup} warm-up calls: a leak"
    )]
    Leaks {
        /// The export.
        export: String,
        /// Which repetition (from 0).
        call: u32,
        /// Live bytes before it.
        before: u64,
        /// Live bytes after it.
        after: u64,
        /// The warm-up allowed.
        warmup: u32,
    },
}

/// The first field in which two outcomes of the same call differ.
fn difference(a: &CallOutcome, b: &CallOutcome) -> Option<&'static str> {
    if a.output != b.output || a.returned != b.returned {
        Some("output")
    } else if a.error != b.error {
        Some("error")
    } else if a.fuel != b.fuel {
        Some("fuel")
    } else if a.pages_after != b.pages_after || a.growth != b.growth {
        Some("growth")
    } else if a.memory_root != b.memory_root {
        Some("memory root")
    } else if a.storage_root != b.storage_root {
        Some("storage root")
    } else if a.stats != b.stats {
        Some("capheap stats")
    } else {
        None
    }
}

/// Calls `export` with `input` as described in the [module docs](self).
/// Calls that fail (trap, out of fuel, ...) are fine as long as they fail the
/// same way everywhere and stay within the bounds: fuzzed input is expected
/// to be rejected often.
pub fn check_call(
    contract: &Contract,
    export: &str,
    input: &[u8],
    bounds: &Bounds,
) -> Result<(), Finding> {
    // The twin gets another host seed: a contract that reads a host input
    // which may differ between nodes (custom host functions see the seed)
    // then diverges, and the comparison catches it.
    let fresh = |seed| {
        contract
            .instantiate_seeded(seed)
            .map_err(|e| Finding::Instantiate(e.to_string()))
    };
    let mut instance = fresh(0)?;
    let first = instance.execute(export, input);
    if let Some(e) = &first.error
        && matches!(
            e.kind(),
            "missing-export" | "not-a-function" | "wrong-signature"
        )
    {
        return Err(Finding::Unusable {
            export: export.to_owned(),
            reason: e.to_string(),
        });
    }
    let twin = fresh(1)?.execute(export, input);
    if let Some(what) = difference(&first, &twin) {
        return Err(Finding::Nondeterministic {
            export: export.to_owned(),
            what,
        });
    }
    let mut previous = first;
    for call in 0..bounds.repeats.max(1) {
        let outcome = if call == 0 {
            previous.clone()
        } else {
            instance.execute(export, input)
        };
        if outcome.pages_after > bounds.max_pages {
            return Err(Finding::TooManyPages {
                export: export.to_owned(),
                call,
                pages: outcome.pages_after,
                max: bounds.max_pages,
            });
        }
        if call >= bounds.warmup {
            if outcome.pages_after > outcome.pages_before {
                return Err(Finding::KeepsGrowing {
                    export: export.to_owned(),
                    call,
                    before: outcome.pages_before,
                    after: outcome.pages_after,
                    warmup: bounds.warmup,
                });
            }
            if let (Some(before), Some(after)) = (previous.stats, outcome.stats)
                && call > 0
                && after.live_bytes > before.live_bytes
            {
                return Err(Finding::Leaks {
                    export: export.to_owned(),
                    call,
                    before: before.live_bytes,
                    after: after.live_bytes,
                    warmup: bounds.warmup,
                });
            }
        }
        previous = outcome;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Simulator;

    fn contract(body: &str) -> Contract {
        let wat = format!(r#"(module (memory (export "memory") 1 8) {body})"#);
        Simulator::new()
            .load(&wat::parse_str(wat).unwrap())
            .unwrap()
    }

    #[test]
    fn a_steady_contract_passes() {
        let c = contract(r#"(func (export "f") (drop (i32.const 1)))"#);
        assert_eq!(check_call(&c, "f", &[], &Bounds::default()), Ok(()));
    }

    #[test]
    fn growth_during_warmup_is_allowed_and_after_it_is_found() {
        // Grows once (to 2 pages), then never again.
        let c = contract(
            r#"(func (export "f") (if (i32.lt_u (memory.size) (i32.const 2)) (then (drop (memory.grow (i32.const 1))))))"#,
        );
        assert_eq!(check_call(&c, "f", &[], &Bounds::default()), Ok(()));
        let strict = Bounds {
            warmup: 0,
            ..Bounds::default()
        };
        assert!(matches!(
            check_call(&c, "f", &[], &strict),
            Err(Finding::KeepsGrowing {
                call: 0,
                before: 1,
                after: 2,
                ..
            })
        ));
        let leak = contract(r#"(func (export "f") (drop (memory.grow (i32.const 1))))"#);
        assert!(matches!(
            check_call(&leak, "f", &[], &Bounds::default()),
            Err(Finding::KeepsGrowing {
                call: 1,
                before: 2,
                after: 3,
                ..
            })
        ));
    }

    #[test]
    fn the_page_bound_is_enforced() {
        let big = contract(r#"(func (export "f") (drop (memory.grow (i32.const 5))))"#);
        let bounds = Bounds {
            max_pages: 4,
            ..Bounds::default()
        };
        assert!(matches!(
            check_call(&big, "f", &[], &bounds),
            Err(Finding::TooManyPages {
                call: 0,
                pages: 6,
                max: 4,
                ..
            })
        ));
    }

    #[test]
    fn failing_calls_are_fine_when_they_fail_alike() {
        let c = contract(r#"(func (export "f") (unreachable))"#);
        assert_eq!(check_call(&c, "f", &[], &Bounds::default()), Ok(()));
        let err = check_call(&c, "missing", &[], &Bounds::default()).unwrap_err();
        assert!(matches!(err, Finding::Unusable { .. }), "{err}");
    }
}
