//! `baken unlock`: clears the deploy lock a dead run left. The holder is shown first, since
//! clearing the lock of a run that is alive lets two runs change the stack at once.

use std::process::ExitCode;

use baken::aws::lock;
use baken::engine::lock::when;
use serde_json::json;

use super::approve::confirm;
use super::args::UnlockArgs;
use super::context::{load_stack, open_session};
use super::error::{CliError, EXIT_ERROR, EXIT_OK};
use super::output::print_json;

pub async fn run(args: &UnlockArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let session = open_session(global, stack).await?;
    let name = &session.stack.name;
    let held = lock::read(&session.clients, name)
        .await?
        .and_then(|item| item.held);
    let Some(holder) = held else {
        return Err(CliError::NotFound(format!(
            "stack {name} has no deploy lock; nothing to clear"
        )));
    };
    if !global.json() {
        println!(
            "Stack {name} is locked by {} (`{}`, since {}, lease until {}).",
            holder.holder,
            holder.command,
            when(holder.started_at),
            when(holder.expires_at)
        );
    }
    if !confirm(
        "Clear this lock? Only when that run is no longer running.",
        args.yes,
        "--yes",
    )? {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    lock::clear(&session.clients, name).await?;
    if global.json() {
        print_json(&json!({
            "stack": name,
            "account": session.account.id,
            "region": session.stack.region,
            "cleared": holder,
        }));
    } else {
        println!("Cleared.");
    }
    Ok(ExitCode::from(EXIT_OK))
}
