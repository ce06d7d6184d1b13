use std::process::ExitCode;

use super::args::TeardownArgs;
use super::context::{load_stack, open_session};
use super::deploy::{execute, Execution};
use super::error::CliError;
use super::output::plan_text;

pub async fn run(args: &TeardownArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let session = open_session(global, stack).await?;
    let planned = session.plan_teardown(args.keep_data).await?;
    if !global.json() {
        print!("{}", plan_text(&planned.plan, &session.place()));
    }
    execute(
        global,
        &session,
        &planned,
        Execution {
            package: None,
            yes: args.yes,
            allow_data_loss: args.allow_data_loss,
            question: "Remove these resources?",
            flag: "--yes",
            outputs_file: None,
        },
    )
    .await
}
