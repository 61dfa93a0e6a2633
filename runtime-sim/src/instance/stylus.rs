//! Calls into a Stylus program: `user_entrypoint(len) -> status`, after the
//! chain's charge for the module's initial pages.

use alloy_primitives::{Address, U256};
use capheap::meter::GrowthRequest;
use wasmi::{Val, ValType};

use super::{Instance, Returned, signature};
use crate::error::{Result, SimError};
use crate::host::export_func;
use crate::host::stylus::{ENTRY_EXPORT, flush};
use crate::outcome::{ChainOutcome, GrowthEvent, GrowthResult};

/// Parses a 20-byte `0x` address.
pub(crate) fn parse_address(field: &str, text: &str) -> Result<Address> {
    text.parse::<Address>().map_err(|e| SimError::BadCallInput {
        field: field.to_owned(),
        message: format!("`{text}` is not a 20-byte 0x address: {e}"),
    })
}

/// Parses a `uint256` given in decimal or `0x` hex.
pub(crate) fn parse_u256(field: &str, text: &str) -> Result<U256> {
    text.parse::<U256>().map_err(|e| SimError::BadCallInput {
        field: field.to_owned(),
        message: format!("`{text}` is not a uint256: {e}"),
    })
}

impl Instance {
    /// Runs one Stylus call: `export` must be [`ENTRY_EXPORT`]; `calldata`
    /// is what `read_args` returns.
    pub(super) fn run_stylus(&mut self, export: &str, calldata: &[u8]) -> Result<Returned> {
        if export != ENTRY_EXPORT {
            return Err(SimError::WrongSignature {
                export: export.to_owned(),
                found: "a Stylus program's export".to_owned(),
                expected: format!("`{ENTRY_EXPORT}`, the only entry point of a Stylus program"),
            });
        }
        let func = export_func(&self.instance, &self.store, export)?;
        let ty = func.ty(&self.store);
        if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
            return Err(SimError::WrongSignature {
                export: export.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: "(i32) -> (i32)".to_owned(),
            });
        }
        let len = i32::try_from(calldata.len()).map_err(|_| SimError::InputTooLarge {
            len: calldata.len(),
        })?;
        let env = self.call_env.clone();
        let config = std::sync::Arc::clone(&self.contract.inner.sim.config);
        let sender = match &env.sender {
            Some(s) => parse_address("sender", s)?,
            None => config.stylus.default_sender,
        };
        let value = match &env.value {
            Some(v) => parse_u256("value", v)?,
            None => U256::ZERO,
        };
        self.charge_entry_pages()?;
        let call = &mut self.store.data_mut().call;
        call.stylus.sender = sender;
        call.stylus.value = value;
        let mut out = [Val::I32(0)];
        self.invoke(export, func, &[Val::I32(len)], &mut out)?;
        let status = out[0].i32().unwrap_or(-1);
        let state = self.store.data_mut();
        let result = std::mem::take(&mut state.call.stylus.result);
        if status != 0 {
            return Err(SimError::Reverted { data: result });
        }
        flush(state)?;
        let logs = std::mem::take(&mut state.call.stylus.logs);
        Ok(Returned::Chain {
            value: Some(i64::from(status)),
            output: result,
            chain: ChainOutcome::Stylus { status, logs },
        })
    }

    /// Stylus charges a call for the pages the module starts with, as if
    /// grown from 0 in a fresh transaction (nitro's `memory_model.GasCost` of
    /// the footprint, with nothing open and nothing ever used). The pricing
    /// high-water mark then starts at those pages.
    fn charge_entry_pages(&mut self) -> Result<()> {
        let initial = self.pages();
        let request = GrowthRequest {
            current_pages: 0,
            high_water_pages: 0,
            delta_pages: initial,
        };
        let price = self.contract.inner.sim.config.pricing.price(request);
        let left = self.store.get_fuel().unwrap_or(0);
        let state = self.store.data_mut();
        let mut event = GrowthEvent {
            current_pages: 0,
            delta_pages: initial,
            high_water_pages: 0,
            price,
            result: GrowthResult::EntryCharge,
        };
        let Some(price) = price.filter(|&p| p <= left) else {
            event.result = GrowthResult::OutOfFuel;
            state.call.growth.push(event);
            return Err(SimError::GrowthOutOfFuel {
                current_pages: 0,
                delta_pages: initial,
                price,
                fuel_left: left,
                limit: state.call.fuel_limit,
            });
        };
        state.call.growth.push(event);
        state.call.growth_fuel = state.call.growth_fuel.saturating_add(price);
        state.high_water_pages = initial;
        self.store
            .set_fuel(left - price)
            .map_err(|e| SimError::host("fuel", e.to_string()))
    }
}
