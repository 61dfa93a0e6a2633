//! capheap's gas hook in wasm: with the chain's page price configured on both
//! sides, the contract refuses growth the call cannot pay for and gets an
//! error value, where a contract without the hook traps out of gas.

use capheap::{GrowthRequest, PagePricing};
use capheap_sim::{GrowthResult, SimError, Simulator};
use capheap_tests::load_with;

/// The contract's pricing (`gas-aware`'s `PRICING`).
const PRICING: PagePricing = PagePricing::STYLUS;

fn simulator(fuel: u64) -> Simulator {
    Simulator::builder()
        .pricing(PRICING)
        .fuel_limit(fuel)
        .build()
        .unwrap()
}

fn reserve(
    instance: &mut capheap_sim::Instance,
    bytes: u32,
) -> Result<capheap_sim::CallOutcome, SimError> {
    instance.call("reserve", &bytes.to_le_bytes())
}

#[test]
fn growth_the_call_can_pay_for_succeeds_and_is_charged_exactly() {
    let contract = load_with("gas-aware", &simulator(10_000_000));
    let mut instance = contract.instantiate().unwrap();
    let pages = instance.pages();
    // 3 pages' worth: beyond what the initial memory above the heap base holds.
    let out = reserve(&mut instance, 3 * 65_536).unwrap();
    assert_eq!(out.returned, Some(0));
    let grown = instance.pages() - pages;
    assert!(grown >= 3, "grew {grown}");
    // Priced in steps as the heap grows, each step from the pages open then:
    // the sum of the steps' prices is what both sides charge.
    let grown_events = out
        .growth
        .iter()
        .filter(|g| g.result == GrowthResult::Grown);
    let expected: u64 = grown_events
        .clone()
        .map(|g| {
            PRICING
                .price(GrowthRequest {
                    current_pages: g.current_pages,
                    high_water_pages: g.high_water_pages,
                    delta_pages: g.delta_pages,
                })
                .unwrap()
        })
        .sum();
    assert_eq!(
        grown_events.map(|g| g.delta_pages).sum::<u32>(),
        grown,
        "every page grown is a growth event"
    );
    assert_eq!(out.fuel.growth, expected);
    assert!(expected >= 3 * 1000, "Stylus: at least page_gas per page");
    let stats = out.stats.unwrap();
    assert_eq!(
        stats.growth_price_charged, expected,
        "SDK and simulator agree on the price"
    );
}

#[test]
fn growth_it_cannot_pay_for_is_refused_as_a_value_not_a_trap() {
    // 20,000 fuel cannot pay for 32 pages under Stylus (about 32,700).
    let contract = load_with("gas-aware", &simulator(20_000));
    let mut instance = contract.instantiate().unwrap();
    let pages = instance.pages();
    let out = reserve(&mut instance, 2 << 20).expect("refused growth must not trap");
    assert_eq!(out.returned, Some(3), "GasHookRefused");
    assert_eq!(instance.pages(), pages, "nothing grown");
    assert_eq!(out.fuel.growth, 0);
    assert_eq!(out.stats.unwrap().failed_gas_hook, 1);
    // The contract keeps working for what it can afford.
    assert_eq!(reserve(&mut instance, 1024).unwrap().returned, Some(0));
}

#[test]
fn without_the_hook_the_same_shortfall_traps() {
    // hello has no gas hook: its 2 MiB input placement must grow memory the
    // call cannot pay for, and the simulator ends the call out of fuel.
    let contract = load_with("hello", &simulator(1_000_000));
    let mut instance = contract.instantiate().unwrap();
    let err = instance.call("reverse", &vec![0u8; 2 << 20]).unwrap_err();
    assert!(err.is_out_of_fuel(), "{err}");
}
