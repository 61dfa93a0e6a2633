//! The contract's own rustflags from its cargo configuration that the
//! pipeline's `--config target.wasm32-unknown-unknown.rustflags` would
//! otherwise hide.
//!
//! cargo takes a build's rustflags from the first of: `CARGO_ENCODED_RUSTFLAGS`,
//! `RUSTFLAGS`, every `target.<triple>.rustflags` and matching
//! `target.'cfg(..)'.rustflags` (joined), `build.rustflags`. The pipeline
//! gives its flags as the first kind of target key, so a contract whose
//! config sets target rustflags gets both, but one that sets only
//! `build.rustflags` would lose them. This module reads them, as cargo
//! would have applied them, so that the pipeline passes them on in front of
//! its own.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use cargo_platform::{Cfg, Platform};

use super::WASM_TARGET;

/// The config files cargo reads for a command run in `dir`, lowest
/// precedence first: `$CARGO_HOME/config.toml`, then `.cargo/config.toml`
/// (or the older `.cargo/config`) of every ancestor of `dir` from the root
/// down, `dir`'s own last. A file reached twice (a cargo home that is also
/// an ancestor's `.cargo`) counts once, at its highest precedence.
fn config_files(dir: &Path, cargo_home: Option<&Path>) -> Vec<PathBuf> {
    let in_dir = |d: &Path| {
        // cargo prefers the file without extension when both exist.
        [d.join("config"), d.join("config.toml")]
            .into_iter()
            .find(|f| f.is_file())
    };
    let mut files: Vec<PathBuf> = Vec::new();
    files.extend(cargo_home.and_then(in_dir));
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut ancestors: Vec<&Path> = dir.ancestors().collect();
    ancestors.reverse();
    for a in ancestors {
        if let Some(f) = in_dir(&a.join(".cargo")) {
            let canonical = f.canonicalize().unwrap_or_else(|_| f.clone());
            files.retain(|g| g.canonicalize().unwrap_or_else(|_| g.clone()) != canonical);
            files.push(f);
        }
    }
    files
}

/// A rustflags value: an array of flags, or a string split on whitespace
/// (both forms are cargo's).
fn flags_of(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        toml::Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// The `build.rustflags` cargo would apply to a wasm32 build run in `dir`
/// with no rustflags of the pipeline's: empty if no config file sets them,
/// or if any sets `rustflags` for a `target` key that applies to wasm32 (a
/// target's flags replace `build.rustflags` whole; the pipeline's join
/// those). `wasm_cfgs` gives rustc's cfgs for wasm32 (`rustc --print cfg
/// --target wasm32-unknown-unknown`), asked only for a `cfg(..)` key; if it
/// cannot tell, such a key counts as applying, which is the state before
/// this module (the contract's `build.rustflags` are not applied).
///
/// Arrays from several files are joined in precedence order; a string
/// replaces what lower-precedence files gave. A file that is not valid TOML
/// is skipped: cargo then refuses the build with its own message.
pub(super) fn build_rustflags(
    dir: &Path,
    cargo_home: Option<&Path>,
    wasm_cfgs: impl FnOnce() -> Option<Vec<Cfg>>,
) -> Vec<String> {
    if std::env::var_os("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS").is_some() {
        return Vec::new();
    }
    let mut build: Vec<String> = Vec::new();
    let mut cfg_keys: Vec<String> = Vec::new();
    for file in config_files(dir, cargo_home) {
        let Some(table) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| toml::Table::from_str(&text).ok())
        else {
            continue;
        };
        if let Some(targets) = table.get("target").and_then(toml::Value::as_table) {
            for (key, value) in targets {
                if value.get("rustflags").is_none() {
                    continue;
                }
                if key == WASM_TARGET {
                    return Vec::new();
                }
                if key.starts_with("cfg(") {
                    cfg_keys.push(key.clone());
                }
            }
        }
        let value = table.get("build").and_then(|b| b.get("rustflags"));
        match value {
            Some(toml::Value::Array(_)) => {
                build.extend(value.and_then(flags_of).unwrap_or_default())
            }
            Some(v) => build = flags_of(v).unwrap_or_default(),
            None => {}
        }
    }
    if build.is_empty() || cfg_keys.is_empty() {
        return build;
    }
    let Some(cfgs) = wasm_cfgs() else {
        return Vec::new();
    };
    let applies =
        |key: &String| Platform::from_str(key).map_or(true, |p| p.matches(WASM_TARGET, &cfgs));
    if cfg_keys.iter().any(applies) {
        Vec::new()
    } else {
        build
    }
}

/// rustc's `--print cfg` output as cfgs (lines it cannot parse left out).
pub(super) fn parse_cfgs(text: &str) -> Vec<Cfg> {
    text.lines()
        .filter_map(|line| Cfg::from_str(line.trim()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WASM_CFG: &str = "panic=\"abort\"\ntarget_arch=\"wasm32\"\ntarget_family=\"wasm\"\n\
                            target_os=\"unknown\"\ntarget_pointer_width=\"32\"";

    /// `files` (relative path, text) written under a fresh directory; the
    /// contract is its `project` subdirectory.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("project")).unwrap();
        for (path, text) in files {
            let path = tmp.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        tmp
    }

    fn flags(tmp: &tempfile::TempDir, home: Option<&str>) -> Vec<String> {
        let home = home.map(|h| tmp.path().join(h));
        build_rustflags(&tmp.path().join("project"), home.as_deref(), || {
            Some(parse_cfgs(WASM_CFG))
        })
    }

    #[test]
    fn build_rustflags_are_read_as_cargo_merges_them() {
        let tmp = tree(&[
            ("home/config.toml", "[build]\nrustflags = [\"-Chome\"]\n"),
            (
                ".cargo/config.toml",
                "[build]\nrustflags = [\"-Cparent\"]\n",
            ),
            (
                "project/.cargo/config.toml",
                "[build]\nrustflags = [\"-C\", \"link-arg=-zstack-size=8192\"]\n",
            ),
        ]);
        assert_eq!(
            flags(&tmp, Some("home")),
            ["-Chome", "-Cparent", "-C", "link-arg=-zstack-size=8192"]
        );
        // A string replaces what lower-precedence files gave, split on
        // whitespace; the older `config` file name is read too.
        let tmp = tree(&[
            (
                ".cargo/config.toml",
                "[build]\nrustflags = [\"-Cparent\"]\n",
            ),
            (
                "project/.cargo/config",
                "[build]\nrustflags = \"-Ca  -Cb\"\n",
            ),
        ]);
        assert_eq!(flags(&tmp, None), ["-Ca", "-Cb"]);
        // None anywhere: nothing.
        let tmp = tree(&[("project/.cargo/config.toml", "[alias]\nw = \"build\"\n")]);
        assert!(flags(&tmp, None).is_empty());
    }

    #[test]
    fn target_rustflags_for_wasm32_hide_build_rustflags() {
        let build = "[build]\nrustflags = [\"-Cbuild\"]\n";
        // wasm32's own key, in any file.
        let tmp = tree(&[
            ("project/.cargo/config.toml", build),
            (
                ".cargo/config.toml",
                "[target.wasm32-unknown-unknown]\nrustflags = [\"-Ct\"]\n",
            ),
        ]);
        assert!(flags(&tmp, None).is_empty());
        // A cfg that matches wasm32.
        let tmp = tree(&[(
            "project/.cargo/config.toml",
            &format!("{build}[target.'cfg(target_arch = \"wasm32\")']\nrustflags = [\"-Ct\"]\n"),
        )]);
        assert!(flags(&tmp, None).is_empty());
        // Another target's flags, and a cfg that does not match, do not.
        let tmp = tree(&[(
            "project/.cargo/config.toml",
            &format!(
                "{build}[target.x86_64-apple-darwin]\nrustflags = [\"-Cmac\"]\n\
                 [target.'cfg(unix)']\nrustflags = [\"-Cunix\"]\n\
                 [target.wasm32-unknown-unknown]\nrunner = \"x\"\n"
            ),
        )]);
        assert_eq!(flags(&tmp, None), ["-Cbuild"]);
        // When rustc cannot say which cfgs wasm32 has, a cfg key counts.
        let tmp = tree(&[(
            "project/.cargo/config.toml",
            &format!("{build}[target.'cfg(unix)']\nrustflags = [\"-Cunix\"]\n"),
        )]);
        let none = build_rustflags(&tmp.path().join("project"), None, || None);
        assert!(none.is_empty());
    }

    #[test]
    fn broken_config_is_skipped() {
        let tmp = tree(&[
            (
                ".cargo/config.toml",
                "[build]\nrustflags = [\"-Cparent\"]\n",
            ),
            ("project/.cargo/config.toml", "[build\nrustflags = 3"),
        ]);
        assert_eq!(flags(&tmp, None), ["-Cparent"]);
    }
}
