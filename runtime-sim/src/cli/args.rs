//! Options shared by the commands that run contracts.

use capheap_sim::scenario_file::parse_pricing;
use capheap_sim::{Abi, PageCapPolicy, Simulator, UnknownImports};
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
    /// Host ABI: capheap | stylus | cosmwasm (default: the scenario's `abi`,
    /// else detected from the module's imports and exports).
    #[arg(long)]
    pub abi: Option<Abi>,
}

fn parse_pricing_arg(spec: &str) -> Result<capheap_sim::PagePricing, String> {
    parse_pricing(spec)
}

impl SimArgs {
    /// The ABI for `wasm`: `--abi`, else the scenario's, else detected; with
    /// the reason.
    pub fn abi(
        &self,
        defaults: Option<&capheap_sim::scenario_file::ScenarioFile>,
        wasm: &[u8],
    ) -> Result<(Abi, String), Failure> {
        if let Some(abi) = self.abi {
            return Ok((abi, "--abi".to_owned()));
        }
        if let Some(abi) = defaults.and_then(|d| d.abi) {
            return Ok((abi, "the scenario's `abi`".to_owned()));
        }
        Ok(Abi::detect_wasm(wasm).unwrap_or((Abi::Capheap, "not detected".to_owned())))
    }

    /// A simulator for `wasm` from these options, each falling back to
    /// `defaults` (a scenario file's settings), then to the chain's defaults
    /// for the module's ABI.
    pub fn simulator(
        &self,
        defaults: Option<&capheap_sim::scenario_file::ScenarioFile>,
        wasm: &[u8],
    ) -> Result<Simulator, Failure> {
        Ok(self.builder(defaults, wasm)?.build()?)
    }

    /// The builder behind [`simulator`](Self::simulator), for commands that
    /// add settings of their own.
    pub fn builder(
        &self,
        defaults: Option<&capheap_sim::scenario_file::ScenarioFile>,
        wasm: &[u8],
    ) -> Result<capheap_sim::SimulatorBuilder, Failure> {
        let mut builder = match defaults {
            Some(file) => file.simulator_builder(wasm, self.abi),
            None => {
                let (abi, _) = self.abi(None, wasm)?;
                let builder = Simulator::builder().chain_defaults(abi);
                // Set only when asked for, so that a detected ABI keeps its reason.
                match self.abi {
                    Some(explicit) => builder.abi(explicit),
                    None => builder,
                }
            }
        };
        if let Some(pricing) = self.pricing {
            builder = builder.pricing(pricing);
        }
        if let Some(pages) = self.max_pages {
            builder = builder.max_pages(pages);
        }
        if let Some(fuel) = self.fuel {
            builder = builder.fuel_limit(fuel);
        }
        if self.trap_at_cap {
            builder = builder.page_cap_policy(PageCapPolicy::Trap);
        }
        if self.allow_unknown_imports {
            builder = builder.unknown_imports(UnknownImports::Trap);
        }
        Ok(builder)
    }
}

/// Parses a call input: hex bytes (`0x` optional), or `@path` for a file.
pub fn parse_input(arg: &str) -> Result<Vec<u8>, Failure> {
    if let Some(path) = arg.strip_prefix('@') {
        return capheap_sim::limits::read_capped(
            path.as_ref(),
            capheap_sim::limits::MAX_INPUT_FILE,
        )
        .map_err(|e| Failure::Error(format!("--input {arg}: {e}")));
    }
    capheap_sim::hex::decode(arg)
        .map_err(|e| Failure::Error(format!("--input {e} (use @file for a file)")))
}

/// Chain-call inputs of `run`: a Solidity call for Stylus, a JSON message for
/// CosmWasm, and who sends it.
#[derive(Args, Clone, Debug, Default)]
pub struct ChainCallArgs {
    /// Stylus: the Solidity signature to call, e.g. `transfer(address,uint256)`
    /// (the calldata is its selector and the encoded `--arg`s).
    #[arg(long)]
    pub sig: Option<String>,
    /// Stylus: an argument of `--sig`, in order (repeat the flag).
    #[arg(long = "arg")]
    pub args: Vec<String>,
    /// Stylus: Solidity types to decode the return data with, e.g. `uint256`.
    #[arg(long)]
    pub returns: Option<String>,
    /// CosmWasm: the message, as JSON.
    #[arg(long)]
    pub msg: Option<String>,
    /// The sender: a 0x address (Stylus) or a bech32 address (CosmWasm).
    #[arg(long)]
    pub sender: Option<String>,
    /// Stylus: the call's value in wei.
    #[arg(long)]
    pub value: Option<String>,
    /// CosmWasm: funds sent, as `<amount><denom>` (repeat the flag).
    #[arg(long = "funds")]
    pub funds: Vec<String>,
}

impl ChainCallArgs {
    /// The call input: encoded `--sig`/`--arg`s, `--msg`, else `--input`.
    pub fn input(&self, abi: Abi, input: &str) -> Result<Vec<u8>, Failure> {
        let given = [self.sig.is_some(), self.msg.is_some(), !input.is_empty()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Failure::Error(
                "give one of --input, --sig, --msg".to_owned(),
            ));
        }
        if let Some(sig) = &self.sig {
            if abi != Abi::Stylus {
                return Err(Failure::Error(format!(
                    "--sig is for Stylus contracts; this one is {abi}"
                )));
            }
            return Ok(capheap_sim::calldata::encode_call(sig, &self.args)?);
        }
        if !self.args.is_empty() {
            return Err(Failure::Error("--arg needs --sig".to_owned()));
        }
        if let Some(msg) = &self.msg {
            return Ok(msg.clone().into_bytes());
        }
        parse_input(input)
    }

    /// The export to call: `--call`, else Stylus's entry point.
    pub fn export(&self, abi: Abi, call: Option<&str>) -> Result<String, Failure> {
        match (call, abi) {
            (Some(call), _) => Ok(call.to_owned()),
            (None, Abi::Stylus) => Ok(capheap_sim::host::stylus::ENTRY_EXPORT.to_owned()),
            (None, _) => Err(Failure::Error("--call <export> is required".to_owned())),
        }
    }

    /// The call context.
    pub fn env(&self) -> capheap_sim::CallEnv {
        capheap_sim::CallEnv {
            sender: self.sender.clone(),
            value: self.value.clone(),
            funds: self
                .funds
                .iter()
                .map(|f| {
                    let split = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
                    capheap_sim::Coin {
                        amount: f[..split].to_owned(),
                        denom: f[split..].to_owned(),
                    }
                })
                .collect(),
        }
    }
}
