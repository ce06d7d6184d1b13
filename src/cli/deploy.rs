use std::io::IsTerminal;
use std::process::ExitCode;

use baken::engine::progress::{Progress, Silent};
use baken::engine::{apply, Planned, Session};
use baken::package::Package;
use baken::plan::render::owner_text;
use serde_json::json;

use super::approve::{confirm, confirm_destruction};
use super::args::{DeployArgs, Global};
use super::context::{code_of, gateway_software, load_stack, mode, open_session, package};
use super::error::{CliError, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL};
use super::output::{outputs_text, plan_text, print_json, print_report, requests_line};
use super::progress::{Lines, Spinners};
use baken::engine::Outputs;
use std::path::Path;

pub async fn run(args: &DeployArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    if let Some(path) = &args.outputs_file {
        check_writable(path)?;
    }
    let stack = load_stack(&global.source)?;
    let (mode, explicit) = mode(&stack, args.mode);
    let software = gateway_software(global, &stack, mode)?;
    let pkg = package(global, &stack, &args.artefact, global.json())?;
    let session = open_session(global, stack).await?;
    let planned = session
        .plan_deploy(mode, explicit, &code_of(Some(&pkg)), software)
        .await?;
    refuse_conflicts(&planned)?;
    if !global.json() {
        print!("{}", plan_text(&planned.plan, &session.place()));
    }
    refuse_guarded(&planned, args)?;
    let code = execute(
        global,
        &session,
        &planned,
        Execution {
            package: Some(&pkg),
            yes: args.yes,
            allow_data_loss: args.allow_data_loss,
            question: "Apply these changes?",
            flag: "--yes",
            outputs_file: args.outputs_file.as_deref(),
        },
    )
    .await?;
    Ok(code)
}

/// `--outputs-file` is checked before anything is changed: a deploy that applied and then could
/// not write its outputs would leave a pipeline's next step without them.
fn check_writable(path: &Path) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.is_dir() || !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "--outputs-file {}: {}; nothing was changed",
            path.display(),
            if path.is_dir() {
                "is a directory"
            } else {
                "its directory does not exist"
            }
        )));
    }
    Ok(())
}

/// How `execute` asks and what it writes afterwards.
pub struct Execution<'a> {
    pub package: Option<&'a Package>,
    pub yes: bool,
    /// `--allow-data-loss`: the plan's destructive steps may run without the typed name.
    pub allow_data_loss: bool,
    pub question: &'a str,
    pub flag: &'a str,
    pub outputs_file: Option<&'a Path>,
}

/// Replacements that lose data need their flag (`--replace-instance`, `--replace-table`); one
/// that AWS would refuse (a VPC, subnet or security group still in use) is refused outright.
fn refuse_guarded(planned: &Planned, args: &DeployArgs) -> Result<(), CliError> {
    let given = |flag: &str| match flag {
        "--replace-instance" => args.replace_instance,
        "--replace-table" => args.replace_table,
        _ => false,
    };
    let reason_of = |id: &baken::resource::ResourceId| {
        planned
            .plan
            .steps
            .iter()
            .find(|s| &s.resource == id)
            .and_then(|s| match &s.action {
                baken::plan::Action::Replace { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let guarded = &planned.plan.guarded_replacements;
    if let Some(g) = guarded.iter().find(|g| g.flag.is_none()) {
        return Err(CliError::Refused(format!(
            "this deploy would replace {} ({}), but {}; nothing was changed\n  hint: undo the change in the manifest; to rebuild the network instead, `baken deploy --mode mock` removes it (the tables and their data stay), then deploy with --mode jravan again",
            g.resource,
            reason_of(&g.resource),
            g.reason
        )));
    }
    if let Some(g) = guarded.iter().find(|g| g.flag.is_some_and(|f| !given(f))) {
        let flag = g.flag.unwrap_or_default();
        return Err(CliError::Refused(format!(
            "this deploy would replace {} ({}); nothing was changed\n  hint: {}; run again with {flag} to replace it, or undo the change (the manifest, or windows-bootstrap/ for the instance's user data)",
            g.resource,
            reason_of(&g.resource),
            g.reason
        )));
    }
    Ok(())
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
    how: Execution<'_>,
) -> Result<ExitCode, CliError> {
    let plan = &planned.plan;
    let report = if plan.is_empty() {
        None
    } else {
        let approved = if plan.destructive.is_empty() || how.allow_data_loss {
            confirm(how.question, how.yes, how.flag)?
        } else {
            confirm_destruction(plan, &session.stack.name)?
        };
        if !approved {
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
    // Teardown wants nothing, so it has no outputs.
    let outputs = if planned.desired.is_empty() {
        None
    } else {
        let gateway = match &report {
            // A new instance's addresses are known only now.
            Some(_) => session.gateway_addresses(plan.mode).await?,
            None => planned.live.gateway.clone(),
        };
        Some(Outputs::after_apply(
            &session.stack,
            &planned.live,
            plan,
            report.as_ref(),
            gateway.as_ref(),
        ))
    };
    let succeeded = report.as_ref().is_none_or(|r| r.succeeded());
    if let (Some(path), Some(outputs), true) = (how.outputs_file, &outputs, succeeded) {
        let doc = super::outputs::document(&session.stack.name, &session.stack.region, outputs);
        std::fs::write(path, super::output::document(&doc) + "\n").map_err(|source| {
            CliError::Write {
                path: path.to_path_buf(),
                source,
            }
        })?;
    }
    let counts = session.clients.counter.counts();
    if global.json() {
        print_json(&json!({
            "stack": session.stack.name,
            "account": session.account.id,
            "region": session.stack.region,
            "mode": plan.mode,
            "plan": plan,
            "result": report,
            "outputs": outputs,
            "package": how.package,
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
        if let Some(o) = &outputs {
            let text = outputs_text(o);
            if !text.is_empty() {
                print!("Outputs:\n{text}");
            }
        }
        eprintln!("{}", requests_line(counts));
    }
    Ok(ExitCode::from(match &report {
        Some(r) if !r.failed.is_empty() && !r.done.is_empty() => EXIT_PARTIAL,
        Some(r) if !r.failed.is_empty() => EXIT_ERROR,
        _ => EXIT_OK,
    }))
}
