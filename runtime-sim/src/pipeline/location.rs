//! Which crates of a build make its wasm depend on where they live.
//!
//! cargo hashes a path dependency's location into its crate's metadata, so
//! into every symbol name, and symbol names decide how the linker lays the
//! functions out: a path crate inside the contract's workspace is hashed by
//! its path relative to the workspace root, one outside it by its absolute
//! path. A build whose path crates all lie inside its workspace gives the
//! same wasm wherever the checkout lives; one that reaches outside (an
//! absolute path, `../shared`) gives the same wasm only where those crates
//! sit at the same paths.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{BuildError, BuildOptions, WASM_TARGET, cargo_json, swap, workspace_root};

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    source: Option<String>,
    manifest_path: PathBuf,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<Dep>,
}

#[derive(Deserialize)]
struct Dep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// The crates the wasm32 build of a crate compiles: the crate itself and
/// its normal and build dependencies, transitively (not its
/// dev-dependencies), from one `cargo metadata`.
pub(crate) struct BuildGraph {
    /// Each crate's package name, and its directory if cargo names it by
    /// path.
    crates: Vec<(String, Option<PathBuf>)>,
}

impl BuildGraph {
    /// The build graph of the crate at `manifest`.
    pub(crate) fn of(opts: &BuildOptions, manifest: &Path) -> Result<Self, BuildError> {
        let metadata: Metadata = cargo_json(
            opts,
            manifest,
            &[
                "metadata",
                "--format-version",
                "1",
                "--filter-platform",
                WASM_TARGET,
            ],
        )?;
        let nodes = metadata.resolve.map(|r| r.nodes).unwrap_or_default();
        let Some(start) = metadata
            .packages
            .iter()
            .find(|p| p.manifest_path == manifest)
        else {
            return Err(BuildError::CargoFailed {
                dir: manifest.to_owned(),
                stderr: "`cargo metadata` lists no package for this manifest \
                         (a virtual workspace manifest has none)"
                    .to_owned(),
            });
        };
        let mut reached = BTreeSet::from([start.id.as_str()]);
        let mut todo = vec![start.id.as_str()];
        while let Some(id) = todo.pop() {
            let Some(node) = nodes.iter().find(|n| n.id == id) else {
                continue;
            };
            for dep in &node.deps {
                let built = dep
                    .dep_kinds
                    .iter()
                    .any(|k| k.kind.as_deref() != Some("dev"));
                if built && reached.insert(dep.pkg.as_str()) {
                    todo.push(dep.pkg.as_str());
                }
            }
        }
        let crates = metadata
            .packages
            .iter()
            .filter(|p| reached.contains(p.id.as_str()))
            .map(|p| {
                let dir = p.manifest_path.parent().filter(|_| p.source.is_none());
                (p.name.clone(), dir.map(Path::to_owned))
            })
            .collect();
        Ok(Self { crates })
    }

    /// The directories of the path crates that lie outside `root`.
    ///
    /// Paths are compared as cargo reports them, without resolving symbolic
    /// links: a crate reached through a link inside `root` (as this
    /// repository's contracts reach the SDK through `contracts/capheap-src`)
    /// is inside, which is how cargo hashes it.
    pub(crate) fn outside(&self, root: &Path) -> Vec<PathBuf> {
        self.crates
            .iter()
            .filter_map(|(_, dir)| dir.as_ref())
            .filter(|dir| !dir.starts_with(root))
            .cloned()
            .collect()
    }

    /// Whether the build compiles the package `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.crates.iter().any(|(n, _)| n == name)
    }
}

/// The crates whose location the wasm that [`build_contract`] gives for the
/// crate at `dir` depends on: empty when the same wasm comes out wherever
/// the checkout lives (see the module documentation).
///
/// A plain build names path crates outside the contract's cargo workspace
/// by their absolute paths. A build through the allocator swap
/// ([`BuildOptions::allocator`]) reaches the contract's workspace and the
/// SDK's through links inside its wrapper; when it cannot (a path crate
/// outside the contract's workspace, which cargo could not follow through
/// the link, or no symbolic links on this system), it names the contract
/// and the SDK by absolute paths too, and they are listed as well.
///
/// ```
/// use capheap_sim::pipeline::{BuildOptions, location_dependent_crates};
///
/// // This repository's contracts reach the SDK through a link inside their
/// // workspace: their wasm is the same wherever the checkout lives.
/// let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/hello");
/// let crates = location_dependent_crates(hello.as_ref(), &BuildOptions::default())?;
/// assert!(crates.is_empty(), "{crates:?}");
/// # Ok::<(), capheap_sim::pipeline::BuildError>(())
/// ```
///
/// [`build_contract`]: super::build_contract
pub fn location_dependent_crates(
    dir: &Path,
    opts: &BuildOptions,
) -> Result<Vec<PathBuf>, BuildError> {
    let manifest = super::crate_manifest(dir)?;
    let root = workspace_root(opts, &manifest)?;
    let mut outside = BuildGraph::of(opts, &manifest)?.outside(&root);
    if let Some(allocator) = opts.allocator {
        let dir = manifest.parent().unwrap_or(&manifest).to_owned();
        if !swap::links_reach(&dir, &root, &outside) {
            outside.push(dir);
            if let Some(sdk) = swap::sdk_for(allocator, opts) {
                outside.push(sdk);
            }
        }
    }
    outside.sort();
    outside.dedup();
    Ok(outside)
}
