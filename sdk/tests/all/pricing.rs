//! Every pricing preset against hand-computed values of its formula, the
//! worked examples from the docs, and the growth meter's all-or-nothing
//! behaviour.

use capheap::backend::{NativePages, PageSource};
use capheap::meter::{EVM_WORDS_PER_PAGE, STYLUS_MEMORY_EXPONENTS};
use capheap::{AllocError, CapKind, GrowthMeter, GrowthRequest, PagePricing};

fn req(current: u32, high_water: u32, delta: u32) -> GrowthRequest {
    GrowthRequest {
        current_pages: current,
        high_water_pages: high_water,
        delta_pages: delta,
    }
}

#[test]
fn stylus_table_is_the_nitro_table() {
    assert_eq!(STYLUS_MEMORY_EXPONENTS.len(), 129);
    assert_eq!(STYLUS_MEMORY_EXPONENTS[0], 1);
    assert_eq!(
        &STYLUS_MEMORY_EXPONENTS[..12],
        &[1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4]
    );
    assert_eq!(STYLUS_MEMORY_EXPONENTS[64], 5645);
    assert_eq!(STYLUS_MEMORY_EXPONENTS[128], 31_873_999);
    assert!(STYLUS_MEMORY_EXPONENTS.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn stylus_worked_example_0_to_128_pages() {
    // 126 * 1000 + exp(128) - exp(0) = 126_000 + 31_873_999 - 1.
    assert_eq!(PagePricing::STYLUS.price(req(0, 0, 128)), Some(31_999_998));
}

#[test]
fn stylus_matches_nitro_model_tests() {
    let model = PagePricing::STYLUS;
    // Growing to 128 pages in any step size costs the same total.
    for jump in 1..=128u32 {
        let (mut total, mut pages) = (0u64, 0u32);
        while pages < 128 {
            let j = jump.min(128 - pages);
            total += model.price(req(pages, pages, j)).unwrap();
            pages += j;
        }
        assert_eq!(total, 31_999_998, "jump {jump}");
    }
    // Re-opening pages below the high-water mark pays only the linear part.
    for jump in 1..=128u32 {
        let (mut total, mut open, mut ever, mut adds) = (0u64, 0u32, 0u32, 0u64);
        while ever < 128 {
            let j = jump.min(128 - open);
            total += model.price(req(open, ever, j)).unwrap();
            open += j;
            ever = ever.max(open);
            if ever > 2 {
                adds += j.min(ever - 2) as u64;
            }
            open -= j / 2;
        }
        assert_eq!(total, 31_873_998 + adds * 1000, "jump {jump}");
    }
    // Beyond the table: unpriceable.
    assert_eq!(model.price(req(0, 0, 129)), None);
    assert_eq!(model.price(req(0, 0, u32::MAX)), None);
    assert_eq!(model.price(req(u32::MAX, 0, 1)), None);
    // All free pages: free, even at the table's end; one more is unpriceable.
    let all_free = PagePricing::Stylus {
        free_pages: 128,
        page_gas: 1000,
    };
    assert_eq!(all_free.price(req(0, 0, 128)), Some(0));
    assert_eq!(all_free.price(req(0, 128, 128)), Some(0));
    assert_eq!(all_free.price(req(0, 0, 129)), None);
}

#[test]
fn stylus_small_cases_by_hand() {
    let m = PagePricing::STYLUS;
    // Within the 2 free pages: free.
    assert_eq!(m.price(req(0, 0, 2)), Some(0));
    // 0 -> 3: credit(3) - credit(0) = 1 page linear + exp(3) - exp(0) = 1000 + 0.
    assert_eq!(m.price(req(0, 0, 3)), Some(1000));
    // 10 -> 20 (ever 10): 10 * 1000 + exp(20) - exp(10) = 10_000 + 14 - 3.
    assert_eq!(m.price(req(10, 10, 10)), Some(10_011));
    // 5 -> 8 with ever 30: linear only (3 pages), no new high water.
    assert_eq!(m.price(req(5, 30, 3)), Some(3000));
}

#[test]
fn evm_worked_example_and_formula() {
    // 3 * 2048 + 2048^2 / 512 = 6144 + 8192.
    assert_eq!(PagePricing::EVM.price(req(0, 0, 1)), Some(14_336));
    let cost = |w: u64| 3 * w + w * w / 512;
    let w = EVM_WORDS_PER_PAGE;
    assert_eq!(PagePricing::EVM.price(req(0, 0, 2)), Some(cost(2 * w)));
    assert_eq!(
        PagePricing::EVM.price(req(1, 1, 1)),
        Some(cost(2 * w) - cost(w))
    );
    assert_eq!(
        PagePricing::EVM.price(req(10, 10, 7)),
        Some(cost(17 * w) - cost(10 * w))
    );
    // Below the high-water mark nothing is charged; above it, only the rest.
    assert_eq!(PagePricing::EVM.price(req(1, 5, 2)), Some(0));
    assert_eq!(
        PagePricing::EVM.price(req(1, 5, 6)),
        Some(cost(7 * w) - cost(5 * w))
    );
    // Divisor 0 and overflow: unpriceable.
    let bad = PagePricing::EvmQuadratic {
        word_gas: 3,
        quad_divisor: 0,
    };
    assert_eq!(bad.price(req(0, 0, 1)), None);
    let huge = PagePricing::EvmQuadratic {
        word_gas: u64::MAX,
        quad_divisor: 1,
    };
    assert_eq!(huge.price(req(0, 0, 1)), None);
}

#[test]
fn flat_near_free_custom() {
    assert_eq!(PagePricing::FREE.price(req(3, 9, 1000)), Some(0));
    let flat = PagePricing::Flat { per_page: 7 };
    assert_eq!(flat.price(req(3, 3, 5)), Some(35));
    assert_eq!(
        PagePricing::Flat { per_page: u64::MAX }.price(req(0, 0, 2)),
        None
    );
    // NEAR preset: base + per_page * delta.
    assert_eq!(PagePricing::NEAR.price(req(0, 0, 1)), Some(822_756 * 2));
    assert_eq!(
        PagePricing::NEAR.price(req(4, 4, 3)),
        Some(822_756 + 3 * 822_756)
    );
    let near = PagePricing::Near {
        base: 100,
        per_page: 5,
    };
    assert_eq!(near.price(req(0, 0, 4)), Some(120));
    assert_eq!(
        PagePricing::Near {
            base: u64::MAX,
            per_page: 1
        }
        .price(req(0, 0, 1)),
        None
    );
    // Zero-page growth is free under every preset.
    for p in [
        PagePricing::FREE,
        PagePricing::EVM,
        PagePricing::STYLUS,
        PagePricing::NEAR,
        flat,
    ] {
        assert_eq!(p.price(req(50, 60, 0)), Some(0));
    }
    fn custom(r: GrowthRequest) -> Option<u64> {
        (r.current_pages < 10).then_some(r.delta_pages as u64 * 2 + r.high_water_pages as u64)
    }
    let c = PagePricing::Custom(custom);
    assert_eq!(c.price(req(3, 4, 5)), Some(14));
    assert_eq!(c.price(req(11, 4, 5)), None);
    assert!(c.runs_user_code());
    assert!(!PagePricing::EVM.runs_user_code());
}

#[test]
fn meter_charges_exactly_and_refuses_without_growing() {
    let mut be = NativePages::new(1, 100);
    let mut m = GrowthMeter::new(Some(30_000));
    // Stylus: 1 -> 3 pages = 1 linear page (1000) + exp(3) - exp(1) = 0.
    assert_eq!(m.grow(&mut be, &PagePricing::STYLUS, None, None, 2), Ok(1));
    assert_eq!(
        (be.pages(), m.charged(), m.remaining()),
        (3, 1000, Some(29_000))
    );
    // 3 -> 40: 37_000 > 29_000 left: refused, nothing changes.
    let e = m
        .grow(&mut be, &PagePricing::STYLUS, None, None, 37)
        .unwrap_err();
    assert_eq!(
        e,
        AllocError::BudgetExhausted {
            price: 37_000 + 221 - 1, // exp(40) - exp(3)
            remaining: 29_000
        }
    );
    assert_eq!((be.pages(), m.charged(), m.pages_grown()), (3, 1000, 2));
    // Memory-pages cap.
    let e = m
        .grow(&mut be, &PagePricing::FREE, Some(5), None, 3)
        .unwrap_err();
    assert_eq!(
        e,
        AllocError::CapExceeded {
            cap: CapKind::MemoryPages,
            limit: 5,
            requested: 6
        }
    );
    assert_eq!(be.pages(), 3);
    // Backend refusal (max 100 pages).
    assert_eq!(
        m.grow(&mut be, &PagePricing::FREE, None, None, 98),
        Err(AllocError::OutOfMemory)
    );
    assert_eq!(be.pages(), 3);
    // Gas hook.
    fn broke() -> i64 {
        -1
    }
    let e = m
        .grow(
            &mut be,
            &PagePricing::Flat { per_page: 1 },
            None,
            Some(broke),
            1,
        )
        .unwrap_err();
    assert_eq!(
        e,
        AllocError::GasHookRefused {
            price: 1,
            gas_left: -1
        }
    );
    assert_eq!(be.pages(), 3);
    assert_eq!(m.high_water_pages(), 3);
}

#[test]
fn runtime_budget_limits_growth() {
    use capheap::{Config, LocalHeap};
    use core::alloc::Layout;
    let cfg = Config::DEFAULT.pricing(PagePricing::Flat { per_page: 10 });
    let mut h = LocalHeap::new(NativePages::new(0, 64), cfg);
    let page = Layout::from_size_align(60_000, 8).unwrap();
    // Budget for exactly two pages.
    h.set_growth_budget(Some(20));
    let a = h.try_alloc(page).unwrap();
    let b = h.try_alloc(page).unwrap();
    assert_eq!(h.growth_budget(), Some(0));
    assert_eq!(
        h.try_alloc(page),
        Err(AllocError::BudgetExhausted {
            price: 10,
            remaining: 0
        })
    );
    assert_eq!(h.stats().pages_grown, 2);
    // Raised at run time: growth goes through again, and is charged.
    h.set_growth_budget(Some(15));
    let c = h.try_alloc(page).unwrap();
    assert_eq!(h.growth_budget(), Some(5));
    assert_eq!(h.stats().growth_price_charged, 30);
    // SAFETY: `a`, `b` and `c` are live in `h` with `page`, each freed once and not used again.
    unsafe {
        for p in [a, b, c] {
            h.dealloc(p.as_ptr(), page);
        }
    }
}

fn any_pricing() -> impl proptest::strategy::Strategy<Value = PagePricing> {
    use proptest::prelude::*;
    prop_oneof![
        Just(PagePricing::Free),
        any::<u64>().prop_map(|per_page| PagePricing::Flat { per_page }),
        (any::<u64>(), 1u64..).prop_map(|(word_gas, quad_divisor)| PagePricing::EvmQuadratic {
            word_gas,
            quad_divisor
        }),
        (any::<u32>(), any::<u64>()).prop_map(|(free_pages, page_gas)| PagePricing::Stylus {
            free_pages,
            page_gas
        }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(base, per_page)| PagePricing::Near { base, per_page }),
        Just(PagePricing::EVM),
        Just(PagePricing::STYLUS),
        Just(PagePricing::NEAR),
    ]
}

proptest::proptest! {
    /// The text form round-trips for every model but `Custom`.
    #[test]
    fn pricing_text_round_trips(p in any_pricing()) {
        let text = p.to_string();
        proptest::prop_assert_eq!(text.parse::<PagePricing>(), Ok(p), "{}", text);
    }
}

#[test]
fn pricing_text_errors_say_what_is_wrong() {
    use capheap::ParsePricingError as E;
    let cases: [(&str, E); 7] = [
        ("gold", E::UnknownModel),
        ("", E::UnknownModel),
        (
            "flat",
            E::Arity {
                model: "flat",
                expected: 1,
                got: 0,
            },
        ),
        (
            "near:1",
            E::Arity {
                model: "near",
                expected: 2,
                got: 1,
            },
        ),
        ("evm:3:0", E::ZeroDivisor),
        ("flat:1x", E::NotANumber),
        ("stylus:4294967296:1", E::NotANumber),
    ];
    for (spec, err) in cases {
        assert_eq!(spec.parse::<PagePricing>(), Err(err), "{spec}");
    }
    assert_eq!(
        "flat:18_446_744_073_709_551_615".parse(),
        Ok(PagePricing::Flat { per_page: u64::MAX })
    );
    assert_eq!(
        "flat:18446744073709551616".parse::<PagePricing>(),
        Err(E::NotANumber)
    );
    assert_eq!(PagePricing::Custom(|_| None).to_string(), "custom");
    assert!("custom".parse::<PagePricing>().is_err());
}
