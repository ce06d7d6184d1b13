//! `baken gateway start|stop`: arguments, the library's find and switch, rendering.

use std::process::ExitCode;

use baken::engine::gateway::{self, Switch};
use baken::model::Mode;
use serde_json::json;

use super::approve::confirm;
use super::args::{GatewayAction, GatewayArgs};
use super::context::{load_stack, open_session};
use super::error::{CliError, EXIT_ERROR, EXIT_OK};
use super::output::{envelope, print_json};

pub async fn run(args: &GatewayArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let to = match args.action {
        GatewayAction::Start => Switch::Start,
        GatewayAction::Stop => Switch::Stop,
    };
    let stack = load_stack(&global.source)?;
    let session = open_session(global, stack).await?;
    let name = session.stack.name.clone();
    let Some(found) = gateway::find(&session).await? else {
        return Err(CliError::NotFound(format!(
            "stack {name} has no gateway instance (it exists in jravan mode, once deployed)"
        )));
    };
    let schedule = gateway::schedule_now(&session);
    let done = found.state == to.wanted();
    if !done {
        if !global.json() {
            println!(
                "The gateway instance {} of stack {name} is {}.",
                found.instance_id, found.state
            );
        }
        let question = match to {
            Switch::Start => "Start it?",
            Switch::Stop => "Stop it? The race routes answer 503 until it runs again.",
        };
        if !confirm(question, args.yes, "--yes")? {
            eprintln!("Nothing was changed.");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
        gateway::switch(&session, &found, to).await?;
    }
    let counts = session.clients.counter.counts();
    if global.json() {
        // The gateway exists in jravan mode only.
        print_json(&envelope(
            &session,
            Mode::Jravan,
            counts,
            json!({
                "instance_id": found.instance_id,
                "was": found.state,
                "state": to.wanted(),
                "changed": !done,
                "schedule": schedule,
            }),
        ));
    } else {
        match done {
            true => println!(
                "The gateway instance {} is already {}; nothing to do.",
                found.instance_id, found.state
            ),
            false => println!(
                "The gateway instance {} is {}.",
                found.instance_id,
                to.wanted()
            ),
        }
        if let Some(s) = &schedule {
            let next = match to {
                Switch::Start => s.next_stop.as_deref(),
                Switch::Stop => s.next_start.as_deref(),
            };
            println!(
                "Its schedule ({}) takes over at its next event: {} at {}.",
                s.schedule,
                if to == Switch::Start { "stop" } else { "start" },
                next.unwrap_or("none")
            );
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}
