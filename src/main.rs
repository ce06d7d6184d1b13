use std::process::ExitCode;

use clap::Parser;

mod cli;

/// Whether the raw arguments ask for JSON: a usage error is reported in the form asked for, even
/// though clap could not parse the rest.
fn wants_json(args: &[String]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        a == "--json"
            || a == "--output=json"
            || (a == "--output" && args.get(i + 1).map(String::as_str) == Some("json"))
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let parsed = match cli::args::Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                // --help, --version
                let _ = e.print();
                return ExitCode::from(cli::error::EXIT_OK);
            }
            if wants_json(&args) {
                let text = e.to_string();
                let message = text.trim().trim_start_matches("error: ");
                cli::output::print_json(&cli::error::error_document(
                    "usage", message, None, None, None,
                ));
            } else {
                let _ = e.print();
            }
            // Usage errors exit 1: exit 2 means "changes pending" here, as in terraform.
            return ExitCode::from(cli::error::EXIT_ERROR);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(cli::error::EXIT_ERROR);
        }
    };
    runtime.block_on(cli::run(parsed))
}
