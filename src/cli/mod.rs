//! The command-line front: each command a thin layer over the `baken` library.

mod approve;
pub mod args;
mod context;
mod deploy;
mod dev;
pub mod error;
mod output;
mod plan;
mod progress;
mod status;
mod teardown;

use std::process::ExitCode;

use args::{Cli, Command};
use error::CliError;

pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match &cli.command {
        Command::Plan(a) => plan::run(&cli.global, a).await,
        Command::Deploy(a) => deploy::run(&cli.global, a).await,
        Command::Status => status::run(&cli.global).await,
        Command::Teardown(a) => teardown::run(&cli.global, a).await,
        Command::Dev(a) => dev::run(a).await,
    }
}
