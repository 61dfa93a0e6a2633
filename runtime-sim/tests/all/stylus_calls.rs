//! Stylus calls to other contracts answered from configuration
//! (`[[stylus.contract_call]]`), their return data, and other accounts' code
//! (`[stylus.code]`), on a hand-written module that forwards its calldata.

use alloy_primitives::{Address, keccak256};
use capheap_sim::host::stylus::ContractCall;
use capheap_sim::scenario_file::ScenarioFile;
use capheap_sim::{Abi, SimError, Simulator, StylusEnv, calldata};

/// The contract every module calls.
const TOKEN: Address = Address::repeat_byte(0x70);

/// A Stylus module whose entry point forwards its calldata to [`TOKEN`]
/// with `hook` (`call_contract`, `static_call_contract` or
/// `delegate_call_contract`), copies the return data from `offset` with
/// `read_return_data`, makes that its own result, and returns the call's
/// status (so a reverted call reverts this one with the same data). Its
/// address bytes sit at 0x100, its value (32 zero bytes) at 0x140, the
/// calldata at 0x200, the return data's length at 0x300, the return data at
/// 0x400; `return_data_size` is kept at 0x304.
fn forwarder(hook: &str, offset: u32) -> Vec<u8> {
    let (params, value) = if hook == "call_contract" {
        ("i32 i32 i32 i32 i64 i32", "(i32.const 0x140)")
    } else {
        ("i32 i32 i32 i64 i32", "")
    };
    let token = TOKEN
        .as_slice()
        .iter()
        .map(|b| format!("\\{b:02x}"))
        .collect::<String>();
    wat::parse_str(format!(
        r#"(module
          (import "vm_hooks" "read_args" (func $read_args (param i32)))
          (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
          (import "vm_hooks" "{hook}" (func $call (param {params}) (result i32)))
          (import "vm_hooks" "read_return_data" (func $read_return_data (param i32 i32 i32) (result i32)))
          (import "vm_hooks" "return_data_size" (func $return_data_size (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0x100) "{token}")
          (func (export "user_entrypoint") (param $len i32) (result i32)
            (local $status i32)
            (call $read_args (i32.const 0x200))
            (local.set $status
              (call $call (i32.const 0x100) (i32.const 0x200) (local.get $len) {value}
                (i64.const 1000000) (i32.const 0x300)))
            (i32.store (i32.const 0x304) (call $return_data_size))
            (call $write_result (i32.const 0x400)
              (call $read_return_data (i32.const 0x400) (i32.const {offset}) (i32.const 0x1000)))
            (local.get $status)))"#
    ))
    .expect("valid wat")
}

fn sim(calls: Vec<ContractCall>) -> Simulator {
    Simulator::builder()
        .chain_defaults(Abi::Stylus)
        .stylus_env(StylusEnv {
            contract_calls: calls,
            ..StylusEnv::default()
        })
        .build()
        .unwrap()
}

fn answer(calldata: &[u8], output: &[u8], reverts: bool) -> ContractCall {
    ContractCall {
        to: TOKEN,
        calldata: calldata.to_vec(),
        output: output.to_vec(),
        reverts,
    }
}

fn balance_of() -> Vec<u8> {
    calldata::encode_call(
        "balanceOf(address)",
        &["0x00000000000000000000000000000000000000a1"],
    )
    .unwrap()
}

#[test]
fn a_configured_call_returns_its_output_through_the_return_data_hooks() {
    let output = calldata::encode_values("uint256", &["1000"]).unwrap();
    for hook in [
        "call_contract",
        "static_call_contract",
        "delegate_call_contract",
    ] {
        let sim = sim(vec![
            answer(b"other", b"not this one", false),
            answer(&balance_of(), &output, false),
        ]);
        let mut instance = sim
            .load(&forwarder(hook, 0))
            .unwrap()
            .instantiate()
            .unwrap();
        let outcome = instance.execute("user_entrypoint", &balance_of());
        assert_eq!(outcome.error, None, "{hook}");
        assert_eq!(outcome.output, output, "{hook}");
        assert_eq!(
            calldata::decode_returns("uint256", &outcome.output).unwrap(),
            ["1000"]
        );
        // The length the hook wrote and what `return_data_size` said.
        let memory = instance.memory();
        assert_eq!(memory[0x300..0x304], 32u32.to_le_bytes(), "{hook}");
        assert_eq!(memory[0x304..0x308], 32u32.to_le_bytes(), "{hook}");
    }
}

#[test]
fn read_return_data_copies_only_what_there_is() {
    let sim = sim(vec![answer(b"\x01", b"abcdef", false)]);
    for (offset, copied) in [(0, &b"abcdef"[..]), (2, b"cdef"), (6, b""), (1000, b"")] {
        let mut instance = sim
            .load(&forwarder("call_contract", offset))
            .unwrap()
            .instantiate()
            .unwrap();
        let outcome = instance.execute("user_entrypoint", b"\x01");
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.output, copied, "offset {offset}");
    }
}

#[test]
fn a_configured_revert_reverts_the_caller_with_its_data() {
    let revert = calldata::encode_call("Error(string)", &["insufficient balance"]).unwrap();
    let sim = sim(vec![answer(&balance_of(), &revert, true)]);
    let mut instance = sim
        .load(&forwarder("call_contract", 0))
        .unwrap()
        .instantiate()
        .unwrap();
    let outcome = instance.execute("user_entrypoint", &balance_of());
    assert_eq!(outcome.error, Some(SimError::Reverted { data: revert }));
}

#[test]
fn a_call_nobody_configured_is_named_not_answered() {
    // The same selector with another argument is another call.
    let other = calldata::encode_call(
        "balanceOf(address)",
        &["0x00000000000000000000000000000000000000b2"],
    )
    .unwrap();
    let sim = sim(vec![answer(&balance_of(), b"", false)]);
    let mut instance = sim
        .load(&forwarder("static_call_contract", 0))
        .unwrap()
        .instantiate()
        .unwrap();
    let err = instance.execute("user_entrypoint", &other).error.unwrap();
    assert_eq!(err.kind(), "not-simulated");
    let message = err.to_string();
    assert!(
        message.contains("vm_hooks.static_call_contract (to 0x7070707070707070707070707070707070707070, selector 0x70a08231, 36 bytes of calldata"),
        "{message}"
    );
}

#[test]
fn a_call_to_an_account_without_code_succeeds_with_nothing_returned() {
    // Sending ether to a wallet: stylus-sdk's `transfer_eth` calls with
    // value and no calldata. An address the scenario knows nothing of has
    // no code; the call succeeds and returns nothing, as on the EVM.
    let mut instance = sim(Vec::new())
        .load(&forwarder("call_contract", 0))
        .unwrap()
        .instantiate()
        .unwrap();
    for calldata in [&b""[..], &balance_of()] {
        let outcome = instance.execute("user_entrypoint", calldata);
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.output, b"");
        assert_eq!(instance.memory()[0x300..0x308], [0; 8]);
    }
    // With code configured the address is a contract: what it answers is
    // not known, so the call is not simulated.
    let sim = Simulator::builder()
        .chain_defaults(Abi::Stylus)
        .stylus_env(StylusEnv {
            code: [(TOKEN, vec![0x60, 0x80])].into(),
            ..StylusEnv::default()
        })
        .build()
        .unwrap();
    let mut instance = sim
        .load(&forwarder("call_contract", 0))
        .unwrap()
        .instantiate()
        .unwrap();
    let err = instance.execute("user_entrypoint", b"").error.unwrap();
    assert!(
        err.to_string().contains("(to 0x7070707070707070707070707070707070707070, no calldata: no [[stylus.contract_call]] answers it)"),
        "{err}"
    );
}

/// A module that asks about the account whose address is its calldata:
/// returns its code size (4 bytes), its code hash (32) and its code from
/// offset 1, at most 3 bytes (what there is).
fn code_reader() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "vm_hooks" "read_args" (func $read_args (param i32)))
          (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
          (import "vm_hooks" "account_code" (func $code (param i32 i32 i32 i32) (result i32)))
          (import "vm_hooks" "account_code_size" (func $size (param i32) (result i32)))
          (import "vm_hooks" "account_codehash" (func $hash (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "user_entrypoint") (param $len i32) (result i32)
            (local $copied i32)
            (call $read_args (i32.const 0x100))
            (i32.store (i32.const 0x200) (call $size (i32.const 0x100)))
            (call $hash (i32.const 0x100) (i32.const 0x204))
            (local.set $copied (call $code (i32.const 0x100) (i32.const 1) (i32.const 3) (i32.const 0x224)))
            (call $write_result (i32.const 0x200) (i32.add (i32.const 36) (local.get $copied)))
            (i32.const 0)))"#,
    )
    .expect("valid wat")
}

#[test]
fn other_accounts_code_is_the_configured_code() {
    let with_code = Address::repeat_byte(0xe2);
    let tiny = Address::repeat_byte(0xe3);
    let env = StylusEnv {
        code: [
            (with_code, vec![0x60, 0x80, 0x60, 0x40, 0x52]),
            (tiny, vec![0xfe]),
        ]
        .into(),
        ..StylusEnv::default()
    };
    let sim = Simulator::builder()
        .chain_defaults(Abi::Stylus)
        .stylus_env(env)
        .build()
        .unwrap();
    let mut instance = sim.load(&code_reader()).unwrap().instantiate().unwrap();
    let mut ask = |account: Address| {
        let outcome = instance.execute("user_entrypoint", account.as_slice());
        assert_eq!(outcome.error, None);
        outcome.output
    };
    let expect =
        |size: u32, hash: &[u8], code: &[u8]| [&size.to_le_bytes()[..], hash, code].concat();
    assert_eq!(
        ask(with_code),
        expect(
            5,
            keccak256([0x60, 0x80, 0x60, 0x40, 0x52]).as_slice(),
            &[0x80, 0x60, 0x40]
        )
    );
    // One byte of code: nothing from offset 1.
    assert_eq!(ask(tiny), expect(1, keccak256([0xfe]).as_slice(), &[]));
    // An account nobody configured does not exist: no code, hash zero.
    assert_eq!(ask(Address::repeat_byte(0x99)), expect(0, &[0; 32], &[]));
}

#[test]
fn scenario_files_configure_calls_and_code() {
    let text = r#"
        contract = "x.wasm"
        abi = "stylus"
        [stylus]
        code = { "0x7070707070707070707070707070707070707070" = "0x6080" }
        [[stylus.contract_call]]
        to = "0x7070707070707070707070707070707070707070"
        sig = "balanceOf(address)"
        args = ["0x00000000000000000000000000000000000000a1"]
        returns = "uint256"
        values = [1000]
        [[stylus.contract_call]]
        to = "0x7070707070707070707070707070707070707070"
        calldata = "0x313ce567"
        output = "0x00"
        reverts = true
        [[call]]
        sig = "go()"
    "#;
    let file = ScenarioFile::parse(text, std::path::Path::new("s.toml")).unwrap();
    let env = file.stylus.as_ref().unwrap();
    assert_eq!(
        env.contract_calls,
        [
            answer(
                &balance_of(),
                &calldata::encode_values("uint256", &["1000"]).unwrap(),
                false
            ),
            answer(&[0x31, 0x3c, 0xe5, 0x67], &[0], true),
        ]
    );
    assert_eq!(env.code[&TOKEN], [0x60, 0x80]);

    let bad = |entry: &str, expected: &str| {
        let text = format!(
            "contract = \"x.wasm\"\n[[stylus.contract_call]]\nto = \"0x7070707070707070707070707070707070707070\"\n{entry}\n[[call]]\nsig = \"go()\"\n"
        );
        let err = ScenarioFile::parse(&text, std::path::Path::new("s.toml")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("[[stylus.contract_call]] 1: ") && message.contains(expected),
            "{entry}: {message}"
        );
    };
    bad("", "missing `sig` (or `calldata`)");
    bad(
        "sig = \"a()\"\ncalldata = \"0x00\"",
        "both `sig` and `calldata`",
    );
    bad("calldata = \"0x00\"\nargs = [1]", "`args` go with `sig`");
    bad("calldata = \"0xzz\"", "calldata: `0xzz`: not hex");
    bad(
        "calldata = \"0x00\"\nvalues = [1]",
        "`values` go with `returns`",
    );
    bad(
        "calldata = \"0x00\"\nreturns = \"uint8\"\noutput = \"0x00\"",
        "both `returns` and `output`",
    );
    bad(
        "calldata = \"0x00\"\nreturns = \"uint8\"\nvalues = [300]",
        "value 1 (`300`) is not of type uint8",
    );
    bad(
        "calldata = \"0x00\"\nreturns = \"(uint8,bool)\"\nvalues = [3]",
        "`(uint8,bool)` takes 2 values, 1 given",
    );
}

#[test]
fn expected_return_values_are_compared_as_values_not_text() {
    // The token answers with an address and a number; the forwarder
    // returns that. The decoder writes the address checksummed (`…C1`)
    // and the number in decimal; the scenario may write either in any
    // spelling of the same value.
    let scenario = |expected: &str| {
        format!(
            r#"
            contract = "x.wasm"
            abi = "stylus"
            [[stylus.contract_call]]
            to = "0x7070707070707070707070707070707070707070"
            sig = "balanceOf(address)"
            args = ["0x00000000000000000000000000000000000000a1"]
            returns = "(address,uint256)"
            values = ["0x00000000000000000000000000000000000000c1", "16"]
            [[call]]
            sig = "balanceOf(address)"
            args = ["0x00000000000000000000000000000000000000a1"]
            returns = "(address,uint256)"
            expect = {{ returns = [{expected}] }}
            "#
        )
    };
    let wasm = forwarder("static_call_contract", 0);
    let misses = |expected: &str| {
        let file =
            ScenarioFile::parse(&scenario(expected), std::path::Path::new("s.toml")).unwrap();
        let sim = file.simulator_builder(&wasm, None).build().unwrap();
        let run = sim
            .load(&wasm)
            .unwrap()
            .run_scenario(&file.scenario(), 0)
            .unwrap();
        file.misses(&run.calls)
    };
    let c1 = "0x00000000000000000000000000000000000000c1";
    assert_eq!(misses(&format!(r#""{c1}", "16""#)), Vec::<String>::new());
    assert_eq!(
        misses(&format!(
            r#""{}", "0x10""#,
            c1.to_uppercase().replace("0X", "0x")
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        misses(&format!(r#""{c1}", 17"#)),
        ["call #0 (balanceOf, step 1 rep 1): returned \
          (0x00000000000000000000000000000000000000C1, 16) but \
          (0x00000000000000000000000000000000000000c1, 17) was expected"]
    );
    // A value that is not of its type is refused when the file is read.
    let err = ScenarioFile::parse(&scenario(r#""0xc1", "16""#), std::path::Path::new("s.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("call 1 (`user_entrypoint`): bad call input (expect.returns): value 1 (`0xc1`) is not of type address"),
        "{err}"
    );
    let err = ScenarioFile::parse(&scenario(r#""16""#), std::path::Path::new("s.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`(address,uint256)` takes 2 values, 1 given"),
        "{err}"
    );
}
