use std::io::IsTerminal;
use std::process::ExitCode;

use baken::engine::progress::{Progress, Silent};
use baken::engine::{apply, Planned, Session};
use baken::package::Package;
use baken::plan::render::owner_text;
use serde_json::json;

use super::approve::confirm;
use super::args::{DeployArgs, Global};
use super::context::{code_of, gateway_software, load_stack, mode, open_session, package};
use super::error::{CliError, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL};
use super::output::{plan_text, print_json, print_report, requests_line};
use super::progress::{Lines, Spinners};

pub async fn run(global: &Global, args: &DeployArgs) -> Result<ExitCode, CliError> {
    let stack = load_stack(global)?;
    let (mode, explicit) = mode(&stack, args.mode);
    let software = gateway_software(global, &stack, mode)?;
    let pkg = package(global, &stack, &args.artefact, global.json())?;
    let session = open_session(global, stack).await?;
    let planned = session
        .plan_deploy(mode, explicit, &code_of(Some(&pkg)), software)
        .await?;
    refuse_conflicts(&planned)?;
    if !global.json() {
        print!("{}", plan_text(&planned.plan, &session.stack.region));
    }
    refuse_instance_replacement(&planned, args.replace_instance)?;
    let code = execute(
        global,
        &session,
        &planned,
        Some(&pkg),
        args.yes,
        "Apply these changes?",
        "--yes",
    )
    .await?;
    Ok(code)
}

/// The instance holds JV-Link's downloaded data: replacing it needs `--replace-instance`.
fn refuse_instance_replacement(planned: &Planned, allowed: bool) -> Result<(), CliError> {
    let replaced = planned.plan.steps.iter().find(|s| {
        s.resource.kind == baken::desired::Kind::Instance
            && matches!(s.action, baken::plan::Action::Replace { .. })
    });
    match replaced {
        Some(step) if !allowed => {
            let reason = match &step.action {
                baken::plan::Action::Replace { reason, .. } => reason.as_str(),
                _ => "",
            };
            Err(CliError::Refused(format!(
                "this deploy would replace {} ({reason}); nothing was changed\n  hint: a new instance starts without JV-Link's downloaded data; run again with --replace-instance to replace it, or undo the change in the manifest or windows-bootstrap/user-data.ps1",
                step.resource
            )))
        }
        _ => Ok(()),
    }
}

fn refuse_conflicts(planned: &Planned) -> Result<(), CliError> {
    if planned.plan.conflicts.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = planned
        .plan
        .conflicts
        .iter()
        .map(|c| format!("  {} ({})", c.resource, owner_text(&c.owner)))
        .collect();
    Err(CliError::Refused(format!(
        "these names are taken by resources this stack does not own; nothing was changed:\n{}\n  hint: remove or rename them, or choose another `stack` name in the manifest",
        list.join("\n")
    )))
}

/// Approves and applies a plan, then prints the result; shared by deploy and teardown.
pub async fn execute(
    global: &Global,
    session: &Session,
    planned: &Planned,
    package: Option<&Package>,
    yes: bool,
    question: &str,
    flag: &str,
) -> Result<ExitCode, CliError> {
    let plan = &planned.plan;
    let report = if plan.is_empty() {
        None
    } else {
        if !confirm(question, yes, flag)? {
            eprintln!("Nothing was changed.");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
        let progress: Box<dyn Progress> = if global.json() {
            Box::new(Silent)
        } else if std::io::stderr().is_terminal() {
            Box::new(Spinners::new())
        } else {
            Box::new(Lines)
        };
        Some(
            apply(
                &session.clients,
                plan,
                &planned.desired,
                &planned.live,
                progress.as_ref(),
            )
            .await,
        )
    };
    let api_id = report
        .as_ref()
        .map_or(planned.live.api_id.clone(), |r| r.api_id.clone());
    let outputs = if planned.desired.is_empty() {
        None
    } else {
        Some(session.outputs(api_id.as_deref(), plan.mode).await?)
    };
    let counts = session.clients.counter.counts();
    if global.json() {
        print_json(&json!({
            "stack": session.stack.name,
            "region": session.stack.region,
            "mode": plan.mode,
            "plan": plan,
            "result": report,
            "outputs": outputs,
            "package": package,
            "aws_requests": counts,
        }));
    } else {
        if let Some(r) = &report {
            print_report(r);
            if r.succeeded() {
                println!("Applied: {} changes.", r.done.len());
            }
        } else {
            println!("Nothing to do; no write request was sent.");
        }
        if let Some(url) = outputs.as_ref().and_then(|o| o.api_url.as_ref()) {
            println!("API URL: {url}");
        }
        if let Some(g) = outputs.as_ref().and_then(|o| o.gateway.as_ref()) {
            println!(
                "Gateway instance: {} (public {}, private {})",
                g.instance_id,
                g.public_ip.as_deref().unwrap_or("none"),
                g.private_ip.as_deref().unwrap_or("none")
            );
        }
        eprintln!("{}", requests_line(counts));
    }
    Ok(ExitCode::from(match &report {
        Some(r) if !r.failed.is_empty() && !r.done.is_empty() => EXIT_PARTIAL,
        Some(r) if !r.failed.is_empty() => EXIT_ERROR,
        _ => EXIT_OK,
    }))
}
