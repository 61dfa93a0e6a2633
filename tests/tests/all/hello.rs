//! `contracts/hello` built to wasm and run in the simulator.

use capheap_tests::load;

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[test]
fn reverse_returns_the_reversed_input() {
    let contract = load("hello");
    let mut instance = contract.instantiate().unwrap();
    let outcome = instance.call("reverse", b"capheap").unwrap();
    assert_eq!(outcome.output, b"paehpac");
    assert!(outcome.fuel.total > 0);
    assert!(outcome.pages_after >= outcome.pages_before);
}

#[test]
fn checksum_matches_adler32() {
    let contract = load("hello");
    let input: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let outcome = contract
        .instantiate()
        .unwrap()
        .call("checksum", &input)
        .unwrap();
    assert_eq!(outcome.output, adler32(&input).to_le_bytes());
}

#[test]
fn fuel_is_identical_across_fresh_instances() {
    let contract = load("hello");
    let input = b"the same input, twice";
    let first = contract
        .instantiate()
        .unwrap()
        .call("reverse", input)
        .unwrap();
    let second = contract
        .instantiate()
        .unwrap()
        .call("reverse", input)
        .unwrap();
    assert_eq!(first, second, "outcome, fuel and pages must replay exactly");
    // Fuel depends on the input: a longer input costs more, so the figure is real.
    let longer = contract
        .instantiate()
        .unwrap()
        .call("reverse", &[7u8; 4096])
        .unwrap();
    assert!(longer.fuel.total > first.fuel.total);
}

#[test]
fn out_of_fuel_is_a_typed_error() {
    let contract = load("hello");
    let mut instance = contract.instantiate().unwrap();
    instance.set_fuel_limit(50).unwrap();
    let err = instance.call("reverse", &[1u8; 1000]).unwrap_err();
    assert!(
        matches!(err, capheap_sim::SimError::OutOfFuel { limit: 50 }),
        "{err}"
    );
}
