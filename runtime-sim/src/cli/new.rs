//! `capheap-sim new`: a contract crate that links capheap, with a scenario,
//! ready for `build`, `run`, `report` and `fuzz`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliResult, Failure};

/// The repository `cargo install --git` and the book name.
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Arguments of `new`.
#[derive(Args)]
pub struct NewArgs {
    /// The directory to create (must not exist, or be empty).
    dir: PathBuf,
    /// Depend on the capheap SDK at this path (default: the SDK this
    /// capheap-sim was built from, when it is still there; else the git
    /// repository).
    #[arg(long, conflicts_with = "capheap_git")]
    capheap_path: Option<PathBuf>,
    /// Depend on the capheap SDK from this git repository.
    #[arg(long)]
    capheap_git: Option<String>,
}

/// Writes the crate and says what to do next.
pub fn run(args: NewArgs) -> CliResult {
    if args.dir.exists()
        && std::fs::read_dir(&args.dir)
            .map_err(|e| Failure::Error(format!("{}: {e}", args.dir.display())))?
            .next()
            .is_some()
    {
        return Err(Failure::Error(format!(
            "{}: exists and is not empty; `new` only writes into a new or empty directory",
            args.dir.display()
        )));
    }
    let name = crate_name(&args.dir)?;
    let dependency = match (&args.capheap_path, &args.capheap_git) {
        (Some(path), _) => path_dependency(path)?,
        (None, Some(git)) => format!("{{ git = {} }}", toml_string(git)),
        (None, None) => match capheap_sim::pipeline::default_capheap_path() {
            Some(path) => path_dependency(&path)?,
            None => format!("{{ git = {} }}", toml_string(REPOSITORY)),
        },
    };
    let files = [
        ("Cargo.toml", cargo_toml(&name, &dependency)),
        ("src/lib.rs", LIB_RS.to_owned()),
        (
            "scenario.toml",
            format!("name = {}\n{SCENARIO}", toml_string(&name)),
        ),
        (".gitignore", "target/\n".to_owned()),
    ];
    for (path, text) in &files {
        let path = args.dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::Error(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))?;
    }
    let dir = args.dir.display();
    println!("created {name} in {dir}: Cargo.toml, src/lib.rs, scenario.toml");
    println!("next:");
    println!("  capheap-sim build {dir}");
    println!("  capheap-sim run {dir} --call reverse --input 0x636170686561700a");
    println!("  capheap-sim report {dir}/scenario.toml");
    println!("  capheap-sim fuzz {dir}/scenario.toml --entry reverse --time 10");
    Ok(())
}

/// The crate name: the directory's last component, as cargo would accept it.
fn crate_name(dir: &Path) -> Result<String, Failure> {
    let stem = dir
        .file_name()
        .and_then(|s| s.to_str())
        .ok_or_else(|| Failure::Error(format!("{}: not a directory name", dir.display())))?;
    let valid = !stem.is_empty()
        && stem.len() <= 64
        && stem.starts_with(|c: char| c.is_ascii_alphabetic())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Failure::Error(format!(
            "`{stem}` is not a crate name: start with a letter, then letters, digits, `-` or `_`"
        )));
    }
    Ok(stem.to_owned())
}

/// `{ path = "<absolute path>" }` for an SDK directory that exists.
fn path_dependency(path: &Path) -> Result<String, Failure> {
    let abs = std::fs::canonicalize(path)
        .map_err(|e| Failure::Error(format!("capheap SDK at {}: {e}", path.display())))?;
    if !abs.join("Cargo.toml").is_file() {
        return Err(Failure::Error(format!(
            "{}: no Cargo.toml: not the capheap SDK",
            abs.display()
        )));
    }
    let text = abs
        .to_str()
        .ok_or_else(|| Failure::Error(format!("{}: not UTF-8", abs.display())))?;
    Ok(format!("{{ path = {} }}", toml_string(text)))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn cargo_toml(name: &str, dependency: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

# A contract is a cdylib (the wasm); the rlib lets its own unit tests and
# capheap-sim's allocator swap link it.
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
capheap = {dependency}

# capheap-sim build forces the same profile through the environment.
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"

# A workspace of its own, so a parent directory's workspace does not claim it.
[workspace]
"#
    )
}

const LIB_RS: &str = r#"//! A contract on capheap: `reverse()` outputs its input reversed.
//!
//! The input comes from the host through `capheap::abi::input` and the
//! output goes back through `capheap::abi::output` (capheap's host ABI: see
//! the book's "Host ABI" chapter).
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::vec::Vec;

use capheap::{Config, Heap, PagePricing};

/// Every allocation goes through capheap: 32 pages (2 MiB) at most, growth
/// priced as on Stylus.
#[global_allocator]
static HEAP: Heap = Heap::new(Config {
    max_memory_pages: Some(32),
    pricing: PagePricing::STYLUS,
    ..Config::DEFAULT
});

capheap::export_host_abi!(HEAP);
capheap::export_stats!(HEAP);

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The contract's logic, testable natively.
pub fn reversed(mut data: Vec<u8>) -> Vec<u8> {
    data.reverse();
    data
}

/// Outputs the input reversed. `capheap::abi::input` is the call input
/// the host placed with `capheap_alloc` (freed when it is dropped);
/// `capheap::abi::output` hands the result to the host.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn reverse() {
    let input = capheap::abi::input(&HEAP);
    capheap::abi::output(&reversed(input.to_vec()));
}

#[cfg(test)]
mod tests {
    #[test]
    fn reverses() {
        assert_eq!(super::reversed(b"capheap".to_vec()), b"paehpac");
    }
}
"#;

const SCENARIO: &str = r#"# Run with `capheap-sim report scenario.toml` (gas table and determinism
# verdict), `capheap-sim replay scenario.toml`, or fuzz the export with
# `capheap-sim fuzz scenario.toml --entry reverse`.
contract = "."
replays = 3
pricing = "stylus"

[[call]]
export = "reverse"
input = "capheap"
expect = { output = "paehpac" }

[[call]]
export = "reverse"
input_hex = "00010203"
repeat = 3
expect = { output_hex = "03020100" }

[[call]]
export = "capheap_stats"
"#;
