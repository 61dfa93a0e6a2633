//! Real ecosystem contracts, built from crates.io (cw20-base 2.0.0 on
//! cosmwasm-std 2.3, OpenZeppelin's Stylus ERC-20 on stylus-sdk 0.9), each on
//! its default allocator and on capheap through the pipeline's allocator
//! swap, run in the simulator: real balances after transfers, rollback of
//! refused calls, determinism across replays, and exact Stylus memory prices.

use capheap::meter::{GrowthRequest, PagePricing};
use capheap_sim::report::compare::compare;
use capheap_sim::{
    Abi, Allocator, CallEnv, ChainOutcome, Contract, GrowthResult, ReplayOptions, Scenario,
    ScenarioCall, Simulator, calldata,
};
use capheap_tests::real::build_real;

const ALLOCATORS: [Allocator; 3] = [
    Allocator::Default,
    Allocator::Capheap,
    Allocator::CapheapMini,
];

fn load(name: &str, allocator: Allocator, sim: &Simulator) -> (Vec<u8>, Contract) {
    let built = build_real(name, allocator);
    let contract = sim
        .load(&built.wasm)
        .unwrap_or_else(|e| panic!("{name} on {allocator}: {e}"));
    (built.wasm, contract)
}

// ---- CosmWasm: cw20-base ----

fn cw20_scenario(sim: &Simulator) -> (Scenario, String, String) {
    let env = sim.cosmwasm_env();
    let (alice, bob) = (env.address("alice").unwrap(), env.address("bob").unwrap());
    let as_alice = CallEnv {
        sender: Some(alice.clone()),
        ..CallEnv::default()
    };
    let instantiate = format!(
        r#"{{"name":"Capheap Token","symbol":"CAPH","decimals":6,
            "initial_balances":[{{"address":"{alice}","amount":"1000000"}}],
            "mint":{{"minter":"{alice}"}}}}"#
    );
    let transfer = format!(r#"{{"transfer":{{"recipient":"{bob}","amount":"100"}}}}"#);
    let scenario = Scenario::new()
        .call(ScenarioCall::new("instantiate", instantiate.into_bytes()).env(as_alice.clone()))
        .call(
            ScenarioCall::new(
                "execute",
                format!(r#"{{"mint":{{"recipient":"{bob}","amount":"500"}}}}"#).into_bytes(),
            )
            .env(as_alice.clone()),
        )
        .call(
            ScenarioCall::new("execute", transfer.into_bytes())
                .env(as_alice)
                .repeat(10),
        )
        .call(ScenarioCall::new(
            "query",
            format!(r#"{{"balance":{{"address":"{bob}"}}}}"#).into_bytes(),
        ))
        .call(ScenarioCall::new(
            "query",
            format!(r#"{{"balance":{{"address":"{alice}"}}}}"#).into_bytes(),
        ))
        .call(
            ScenarioCall::new(
                "execute",
                format!(r#"{{"transfer":{{"recipient":"{alice}","amount":"999999"}}}}"#)
                    .into_bytes(),
            )
            .env(CallEnv {
                sender: Some(bob.clone()),
                ..CallEnv::default()
            }),
        )
        .call(ScenarioCall::new("query", br#"{"token_info":{}}"#.to_vec()));
    (scenario, alice, bob)
}

#[test]
fn cw20_base_transfers_on_every_allocator() {
    let sim = Simulator::new();
    for allocator in ALLOCATORS {
        let (_, contract) = load("cw20-base", allocator, &sim);
        assert_eq!(contract.abi(), Abi::CosmWasm, "{}", contract.abi_reason());
        let (scenario, alice, bob) = cw20_scenario(&sim);
        let run = contract.run_scenario(&scenario, 0).unwrap();
        let out = |i: usize| String::from_utf8(run.calls[i].outcome.output.clone()).unwrap();
        for (i, c) in run.calls.iter().enumerate().take(14) {
            assert_eq!(c.outcome.error, None, "{allocator}: call {i}");
        }
        assert_eq!(out(12), r#"{"balance":"1500"}"#, "{allocator}: bob");
        assert_eq!(out(13), r#"{"balance":"999000"}"#, "{allocator}: alice");
        let Some(ChainOutcome::CosmWasm { response }) = &run.calls[2].outcome.chain else {
            panic!("{allocator}: no response");
        };
        assert_eq!(
            response.attributes,
            [
                ("action".to_owned(), "transfer".to_owned()),
                ("from".to_owned(), alice.clone()),
                ("to".to_owned(), bob.clone()),
                ("amount".to_owned(), "100".to_owned()),
            ]
        );
        // Bob's overdraft is refused and leaves no trace.
        let refused = &run.calls[14].outcome;
        assert_eq!(
            refused.error.as_ref().map(|e| e.kind()),
            Some("contract-error")
        );
        assert!(
            refused
                .error
                .as_ref()
                .unwrap()
                .to_string()
                .contains("Overflow"),
            "{:?}",
            refused.error
        );
        assert_eq!(refused.storage_root, run.calls[13].outcome.storage_root);
        assert_eq!(
            out(15),
            r#"{"name":"Capheap Token","symbol":"CAPH","decimals":6,"total_supply":"1000500"}"#
        );
        let report = contract
            .replay(&scenario, &ReplayOptions::default())
            .unwrap();
        assert!(
            report.deterministic,
            "{allocator}: {:?}",
            report.divergences
        );
    }
}

#[test]
fn cw20_base_costs_less_on_capheap() {
    let sim = Simulator::new();
    let (scenario, _, _) = cw20_scenario(&sim);
    let (wasm_a, a) = load("cw20-base", Allocator::Default, &sim);
    let (wasm_b, b) = load("cw20-base", Allocator::Capheap, &sim);
    let report = compare(
        &scenario,
        ("default", &a, &wasm_a),
        ("capheap", &b, &wasm_b),
    )
    .unwrap();
    assert!(
        report.calls.iter().all(|c| c.same_output),
        "the builds disagree"
    );
    // Every successful call: less fuel on capheap, and never more pages.
    for c in report.calls.iter().filter(|c| c.ok.0) {
        assert!(
            c.fuel.1 < c.fuel.0,
            "call {} ({}): {:?}",
            c.index,
            c.export,
            c.fuel
        );
        assert!(
            c.pages.1 <= c.pages.0,
            "call {}: pages {:?}",
            c.index,
            c.pages
        );
    }
    assert!(
        report.b.peak_pages < report.a.peak_pages,
        "{:?} vs {:?}",
        report.a,
        report.b
    );
}

// ---- Stylus: OpenZeppelin's ERC-20 ----

const ALICE: &str = "0x00000000000000000000000000000000000000a1";
const BOB: &str = "0x00000000000000000000000000000000000000b0";

fn call(sig: &str, args: &[&str], sender: Option<&str>) -> ScenarioCall {
    ScenarioCall::new("user_entrypoint", calldata::encode_call(sig, args).unwrap()).env(CallEnv {
        sender: sender.map(str::to_owned),
        ..CallEnv::default()
    })
}

fn erc20_scenario() -> Scenario {
    Scenario::new()
        .call(call("mint(address,uint256)", &[ALICE, "1000000"], None))
        .call(call("transfer(address,uint256)", &[BOB, "100"], Some(ALICE)).repeat(10))
        .call(call("balanceOf(address)", &[BOB], None))
        .call(call("balanceOf(address)", &[ALICE], None))
        .call(call(
            "transfer(address,uint256)",
            &[ALICE, "5000"],
            Some(BOB),
        ))
        .call(call("totalSupply()", &[], None))
}

#[test]
fn oz_erc20_transfers_on_every_allocator() {
    let sim = Simulator::builder()
        .chain_defaults(Abi::Stylus)
        .build()
        .unwrap();
    let transfer_topic = capheap_sim::hex::decode(TRANSFER_TOPIC).unwrap();
    let mut sizes = Vec::new();
    for allocator in ALLOCATORS {
        let (wasm, contract) = load("oz-erc20", allocator, &sim);
        sizes.push(wasm.len());
        assert_eq!(contract.abi(), Abi::Stylus);
        let scenario = erc20_scenario();
        let run = contract.run_scenario(&scenario, 0).unwrap();
        let value =
            |i: usize| calldata::decode_returns("uint256", &run.calls[i].outcome.output).unwrap();
        for (i, c) in run.calls.iter().enumerate().take(13) {
            assert_eq!(c.outcome.error, None, "{allocator}: call {i}");
        }
        assert_eq!(
            calldata::decode_returns("bool", &run.calls[1].outcome.output).unwrap(),
            ["true"]
        );
        assert_eq!(value(11), ["1000"], "{allocator}: bob");
        assert_eq!(value(12), ["999000"], "{allocator}: alice");
        let Some(ChainOutcome::Stylus { status: 0, logs }) = &run.calls[1].outcome.chain else {
            panic!("{allocator}: {:?}", run.calls[1].outcome.chain);
        };
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].topics[0].as_slice(), transfer_topic);
        assert_eq!(logs[0].data[31], 100);
        let reverted = &run.calls[13].outcome;
        assert_eq!(reverted.error.as_ref().map(|e| e.kind()), Some("reverted"));
        assert_eq!(reverted.storage_root, run.calls[12].outcome.storage_root);
        assert_eq!(value(14), ["1000000"]);
        let report = contract
            .replay(&scenario, &ReplayOptions::default())
            .unwrap();
        assert!(
            report.deterministic,
            "{allocator}: {:?}",
            report.divergences
        );
    }
    // The minimal heap is the smaller capheap, which is what it is for.
    assert!(
        sizes[2] < sizes[1],
        "capheap-mini {} B, capheap {} B",
        sizes[2],
        sizes[1]
    );
}

/// `keccak256("Transfer(address,address,uint256)")`: the ERC-20 `Transfer`
/// event's topic, a well-known constant.
const TRANSFER_TOPIC: &str = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

#[test]
fn oz_erc20_memory_is_priced_with_the_stylus_model_exactly() {
    let sim = Simulator::builder()
        .chain_defaults(Abi::Stylus)
        .build()
        .unwrap();
    for allocator in ALLOCATORS {
        let (_, contract) = load("oz-erc20", allocator, &sim);
        let mut instance = contract.instantiate().unwrap();
        let initial = instance.pages();
        // 300 KB of calldata: reading it grows memory past the initial pages.
        let mut big = calldata::encode_call("balanceOf(address)", &[BOB]).unwrap();
        big.resize(300_000, 0);
        let outcome = instance.execute("user_entrypoint", &big);
        let entry = &outcome.growth[0];
        assert_eq!(entry.result, GrowthResult::EntryCharge);
        assert_eq!(entry.delta_pages, initial);
        let mut expected = 0;
        for g in &outcome.growth {
            let price = PagePricing::STYLUS
                .price(GrowthRequest {
                    current_pages: g.current_pages,
                    high_water_pages: g.high_water_pages,
                    delta_pages: g.delta_pages,
                })
                .unwrap();
            assert_eq!(g.price, Some(price), "{allocator}: {g:?}");
            expected += price;
        }
        assert!(
            outcome.growth_pages() >= 4,
            "{allocator}: {:?}",
            outcome.growth
        );
        assert_eq!(outcome.fuel.growth, expected, "{allocator}");
        // The high-water mark starts at the initial pages each call: the
        // first growth is priced from there.
        let first = outcome
            .growth
            .iter()
            .find(|g| g.result == GrowthResult::Grown)
            .unwrap();
        assert_eq!(first.current_pages, initial);
    }
}
