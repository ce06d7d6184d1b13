use std::process::ExitCode;

use super::approve::precheck;
use super::args::TeardownArgs;
use super::context::{load_stack, open_session_for_writing};
use super::deploy::{execute, lock_if_writing, release, Execution};
use super::error::CliError;
use super::output::plan_text;

pub async fn run(args: &TeardownArgs) -> Result<ExitCode, CliError> {
    baken::engine::interrupt::install();
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let (session, seen) = open_session_for_writing(global, stack).await?;
    let planned = session.plan_teardown(args.keep_data).await?;
    precheck(&planned.plan, args.yes, args.allow_data_loss, "--yes")?;
    let (planned, lease, _) = lock_if_writing(
        &session,
        "teardown",
        args.lock_timeout,
        seen,
        planned,
        || async { Ok(session.plan_teardown(args.keep_data).await?) },
    )
    .await?;
    if !global.json() {
        print!("{}", plan_text(&planned.plan, &session.place()));
    }
    let result = execute(
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
            lease: lease.as_ref(),
        },
    )
    .await;
    if let Some(lease) = lease {
        // The stack is gone: its lock table goes last.
        let complete = matches!(result, Ok((_, true)));
        release(lease, complete).await;
    }
    result.map(|(code, _)| code)
}
