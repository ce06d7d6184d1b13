use std::io::IsTerminal;
use std::process::ExitCode;

use baken::engine::interrupt;
use baken::engine::lock::{self, Lease};
use baken::engine::progress::{Progress, Silent};
use baken::engine::{apply, Planned, Session};
use baken::package::Package;
use baken::plan::render::owner_text;
use baken::plan::Action;
use baken::resource::refs::id_key;
use baken::resource::Kind;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};

use super::approve::{confirm, confirm_destruction, precheck};
use super::args::{DeployArgs, Global};
use super::context::{
    code_of, gateway_software, load_stack, mode, open_session_for_writing, package,
};
use super::error::{CliError, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL};
use super::output::{outputs_text, plan_text, print_json, print_report, requests_line};
use super::progress::{Lines, Spinners};
use baken::engine::Outputs;
use std::path::Path;

pub async fn run(args: &DeployArgs) -> Result<ExitCode, CliError> {
    interrupt::install();
    let global = &args.global;
    if let Some(path) = &args.outputs_file {
        check_writable(path)?;
    }
    let stack = load_stack(&global.source)?;
    let (mode, explicit) = mode(&stack, args.mode)?;
    let software = gateway_software(global, &stack, mode)?;
    let pkg = package(global, &stack, &args.artefact, global.json())?;
    let (session, seen) = open_session_for_writing(global, stack).await?;
    let code = code_of(Some(&pkg));
    let plan_now = || session.plan_deploy(mode, explicit, &code, software.clone());
    let planned = plan_now().await?;
    // Everything that refuses is checked before the lock is taken: a refused run writes nothing.
    show_and_check(args, &session, &planned)?;
    let (planned, lease, replanned) = lock_if_writing(
        &session,
        "deploy",
        args.lock_timeout,
        seen,
        planned,
        || async { Ok(plan_now().await?) },
    )
    .await?;
    let checked = match replanned {
        true => show_and_check(args, &session, &planned),
        false => Ok(()),
    };
    let result = match checked {
        Ok(()) => deploy_locked(args, &session, &planned, &pkg, lease.as_ref()).await,
        Err(e) => Err(e),
    };
    if let Some(lease) = lease {
        release(lease, false).await;
    }
    result.map(|(code, _)| code)
}

async fn deploy_locked(
    args: &DeployArgs,
    session: &Session,
    planned: &Planned,
    pkg: &Package,
    lease: Option<&Lease>,
) -> Result<(ExitCode, bool), CliError> {
    let global = &args.global;
    execute(
        global,
        session,
        planned,
        Execution {
            package: Some(pkg),
            yes: args.yes,
            allow_data_loss: args.allow_data_loss,
            question: "Apply these changes?",
            flag: "--yes",
            outputs_file: args.outputs_file.as_deref(),
            lease,
        },
    )
    .await
}

/// Prints the plan (text output) and refuses what deploy will not do: names taken by others,
/// guarded replacements, and an approval that cannot be given here.
fn show_and_check(args: &DeployArgs, session: &Session, planned: &Planned) -> Result<(), CliError> {
    refuse_conflicts(planned)?;
    refuse_missing(planned)?;
    if !args.global.json() {
        print!("{}", plan_text(&planned.plan, &session.place()));
    }
    refuse_guarded(planned, |flag| match flag {
        "--replace-instance" => args.replace_instance,
        "--replace-table" => args.replace_table,
        _ => false,
    })?;
    precheck(&planned.plan, args.yes, args.allow_data_loss, "--yes")
}

/// Takes the deploy lock when the plan writes anything (a no-op run writes nothing, so it takes
/// none). A run that had to wait, or that finds the lock's version moved since it read the stack,
/// plans again under the lock: what it planned may be stale.
pub async fn lock_if_writing<F, Fut>(
    session: &Session,
    command: &str,
    timeout: std::time::Duration,
    seen: lock::Seen,
    planned: Planned,
    replan: F,
) -> Result<(Planned, Option<Lease>, bool), CliError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Planned, CliError>>,
{
    if planned.plan.is_empty() {
        return Ok((planned, None, false));
    }
    let lease = lock::acquire(
        &session.clients,
        &session.stack.name,
        command,
        timeout,
        Some(&seen),
    )
    .await?;
    hold(&lease);
    if lease.version == seen.version {
        return Ok((planned, Some(lease), false));
    }
    eprintln!(
        "note: another run changed the stack since it was read; planning again under the lock"
    );
    match replan().await {
        Ok(planned) => Ok((planned, Some(lease), true)),
        Err(e) => {
            release(lease, false).await;
            Err(e)
        }
    }
}

/// An interrupt before the run applies releases this lease on its way out.
pub fn hold(lease: &Lease) {
    if let Some(i) = interrupt::current() {
        i.hold(lease.releaser());
    }
}

/// Gives the lock up; teardown's complete run also removes the lock's table. A failed release
/// is only a warning: the lease expires by itself.
pub async fn release(lease: Lease, remove: bool) {
    if let Some(i) = interrupt::current() {
        i.let_go();
    }
    let done = if remove {
        lease.release_and_remove().await
    } else {
        lease.release().await
    };
    if let Err(e) = done {
        eprintln!(
            "warning: the deploy lock was not released ({e}); it expires by itself within {}s",
            lock::LEASE.as_secs()
        );
    }
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
    /// The deploy lock this run holds, if its plan writes.
    pub lease: Option<&'a Lease>,
}

/// Replacements that lose data need their flag (`--replace-instance`, `--replace-table`); one
/// that AWS would refuse (a VPC, subnet or security group still in use) is refused outright.
pub(super) fn refuse_guarded(
    planned: &Planned,
    given: impl Fn(&str) -> bool,
) -> Result<(), CliError> {
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

pub(super) fn refuse_missing(planned: &Planned) -> Result<(), CliError> {
    let Some(m) = planned.plan.missing.first() else {
        return Ok(());
    };
    Err(CliError::Refused(format!(
        "{} {} does not exist; nothing was changed\n  hint: create it, then deploy again: {}",
        m.what, m.name, m.create_with
    )))
}

pub(super) fn refuse_conflicts(planned: &Planned) -> Result<(), CliError> {
    if planned.plan.conflicts.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = planned
        .plan
        .conflicts
        .iter()
        .map(|c| format!("  {} ({})", c.resource, owner_text(&c.owner)))
        .collect();
    let mut stacks: Vec<&str> = planned
        .plan
        .conflicts
        .iter()
        .filter_map(|c| match &c.owner {
            baken::live::Owner::CloudFormation { stack, .. } => Some(stack.as_str()),
            _ => None,
        })
        .collect();
    stacks.sort();
    stacks.dedup();
    let hint = match stacks.is_empty() {
        true => "remove or rename them, or choose another `stack` name in the manifest".to_string(),
        false => format!(
            "take the CloudFormation stack's resources over, data and all: `baken adopt --from-cloudformation {}` shows the plan, and with --yes carries it out",
            stacks.join(" ")
        ),
    };
    Err(CliError::Refused(format!(
        "these names are taken by resources this stack does not own; nothing was changed:\n{}\n  hint: {hint}",
        list.join("\n")
    )))
}

/// Approves and applies a plan, then prints the result; shared by deploy and teardown. The flag:
/// the plan was applied in full (or had nothing to do).
pub async fn execute(
    global: &Global,
    session: &Session,
    planned: &Planned,
    how: Execution<'_>,
) -> Result<(ExitCode, bool), CliError> {
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
            return Ok((ExitCode::from(EXIT_ERROR), false));
        }
        let progress: Box<dyn Progress> = if global.json() {
            Box::new(Silent)
        } else if std::io::stderr().is_terminal() {
            Box::new(Spinners::new())
        } else {
            Box::new(Lines)
        };
        if let Some(i) = interrupt::current() {
            i.applying();
        }
        let never = AtomicBool::new(false);
        let stop = how.lease.map_or(&never, |l| l.lost());
        let report = apply(
            &session.clients,
            plan,
            &planned.desired,
            &planned.live,
            progress.as_ref(),
            stop,
        )
        .await;
        if stop.load(Ordering::SeqCst) {
            eprintln!("warning: the deploy lock's lease expired and another run took it; no new step was started after that");
        }
        if let Some(lease) = how.lease {
            // What the next run reads ahead with: the API's id (none when this run deleted
            // it) and the mode now deployed (none after a teardown that kept the tables: only
            // they are left).
            let deleted = plan.steps.iter().any(|s| {
                s.resource.kind == Kind::RestApi
                    && s.resource.copy.is_none()
                    && matches!(s.action, Action::Delete { .. })
            });
            let deployed = !planned.desired.is_empty();
            // The VPC's and the instance's ids, when the desired state has them.
            let id_of = |kind: Kind| {
                let wanted = planned.desired.iter().find(|d| d.id.kind == kind)?;
                report.refs.get(&id_key(kind, &wanted.id.name)).cloned()
            };
            lease.remember(baken::aws::lock::Left {
                api_id: report.api_id.clone().filter(|_| !deleted),
                mode: deployed.then(|| plan.mode.as_str().to_string()),
                vpc_id: id_of(Kind::Vpc),
                instance_id: id_of(Kind::Instance),
            });
        }
        Some(report)
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
            if counts.writes == 0 {
                println!("Nothing to do; no write request was sent.");
            } else {
                // Planned again under the lock after another run had applied the changes.
                println!("Nothing to do; only the deploy lock was written.");
            }
        }
        if let Some(o) = &outputs {
            let text = outputs_text(o);
            if !text.is_empty() {
                print!("Outputs:\n{text}");
            }
        }
        eprintln!("{}", requests_line(counts));
    }
    // A signal that came after every step was done interrupted nothing.
    let interrupted = interrupt::requested().filter(|_| !succeeded);
    let code = ExitCode::from(match (&report, interrupted) {
        (Some(r), Some(_)) if !r.done.is_empty() || !r.interrupted.is_empty() => EXIT_PARTIAL,
        (_, Some(signal)) => interrupt::exit_code(signal),
        (Some(r), None) if !r.failed.is_empty() && !r.done.is_empty() => EXIT_PARTIAL,
        (Some(r), None) if !r.failed.is_empty() => EXIT_ERROR,
        _ => EXIT_OK,
    });
    Ok((code, succeeded))
}
