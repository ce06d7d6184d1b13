//! `baken teardown`: everything the stack owns removed, through `baken::engine::run`.

use std::process::ExitCode;

use baken::engine::run::{self, Allowed, Locking, Work};

use super::args::TeardownArgs;
use super::context::{load_stack, open_session_for_writing};
use super::deploy::{render, Terminal};
use super::error::CliError;

pub async fn run(args: &TeardownArgs) -> Result<ExitCode, CliError> {
    baken::engine::interrupt::install();
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let (session, seen) = open_session_for_writing(global, stack).await?;
    let work = Work::Teardown {
        keep_data: args.keep_data,
    };
    let allowed = Allowed {
        yes: args.yes,
        allow_data_loss: args.allow_data_loss,
        ..Allowed::default()
    };
    let locking = Locking::Take {
        command: "teardown",
        timeout: args.lock_timeout,
        seen,
    };
    let front = Terminal::new(global, "Remove these resources?");
    let outcome = run::carry_out(&session, &work, &allowed, locking, &front).await?;
    render(global, &session, &outcome, None, None)
}
