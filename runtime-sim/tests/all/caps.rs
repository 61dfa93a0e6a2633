//! Caps: every limit gives a typed error naming the limit and the value, and
//! refused growth leaves memory unchanged.

use capheap_sim::{GrowthResult, Limit, PageCapPolicy, PagePricing, SimError, Simulator};

const GROWER: &str = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 100) "state")
  (func (export "grow1") (result i32) (memory.grow (i32.const 1)))
  (func (export "grow4") (result i32) (memory.grow (i32.const 4)))
  (func (export "grow_neg") (result i32) (memory.grow (i32.const -1)))
  (func (export "spin") (loop (br 0)))
  (func $rec (export "recurse") (call $rec)))"#;

fn load(sim: &Simulator, src: &str) -> capheap_sim::Contract {
    sim.load(&wat::parse_str(src).unwrap()).unwrap()
}

#[test]
fn growth_past_the_page_cap_returns_minus_one_and_memory_is_unchanged() {
    let sim = Simulator::builder()
        .max_pages(4)
        .pricing(PagePricing::Flat { per_page: 10 })
        .build()
        .unwrap();
    let mut instance = load(&sim, GROWER).instantiate().unwrap();
    let before = instance.memory_root();
    let outcome = instance.call("grow4", &[]).unwrap();
    assert_eq!(outcome.returned, Some(-1));
    assert_eq!((outcome.pages_before, outcome.pages_after), (1, 1));
    assert_eq!(outcome.fuel.growth, 0, "refused growth is not charged");
    assert_eq!(outcome.growth[0].result, GrowthResult::PageCap);
    assert_eq!(instance.memory_root(), before);
    // Growth up to the cap still works.
    for _ in 0..3 {
        assert_ne!(instance.call("grow1", &[]).unwrap().returned, Some(-1));
    }
    assert_eq!(instance.pages(), 4);
    assert_eq!(instance.call("grow1", &[]).unwrap().returned, Some(-1));
    assert_eq!(instance.pages(), 4);
}

#[test]
fn page_cap_trap_policy_is_a_typed_error_and_memory_is_unchanged() {
    let sim = Simulator::builder()
        .max_pages(4)
        .page_cap_policy(PageCapPolicy::Trap)
        .build()
        .unwrap();
    let mut instance = load(&sim, GROWER).instantiate().unwrap();
    let before = instance.memory_root();
    let outcome = instance.execute("grow4", &[]);
    assert_eq!(
        outcome.error,
        Some(SimError::LimitExceeded {
            limit: Limit::MemoryPages,
            max: 4,
            value: Some(5)
        })
    );
    assert_eq!(outcome.pages_after, 1);
    assert_eq!(instance.memory_root(), before);
    let message = outcome.error.unwrap().to_string();
    assert!(
        message.contains("memory (pages) is capped at 4, got 5"),
        "{message}"
    );
}

#[test]
fn the_declared_maximum_binds_before_the_cap() {
    let src = r#"(module (memory (export "memory") 1 2)
        (func (export "grow4") (result i32) (memory.grow (i32.const 4))))"#;
    let mut instance = load(&Simulator::new(), src).instantiate().unwrap();
    let outcome = instance.call("grow4", &[]).unwrap();
    assert_eq!(outcome.returned, Some(-1));
    assert_eq!(outcome.growth[0].result, GrowthResult::DeclaredMaximum);
    assert_eq!(instance.pages(), 1);
}

#[test]
fn a_negative_delta_is_a_huge_unsigned_growth_that_fails() {
    let mut instance = load(&Simulator::new(), GROWER).instantiate().unwrap();
    let outcome = instance.call("grow_neg", &[]).unwrap();
    assert_eq!(outcome.returned, Some(-1));
    assert_eq!(instance.pages(), 1);
}

#[test]
fn out_of_fuel_during_growth_traps_and_memory_is_unchanged() {
    let sim = Simulator::builder()
        .pricing(PagePricing::Flat {
            per_page: 1_000_000,
        })
        .build()
        .unwrap();
    let mut instance = load(&sim, GROWER).instantiate().unwrap();
    instance.set_fuel_limit(500_000).unwrap();
    let before = instance.memory_root();
    let outcome = instance.execute("grow1", &[]);
    match outcome.error {
        Some(SimError::GrowthOutOfFuel {
            current_pages: 1,
            delta_pages: 1,
            price: Some(1_000_000),
            fuel_left,
            limit: 500_000,
        }) => assert!(fuel_left < 500_000 && fuel_left > 499_000, "{fuel_left}"),
        other => panic!("{other:?}"),
    }
    assert!(outcome.error.as_ref().unwrap().is_out_of_fuel());
    assert_eq!(outcome.pages_after, 1);
    assert_eq!(outcome.fuel.growth, 0);
    assert_eq!(outcome.growth[0].result, GrowthResult::OutOfFuel);
    assert_eq!(instance.memory_root(), before);
    // With enough fuel the same growth succeeds and is charged exactly.
    instance.set_fuel_limit(2_000_000).unwrap();
    assert_eq!(instance.call("grow1", &[]).unwrap().fuel.growth, 1_000_000);
}

#[test]
fn unpriceable_growth_is_out_of_fuel() {
    // A schedule that cannot price more than 100 pages at once.
    fn up_to_100(req: capheap::meter::GrowthRequest) -> Option<u64> {
        (req.delta_pages <= 100).then_some(u64::from(req.delta_pages))
    }
    let sim = Simulator::builder()
        .pricing(PagePricing::Custom(up_to_100))
        .max_pages(1024)
        .build()
        .unwrap();
    let src = r#"(module (memory (export "memory") 1)
        (func (export "big") (result i32) (memory.grow (i32.const 200))))"#;
    let mut instance = load(&sim, src).instantiate().unwrap();
    let outcome = instance.execute("big", &[]);
    assert!(
        matches!(
            outcome.error,
            Some(SimError::GrowthOutOfFuel {
                price: None,
                delta_pages: 200,
                ..
            })
        ),
        "{:?}",
        outcome.error
    );
    assert_eq!(instance.pages(), 1);
}

#[test]
fn growth_past_the_stylus_page_limit_is_the_page_cap() {
    // Stylus prices at most 128 pages: past them growth fails as at the cap.
    let sim = Simulator::builder()
        .pricing(PagePricing::STYLUS)
        .max_pages(1024)
        .build()
        .unwrap();
    let src = r#"(module (memory (export "memory") 1)
        (func (export "big") (result i32) (memory.grow (i32.const 200))))"#;
    let mut instance = load(&sim, src).instantiate().unwrap();
    let outcome = instance.call("big", &[]).unwrap();
    assert_eq!(outcome.returned, Some(-1));
    assert_eq!(outcome.growth[0].result, capheap_sim::GrowthResult::PageCap);
    assert_eq!(instance.pages(), 1);
}

#[test]
fn fuel_limit_above_the_cap_is_refused() {
    let sim = Simulator::builder()
        .max_fuel_per_call(1_000)
        .build()
        .unwrap();
    let mut instance = load(&sim, GROWER).instantiate().unwrap();
    assert_eq!(instance.fuel_limit(), 1_000);
    assert_eq!(
        instance.set_fuel_limit(1_001),
        Err(SimError::LimitExceeded {
            limit: Limit::FuelPerCall,
            max: 1_000,
            value: Some(1_001)
        })
    );
    let err = Simulator::builder()
        .max_fuel_per_call(1_000)
        .fuel_limit(2_000)
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        SimError::LimitExceeded {
            limit: Limit::FuelPerCall,
            ..
        }
    ));
}

#[test]
fn running_out_of_execution_fuel() {
    let sim = Simulator::builder().fuel_limit(10_000).build().unwrap();
    let mut instance = load(&sim, GROWER).instantiate().unwrap();
    let outcome = instance.execute("spin", &[]);
    assert_eq!(outcome.error, Some(SimError::OutOfFuel { limit: 10_000 }));
    assert!(outcome.fuel.total <= 10_000 && outcome.fuel.total > 9_000);
}

#[test]
fn call_depth() {
    let sim = Simulator::builder().max_call_depth(50).build().unwrap();
    let mut instance = load(&sim, GROWER).instantiate().unwrap();
    assert_eq!(
        instance.execute("recurse", &[]).error,
        Some(SimError::LimitExceeded {
            limit: Limit::CallStack,
            max: 50,
            value: None
        })
    );
}

#[test]
fn wasm_size() {
    let wasm = wat::parse_str(GROWER).unwrap();
    let sim = Simulator::builder()
        .max_wasm_size(wasm.len() - 1)
        .build()
        .unwrap();
    assert_eq!(
        sim.load(&wasm).unwrap_err(),
        SimError::LimitExceeded {
            limit: Limit::WasmSize,
            max: wasm.len() as u64 - 1,
            value: Some(wasm.len() as u64)
        }
    );
    // An oversized garbage blob is refused by size before anything parses it.
    let blob = vec![0xff; 5 << 20];
    assert!(matches!(
        Simulator::new().load(&blob).unwrap_err(),
        SimError::LimitExceeded {
            limit: Limit::WasmSize,
            ..
        }
    ));
}

#[test]
fn initial_memory_above_the_cap_is_refused_at_load() {
    let sim = Simulator::builder().max_pages(4).build().unwrap();
    let wasm = wat::parse_str(r#"(module (memory 5))"#).unwrap();
    assert_eq!(
        sim.load(&wasm).unwrap_err(),
        SimError::LimitExceeded {
            limit: Limit::MemoryPages,
            max: 4,
            value: Some(5)
        }
    );
}

#[test]
fn invalid_configurations() {
    assert!(matches!(
        Simulator::builder()
            .max_stack_height(10)
            .build()
            .unwrap_err(),
        SimError::Config(_)
    ));
    assert!(matches!(
        Simulator::builder().max_pages(70_000).build().unwrap_err(),
        SimError::Config(_)
    ));
}
