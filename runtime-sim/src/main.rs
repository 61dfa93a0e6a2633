//! The `capheap-sim` command line; see `docs/src/cli.md`.

mod cli;

fn main() -> std::process::ExitCode {
    // Output piped into a reader that stops early (`capheap-sim … | head`):
    // end quietly as Unix tools do, instead of panicking on the closed pipe.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(info.payload()) {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(cli::main) {
        Ok(code) => code,
        Err(payload) if is_broken_pipe(payload.as_ref()) => std::process::ExitCode::SUCCESS,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Whether a panic is `println!` failing on a closed pipe.
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    message.contains("Broken pipe")
}
