//! Options shared by the commands that run contracts.

use capheap_sim::scenario_file::parse_pricing;
use capheap_sim::{PageCapPolicy, Simulator, UnknownImports};
use clap::Args;

use super::Failure;

/// How to simulate: pricing, caps, fuel, import policy.
#[derive(Args, Clone, Debug, Default)]
pub struct SimArgs {
    /// Page pricing: free | flat:<per_page> | evm[:<word_gas>:<divisor>] |
    /// stylus[:<free_pages>:<page_gas>] | near[:<base>:<per_page>]
    /// (overrides a scenario file's `pricing`).
    #[arg(long, value_parser = parse_pricing_arg)]
    pub pricing: Option<capheap_sim::PagePricing>,
    /// Simulator cap on linear-memory pages (overrides the scenario's `max_pages`).
    #[arg(long)]
    pub max_pages: Option<u32>,
    /// Trap (instead of failing `memory.grow` with -1) when growth hits the page cap.
    #[arg(long)]
    pub trap_at_cap: bool,
    /// Fuel limit per call (overrides the scenario's `fuel_per_call`).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Let modules import functions outside the host ABI; calling one traps.
    #[arg(long)]
    pub allow_unknown_imports: bool,
}

fn parse_pricing_arg(spec: &str) -> Result<capheap_sim::PagePricing, String> {
    parse_pricing(spec)
}

impl SimArgs {
    /// A simulator from these options, each falling back to `defaults`
    /// (a scenario file's settings) when not given.
    pub fn simulator(
        &self,
        defaults: Option<&capheap_sim::scenario_file::ScenarioFile>,
    ) -> Result<Simulator, Failure> {
        let mut builder = Simulator::builder();
        if let Some(pricing) = self.pricing.or(defaults.map(|d| d.pricing)) {
            builder = builder.pricing(pricing);
        }
        if let Some(pages) = self.max_pages.or(defaults.and_then(|d| d.max_pages)) {
            builder = builder.max_pages(pages);
        }
        if let Some(fuel) = self.fuel.or(defaults.and_then(|d| d.fuel_per_call)) {
            builder = builder.fuel_limit(fuel);
        }
        if self.trap_at_cap {
            builder = builder.page_cap_policy(PageCapPolicy::Trap);
        }
        if self.allow_unknown_imports {
            builder = builder.unknown_imports(UnknownImports::Trap);
        }
        Ok(builder.build()?)
    }
}

/// Parses a call input: hex bytes (`0x` optional), or `@path` for a file.
pub fn parse_input(arg: &str) -> Result<Vec<u8>, Failure> {
    if let Some(path) = arg.strip_prefix('@') {
        return std::fs::read(path).map_err(|e| Failure::Error(format!("--input {arg}: {e}")));
    }
    capheap_sim::hex::decode(arg)
        .map_err(|e| Failure::Error(format!("--input {e} (use @file for a file)")))
}
