//! Reports drawn from simulation results: the gas table, `.gas-snapshot`
//! files, and the memory timeline as SVG.

pub mod compare;
pub mod compare_svg;
pub mod gas_snapshot;
pub mod gas_table;
pub mod timeline_svg;
