//! Calls into a CosmWasm contract: `Env`, `MessageInfo` and the message
//! placed in Regions through its `allocate`, the entry point called, and its
//! `ContractResult` read back and decoded.

use serde_json::{Value, json};
use wasmi::{Val, ValType};

use super::{Instance, Returned, signature};
use crate::error::{Result, SimError};
use crate::host::cosmwasm::{ALLOCATE_EXPORT, ENTRY_POINTS_WITH_INFO, decode_result, get_region};
use crate::host::export_func;
use crate::outcome::ChainOutcome;

impl Instance {
    /// Runs one CosmWasm entry point with `msg` (JSON) as its message.
    pub(super) fn run_cosmwasm(&mut self, export: &str, msg: &[u8]) -> Result<Returned> {
        let func = export_func(&self.instance, &self.store, export)?;
        let with_info = ENTRY_POINTS_WITH_INFO.contains(&export);
        let arity = if with_info { 3 } else { 2 };
        let ty = func.ty(&self.store);
        if ty.params().len() != arity
            || ty.params().iter().any(|t| *t != ValType::I32)
            || ty.results() != [ValType::I32]
        {
            return Err(SimError::WrongSignature {
                export: export.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: if with_info {
                    "(i32 env, i32 info, i32 msg) -> (i32 result)".to_owned()
                } else {
                    "(i32 env, i32 msg) -> (i32 result)".to_owned()
                },
            });
        }
        serde_json::from_slice::<Value>(msg).map_err(|e| SimError::BadCallInput {
            field: "msg".to_owned(),
            message: format!("the message is not JSON: {e}"),
        })?;
        let config = std::sync::Arc::clone(&self.contract.inner.sim.config);
        let chain = &config.cosmwasm;
        let env_json = chain.env_json()?;
        let mut args = vec![Val::I32(self.place_region(&env_json)? as i32)];
        if with_info {
            let sender = match &self.call_env.sender {
                Some(s) => {
                    chain.validate(s).map_err(|why| SimError::BadCallInput {
                        field: "sender".to_owned(),
                        message: format!("`{s}`: {why}"),
                    })?;
                    s.clone()
                }
                None => chain.sender()?,
            };
            let info = json!({ "sender": sender, "funds": self.call_env.funds });
            args.push(Val::I32(
                self.place_region(info.to_string().as_bytes())? as i32
            ));
        }
        args.push(Val::I32(self.place_region(msg)? as i32));
        self.store.data_mut().call.cosmwasm.read_only = export == "query";
        let mut out = [Val::I32(0)];
        self.invoke(export, func, &args, &mut out)?;
        let ptr = out[0].i32().unwrap_or(0) as u32;
        let region = get_region(self.memory(), export, ptr)?;
        let bytes = self.read(u64::from(region.offset), u64::from(region.length))?;
        let response = decode_result(export, &bytes)?;
        Ok(Returned::Chain {
            value: Some(i64::from(ptr)),
            output: response.data.clone(),
            chain: ChainOutcome::CosmWasm { response },
        })
    }

    /// Places `data` in a Region from the contract's `allocate` (as
    /// cosmwasm-vm's `write_to_contract`), returning the Region pointer.
    fn place_region(&mut self, data: &[u8]) -> Result<u32> {
        let len =
            i32::try_from(data.len()).map_err(|_| SimError::InputTooLarge { len: data.len() })?;
        let alloc = export_func(&self.instance, &self.store, ALLOCATE_EXPORT)?;
        let ty = alloc.ty(&self.store);
        if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
            return Err(SimError::WrongSignature {
                export: ALLOCATE_EXPORT.to_owned(),
                found: signature(ty.params(), ty.results()),
                expected: "(i32) -> (i32)".to_owned(),
            });
        }
        let mut out = [Val::I32(0)];
        self.invoke(ALLOCATE_EXPORT, alloc, &[Val::I32(len)], &mut out)?;
        let ptr = out[0].i32().unwrap_or(0) as u32;
        if ptr == 0 {
            return Err(SimError::InputAllocFailed { len: data.len() });
        }
        let region = get_region(self.memory(), ALLOCATE_EXPORT, ptr)?;
        if region.capacity < len as u32 {
            return Err(SimError::BadRegion {
                function: ALLOCATE_EXPORT.to_owned(),
                ptr,
                reason: format!(
                    "capacity {} is less than the {len} bytes asked for",
                    region.capacity
                ),
            });
        }
        self.write(u64::from(region.offset), data)?;
        self.write(u64::from(ptr) + 8, &(len as u32).to_le_bytes())?;
        Ok(ptr)
    }
}
