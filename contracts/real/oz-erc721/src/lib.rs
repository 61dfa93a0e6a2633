//! OpenZeppelin's ERC-721 for Arbitrum Stylus (`openzeppelin-stylus` 0.3.0),
//! composed as the crate's documentation shows, plus an unrestricted `mint`
//! so that a scenario can create tokens. Every ERC-721 behaviour (owners,
//! approvals, events, errors, and `safeTransferFrom`'s call to the
//! receiving contract's `onERC721Received`) is the published crate's.
#![cfg_attr(not(test), no_main)]
extern crate alloc;

use openzeppelin_stylus::token::erc721::{self, Erc721, IErc721};
use openzeppelin_stylus::utils::introspection::erc165::IErc165;
use stylus_sdk::abi::Bytes;
use stylus_sdk::alloy_primitives::{Address, FixedBytes, U256};
use stylus_sdk::prelude::*;

/// The collection: OpenZeppelin's `Erc721` storage.
#[entrypoint]
#[storage]
struct Collection {
    erc721: Erc721,
}

#[public]
#[implements(IErc721<Error = erc721::Error>, IErc165)]
impl Collection {
    /// Creates token `token_id` owned by `to` (emits `Transfer(0, to, id)`).
    fn mint(&mut self, to: Address, token_id: U256) -> Result<(), erc721::Error> {
        self.erc721._mint(to, token_id)
    }
}

#[public]
impl IErc721 for Collection {
    type Error = erc721::Error;

    fn balance_of(&self, owner: Address) -> Result<U256, Self::Error> {
        self.erc721.balance_of(owner)
    }

    fn owner_of(&self, token_id: U256) -> Result<Address, Self::Error> {
        self.erc721.owner_of(token_id)
    }

    fn safe_transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Self::Error> {
        self.erc721.safe_transfer_from(from, to, token_id)
    }

    #[selector(name = "safeTransferFrom")]
    fn safe_transfer_from_with_data(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<(), Self::Error> {
        self.erc721
            .safe_transfer_from_with_data(from, to, token_id, data)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Self::Error> {
        self.erc721.transfer_from(from, to, token_id)
    }

    fn approve(&mut self, to: Address, token_id: U256) -> Result<(), Self::Error> {
        self.erc721.approve(to, token_id)
    }

    fn set_approval_for_all(
        &mut self,
        operator: Address,
        approved: bool,
    ) -> Result<(), Self::Error> {
        self.erc721.set_approval_for_all(operator, approved)
    }

    fn get_approved(&self, token_id: U256) -> Result<Address, Self::Error> {
        self.erc721.get_approved(token_id)
    }

    fn is_approved_for_all(&self, owner: Address, operator: Address) -> bool {
        self.erc721.is_approved_for_all(owner, operator)
    }
}

#[public]
impl IErc165 for Collection {
    fn supports_interface(&self, interface_id: FixedBytes<4>) -> bool {
        self.erc721.supports_interface(interface_id)
    }
}
