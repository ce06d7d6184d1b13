use std::process::ExitCode;

use baken::aws::dynamodb;
use baken::resource::Kind;

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
    let mut question = "Remove these resources?".to_string();
    let mut holding = Vec::new();
    for step in planned
        .plan
        .steps
        .iter()
        .filter(|s| s.resource.kind == Kind::Table)
    {
        if dynamodb::has_items(&session.clients, &step.resource.name).await? {
            holding.push(step.resource.name.clone());
        }
    }
    if !holding.is_empty() {
        question = format!("Remove these resources? The tables {} hold data that will be lost (--keep-data keeps them).", holding.join(", "));
    }
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
            question: &question,
            flag: "--yes",
            outputs_file: None,
        },
    )
    .await
}
