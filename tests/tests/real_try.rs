use capheap_sim::{Abi, Allocator, CallEnv, Simulator, calldata};
use capheap_tests::real::build_real;

#[test]
fn try_stylus() {
    for alloc in [Allocator::Default, Allocator::Capheap] {
        let built = build_real("oz-erc20", alloc);
        let sim = Simulator::builder().chain_defaults(Abi::Stylus).build().unwrap();
        let contract = sim.load(&built.wasm).unwrap();
        assert_eq!(contract.abi(), Abi::Stylus);
        let mut inst = contract.instantiate().unwrap();
        let alice = "0x00000000000000000000000000000000000000a1";
        let bob = "0x00000000000000000000000000000000000000b0";
        let mint = calldata::encode_call("mint(address,uint256)", &[alice, "1000"]).unwrap();
        let o = inst.execute("user_entrypoint", &mint);
        println!("{alloc} mint: {:?} fuel {:?} growth {:?}", o.error, o.fuel, o.growth);
        inst.set_call_env(CallEnv { sender: Some(alice.into()), ..CallEnv::default() });
        let t = calldata::encode_call("transfer(address,uint256)", &[bob, "100"]).unwrap();
        let o = inst.execute("user_entrypoint", &t);
        println!("{alloc} transfer: {:?} fuel {:?} chain {:?}", o.error, o.fuel, o.chain);
        let q = calldata::encode_call("balanceOf(address)", &[bob]).unwrap();
        let o = inst.execute("user_entrypoint", &q);
        println!("{alloc} balance: {:?} {:?}", o.error, calldata::decode_returns("uint256", &o.output));
    }
}

#[test]
fn try_cosmwasm() {
    for alloc in [Allocator::Default, Allocator::Capheap] {
        let built = build_real("cw20-base", alloc);
        let sim = Simulator::builder().build().unwrap();
        let contract = sim.load(&built.wasm).unwrap();
        assert_eq!(contract.abi(), Abi::CosmWasm);
        let env = sim.cosmwasm_env();
        let alice = env.address("alice").unwrap();
        let bob = env.address("bob").unwrap();
        let mut inst = contract.instantiate().unwrap();
        let msg = format!(r#"{{"name":"Token","symbol":"TOK","decimals":6,"initial_balances":[{{"address":"{alice}","amount":"1000"}}]}}"#);
        let o = inst.execute("instantiate", msg.as_bytes());
        println!("{alloc} inst: {:?} fuel {:?} pages {} {}", o.error, o.fuel, o.pages_before, o.pages_after);
        inst.set_call_env(CallEnv { sender: Some(alice.clone()), ..CallEnv::default() });
        let msg = format!(r#"{{"transfer":{{"recipient":"{bob}","amount":"100"}}}}"#);
        let o = inst.execute("execute", msg.as_bytes());
        println!("{alloc} transfer: {:?} fuel {:?} chain {:?}", o.error, o.fuel, o.chain);
        let msg = format!(r#"{{"balance":{{"address":"{bob}"}}}}"#);
        let o = inst.execute("query", msg.as_bytes());
        println!("{alloc} query: {:?} {}", o.error, String::from_utf8_lossy(&o.output));
    }
}
