use std::process::ExitCode;

use baken::plan::render;
use serde_json::json;

use super::args::PlanArgs;
use super::context::{code_of, gateway_software, load_stack, mode, open_session, package};
use super::error::{CliError, EXIT_OK, EXIT_PENDING};
use super::output::{envelope, plan_text, print_json, requests_line};

pub async fn run(args: &PlanArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let (mode, explicit) = mode(&stack, args.mode)?;
    let pkg = if args.no_build {
        None
    } else {
        Some(package(global, &stack, &args.artefact, global.json())?)
    };
    let software = gateway_software(global, &stack, mode)?;
    let session = open_session(global, stack).await?;
    let planned = session
        .plan_deploy(mode, explicit, &code_of(pkg.as_ref()), software)
        .await?;
    let counts = session.clients.counter.counts();
    if global.json() {
        print_json(&envelope(
            &session,
            mode,
            counts,
            json!({ "plan": planned.plan }),
        ));
    } else if global.format.markdown() {
        print!("{}", render::markdown(&planned.plan, &session.place()));
        eprintln!("{}", requests_line(counts));
    } else {
        print!("{}", plan_text(&planned.plan, &session.place()));
        eprintln!("{}", requests_line(counts));
    }
    let pending = !planned.plan.is_empty()
        || !planned.plan.conflicts.is_empty()
        || !planned.plan.missing.is_empty();
    Ok(ExitCode::from(if pending { EXIT_PENDING } else { EXIT_OK }))
}
