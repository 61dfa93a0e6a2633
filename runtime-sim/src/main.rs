//! The `capheap-sim` command line; see `docs/src/cli.md`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
