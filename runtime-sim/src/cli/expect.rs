//! Checking a run's calls against the scenario file's expectations.

use capheap_sim::CallRecord;
use capheap_sim::scenario_file::ScenarioFile;

/// Every way the calls of `records` miss what `file` expects of them, one
/// line each. A call that fails without an `expect.error` is a miss too.
pub fn misses(file: &ScenarioFile, records: &[CallRecord]) -> Vec<String> {
    let mut out = Vec::new();
    for r in records {
        let Some(spec) = file.calls.get(r.step) else {
            continue;
        };
        let o = &r.outcome;
        let at = format!(
            "call #{} ({}, step {} rep {})",
            r.index,
            r.label,
            r.step + 1,
            r.iteration + 1
        );
        let e = &spec.expect;
        match (&o.error, &e.error) {
            (Some(err), None) => out.push(format!("{at}: failed: {err}")),
            (None, Some(want)) => out.push(format!(
                "{at}: expected an error matching `{want}`, but it succeeded"
            )),
            (Some(err), Some(want)) => {
                if err.kind() != want && !err.to_string().contains(want.as_str()) {
                    out.push(format!(
                        "{at}: expected an error matching `{want}`, got {}: {err}",
                        err.kind()
                    ));
                }
            }
            (None, None) => {}
        }
        if let Some(want) = &e.output
            && o.error.is_none()
            && &o.output != want
        {
            out.push(format!(
                "{at}: output {} differs from the expected {}",
                shown(&o.output),
                shown(want)
            ));
        }
        if let (Some(want), Some(types)) = (&e.returns, &spec.returns)
            && o.error.is_none()
        {
            match capheap_sim::calldata::decode_returns(types, &o.output) {
                Ok(got) if &got == want => {}
                Ok(got) => out.push(format!(
                    "{at}: returned ({}) but ({}) was expected",
                    got.join(", "),
                    want.join(", ")
                )),
                Err(err) => out.push(format!("{at}: {err}")),
            }
        }
        if let Some(max) = e.max_fuel
            && o.fuel.total > max
        {
            out.push(format!(
                "{at}: {} fuel exceeds max_fuel {max}",
                o.fuel.total
            ));
        }
        if let Some(want) = e.returned
            && o.error.is_none()
            && o.returned != Some(want)
        {
            out.push(format!(
                "{at}: returned {}, expected {want}",
                o.returned
                    .map_or_else(|| "nothing".to_owned(), |v| v.to_string())
            ));
        }
        if let Some(want) = e.live_bytes {
            match o.stats {
                Some(stats) if stats.live_bytes == want => {}
                Some(stats) => out.push(format!(
                    "{at}: {} live bytes after the call, expected {want}",
                    stats.live_bytes
                )),
                None => out.push(format!(
                    "{at}: expect.live_bytes needs the contract's `capheap_stats` export"
                )),
            }
        }
        if let Some(pages) = e.pages_after
            && u64::from(o.pages_after) != pages
        {
            out.push(format!(
                "{at}: {} pages after the call, expected {pages}",
                o.pages_after
            ));
        }
    }
    out
}

/// Bytes as quoted text when they are printable UTF-8, else as hex.
fn shown(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => format!("{text:?}"),
        _ => format!("0x{}", capheap_sim::hex::encode(bytes)),
    }
}
