//! OpenZeppelin's ERC-20 for Arbitrum Stylus (`openzeppelin-stylus` 0.3.0),
//! composed as the crate's documentation shows, plus an unrestricted `mint`
//! so that a scenario can create balances. Every ERC-20 behaviour (balances,
//! allowances, events, errors) is the published crate's.
#![cfg_attr(not(test), no_main)]
extern crate alloc;

use alloc::{vec, vec::Vec};

use openzeppelin_stylus::token::erc20::{self, Erc20, IErc20};
use stylus_sdk::alloy_primitives::{Address, U256};
use stylus_sdk::prelude::*;

/// The token: OpenZeppelin's `Erc20` storage.
#[entrypoint]
#[storage]
struct Token {
    erc20: Erc20,
}

#[public]
#[implements(IErc20<Error = erc20::Error>)]
impl Token {
    /// Creates `value` tokens for `account` (emits `Transfer(0, account, value)`).
    fn mint(&mut self, account: Address, value: U256) -> Result<(), erc20::Error> {
        self.erc20._mint(account, value)
    }
}

#[public]
impl IErc20 for Token {
    type Error = erc20::Error;

    fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.transfer(to, value)
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.erc20.allowance(owner, spender)
    }

    fn approve(&mut self, spender: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.approve(spender, value)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, Self::Error> {
        self.erc20.transfer_from(from, to, value)
    }
}
