//! Contract build pipeline: builds a contract crate to `wasm32-unknown-unknown`.
//!
//! Two routes, chosen by [`detect_toolchain`]:
//!
//! 1. **Target installed** — the active `rustc` has the wasm32 standard library
//!    (`rustup target add wasm32-unknown-unknown`): a plain
//!    `cargo build --release --target wasm32-unknown-unknown`.
//! 2. **Build-std** — a `rustc` with its library source (Debian's `rustc-web`
//!    and `rust-web-src`: `/usr/bin/rustc` with `/usr/lib/rustlib/src/rust`):
//!    `-Zbuild-std=core,alloc` (`std,panic_abort` through the allocator
//!    swap, whose ecosystem contracts link `std`) with `RUSTC_BOOTSTRAP=1`,
//!    linked with the sysroot's `rust-lld` or, where the compiler ships none
//!    (Debian), with `wasm-ld-<LLVM major>` from `lld-<LLVM major>`.
//!
//! Otherwise [`BuildError::NoWasmToolchain`] says exactly what to install.
//!
//! Every build forces the contract release profile (opt-level `z`, LTO, one
//! codegen unit, `panic = "abort"`, no debug info) and remaps source paths, so
//! two builds of the same source give byte-identical wasm. It builds into its
//! own target directory, so it never fights the outer cargo for a lock, and
//! cargo's fingerprints skip the work when nothing changed.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

mod cargo_config;
mod location;
mod swap;

pub use location::location_dependent_crates;

/// The target triple contracts are built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Where Debian's `rustc-web` lives (the build-std route's default).
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// What to install when no route works, both ways.
pub const INSTALL_HINT: &str = "install a wasm32 toolchain: either `rustup target add wasm32-unknown-unknown`, \
     or (Debian) `apt-get install rustc-web rust-web-src lld-<N>` for the -Zbuild-std route, N the LLVM \
     major version `/usr/bin/rustc -vV` prints (22 for rustc-web 1.96); \
     `scripts/setup-wasm-toolchain.sh` does this for you";

/// The linker flag that lets a contract's undefined functions become `env`
/// imports. rustc passed it to `wasm-ld` for every wasm target until 1.96,
/// which stopped (rust-lang/rust#149868); contracts declare host functions in
/// `extern "C"` blocks without `#[link(wasm_import_module = "env")]`
/// (cosmwasm-std's `db_read`, `addr_validate` and the rest), and chains
/// resolve them as `env` imports. Every build passes it, so a contract links
/// the same on every compiler; with rustc before 1.96 it changes nothing. An
/// import the chain does not provide is, by default
/// ([`UnknownImports::Reject`](crate::UnknownImports)), an error naming it
/// when the simulator loads the module.
pub const ALLOW_UNDEFINED: &str = "-Clink-arg=--allow-undefined";

/// Errors of the build pipeline.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No route can build wasm32 here.
    #[error("no wasm32 toolchain: {tried}; {INSTALL_HINT}")]
    NoWasmToolchain {
        /// What was probed and why each route failed.
        tried: String,
    },
    /// The toolchain the contract names for its wasm
    /// (`package.metadata.capheap-sim.wasm-toolchain`) is not usable.
    #[error(
        "{}: the wasm toolchain `{name}` (package.metadata.capheap-sim.wasm-toolchain) cannot \
         build it: {reason}; install it with `rustup toolchain install {name} --target \
         wasm32-unknown-unknown`",
        .manifest.display()
    )]
    WasmToolchain {
        /// The contract's manifest.
        manifest: PathBuf,
        /// The toolchain it names.
        name: String,
        /// Why it cannot build.
        reason: String,
    },
    /// No route can build wasm32 for a crate whose `rust-toolchain.toml` (or
    /// `rust-toolchain`) pins a rustup toolchain: that toolchain, with the
    /// wasm32 target, is what to install.
    #[error(
        "{}: the toolchain `{channel}` it pins cannot build wasm32 here ({reason}), and no other \
         route works; install it with `rustup toolchain install {channel} --target \
         wasm32-unknown-unknown`",
        .file.display()
    )]
    PinnedToolchain {
        /// The toolchain file.
        file: PathBuf,
        /// The toolchain it pins (its `channel`).
        channel: String,
        /// What was probed and why each route failed.
        reason: String,
    },
    /// The directory holds no `Cargo.toml`.
    #[error("{}: not a contract crate (no Cargo.toml)", .0.display())]
    NotACrate(PathBuf),
    /// A program could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// cargo ran and failed.
    #[error("cargo build of {} failed:\n{stderr}", .dir.display())]
    CargoFailed {
        /// The contract directory.
        dir: PathBuf,
        /// cargo's diagnostics.
        stderr: String,
    },
    /// cargo succeeded but produced no `.wasm` for the contract.
    #[error("cargo built {} but produced no .wasm: is it a `crate-type = [\"cdylib\"]` library?", .0.display())]
    NoArtifact(PathBuf),
    /// The allocator swap cannot be set up.
    #[error("cannot build {} with the {allocator} allocator: {reason}", .dir.display())]
    AllocatorSwap {
        /// The contract directory.
        dir: PathBuf,
        /// The allocator asked for.
        allocator: Allocator,
        /// Why.
        reason: String,
    },
    /// Reading a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A route that can build wasm32.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// `rustc` ships the wasm32 standard library.
    TargetInstalled {
        /// The compiler.
        rustc: PathBuf,
    },
    /// `rustc` builds core and alloc from source (`-Zbuild-std`).
    BuildStd {
        /// The compiler.
        rustc: PathBuf,
        /// The wasm linker, when the compiler ships none (no `rust-lld` in
        /// its sysroot, as Debian's `rustc-web`): `wasm-ld-<LLVM major>`
        /// (Debian's `lld-<LLVM major>`), else `wasm-ld` or `rust-lld`, found
        /// on `PATH`. `None`: the compiler's own `rust-lld`.
        linker: Option<PathBuf>,
    },
}

impl Toolchain {
    /// The compiler this route uses.
    ///
    /// ```
    /// use capheap_sim::Toolchain;
    ///
    /// let route = Toolchain::BuildStd {
    ///     rustc: "/usr/bin/rustc".into(),
    ///     linker: Some("/usr/bin/wasm-ld-22".into()),
    /// };
    /// assert_eq!(route.rustc(), std::path::Path::new("/usr/bin/rustc"));
    /// ```
    pub fn rustc(&self) -> &Path {
        match self {
            Toolchain::TargetInstalled { rustc } | Toolchain::BuildStd { rustc, .. } => rustc,
        }
    }

    /// The compiler's `--version` line (`rustc 1.95.0 (…)`), or `rustc
    /// (unknown version)` when it cannot be asked.
    ///
    /// ```
    /// use capheap_sim::Toolchain;
    ///
    /// let installed = Toolchain::TargetInstalled { rustc: "rustc".into() };
    /// assert!(installed.version().starts_with("rustc 1."));
    /// let missing = Toolchain::TargetInstalled { rustc: "/nonexistent/rustc".into() };
    /// assert_eq!(missing.version(), "rustc (unknown version)");
    /// ```
    pub fn version(&self) -> String {
        Command::new(self.rustc())
            .arg("--version")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map_or_else(
                || "rustc (unknown version)".to_owned(),
                |out| String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            )
    }
}

impl fmt::Display for Toolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Toolchain::TargetInstalled { rustc } => {
                write!(f, "{} with the {WASM_TARGET} target", rustc.display())
            }
            Toolchain::BuildStd { rustc, linker } => {
                write!(f, "{} with -Zbuild-std", rustc.display())?;
                match linker {
                    Some(linker) => write!(f, ", linked with {}", linker.display()),
                    None => Ok(()),
                }
            }
        }
    }
}

/// How to build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The `cargo` to run (default: `$CARGO`, else `cargo`).
    pub cargo: PathBuf,
    /// The compiler probed first for an installed wasm32 target (default:
    /// `$RUSTC`, else `rustc`).
    pub rustc: PathBuf,
    /// The compiler probed for the build-std route (default [`DEBIAN_RUSTC`]).
    pub build_std_rustc: PathBuf,
    /// Target directory (default: `<contract workspace>/target/capheap-wasm`).
    pub target_dir: Option<PathBuf>,
    /// Let cargo's progress and diagnostics through to stderr.
    pub verbose: bool,
    /// Cargo features to enable (`--features a,b`; default none).
    pub features: Vec<String>,
    /// Build without the crate's default features (`--no-default-features`).
    pub no_default_features: bool,
    /// Build through a generated wrapper crate that sets the global
    /// allocator (see [`Allocator`]); `None` builds the crate as it is.
    pub allocator: Option<Allocator>,
    /// The capheap SDK the [`Allocator::Capheap`] wrapper links (default:
    /// the `sdk/` next to this crate's source, [`default_capheap_path`]).
    pub capheap_path: Option<PathBuf>,
}

/// Which global allocator a contract is built with, through a wrapper crate
/// generated next to the build (`<target>/capheap-swap/<crate>-<allocator>/`)
/// so that the contract's own files are never edited.
///
/// The wrapper is a `cdylib` that depends on the contract crate (which must
/// therefore also be an `rlib`: `crate-type = ["cdylib", "rlib"]`) and pins
/// every dependency version with a copy of the contract workspace's
/// `Cargo.lock`. Both allocators build through the same wrapper, so the two
/// wasm files differ only in their allocator. On Unix the wrapper reaches the
/// contract's workspace and the SDK's through symbolic links inside itself
/// (`contract-src`, `capheap-src`), so the wasm does not depend on where
/// either lives (see the book's "Building contracts").
///
/// - [`Allocator::Default`]: the allocator the contract ships with (Rust's
///   dlmalloc for CosmWasm; stylus-sdk's `mini-alloc` for Stylus).
/// - [`Allocator::Capheap`]: `capheap::Heap` as `#[global_allocator]`. When
///   the contract's dependency graph holds stylus-sdk's `mini-alloc` (whose
///   `#[global_allocator]` stylus-sdk turns on by default, and which crates
///   such as openzeppelin-stylus turn back on), the wrapper instead
///   `[patch]`es `mini-alloc` with a generated crate of the same name whose
///   `MiniAlloc` is a capheap heap: stylus-sdk's own global allocator then
///   is capheap.
/// - [`Allocator::CapheapMini`]: the same with `capheap::mini::MiniHeap`,
///   capheap's minimal heap (less code; large blocks freed below the top are
///   reused only once the heap empties).
///
/// Entry points: cosmwasm-std's `#[entry_point]` only emits its exports when
/// cargo builds the crate as the primary package (`CARGO_PRIMARY_PACKAGE`);
/// wrapper builds set that variable so that the contract crate, now a
/// dependency, still exports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Allocator {
    /// The allocator the contract ships with.
    Default,
    /// capheap's `Heap`.
    Capheap,
    /// capheap's minimal heap, `capheap::mini::MiniHeap`.
    #[serde(rename = "capheap-mini")]
    CapheapMini,
}

impl Allocator {
    /// Every allocator, in declaration order.
    ///
    /// ```
    /// use capheap_sim::Allocator;
    ///
    /// let names: Vec<&str> = Allocator::ALL.iter().map(|a| a.name()).collect();
    /// assert_eq!(names, ["default", "capheap", "capheap-mini"]);
    /// ```
    pub const ALL: [Allocator; 3] = [
        Allocator::Default,
        Allocator::Capheap,
        Allocator::CapheapMini,
    ];

    /// `default`, `capheap` or `capheap-mini`.
    ///
    /// ```
    /// use capheap_sim::Allocator;
    ///
    /// assert_eq!(Allocator::CapheapMini.name(), "capheap-mini");
    /// assert_eq!("capheap-mini".parse::<Allocator>(), Ok(Allocator::CapheapMini));
    /// assert_eq!(
    ///     "dlmalloc".parse::<Allocator>(),
    ///     Err("unknown allocator `dlmalloc` (expected default, capheap or capheap-mini)".into())
    /// );
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Allocator::Default => "default",
            Allocator::Capheap => "capheap",
            Allocator::CapheapMini => "capheap-mini",
        }
    }

    /// The capheap type the wrapper installs (`None` for the contract's
    /// own allocator).
    ///
    /// ```
    /// use capheap_sim::Allocator;
    ///
    /// assert_eq!(Allocator::Capheap.capheap_type(), Some("capheap::Heap"));
    /// assert_eq!(Allocator::Default.capheap_type(), None);
    /// ```
    pub fn capheap_type(self) -> Option<&'static str> {
        match self {
            Allocator::Default => None,
            Allocator::Capheap => Some("capheap::Heap"),
            Allocator::CapheapMini => Some("capheap::mini::MiniHeap"),
        }
    }
}

impl std::str::FromStr for Allocator {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Allocator::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                crate::error::unknown_name("allocator", s, Allocator::ALL.map(Allocator::name))
            })
    }
}

impl fmt::Display for Allocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The capheap SDK this simulator was built from, if its source is still
/// there (`<capheap-sim source>/../sdk`).
///
/// ```
/// // Built from this repository: its `sdk/` crate.
/// let sdk = capheap_sim::pipeline::default_capheap_path().expect("built from the repository");
/// assert!(sdk.ends_with("sdk") && sdk.join("Cargo.toml").is_file());
/// ```
pub fn default_capheap_path() -> Option<PathBuf> {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    sdk.join("Cargo.toml")
        .is_file()
        .then(|| sdk.canonicalize().unwrap_or(sdk))
}

impl Default for BuildOptions {
    fn default() -> Self {
        let from_env = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(fallback))
        };
        BuildOptions {
            // The `$CARGO` an outer cargo exports is its toolchain's binary,
            // past rustup: when rustup picked that toolchain by default,
            // run rustup's `cargo`, which picks the contract's.
            cargo: if outer_toolchain_leaked() {
                PathBuf::from("cargo")
            } else {
                from_env("CARGO", "cargo")
            },
            rustc: from_env("RUSTC", "rustc"),
            build_std_rustc: PathBuf::from(DEBIAN_RUSTC),
            target_dir: None,
            verbose: false,
            features: Vec::new(),
            no_default_features: false,
            allocator: None,
            capheap_path: None,
        }
    }
}

/// A built contract.
#[derive(Clone, Debug)]
pub struct BuiltContract {
    /// The crate's library name.
    pub name: String,
    /// Path of the `.wasm`.
    pub wasm_path: PathBuf,
    /// Its bytes.
    pub wasm: Vec<u8>,
    /// The route that built it.
    pub toolchain: Toolchain,
}

impl BuiltContract {
    /// The version of the compiler that built it, as the module's
    /// `producers` section records it (`processed-by rustc`), if it does:
    /// the toolchain a `rust-toolchain.toml` pinned, for instance.
    ///
    /// ```no_run
    /// use capheap_sim::{BuildOptions, build_contract};
    ///
    /// let built = build_contract(std::path::Path::new("contracts/hello"), &BuildOptions::default())?;
    /// println!("{}", built.rustc_version().unwrap_or_default()); // e.g. 1.95.0 (59807616e 2026-04-14)
    /// # Ok::<(), capheap_sim::BuildError>(())
    /// ```
    pub fn rustc_version(&self) -> Option<String> {
        producer_rustc(&self.wasm)
    }
}

/// The `rustc` version in a module's `producers` section (`processed-by`).
pub(crate) fn producer_rustc(wasm: &[u8]) -> Option<String> {
    use wasmparser::{KnownCustom, Parser, Payload};
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CustomSection(section)) = payload else {
            continue;
        };
        let KnownCustom::Producers(reader) = section.as_known() else {
            continue;
        };
        for field in reader.into_iter().flatten() {
            if field.name == "processed-by" {
                for value in field.values.into_iter().flatten() {
                    if value.name == "rustc" {
                        return Some(value.version.to_owned());
                    }
                }
            }
        }
    }
    None
}

/// Lets rustup choose the contract's toolchain: an outer cargo run through
/// rustup's proxy (`cargo run`, `cargo test`) exports `RUSTUP_TOOLCHAIN`,
/// which rustup ranks above a `rust-toolchain.toml`, even when nobody chose
/// it (`RUSTUP_TOOLCHAIN_SOURCE` says `default`, or names the caller's own
/// toolchain file or override). It is kept when it was chosen for this run:
/// `rustup run`, `cargo +<toolchain>` (`cli`) or set by hand (`env`).
fn let_rustup_choose(cmd: &mut Command) {
    if outer_toolchain_leaked() {
        cmd.env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("RUSTUP_TOOLCHAIN_SOURCE");
    }
}

/// Whether rustup's `RUSTUP_TOOLCHAIN` in this process's environment is one
/// nobody chose for this run (see [`let_rustup_choose`]).
fn outer_toolchain_leaked() -> bool {
    std::env::var("RUSTUP_TOOLCHAIN_SOURCE").is_ok_and(|s| s != "cli" && s != "env")
}

/// Runs `rustc --print <what> [--target wasm32]` in `cwd` (where rustup
/// looks for a `rust-toolchain.toml`), returning trimmed stdout.
fn rustc_print(rustc: &Path, what: &str, wasm: bool, cwd: &Path) -> Result<String, String> {
    let mut cmd = Command::new(rustc);
    cmd.args(["--print", what]).current_dir(cwd);
    let_rustup_choose(&mut cmd);
    if wasm {
        cmd.args(["--target", WASM_TARGET]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("{} cannot run ({e})", rustc.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} --print {what} failed: {}",
            rustc.display(),
            without_backtrace(&String::from_utf8_lossy(&out.stderr))
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A tool's error output without the backtrace rustup prints under
/// `RUST_BACKTRACE` (from its `Stack backtrace:` line on), trimmed.
fn without_backtrace(stderr: &str) -> &str {
    stderr
        .split("Stack backtrace:")
        .next()
        .unwrap_or_default()
        .trim()
}

/// Does `dir` hold a prebuilt `libcore`?
fn has_libcore(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    })
}

/// Finds a route that can build wasm32, trying the installed target first.
///
/// ```no_run
/// use capheap_sim::{BuildOptions, Toolchain, pipeline::detect_toolchain};
///
/// // Needs `rustup target add wasm32-unknown-unknown`, or Debian's rustc-web.
/// match detect_toolchain(&BuildOptions::default())? {
///     Toolchain::TargetInstalled { rustc } => println!("{}: wasm32 target installed", rustc.display()),
///     Toolchain::BuildStd { rustc, .. } => println!("{}: -Zbuild-std", rustc.display()),
/// }
/// # Ok::<(), capheap_sim::BuildError>(())
/// ```
pub fn detect_toolchain(opts: &BuildOptions) -> Result<Toolchain, BuildError> {
    detect_toolchain_in(opts, Path::new("."))
}

/// [`detect_toolchain`] for a crate in `dir`: the compilers run there, so
/// that rustup picks the toolchain the crate pins (`rust-toolchain.toml` in
/// it or a parent), as cargo then does.
fn detect_toolchain_in(opts: &BuildOptions, dir: &Path) -> Result<Toolchain, BuildError> {
    let mut tried = Vec::new();
    match rustc_print(&opts.rustc, "target-libdir", true, dir) {
        Ok(libdir) if has_libcore(Path::new(&libdir)) => {
            return Ok(Toolchain::TargetInstalled {
                rustc: opts.rustc.clone(),
            });
        }
        Ok(libdir) => tried.push(format!(
            "{} has no {WASM_TARGET} standard library (nothing in {libdir})",
            opts.rustc.display()
        )),
        Err(e) => tried.push(e),
    }
    match rustc_print(&opts.build_std_rustc, "sysroot", false, dir) {
        Ok(sysroot) => {
            let src = Path::new(&sysroot).join("lib/rustlib/src/rust/library/core");
            if src.join("Cargo.toml").is_file() {
                let search = std::env::var_os("PATH").unwrap_or_default();
                match wasm_linker(&opts.build_std_rustc, Path::new(&sysroot), &search) {
                    Ok(linker) => {
                        return Ok(Toolchain::BuildStd {
                            rustc: opts.build_std_rustc.clone(),
                            linker,
                        });
                    }
                    Err(e) => tried.push(e),
                }
            } else {
                tried.push(format!(
                    "{} has no library source ({} is missing)",
                    opts.build_std_rustc.display(),
                    src.display()
                ));
            }
        }
        Err(e) => tried.push(e),
    }
    let tried = tried.join("; ");
    match toolchain_file(dir) {
        Some((file, channel)) => Err(BuildError::PinnedToolchain {
            file,
            channel,
            reason: tried,
        }),
        None => Err(BuildError::NoWasmToolchain { tried }),
    }
}

/// The toolchain rustup picks for `dir` from a toolchain file: the channel
/// of the first `rust-toolchain.toml` or `rust-toolchain` in `dir` or above
/// (TOML with `[toolchain] channel`, or the legacy one-line form), with the
/// file. `None` when there is no such file or it names no channel (only a
/// `path`, say): rustup's directory overrides and `RUSTUP_TOOLCHAIN` are not
/// files and are not read.
fn toolchain_file(dir: &Path) -> Option<(PathBuf, String)> {
    let dir = dir.canonicalize().ok()?;
    let file = dir.ancestors().find_map(|d| {
        ["rust-toolchain.toml", "rust-toolchain"]
            .into_iter()
            .map(|name| d.join(name))
            .find(|f| f.is_file())
    })?;
    let text = std::fs::read_to_string(&file).ok()?;
    let channel = match text.parse::<toml::Table>() {
        Ok(table) => table.get("toolchain")?.get("channel")?.as_str()?.to_owned(),
        // The legacy form: the toolchain's name alone.
        Err(_) => text.trim().to_owned(),
    };
    (!channel.is_empty() && !channel.contains(char::is_whitespace)).then_some((file, channel))
}

/// The wasm linker of the build-std route: `None` when the compiler's
/// sysroot ships `rust-lld` (its default), else the first of
/// `wasm-ld-<LLVM major>`, `wasm-ld` and `rust-lld` on `PATH` (Debian's
/// `rustc-web` ships no linker: `lld-<LLVM major>` has `wasm-ld-<major>`).
/// `search` is the `PATH` to look in.
fn wasm_linker(
    rustc: &Path,
    sysroot: &Path,
    search: &std::ffi::OsStr,
) -> Result<Option<PathBuf>, String> {
    let rustlib = sysroot.join("lib").join("rustlib");
    let bundled = std::fs::read_dir(&rustlib).is_ok_and(|hosts| {
        hosts
            .flatten()
            .any(|host| host.path().join("bin").join("rust-lld").is_file())
    });
    if bundled {
        return Ok(None);
    }
    let major = llvm_major(rustc);
    let mut names: Vec<String> = major.iter().map(|m| format!("wasm-ld-{m}")).collect();
    names.extend(["wasm-ld".to_owned(), "rust-lld".to_owned()]);
    for name in &names {
        for dir in std::env::split_paths(search) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(Some(candidate));
            }
        }
    }
    let package = major.map_or_else(|| "lld".to_owned(), |m| format!("lld-{m}"));
    Err(format!(
        "{} has library source but no wasm linker (no rust-lld in {}, no {} on PATH; Debian: \
         `apt-get install {package}`)",
        rustc.display(),
        rustlib.display(),
        names.join(" or ")
    ))
}

/// The major version of the LLVM `rustc` was built with (`rustc -vV`'s
/// `LLVM version: 19.1.7` line), if it says.
fn llvm_major(rustc: &Path) -> Option<u32> {
    let out = Command::new(rustc).arg("-vV").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .lines()
        .find_map(|line| line.strip_prefix("LLVM version: "))?;
    version.split('.').next()?.trim().parse().ok()
}

/// The flags every contract build gets: source paths are remapped so the
/// wasm does not depend on where the checkout or the cargo home lives; host
/// functions declared without an import module link as `env` imports (see
/// [`ALLOW_UNDEFINED`]); plus the linker of a build-std route whose compiler
/// ships none.
fn contract_rustflags(
    workspace_root: &Path,
    extra: &[(PathBuf, &str)],
    toolchain: &Toolchain,
) -> Vec<OsString> {
    let mut flags: Vec<OsString> = vec![ALLOW_UNDEFINED.into()];
    if let Toolchain::BuildStd {
        linker: Some(linker),
        ..
    } = toolchain
    {
        let mut flag = OsString::from("-Clinker=");
        flag.push(linker);
        flags.push(flag);
    }
    let mut remap = |from: &Path, to: &str| {
        let mut flag = OsString::from("--remap-path-prefix=");
        flag.push(from);
        flag.push("=");
        flag.push(to);
        flags.push(flag);
    };
    if let Some(home) = cargo_home() {
        remap(&home, "/cargo");
    }
    remap(workspace_root, "/contract");
    for (from, to) in extra {
        remap(from, to);
    }
    flags
}

/// Gives the build `flags` after the contract's own: as a `--config` value
/// of `target.wasm32-unknown-unknown.rustflags`, which cargo appends to the
/// same key of the contract's `.cargo/config.toml` (a `-zstack-size`, a
/// `target-feature`, as Stylus and OpenZeppelin projects set). A flag that
/// is not UTF-8 (a remapped path), which TOML cannot hold, falls back to
/// `CARGO_ENCODED_RUSTFLAGS`, which replaces the contract's flags. (A
/// target's `rustflags` make cargo ignore `build.rustflags`: the caller puts
/// a contract's `build.rustflags` in `flags`, see `cargo_config`.)
fn pass_rustflags(cmd: &mut Command, flags: &[OsString]) {
    let utf8: Option<Vec<toml::Value>> = flags
        .iter()
        .map(|f| f.to_str().map(|f| toml::Value::String(f.to_owned())))
        .collect();
    cmd.env_remove("CARGO_ENCODED_RUSTFLAGS");
    match utf8 {
        Some(values) => {
            cmd.arg("--config").arg(format!(
                "target.{WASM_TARGET}.rustflags = {}",
                toml::Value::Array(values)
            ));
        }
        None => {
            let mut encoded = OsString::new();
            for (i, f) in flags.iter().enumerate() {
                if i > 0 {
                    encoded.push("\x1f");
                }
                encoded.push(f);
            }
            cmd.env("CARGO_ENCODED_RUSTFLAGS", encoded);
        }
    }
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

#[derive(Deserialize)]
struct LocateProject {
    root: PathBuf,
}

/// Runs a cargo query (`cargo <args> --manifest-path <manifest>`) and returns
/// its standard output; a failure is [`BuildError::CargoFailed`] with cargo's
/// diagnostics.
pub(crate) fn cargo_query(
    opts: &BuildOptions,
    manifest: &Path,
    args: &[&str],
) -> Result<Vec<u8>, BuildError> {
    let mut cmd = Command::new(&opts.cargo);
    if let Some(dir) = manifest.parent() {
        // Where rustup and cargo look for the crate's toolchain and config.
        cmd.current_dir(dir);
    }
    let_rustup_choose(&mut cmd);
    let out = cmd
        .args(args)
        .arg("--manifest-path")
        .arg(manifest)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .map_err(|source| BuildError::Spawn {
            program: opts.cargo.display().to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(BuildError::CargoFailed {
            dir: manifest.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(out.stdout)
}

/// Runs `cargo <args>` for `manifest` (see [`cargo_query`]) and reads its
/// JSON answer.
fn cargo_json<T: serde::de::DeserializeOwned>(
    opts: &BuildOptions,
    manifest: &Path,
    args: &[&str],
) -> Result<T, BuildError> {
    let stdout = cargo_query(opts, manifest, args)?;
    serde_json::from_slice(&stdout).map_err(|e| BuildError::CargoFailed {
        dir: manifest.to_owned(),
        stderr: format!(
            "cannot read `cargo {}` output: {e}",
            args.first().copied().unwrap_or_default()
        ),
    })
}

/// The root manifest of the cargo workspace that holds `manifest`.
fn workspace_root(opts: &BuildOptions, manifest: &Path) -> Result<PathBuf, BuildError> {
    let located: LocateProject = cargo_json(
        opts,
        manifest,
        &["locate-project", "--workspace", "--message-format", "json"],
    )?;
    Ok(located
        .root
        .parent()
        .map(Path::to_owned)
        .unwrap_or(located.root))
}

#[derive(Deserialize)]
struct ArtifactMessage {
    reason: String,
    #[serde(default)]
    manifest_path: PathBuf,
    #[serde(default)]
    filenames: Vec<PathBuf>,
    #[serde(default)]
    target: Option<ArtifactTarget>,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
}

/// Builds the contract crate in `dir` to wasm32 and returns its bytes; with
/// [`BuildOptions::allocator`], through the allocator-swap wrapper.
///
/// ```no_run
/// use capheap_sim::{Allocator, BuildOptions, Simulator, build_contract};
///
/// // The same crate on its own allocator and on capheap.
/// let dir = std::path::Path::new("contracts/hello");
/// let own = build_contract(dir, &BuildOptions::default())?;
/// let swapped = build_contract(dir, &BuildOptions { allocator: Some(Allocator::Capheap), ..BuildOptions::default() })?;
/// println!("{}: {} bytes, {} on capheap", own.name, own.wasm.len(), swapped.wasm.len());
/// let contract = Simulator::new().load(&swapped.wasm)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A directory that is not a crate is an error before cargo runs:
///
/// ```
/// use capheap_sim::{BuildError, BuildOptions, build_contract};
///
/// let dir = std::env::temp_dir().join("capheap-sim-doc-not-a-crate");
/// let err = build_contract(&dir, &BuildOptions::default()).unwrap_err();
/// assert!(matches!(err, BuildError::NotACrate(_)));
/// ```
pub fn build_contract(dir: &Path, opts: &BuildOptions) -> Result<BuiltContract, BuildError> {
    let manifest = crate_manifest(dir)?;
    let pinned;
    // A pinned wasm toolchain was checked to have the wasm32 target: no
    // route to detect.
    let (opts, toolchain) = match pinned_toolchain(&manifest, dir)? {
        Some((cargo, rustc)) => {
            pinned = BuildOptions {
                cargo,
                rustc: rustc.clone(),
                ..opts.clone()
            };
            (&pinned, Toolchain::TargetInstalled { rustc })
        }
        None => (opts, detect_toolchain_in(opts, dir)?),
    };
    let root = workspace_root(opts, &manifest)?;
    // Absolute: cargo runs in the contract's directory.
    let target_dir = match &opts.target_dir {
        Some(dir) => std::path::absolute(dir).map_err(|source| BuildError::Io {
            path: dir.clone(),
            source,
        })?,
        None => root.join("target").join("capheap-wasm"),
    };
    let Some(allocator) = opts.allocator else {
        return cargo_build(
            dir,
            &manifest,
            &root,
            &target_dir,
            &[],
            opts,
            toolchain,
            false,
        );
    };
    let swap = swap::prepare(dir, &manifest, &root, &target_dir, allocator, opts)?;
    let mut built = cargo_build(
        dir,
        &swap.manifest,
        &root,
        &swap.build_dir,
        &swap.remaps,
        &BuildOptions {
            features: Vec::new(),
            no_default_features: false,
            ..opts.clone()
        },
        toolchain,
        true,
    )?;
    built.name = swap.contract_name;
    Ok(built)
}

/// The toolchain a contract names for its wasm, apart from the one its
/// native tests run on: `package.metadata.capheap-sim.wasm-toolchain` in its
/// manifest, as a rustup toolchain name. A CosmWasm contract needs one:
/// cosmwasm-vm refuses the bulk memory operators that rustc 1.87 and later
/// emit for wasm32, while its tests link crates that need a newer Rust (the
/// role cosmwasm/optimizer's pinned Rust plays for a release build).
///
/// ```toml
/// [package.metadata.capheap-sim]
/// wasm-toolchain = "1.85"
/// ```
///
/// `None` if the manifest names none.
pub fn wasm_toolchain(manifest: &Path) -> Result<Option<String>, BuildError> {
    let text = std::fs::read_to_string(manifest).map_err(|source| BuildError::Io {
        path: manifest.to_owned(),
        source,
    })?;
    let invalid = |reason: String| BuildError::WasmToolchain {
        manifest: manifest.to_owned(),
        name: String::new(),
        reason,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e| invalid(format!("the manifest is not TOML: {e}")))?;
    let value = table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("capheap-sim"))
        .and_then(|c| c.get("wasm-toolchain"));
    match value {
        None => Ok(None),
        Some(toml::Value::String(name))
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) =>
        {
            Ok(Some(name.clone()))
        }
        Some(other) => Err(invalid(format!(
            "`wasm-toolchain` must be a rustup toolchain name such as \"1.85\", not {other}"
        ))),
    }
}

/// The cargo and rustc of the toolchain the contract at `manifest` names
/// for its wasm ([`wasm_toolchain`]), found through rustup, once checked to
/// have the wasm32 standard library. `None` when it names none, or when
/// there is no rustup (the build-std route builds with the compiler at
/// hand, as it ignores a `rust-toolchain.toml`).
fn pinned_toolchain(manifest: &Path, dir: &Path) -> Result<Option<(PathBuf, PathBuf)>, BuildError> {
    let Some(name) = wasm_toolchain(manifest)? else {
        return Ok(None);
    };
    let fail = |reason: String| BuildError::WasmToolchain {
        manifest: manifest.to_owned(),
        name: name.clone(),
        reason,
    };
    let which = |tool: &str| -> Result<Option<PathBuf>, BuildError> {
        let out = match Command::new("rustup")
            .args(["which", "--toolchain", &name, tool])
            .current_dir(dir)
            .output()
        {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(format!("cannot run rustup ({e})"))),
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().next().unwrap_or("rustup which failed");
            return Err(fail(first.trim_start_matches("error: ").to_owned()));
        }
        Ok(Some(PathBuf::from(
            String::from_utf8_lossy(&out.stdout).trim(),
        )))
    };
    let (Some(cargo), Some(rustc)) = (which("cargo")?, which("rustc")?) else {
        return Ok(None);
    };
    let libdir = rustc_print(&rustc, "target-libdir", true, dir).map_err(&fail)?;
    if !has_libcore(Path::new(&libdir)) {
        return Err(fail(format!(
            "it has no {WASM_TARGET} standard library (nothing in {libdir})"
        )));
    }
    Ok(Some((cargo, rustc)))
}

/// The canonical path of the manifest of the crate at `dir`.
fn crate_manifest(dir: &Path) -> Result<PathBuf, BuildError> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(BuildError::NotACrate(dir.to_owned()));
    }
    manifest.canonicalize().map_err(|source| BuildError::Io {
        path: manifest.clone(),
        source,
    })
}

/// Runs `cargo build` for `manifest` and reads the artifact.
#[allow(clippy::too_many_arguments)]
fn cargo_build(
    dir: &Path,
    manifest: &Path,
    root: &Path,
    target_dir: &Path,
    remaps: &[(PathBuf, &str)],
    opts: &BuildOptions,
    toolchain: Toolchain,
    primary_everywhere: bool,
) -> Result<BuiltContract, BuildError> {
    let mut cmd = Command::new(&opts.cargo);
    // In the contract's directory (a swap's wrapper lives elsewhere): rustup
    // picks the toolchain the contract pins there, and cargo reads the
    // contract's `.cargo/config.toml`.
    let_rustup_choose(&mut cmd);
    cmd.current_dir(dir)
        .args(["build", "--release", "--target", WASM_TARGET])
        .args(["--message-format", "json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir);
    if !opts.verbose {
        cmd.arg("--quiet");
    }
    if opts.no_default_features {
        cmd.arg("--no-default-features");
    }
    if !opts.features.is_empty() {
        cmd.arg("--features").arg(opts.features.join(","));
    }
    // The outer cargo (e.g. `cargo test`) exports variables meant for its own
    // build; none of them may leak into the contract build.
    for var in [
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_BOOTSTRAP",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
    ] {
        cmd.env_remove(var);
    }
    // The contract's `build.rustflags` first, which the pipeline's target
    // key would hide (see `cargo_config`), then the pipeline's.
    let mut flags: Vec<OsString> =
        cargo_config::build_rustflags(dir, cargo_home().as_deref(), || {
            rustc_print(toolchain.rustc(), "cfg", true, dir)
                .ok()
                .map(|text| cargo_config::parse_cfgs(&text))
        })
        .into_iter()
        .map(OsString::from)
        .collect();
    flags.extend(contract_rustflags(root, remaps, &toolchain));
    pass_rustflags(&mut cmd, &flags);
    cmd.env("RUSTC", toolchain.rustc())
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false");
    if primary_everywhere {
        // cosmwasm-std's `#[entry_point]` emits exports only for the primary
        // package; in a wrapper build the contract is a dependency.
        cmd.env("CARGO_PRIMARY_PACKAGE", "1");
    }
    if let Toolchain::BuildStd { .. } = toolchain {
        // Contracts written for capheap are `no_std`; the ecosystem contracts
        // that go through the allocator swap (cosmwasm-std, stylus-sdk with
        // std dependencies) link std.
        let crates = if primary_everywhere {
            "-Zbuild-std=std,panic_abort"
        } else {
            "-Zbuild-std=core,alloc"
        };
        cmd.env("RUSTC_BOOTSTRAP", "1").arg(crates);
    }
    if opts.verbose {
        cmd.stderr(std::process::Stdio::inherit());
    }
    let out = cmd.output().map_err(|source| BuildError::Spawn {
        program: opts.cargo.display().to_string(),
        source,
    })?;
    if !out.status.success() {
        return Err(BuildError::CargoFailed {
            dir: dir.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }

    let (name, wasm_path) = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<ArtifactMessage>(line).ok())
        .filter(|m| m.reason == "compiler-artifact" && m.manifest_path == *manifest)
        .find_map(|m| {
            let wasm = m
                .filenames
                .into_iter()
                .find(|f| f.extension().is_some_and(|e| e == "wasm"))?;
            Some((m.target.map(|t| t.name).unwrap_or_default(), wasm))
        })
        .ok_or_else(|| BuildError::NoArtifact(dir.to_owned()))?;
    let wasm = std::fs::read(&wasm_path).map_err(|source| BuildError::Io {
        path: wasm_path.clone(),
        source,
    })?;
    Ok(BuiltContract {
        name,
        wasm_path,
        wasm,
        toolchain,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{
        Allocator, BuildError, BuildOptions, build_contract, toolchain_file, wasm_toolchain,
        without_backtrace,
    };

    /// A crate whose manifest ends with `extra`, in a fresh directory.
    fn crate_with(extra: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("Cargo.toml"),
            format!("[package]\nname = \"c\"\nversion = \"0.1.0\"\n{extra}"),
        )
        .unwrap();
        tmp
    }

    #[test]
    fn the_toolchain_file_is_found_in_the_crate_or_above_in_either_form() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(toolchain_file(&sub), None);
        let write = |dir: &Path, name: &str, text: &str| {
            let file = dir.join(name);
            std::fs::write(&file, text).unwrap();
            file.canonicalize().unwrap()
        };
        // Above the crate, TOML.
        let top = write(
            tmp.path(),
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"1.85\"\ntargets = [\"wasm32-unknown-unknown\"]\n",
        );
        assert_eq!(toolchain_file(&sub), Some((top.clone(), "1.85".to_owned())));
        // The nearest file wins; the legacy form is the name alone.
        let legacy = write(&sub, "rust-toolchain", "nightly-2025-01-01\n");
        assert_eq!(
            toolchain_file(&sub),
            Some((legacy, "nightly-2025-01-01".to_owned()))
        );
        // A file that pins no channel (a `path`, or nothing usable) pins nothing.
        write(
            &sub,
            "rust-toolchain.toml",
            "[toolchain]\npath = \"/opt/rust\"\n",
        );
        assert_eq!(toolchain_file(&sub), None);
        write(&sub, "rust-toolchain.toml", "[toolchain]\nchannel = \"\"\n");
        assert_eq!(toolchain_file(&sub), None);
        write(&sub, "rust-toolchain.toml", "two words\n");
        assert_eq!(toolchain_file(&sub), None);
        assert_eq!(toolchain_file(Path::new("/nonexistent/dir")), None);
    }

    #[test]
    fn rustups_backtrace_is_cut_from_a_compilers_error() {
        // What rustup's `rustc` prints, under `RUST_BACKTRACE=1`, in a crate
        // that pins a toolchain that is not installed.
        let stderr = "error: toolchain '1.85-x86_64-unknown-linux-gnu' is not installed\n\
                      help: run `rustup toolchain install` to install it\n\n\
                      Stack backtrace:\n   0: anyhow::error::<impl ..>::from\n   1: rustup::main\n";
        assert_eq!(
            without_backtrace(stderr),
            "error: toolchain '1.85-x86_64-unknown-linux-gnu' is not installed\n\
             help: run `rustup toolchain install` to install it"
        );
        // Without one, the whole message, trimmed.
        assert_eq!(
            without_backtrace("  error[E0463]: can't find crate for `core`\n"),
            "error[E0463]: can't find crate for `core`"
        );
    }

    #[test]
    fn a_pinned_toolchain_that_cannot_build_is_named_with_how_to_install_it() {
        let dir = crate_with("[lib]\ncrate-type = [\"cdylib\"]\n");
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
        std::fs::write(
            dir.path().join("rust-toolchain.toml"),
            "[toolchain]\nchannel = \"0.0.1\"\n",
        )
        .unwrap();
        // Neither route can build: the pinned toolchain's compiler cannot
        // run, and there is no build-std compiler.
        let opts = BuildOptions {
            rustc: "/nonexistent/rustc".into(),
            build_std_rustc: "/nonexistent/rustc-web".into(),
            ..BuildOptions::default()
        };
        let err = build_contract(dir.path(), &opts).unwrap_err();
        let BuildError::PinnedToolchain {
            file,
            channel,
            reason,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(
            file,
            &dir.path()
                .join("rust-toolchain.toml")
                .canonicalize()
                .unwrap()
        );
        assert_eq!(channel, "0.0.1");
        assert!(
            reason.contains("/nonexistent/rustc-web cannot run"),
            "{reason}"
        );
        assert!(reason.contains("/nonexistent/rustc cannot run"), "{reason}");
        assert!(
            err.to_string()
                .contains("rustup toolchain install 0.0.1 --target wasm32-unknown-unknown"),
            "{err}"
        );
        // Without the file, the same failure is the general one.
        std::fs::remove_file(dir.path().join("rust-toolchain.toml")).unwrap();
        assert!(matches!(
            build_contract(dir.path(), &opts),
            Err(BuildError::NoWasmToolchain { .. })
        ));
    }

    #[test]
    fn the_wasm_toolchain_is_read_from_the_manifest() {
        let manifest = |extra: &str| crate_with(extra);
        let read = |dir: &tempfile::TempDir| wasm_toolchain(&dir.path().join("Cargo.toml"));
        assert_eq!(read(&manifest("")).unwrap(), None);
        let pinned = manifest("[package.metadata.capheap-sim]\nwasm-toolchain = \"1.85\"\n");
        assert_eq!(read(&pinned).unwrap().as_deref(), Some("1.85"));
        let nightly = "[package.metadata.capheap-sim]\nwasm-toolchain = \"nightly-2025-01-01\"\n";
        assert_eq!(
            read(&manifest(nightly)).unwrap().as_deref(),
            Some("nightly-2025-01-01")
        );
        // Not a toolchain name: a typed error naming the key.
        for bad in ["185", "\"\"", "\"1.85 --force\"", "\"../x\""] {
            let dir = manifest(&format!(
                "[package.metadata.capheap-sim]\nwasm-toolchain = {bad}\n"
            ));
            let err = read(&dir).unwrap_err();
            assert!(
                matches!(err, BuildError::WasmToolchain { .. }),
                "{bad}: {err}"
            );
            assert!(
                err.to_string().contains("must be a rustup toolchain name"),
                "{err}"
            );
        }
        let broken = manifest("[package.metadata\n");
        assert!(matches!(
            read(&broken),
            Err(BuildError::WasmToolchain { .. })
        ));
    }

    #[test]
    fn a_wasm_toolchain_that_is_not_installed_says_how_to_install_it() {
        let dir = crate_with(
            "[lib]\ncrate-type = [\"cdylib\"]\n\
             [package.metadata.capheap-sim]\nwasm-toolchain = \"0.0.1\"\n",
        );
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
        let err = build_contract(dir.path(), &BuildOptions::default()).unwrap_err();
        let BuildError::WasmToolchain { name, reason, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(name, "0.0.1");
        assert!(reason.contains("not installed"), "{reason}");
        assert!(
            err.to_string()
                .contains("rustup toolchain install 0.0.1 --target wasm32-unknown-unknown"),
            "{err}"
        );
    }

    #[test]
    fn allocators_parse_from_their_names() {
        for a in [
            Allocator::Default,
            Allocator::Capheap,
            Allocator::CapheapMini,
        ] {
            assert_eq!(a.name().parse::<Allocator>(), Ok(a));
            assert_eq!(a.to_string(), a.name());
        }
        assert_eq!(Allocator::Capheap.capheap_type(), Some("capheap::Heap"));
        assert_eq!(
            Allocator::CapheapMini.capheap_type(),
            Some("capheap::mini::MiniHeap")
        );
        assert_eq!(Allocator::Default.capheap_type(), None);
        let err = "mini".parse::<Allocator>().unwrap_err();
        assert!(err.contains("capheap-mini"), "{err}");
    }

    /// A compiler stand-in that prints `rustc -vV` with this LLVM version.
    #[cfg(unix)]
    fn rustc_with_llvm(dir: &std::path::Path, llvm: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("rustc");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho 'rustc 1.85.0'\necho 'LLVM version: {llvm}'\n"),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    fn touch(path: &std::path::Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn the_build_std_route_links_with_the_lld_of_its_llvm() {
        let dir = tempfile::tempdir().unwrap();
        let rustc = rustc_with_llvm(dir.path(), "19.1.7");
        let sysroot = dir.path().join("sysroot");
        let (bin, other) = (dir.path().join("bin"), dir.path().join("other"));
        let search = std::env::join_paths([&other, &bin]).unwrap();
        // Nothing to link with: the error names the package to install.
        let err = super::wasm_linker(&rustc, &sysroot, &search).unwrap_err();
        assert!(err.contains("no wasm linker"), "{err}");
        assert!(err.contains("wasm-ld-19 or wasm-ld or rust-lld"), "{err}");
        assert!(err.contains("apt-get install lld-19"), "{err}");
        // A plain `wasm-ld`, then the versioned one, which wins wherever it is
        // on the path.
        touch(&other.join("wasm-ld"));
        assert_eq!(
            super::wasm_linker(&rustc, &sysroot, &search).unwrap(),
            Some(other.join("wasm-ld"))
        );
        touch(&bin.join("wasm-ld-19"));
        assert_eq!(
            super::wasm_linker(&rustc, &sysroot, &search).unwrap(),
            Some(bin.join("wasm-ld-19"))
        );
        // The LLVM version decides which versioned linker.
        let rustc_20 = rustc_with_llvm(&other, "20.0.0");
        assert_eq!(
            super::wasm_linker(&rustc_20, &sysroot, &search).unwrap(),
            Some(other.join("wasm-ld"))
        );
        // A sysroot that ships `rust-lld` needs no linker flag.
        touch(&sysroot.join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"));
        assert_eq!(super::wasm_linker(&rustc, &sysroot, &search).unwrap(), None);
    }

    #[test]
    #[cfg(unix)]
    fn a_compiler_that_names_no_llvm_version_asks_for_plain_lld() {
        let dir = tempfile::tempdir().unwrap();
        let rustc = rustc_with_llvm(dir.path(), "unknown");
        let search = std::env::join_paths([dir.path().join("bin")]).unwrap();
        let err = super::wasm_linker(&rustc, &dir.path().join("sysroot"), &search).unwrap_err();
        assert!(err.contains("no wasm-ld or rust-lld on PATH"), "{err}");
        assert!(err.contains("apt-get install lld`"), "{err}");
    }
}
