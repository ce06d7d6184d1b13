//! The command-line front: each command a thin layer over the `baken` library.

mod adopt;
mod approve;
pub mod args;
mod completions;
mod context;
mod cost;
mod deploy;
mod dev;
mod duration;
pub mod error;
mod gateway;
mod iam_policy;
mod logs;
pub mod output;
mod outputs;
mod package;
mod plan;
mod progress;
mod stacks;
mod status;
mod teardown;
mod unlock;

use std::process::ExitCode;

use args::{Cli, Command};
use error::CliError;

/// Runs the command; an error is reported on stderr, or as JSON on stdout under `--json`.
pub async fn run(cli: Cli) -> ExitCode {
    let json = cli.command.json();
    match dispatch(&cli.command).await {
        Ok(code) => code,
        Err(e) => {
            if json {
                output::print_json(&e.to_json());
            } else {
                eprintln!("error: {e}");
            }
            e.exit_code()
        }
    }
}

async fn dispatch(command: &Command) -> Result<ExitCode, CliError> {
    if command.markdown() {
        return Err(CliError::Usage(
            "--output markdown is for `baken plan` only; use text or json here".into(),
        ));
    }
    match command {
        Command::Plan(a) => plan::run(a).await,
        Command::Deploy(a) => deploy::run(a).await,
        Command::Status(a) => status::run(&a.global).await,
        Command::Teardown(a) => teardown::run(a).await,
        Command::Adopt(a) => adopt::run(a).await,
        Command::Unlock(a) => unlock::run(a).await,
        Command::Gateway(a) => gateway::run(a).await,
        Command::Output(a) => outputs::run(a).await,
        Command::Logs(a) => logs::run(a).await,
        Command::Cost(a) => cost::run(a),
        Command::Package(a) => package::run(a),
        Command::IamPolicy(a) => iam_policy::run(a).await,
        Command::Stacks(a) => stacks::run(a).await,
        Command::Completions(a) => Ok(completions::run(a)),
        Command::Dev(a) => dev::run(a).await,
    }
}
