use std::process::ExitCode;

use baken::engine::status::{report, State};
use baken::engine::Outputs;
use baken::live::BootstrapReport;
use baken::plan::render::{change_line, owner_text};
use serde_json::json;

use super::args::Global;
use super::context::{load_stack, open_session};
use super::error::{CliError, EXIT_OK, EXIT_PENDING};
use super::output::{outputs_text, print_json, requests_line};

pub async fn run(global: &Global) -> Result<ExitCode, CliError> {
    let stack = load_stack(&global.source)?;
    let session = open_session(global, stack).await?;
    // Status does not build, so the function code is not compared.
    let planned = session.plan_status().await?;
    let mode = planned.plan.mode;
    let report = report(&planned.plan);
    let outputs = Outputs::of_live(&session.stack, &planned.live);
    let counts = session.clients.counter.counts();
    if global.json() {
        print_json(&json!({
            "stack": session.stack.name,
            "region": session.stack.region,
            "mode": mode,
            "in_sync": report.in_sync(),
            "resources": report.entries,
            "gateway_bootstrap": BootstrapReport::parse(planned.live.bootstrap_report.as_deref()),
            "outputs": outputs,
            "aws_requests": counts,
        }));
    } else {
        println!(
            "Stack {} ({} mode) in {}:",
            session.stack.name,
            mode.as_str(),
            session.stack.region
        );
        for e in &report.entries {
            match &e.state {
                State::InSync => println!("  ok          {}", e.resource),
                State::Missing => println!("  missing     {}", e.resource),
                State::Unwanted => println!(
                    "  unwanted    {} (owned by the stack, no longer in the manifest)",
                    e.resource
                ),
                State::Duplicate { kept } => println!(
                    "  duplicate   {} (a second copy; {kept} is the one in use and kept)",
                    e.resource
                ),
                State::InTheWay { owner } => {
                    println!("  in the way  {} ({})", e.resource, owner_text(owner))
                }
                State::Unhealthy { reason } => println!("  unhealthy   {}: {reason}", e.resource),
                State::Drifted { changes } => {
                    println!("  drifted     {}", e.resource);
                    for c in changes {
                        println!("                {}", change_line(c));
                    }
                }
            }
        }
        if let Some(r) = BootstrapReport::parse(planned.live.bootstrap_report.as_deref()) {
            println!("Gateway bootstrap ({} at {}): {}", r.state, r.at, r.step);
        }
        let outputs = outputs_text(&outputs);
        if !outputs.is_empty() {
            print!("Outputs:\n{outputs}");
        }
        println!(
            "{}",
            if report.in_sync() {
                "In sync."
            } else {
                "Not in sync: `baken deploy` repairs what is listed."
            }
        );
        eprintln!("{}", requests_line(counts));
    }
    Ok(ExitCode::from(if report.in_sync() {
        EXIT_OK
    } else {
        EXIT_PENDING
    }))
}
