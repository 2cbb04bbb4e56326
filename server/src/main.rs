//! The `outreach` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    let version = env!("CARGO_PKG_VERSION");
    match std::env::args().nth(1).as_deref() {
        Some("--version") => {
            #[allow(clippy::print_stdout, reason = "the command's output")]
            {
                println!(
                    "outreach {version} (sync protocol {})",
                    server::PROTOCOL_VERSION
                );
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "outreach {version}: the server is not built yet; \
                 try `cargo run -p sync-core --example two_phones`"
            );
            ExitCode::FAILURE
        }
    }
}
