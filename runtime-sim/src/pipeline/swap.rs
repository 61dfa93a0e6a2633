//! The allocator swap: a wrapper crate generated next to a build, so that a
//! contract crate nobody here wrote is built with capheap (or, through the
//! same wrapper, with its own allocator) without editing it. See
//! [`Allocator`](crate::pipeline::Allocator) for the scheme.

use std::path::{Path, PathBuf};

use crate::pipeline::location::BuildGraph;
use crate::pipeline::{Allocator, BuildError, BuildOptions, default_capheap_path};

/// The package stylus-sdk takes its `#[global_allocator]` from.
pub const MINI_ALLOC: &str = "mini-alloc";

/// A prepared wrapper.
pub(crate) struct Swap {
    /// The wrapper's manifest.
    pub manifest: PathBuf,
    /// The contract crate's package name.
    pub contract_name: String,
    /// Paths to remap in the wasm (so it does not depend on where they live).
    pub remaps: Vec<(PathBuf, &'static str)>,
    /// The target directory of the wrapper's build (shared by every
    /// wrapper of this allocator).
    pub build_dir: PathBuf,
}

/// Where a wrapper sees the capheap SDK's workspace: a symbolic link inside
/// the wrapper (see [`mount`]).
const SDK_MOUNT: &str = "capheap-src";
/// Where a wrapper sees the contract's workspace. One name for every
/// allocator: cargo names the contract's library without a hash (it is also
/// a `cdylib`), so in the shared build directory a name per allocator would
/// give two crates one output file, and a build could link the other
/// allocator's. Under one name the contract's crates are one crate, which
/// compiles again when its dependencies differ from the last allocator's
/// (stylus-sdk on a mini-alloc shim), and is shared when they do not.
const CONTRACT_MOUNT: &str = "contract-src";

/// Makes `wrapper/<name>` a symbolic link to `target` (replacing a link that
/// points elsewhere).
///
/// Why links: cargo hashes a path dependency's location into its crate's
/// metadata, so into every symbol name, and symbol names decide how the
/// linker lays the functions out. A dependency inside the wrapper's own
/// directory is hashed by its path relative to it; one outside, by its
/// absolute path. Through these links the contract and the SDK are inside
/// the wrapper, so the wasm (its bytes, and so its size and fuel) does not
/// depend on where the checkout lives.
#[cfg(unix)]
fn mount(wrapper: &Path, name: &str, target: &Path) -> Result<(), BuildError> {
    let link = wrapper.join(name);
    match std::fs::read_link(&link) {
        Ok(old) if old == target => return Ok(()),
        Ok(_) => std::fs::remove_file(&link).map_err(io(&link))?,
        Err(_) => {}
    }
    std::fs::create_dir_all(wrapper).map_err(io(wrapper))?;
    std::os::unix::fs::symlink(target, &link).map_err(io(&link))
}

/// Without symbolic links nothing is mounted (the caller does not ask): the
/// wrapper names the directories where they are, and the wasm depends on
/// that location.
#[cfg(not(unix))]
fn mount(_: &Path, _: &str, _: &Path) -> Result<(), BuildError> {
    Ok(())
}

/// The path, relative to the wrapper, of `inner` (inside `root`) as seen
/// through the mount of `root` at `name` (`inner` itself if it is not inside).
fn through(name: &str, root: &Path, inner: &Path) -> PathBuf {
    match inner.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from(name),
        Ok(rel) => Path::new(name).join(rel),
        Err(_) => inner.to_owned(),
    }
}

/// A TOML string literal of a path, with `/` separators for relative ones.
fn quoted_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if path.is_relative() {
        quoted(&text.replace('\\', "/"))
    } else {
        quoted(&text)
    }
}

/// Whether a wrapper reaches the contract at `dir` (in the workspace at
/// `root`, both canonical) through a link to its workspace: on a system
/// with symbolic links, when no crate of its build lies outside the
/// workspace (`outside`, from [`BuildGraph::outside`]: cargo resolves `..`
/// without following links, so `contract-src/../shared` would not be found).
pub(crate) fn links_reach(dir: &Path, root: &Path, outside: &[PathBuf]) -> bool {
    cfg!(unix) && dir.starts_with(root) && outside.is_empty()
}

/// The capheap SDK a wrapper for `allocator` links: `None` for
/// [`Allocator::Default`], and when the SDK is neither given nor where this
/// capheap-sim was built from.
pub(crate) fn sdk_for(allocator: Allocator, opts: &BuildOptions) -> Option<PathBuf> {
    allocator.capheap_type()?;
    sdk_source(opts)
}

/// Where the capheap SDK is: the one given, else the one this capheap-sim
/// was built from (`None` when neither).
fn sdk_source(opts: &BuildOptions) -> Option<PathBuf> {
    opts.capheap_path.clone().or_else(default_capheap_path)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `text` to `path` unless it already holds exactly that (so cargo's
/// fingerprints stay fresh and a second build does nothing).
fn write_if_changed(path: &Path, text: &str) -> Result<(), BuildError> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, text).map_err(io(path))
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The version of `package` in a `Cargo.lock`, if it is there.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let lock: toml::Table = lock.parse().ok()?;
    lock.get("package")?
        .as_array()?
        .iter()
        .filter_map(toml::Value::as_table)
        .find(|p| p.get("name").and_then(toml::Value::as_str) == Some(package))?
        .get("version")?
        .as_str()
        .map(str::to_owned)
}

/// Generates the wrapper for the contract at `dir` and returns where it is.
pub(crate) fn prepare(
    dir: &Path,
    manifest: &Path,
    root: &Path,
    target_dir: &Path,
    allocator: Allocator,
    opts: &BuildOptions,
) -> Result<Swap, BuildError> {
    let refuse = |reason: String| BuildError::AllocatorSwap {
        dir: dir.to_owned(),
        allocator,
        reason,
    };
    let text = std::fs::read_to_string(manifest).map_err(io(manifest))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| refuse(format!("{}: {e}", manifest.display())))?;
    let name = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        .ok_or_else(|| refuse("its Cargo.toml has no [package] name".to_owned()))?
        .to_owned();
    let crate_types: Vec<&str> = table
        .get("lib")
        .and_then(|l| l.get("crate-type"))
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(toml::Value::as_str).collect())
        .unwrap_or_default();
    if !crate_types.is_empty() && !crate_types.iter().any(|t| matches!(*t, "rlib" | "lib")) {
        return Err(refuse(format!(
            "the wrapper links the contract as a library: add \"rlib\" to `crate-type` in {} \
             (e.g. crate-type = [\"cdylib\", \"rlib\"], as CosmWasm contracts have)",
            manifest.display()
        )));
    }
    let heap_type = allocator.capheap_type();
    // Mounted for every allocator (see below), linked only by capheap's.
    let sdk_source = sdk_source(opts);
    if heap_type.is_some() && sdk_source.is_none() {
        return Err(refuse(
            "the capheap SDK source is not where this capheap-sim was built from: \
             give its path (--capheap-path <repo>/sdk)"
                .to_owned(),
        ));
    }
    let swap_root = target_dir.join("capheap-swap");
    let wrapper = swap_root.join(format!("{name}-{allocator}"));
    let build_dir = target_dir.join("swap");
    // `cargo metadata` writes the contract's lock if it has none: read it
    // after.
    let graph = BuildGraph::of(opts, manifest)?;
    let source_lock_path = root.join("Cargo.lock");
    let source_lock = std::fs::read_to_string(&source_lock_path).unwrap_or_default();
    let mini_alloc = if graph.has(MINI_ALLOC) {
        locked_version(&source_lock, MINI_ALLOC)
    } else {
        None
    };

    // The contract and the SDK through links inside the wrapper (see
    // `mount`). rustc sees their files by paths relative to the wrapper
    // (`contract-src/...`), remapped to the names they have without links.
    //
    // The remaps are in `RUSTFLAGS`, which cargo's fingerprints compare, and
    // every wrapper of this target directory, whatever its allocator, builds
    // in one directory: so they are the same for all of them (nothing names
    // a wrapper or an allocator: a wrapper of the contract's own allocator
    // mounts and remaps the SDK it does not link), and a dependency they
    // have in common (cosmwasm-std, alloy, the contract itself when nothing
    // under it changes) compiles once for all three allocators. They keep
    // the absolute remaps of the contract's workspace and of the SDK (unused
    // through the links). Those follow what the links point at: when one
    // points elsewhere (another checkout, another `--capheap-path`), the
    // flags change and cargo rebuilds. The crates behind a link keep their
    // relative paths, so their output files, and cargo's modification times
    // alone would call the old ones fresh.
    let mut remaps = vec![(swap_root.clone(), "/capheap-swap")];
    let dir = dir.canonicalize().map_err(io(dir))?;
    let root = root.canonicalize().map_err(io(root))?;
    // A contract linked by its absolute path takes the SDK by its absolute
    // path too: cargo takes inherited manifest fields from any workspace root
    // it knows above a package, and the contract's may hold the wrapper.
    let mounted = links_reach(&dir, &root, &graph.outside(&root));
    let contract = if mounted {
        mount(&wrapper, CONTRACT_MOUNT, &root)?;
        // (The absolute remap of `root` is the pipeline's own.)
        remaps.push((PathBuf::from(CONTRACT_MOUNT), "/contract"));
        through(CONTRACT_MOUNT, &root, &dir)
    } else {
        dir.clone()
    };
    let mut deps = format!(
        "contract = {{ package = {}, path = {}, default-features = {}, features = [{}] }}\n",
        quoted(&name),
        quoted_path(&contract),
        !opts.no_default_features,
        opts.features
            .iter()
            .map(|f| quoted(f))
            .collect::<Vec<_>>()
            .join(", "),
    );
    // The SDK, mounted and remapped for every allocator (see above); linked
    // only by capheap's.
    let mut sdk = None;
    if let Some(source) = sdk_source {
        let source = source.canonicalize().map_err(io(&source))?;
        remaps.push((source.clone(), "/capheap"));
        sdk = Some(if mounted {
            let sdk_root = super::workspace_root(opts, &source.join("Cargo.toml"))?
                .canonicalize()
                .map_err(io(&source))?;
            mount(&wrapper, SDK_MOUNT, &sdk_root)?;
            let through = through(SDK_MOUNT, &sdk_root, &source);
            remaps.push((through.clone(), "/capheap"));
            through
        } else {
            source
        });
    }
    let mut patch = String::new();
    let mut global = String::new();
    if let (Some(sdk), Some(heap_type)) = (&sdk, heap_type) {
        match &mini_alloc {
            Some(version) => {
                // One directory per heap: cargo hashes a path crate by its
                // path relative to the wrapper, so two shims at the same path
                // would be one crate in the shared build directory, and a
                // build would take the other heap's output as fresh.
                let shim_dir = format!("{MINI_ALLOC}-{allocator}");
                let shim = wrapper.join(&shim_dir);
                let from_shim = if sdk.is_relative() {
                    Path::new("..").join(sdk)
                } else {
                    sdk.clone()
                };
                write_shim(&shim, version, &quoted_path(&from_shim), heap_type)?;
                patch = format!(
                    "\n[patch.crates-io]\nmini-alloc = {{ path = {} }}\n",
                    quoted(&shim_dir)
                );
            }
            None => {
                deps.push_str(&format!("capheap = {{ path = {} }}\n", quoted_path(sdk)));
                global = format!(
                    "\n/// capheap as the global allocator.\n#[global_allocator]\n\
                     static CAPHEAP: {heap_type} = {heap_type}::new(capheap::Config::DEFAULT);\n"
                );
            }
        }
    }
    write_if_changed(
        &wrapper.join("Cargo.toml"),
        &format!(
            "# Generated by capheap-sim: {name} with the {allocator} allocator. Do not edit.\n\
             [package]\nname = {}\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [lib]\npath = \"lib.rs\"\ncrate-type = [\"cdylib\"]\n\n\
             [dependencies]\n{deps}{patch}\n\
             [workspace]\nexclude = [{}, {}]\n",
            quoted(&format!("{name}-{allocator}-wrapper")),
            quoted(SDK_MOUNT),
            quoted(CONTRACT_MOUNT),
        ),
    )?;
    write_if_changed(
        &wrapper.join("lib.rs"),
        &format!(
            "//! Generated by capheap-sim: {name} with the {allocator} allocator.\n\
             #![no_std]\n\nextern crate contract;\n{global}"
        ),
    )?;
    // Pin every version the contract's workspace pins: start from its lock,
    // and start again whenever that lock changes.
    let seen = wrapper.join("Cargo.lock.source");
    if !source_lock.is_empty()
        && std::fs::read_to_string(&seen).ok().as_deref() != Some(&source_lock)
    {
        std::fs::write(wrapper.join("Cargo.lock"), &source_lock).map_err(io(&wrapper))?;
        std::fs::write(&seen, &source_lock).map_err(io(&seen))?;
    }
    Ok(Swap {
        manifest: wrapper.join("Cargo.toml"),
        contract_name: name,
        remaps,
        build_dir,
    })
}

/// A crate named `mini-alloc` (same version as the one it replaces) whose
/// `MiniAlloc` is a capheap heap (`heap_type`), so that stylus-sdk's own
/// `#[global_allocator] static ALLOC: mini_alloc::MiniAlloc =
/// mini_alloc::MiniAlloc::INIT;` becomes capheap.
fn write_shim(dir: &Path, version: &str, sdk: &str, heap_type: &str) -> Result<(), BuildError> {
    write_if_changed(
        &dir.join("Cargo.toml"),
        &format!(
            "# Generated by capheap-sim: stylus-sdk's allocator, replaced by capheap.\n\
             [package]\nname = \"mini-alloc\"\nversion = {}\nedition = \"2021\"\npublish = false\n\n\
             [lib]\npath = \"lib.rs\"\n\n[dependencies]\ncapheap = {{ path = {sdk} }}\n",
            quoted(version)
        ),
    )?;
    write_if_changed(
        &dir.join("lib.rs"),
        &"//! Generated by capheap-sim: stylus-sdk's `MiniAlloc`, as a capheap heap.\n\
         #![no_std]\n\n\
         use core::alloc::{GlobalAlloc, Layout};\n\n\
         /// stylus-sdk's global allocator type, backed by `HEAP_TYPE`.\n\
         pub struct MiniAlloc(HEAP_TYPE);\n\n\
         impl MiniAlloc {\n    \
             /// The allocator stylus-sdk installs.\n    \
             pub const INIT: Self = MiniAlloc(HEAP_TYPE::new(capheap::Config::DEFAULT));\n    \
             /// The wasm page size.\n    \
             pub const PAGE_SIZE: usize = 1 << 16;\n\
         }\n\n\
         // SAFETY: every method forwards to `HEAP_TYPE`'s `GlobalAlloc`, whose\n\
         // contract is the same; the arguments are the caller's, unchanged.\n\
         unsafe impl GlobalAlloc for MiniAlloc {\n    \
             unsafe fn alloc(&self, layout: Layout) -> *mut u8 {\n        \
                 // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.\n        \
                 unsafe { self.0.alloc(layout) }\n    \
             }\n\n    \
             unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {\n        \
                 // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.\n        \
                 unsafe { self.0.alloc_zeroed(layout) }\n    \
             }\n\n    \
             unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {\n        \
                 // SAFETY: `ptr` came from this allocator with `layout` (caller's contract).\n        \
                 unsafe { self.0.dealloc(ptr, layout) }\n    \
             }\n\n    \
             unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {\n        \
                 // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.\n        \
                 unsafe { self.0.realloc(ptr, layout, new_size) }\n    \
             }\n\
         }\n"
            .replace("HEAP_TYPE", heap_type),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_locked_versions() {
        let lock = "version = 4\n\n[[package]]\nname = \"cfg-if\"\nversion = \"1.0.0\"\n\n\
                    [[package]]\nname = \"mini-alloc\"\nversion = \"0.9.2\"\n";
        assert_eq!(locked_version(lock, MINI_ALLOC).as_deref(), Some("0.9.2"));
        assert_eq!(locked_version(lock, "stylus-sdk"), None);
        assert_eq!(locked_version("not toml [", MINI_ALLOC), None);
    }
}
