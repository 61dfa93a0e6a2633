//! capheap's gas hook in wasm: with the chain's page price configured on both
//! sides, the contract refuses growth the call cannot pay for and gets an
//! error value, where a contract without the hook traps out of gas.

use capheap::PagePricing;
use capheap_sim::{SimError, Simulator};
use capheap_tests::load_with;

const PAGE_PRICE: u64 = 100_000;

fn simulator(fuel: u64) -> Simulator {
    Simulator::builder()
        .pricing(PagePricing::Flat {
            per_page: PAGE_PRICE,
        })
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
    assert_eq!(out.fuel.growth, u64::from(grown) * PAGE_PRICE);
    let stats = out.stats.unwrap();
    assert_eq!(
        stats.growth_price_charged,
        u64::from(grown) * PAGE_PRICE,
        "SDK and simulator agree on the price"
    );
}

#[test]
fn growth_it_cannot_pay_for_is_refused_as_a_value_not_a_trap() {
    // 1,000,000 fuel cannot pay for 32 pages at 100,000 each.
    let contract = load_with("gas-aware", &simulator(1_000_000));
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
