//! Fuel per page grown equals the schedule exactly, for every preset, and
//! Stylus's / EVM's high-water-mark rules hold across calls.

use capheap_sim::{
    GrowthRequest, GrowthResult, HostCosts, Isolation, PagePricing, Scenario, ScenarioCall,
    Simulator,
};

const GROWER: &str = r#"(module
  (import "capheap" "gas_left" (func $gas_left (result i64)))
  (memory (export "memory") 1)
  (func (export "grow0") (result i32) (memory.grow (i32.const 0)))
  (func (export "grow1") (result i32) (memory.grow (i32.const 1)))
  (func (export "grow3") (result i32) (memory.grow (i32.const 3)))
  (func (export "grow20") (result i32) (memory.grow (i32.const 20)))
  (func (export "grow_twice") (result i32)
    (drop (memory.grow (i32.const 2)))
    (memory.grow (i32.const 5)))
  (func (export "gas") (result i32) (i32.wrap_i64 (call $gas_left)))
  (func (export "nothing")))"#;

fn sim(pricing: PagePricing) -> Simulator {
    Simulator::builder()
        .pricing(pricing)
        .host_costs(HostCosts {
            base: 0,
            per_byte: 0,
        })
        .build()
        .unwrap()
}

fn growth_fuel(pricing: PagePricing, export: &str) -> u64 {
    let contract = sim(pricing).load(&wat::parse_str(GROWER).unwrap()).unwrap();
    let outcome = contract.instantiate().unwrap().call(export, &[]).unwrap();
    assert_eq!(
        outcome.fuel.total,
        outcome.fuel.execution + outcome.fuel.growth
    );
    outcome.fuel.growth
}

/// Execution fuel does not depend on the schedule: only the growth line moves.
#[test]
fn execution_fuel_is_independent_of_pricing() {
    let wasm = wat::parse_str(GROWER).unwrap();
    let free = sim(PagePricing::FREE).load(&wasm).unwrap();
    let flat = sim(PagePricing::Flat { per_page: 7 }).load(&wasm).unwrap();
    let a = free.instantiate().unwrap().call("grow3", &[]).unwrap();
    let b = flat.instantiate().unwrap().call("grow3", &[]).unwrap();
    assert_eq!(a.fuel.execution, b.fuel.execution);
    assert_eq!((a.fuel.growth, b.fuel.growth), (0, 21));
    assert_eq!(b.fuel.total, a.fuel.total + 21);
}

#[test]
fn free_and_flat() {
    assert_eq!(growth_fuel(PagePricing::FREE, "grow3"), 0);
    assert_eq!(growth_fuel(PagePricing::Flat { per_page: 7 }, "grow1"), 7);
    assert_eq!(growth_fuel(PagePricing::Flat { per_page: 7 }, "grow3"), 21);
    // Two growths in one call: 2 + 5 pages.
    assert_eq!(
        growth_fuel(PagePricing::Flat { per_page: 7 }, "grow_twice"),
        49
    );
}

#[test]
fn evm_quadratic() {
    // 1 -> 2 pages = 2048 -> 4096 words; C(w) = 3w + w^2/512.
    let cost = |w: u64| 3 * w + w * w / 512;
    assert_eq!(
        growth_fuel(PagePricing::EVM, "grow1"),
        cost(4096) - cost(2048)
    );
    assert_eq!(
        growth_fuel(PagePricing::EVM, "grow3"),
        cost(8192) - cost(2048)
    );
}

#[test]
fn near_base_plus_per_page() {
    assert_eq!(
        growth_fuel(PagePricing::NEAR, "grow3"),
        822_756 + 3 * 822_756
    );
    assert_eq!(
        growth_fuel(
            PagePricing::Near {
                base: 10,
                per_page: 3
            },
            "grow_twice"
        ),
        (10 + 2 * 3) + (10 + 5 * 3)
    );
}

#[test]
fn stylus_preset() {
    // From 1 page: 1 -> 2 stays within the 2 free pages.
    assert_eq!(growth_fuel(PagePricing::STYLUS, "grow1"), 0);
    // 1 -> 4: pages 3 and 4 are beyond the free pages; exp(4) - exp(1) = 0.
    assert_eq!(growth_fuel(PagePricing::STYLUS, "grow3"), 2 * 1000);
    // 1 -> 21: 19 paid pages plus the exponential ramp exp(21) - exp(1) = 17 - 1.
    assert_eq!(growth_fuel(PagePricing::STYLUS, "grow20"), 19 * 1000 + 16);
}

fn custom_price(req: GrowthRequest) -> Option<u64> {
    Some(u64::from(req.delta_pages) * 1000 + u64::from(req.current_pages))
}

#[test]
fn custom_function() {
    assert_eq!(
        growth_fuel(PagePricing::Custom(custom_price), "grow3"),
        3001
    );
}

#[test]
fn growth_by_zero_pages_is_a_free_size_query() {
    let contract = sim(PagePricing::Flat { per_page: 7 })
        .load(&wat::parse_str(GROWER).unwrap())
        .unwrap();
    let outcome = contract.instantiate().unwrap().call("grow0", &[]).unwrap();
    assert_eq!(outcome.returned, Some(1));
    assert_eq!(outcome.fuel.growth, 0);
    assert!(outcome.growth.is_empty());
}

#[test]
fn growth_events_record_price_and_high_water() {
    let contract = sim(PagePricing::Flat { per_page: 7 })
        .load(&wat::parse_str(GROWER).unwrap())
        .unwrap();
    let outcome = contract
        .instantiate()
        .unwrap()
        .call("grow_twice", &[])
        .unwrap();
    let events: Vec<_> = outcome
        .growth
        .iter()
        .map(|g| {
            (
                g.current_pages,
                g.delta_pages,
                g.high_water_pages,
                g.price,
                g.result,
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (1, 2, 1, Some(14), GrowthResult::Grown),
            (3, 5, 3, Some(35), GrowthResult::Grown)
        ]
    );
    assert_eq!(
        (
            outcome.pages_before,
            outcome.pages_after,
            outcome.peak_pages
        ),
        (1, 8, 8)
    );
    assert_eq!(outcome.high_water_pages, 8);
    assert_eq!(outcome.growth_pages(), 7);
}

/// The pricing high-water mark persists across the calls of a scenario even
/// when each call gets a fresh instance (memory back to 1 page), as across
/// the transactions of a chain: Stylus stops charging the exponential ramp
/// and EVM charges nothing for pages already paid for.
#[test]
fn high_water_mark_persists_across_fresh_calls() {
    let scenario = Scenario::new()
        .isolation(Isolation::FreshPerCall)
        .call(ScenarioCall::new("grow20", []).repeat(2));
    let run = |pricing| {
        let contract = sim(pricing).load(&wat::parse_str(GROWER).unwrap()).unwrap();
        let run = contract.run_scenario(&scenario, 0).unwrap();
        run.calls
            .iter()
            .map(|c| {
                let o = &c.outcome;
                assert!(o.is_ok(), "{:?}", o.error);
                (
                    o.pages_before,
                    o.pages_after,
                    o.high_water_pages,
                    o.fuel.growth,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run(PagePricing::STYLUS),
        [(1, 21, 21, 19 * 1000 + 16), (1, 21, 21, 19 * 1000)]
    );
    let cost = |w: u64| 3 * w + w * w / 512;
    assert_eq!(
        run(PagePricing::EVM),
        [(1, 21, 21, cost(21 * 2048) - cost(2048)), (1, 21, 21, 0)]
    );
    // Flat pricing has no memory of the past: both calls pay.
    assert_eq!(
        run(PagePricing::Flat { per_page: 7 }),
        [(1, 21, 21, 140), (1, 21, 21, 140)]
    );
}

/// On one persistent instance the high-water mark is the current size, so
/// Stylus charges every page beyond the free ones exactly once.
#[test]
fn stylus_across_persistent_calls() {
    let contract = sim(PagePricing::STYLUS)
        .load(&wat::parse_str(GROWER).unwrap())
        .unwrap();
    let mut instance = contract.instantiate().unwrap();
    let fuel: Vec<u64> = ["grow1", "grow1", "grow3", "nothing"]
        .iter()
        .map(|e| instance.call(e, &[]).unwrap().fuel.growth)
        .collect();
    // 1->2 free; 2->3: one page; 3->6: three pages, exp(6) - exp(3) = 1.
    assert_eq!(fuel, [0, 1000, 3001, 0]);
    assert_eq!(instance.high_water_pages(), 6);
}

/// `capheap.gas_left` reports the fuel left, which the SDK compares with a
/// growth's price before growing.
#[test]
fn gas_left_reports_fuel_left() {
    let contract = Simulator::builder()
        .host_costs(HostCosts {
            base: 100,
            per_byte: 1,
        })
        .build()
        .unwrap()
        .load(&wat::parse_str(GROWER).unwrap())
        .unwrap();
    let mut instance = contract.instantiate().unwrap();
    instance.set_fuel_limit(1_000_000).unwrap();
    let outcome = instance.call("gas", &[]).unwrap();
    let left = outcome.returned.unwrap() as u64;
    assert_eq!(outcome.fuel.host, 100);
    // Everything charged up to the read is gone; what follows is a few
    // instructions of execution.
    assert!(left <= 1_000_000 - 100 && left > 1_000_000 - 200, "{left}");
    assert!(left >= 1_000_000 - outcome.fuel.total);
}
