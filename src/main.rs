use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let parsed = match cli::args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Usage errors exit 1: exit 2 means "changes pending" here, as in terraform.
            return ExitCode::from(if e.use_stderr() {
                cli::error::EXIT_ERROR
            } else {
                cli::error::EXIT_OK
            });
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
    match runtime.block_on(cli::run(parsed)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
