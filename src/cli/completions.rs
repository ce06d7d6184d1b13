//! `baken completions SHELL`: generated from the clap definitions, so they never fall behind.

use std::process::ExitCode;

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "baken", &mut std::io::stdout());
    ExitCode::SUCCESS
}
