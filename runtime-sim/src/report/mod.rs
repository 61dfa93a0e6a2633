//! Reports drawn from simulation results: the gas table, `.gas-snapshot`
//! files, comparisons, the memory timeline and comparison charts as SVG, and
//! markdown reports as HTML pages.

pub mod compare;
pub mod compare_svg;
pub mod gas_snapshot;
pub mod gas_table;
pub mod html;
pub mod timeline_svg;
