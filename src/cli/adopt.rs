//! `baken adopt`: the plan of taking over CloudFormation stacks, and with `--yes` the take-over
//! itself, step by step from a receipt (`baken::adopt`), ending in an ordinary deploy. Progress
//! goes to stderr; under `--json` stdout has one document (the plan, the deploy's, or the
//! cleanup's).

use std::path::Path;
use std::process::ExitCode;

use baken::adopt::cleanup::{self, Outcome};
use baken::adopt::hold::hold_gateway;
use baken::adopt::receipt::{Keeper, Receipt, Step};
use baken::adopt::{self, render, steps, Adoption, Wanted, CDK_APP_STACKS};
use baken::bootstrap::GatewaySoftware;
use baken::desired::FunctionAttr;
use baken::engine::interrupt;
use baken::engine::lock::{self, Lease};
use baken::engine::Session;
use baken::model::Mode;
use baken::package::Package;
use baken::resource::Kind;

use super::args::{AdoptArgs, ModeArg};
use super::context::{code_of, gateway_software, load_stack, mode, open_session, package};
use super::deploy::{
    execute, hold, refuse_conflicts, refuse_guarded, refuse_missing, release, Execution,
};
use super::error::{CliError, EXIT_OK, EXIT_PARTIAL, EXIT_PENDING};
use super::output::print_json;

pub async fn run(args: &AdoptArgs) -> Result<ExitCode, CliError> {
    if args.yes {
        interrupt::install();
    }
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let path = args
        .receipt
        .clone()
        .unwrap_or_else(|| adopt::receipt::default_path(&global.source.manifest, &stack.name));
    let session = open_session(global, stack).await?;
    let keep = Keeper {
        path: &path,
        clients: &session.clients,
        stack: &session.stack.name,
    };
    let existing = keep.load().await?;
    // A re-run continues in the mode its receipt records, unless --mode says otherwise.
    let flag = args.mode.or(existing.as_ref().map(|r| match r.mode {
        Mode::Mock => ModeArg::Mock,
        Mode::Jravan => ModeArg::Jravan,
    }));
    let (mode, _) = mode(&session.stack, flag)?;
    if let Some(r) = &existing {
        check_receipt(r, args, &session, mode, &path)?;
    }
    if args.cleanup {
        return run_cleanup(args, &session, existing, &keep).await;
    }
    let start = match existing {
        Some(r) => {
            eprintln!(
                "Continuing the adoption recorded in {}:\n{}",
                path.display(),
                render::progress_text(&r)
            );
            if through(&r) {
                // Nothing left to do: no build, no lock.
                adopted_line(&session, &r, &path);
                return Ok(ExitCode::from(EXIT_OK));
            }
            if !args.yes {
                eprintln!("Nothing was changed. Run again with --yes to continue.");
                return Ok(ExitCode::from(EXIT_PENDING));
            }
            Start::Resume(r)
        }
        None => match plan_new(args, &session, mode, &path).await? {
            Some(a) => Start::New(a),
            None => return Ok(ExitCode::from(EXIT_PENDING)),
        },
    };
    // What can fail without changing anything comes before the receipt: the build, the lock.
    let pkg = package(global, &session.stack, &args.artefact, global.json())?;
    let software = gateway_software(global, &session.stack, mode)?;
    let lease = lock::acquire(
        &session.clients,
        &session.stack.name,
        "adopt",
        args.lock_timeout,
        None,
    )
    .await?;
    hold(&lease);
    let started = match start {
        Start::Resume(r) => Ok(r),
        Start::New(a) => steps::start(&a, &session.stack.name, &session.account, mode, &keep)
            .await
            .map_err(CliError::from),
    };
    let mut receipt = match started {
        Ok(r) => r,
        Err(e) => {
            release(lease, false).await;
            return Err(e);
        }
    };
    let how = Carry {
        args,
        session: &session,
        mode,
        keep: &keep,
        pkg: &pkg,
        software,
        lease: &lease,
    };
    let result = how.carry_out(&mut receipt).await;
    release(lease, false).await;
    match result {
        Err(e) if !receipt.done.is_empty() || !receipt.backups.is_empty() => {
            Err(CliError::Partly(Box::new(e)))
        }
        other => other,
    }
}

/// Whether the adoption the receipt records is through: deployed, and in jravan mode cut over.
fn through(r: &Receipt) -> bool {
    r.is_done(&Step::Deployed) && (r.mode != Mode::Jravan || r.is_done(&Step::CutOver))
}

fn adopted_line(session: &Session, r: &Receipt, path: &Path) {
    eprintln!(
        "Adopted: the CloudFormation stacks are gone and baken stack {} owns what they held.\n  next: `baken adopt --cleanup --yes` removes the {} resources baken replaced (listed in {})",
        session.stack.name,
        cleanup::order(r).len(),
        path.display()
    );
}

/// Where a run with `--yes` starts from.
enum Start {
    /// The receipt of an adoption under way.
    Resume(Receipt),
    /// A new adoption, planned and not refused.
    New(Adoption),
}

/// A receipt found for this stack must be the one this run means.
fn check_receipt(
    r: &Receipt,
    args: &AdoptArgs,
    session: &Session,
    mode: Mode,
    path: &Path,
) -> Result<(), CliError> {
    let asked: Vec<String> = if args.from_cdk_app {
        Vec::new()
    } else {
        args.from_cloudformation.clone()
    };
    let mut recorded = r.stack_names();
    recorded.sort();
    let mut wanted = asked.clone();
    wanted.sort();
    let problem = if r.baken_stack != session.stack.name {
        Some(format!("it is for baken stack {}", r.baken_stack))
    } else if r.account != session.account.id || r.region != session.account.region {
        Some(format!("it is for account {}, {}", r.account, r.region))
    } else if !asked.is_empty() && wanted != recorded {
        Some(format!("it adopts stacks {}", recorded.join(", ")))
    } else if r.mode != mode {
        Some(format!("it adopts in {} mode", r.mode.as_str()))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(CliError::Refused(format!(
            "the adoption receipt {} does not match this run: {p}; nothing was changed\n  hint: run with the stacks, manifest and --mode it records: it is kept in the account (the stack's lock table) and read before any file",
            path.display()
        ))),
    }
}

/// Reads the stacks and shows the adoption. With `--yes` and nothing refused: the adoption to
/// start; None: shown only.
async fn plan_new(
    args: &AdoptArgs,
    session: &Session,
    mode: Mode,
    path: &Path,
) -> Result<Option<Adoption>, CliError> {
    let names: Vec<String> = if args.from_cdk_app {
        CDK_APP_STACKS.iter().map(|s| s.to_string()).collect()
    } else {
        args.from_cloudformation.clone()
    };
    let (mut read, loose) = futures::future::try_join(
        steps::read(&session.clients, &names),
        steps::loose_log_groups(&session.clients, &session.stack.name),
    )
    .await?;
    read.loose_log_groups = loose;
    if args.from_cdk_app && read.stacks.iter().any(|(_, f)| f.is_some()) {
        // The JRA-VAN stack exists only where the app was deployed with jravan=true.
        read.stacks.retain(|(_, f)| f.is_some());
    }
    let wanted = Wanted::of(&session.stack.name, &session.names(mode));
    let mut adoption = adopt::plan(read, &wanted);
    // The deploy that ends the adoption, read from what is kept as it is now.
    let deploy = match adoption.refusals.is_empty() {
        true => {
            let software = gateway_software(&args.global, &session.stack, mode)?;
            let planned = adopt::preview::deploy_after(session, &adoption, mode, software).await?;
            adoption.refusals.extend(adopt::preview::refusals(&planned));
            Some(planned.plan)
        }
        false => None,
    };
    if args.global.json() && !args.yes {
        print_json(&serde_json::json!({
            "stack": session.stack.name,
            "account": session.account.id,
            "region": session.stack.region,
            "mode": mode,
            "receipt": path,
            "adoption": adoption,
            "deploy": deploy,
        }));
    } else if !args.global.json() {
        print!(
            "{}",
            render::plan_text(
                &adoption,
                &session.stack.name,
                mode,
                &session.place(),
                &path.display().to_string()
            )
        );
        if let Some(plan) = &deploy {
            println!("The deploy that follows (step 5), as the kept resources are now:");
            print!("{}", super::output::plan_text(plan, &session.place()));
        }
    }
    if let Some(r) = adoption.refusals.first() {
        let n = adoption.refusals.len();
        return Err(CliError::Refused(format!(
            "the adoption is refused ({n} problem{}; the first: stack {}: {}); nothing was changed\n  hint: {}",
            if n == 1 { "" } else { "s" },
            r.stack,
            r.problem,
            r.hint
        )));
    }
    if !args.yes {
        eprintln!("Nothing was changed. Run again with --yes to adopt.");
        return Ok(None);
    }
    Ok(Some(adoption))
}

/// One step of the adoption, abandoned when an interrupt's grace runs out (the receipt records
/// whole steps only, so a re-run does it again).
async fn step<T, E: Into<CliError>>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, CliError> {
    match interrupt::within_grace(work).await {
        Ok(done) => done.map_err(Into::into),
        Err(signal) => Err(CliError::Interrupted(signal)),
    }
}

/// What carrying an adoption out needs.
struct Carry<'a> {
    args: &'a AdoptArgs,
    session: &'a Session,
    mode: Mode,
    keep: &'a Keeper<'a>,
    pkg: &'a Package,
    software: Option<GatewaySoftware>,
    lease: &'a Lease,
}

impl Carry<'_> {
    /// Every step not yet in the receipt, in order.
    async fn carry_out(&self, receipt: &mut Receipt) -> Result<ExitCode, CliError> {
        let c = &self.session.clients;
        let keep = self.keep;
        let stacks = receipt.stacks.clone();
        if let Some(i) = interrupt::current() {
            i.applying();
        }
        // Between two steps, an interrupt ends the run: each step is whole in the receipt.
        let go_on = || match interrupt::requested() {
            Some(signal) => Err(CliError::Interrupted(signal)),
            None => Ok(()),
        };
        if !receipt.is_done(&Step::BackedUp) {
            eprintln!("backing up the kept tables…");
        }
        step(steps::back_up(c, receipt, keep)).await?;
        for f in &stacks {
            go_on()?;
            if !receipt.is_done(&Step::Retained(f.name.clone())) {
                eprintln!(
                    "retaining every resource of stack {} (change set {})…",
                    f.name,
                    steps::change_set_name(&f.name)
                );
            }
            step(steps::retain(c, receipt, keep, f)).await?;
        }
        for f in &stacks {
            go_on()?;
            if !receipt.is_done(&Step::Deleted(f.name.clone())) {
                eprintln!("deleting stack {}; every resource stays…", f.name);
            }
            step(steps::delete(c, receipt, keep, f)).await?;
        }
        go_on()?;
        step(steps::tag(c, receipt, keep, &self.session.account)).await?;
        go_on()?;
        if !receipt.is_done(&Step::Deployed) {
            let hold = self.mode == Mode::Jravan;
            if !self.deploy(hold).await? {
                return Ok(ExitCode::from(EXIT_PARTIAL));
            }
            receipt.mark(Step::Deployed, keep).await?;
        }
        if self.mode == Mode::Jravan && !receipt.is_done(&Step::CutOver) {
            if let Some(problem) = self.gateway_problem().await? {
                eprintln!(
                    "baken's gateway is not healthy yet ({problem}); the functions keep using the CDK app's gateway\n  next: once `baken status` shows the gateway healthy, run this command again to move the functions to it"
                );
                return Ok(ExitCode::from(EXIT_PENDING));
            }
            eprintln!("baken's gateway is healthy: moving the functions to it…");
            if !self.deploy(false).await? {
                return Ok(ExitCode::from(EXIT_PARTIAL));
            }
            receipt.mark(Step::CutOver, keep).await?;
        }
        adopted_line(self.session, receipt, keep.path);
        Ok(ExitCode::from(EXIT_OK))
    }

    /// An ordinary deploy of the manifest; `hold`: the functions stay on their live gateway.
    /// True when it applied in full.
    async fn deploy(&self, hold: bool) -> Result<bool, CliError> {
        let s = self.session;
        let code = code_of(Some(self.pkg));
        let planned = s
            .plan_deploy_with(self.mode, true, &code, self.software.clone(), |d, live| {
                if hold {
                    hold_gateway(d, live)
                }
            })
            .await?;
        refuse_conflicts(&planned)?;
        refuse_missing(&planned)?;
        if !self.args.global.json() {
            print!("{}", super::output::plan_text(&planned.plan, &s.place()));
        }
        // A replacement that loses data, or a deletion, is never part of an adoption.
        refuse_guarded(&planned, |_| false)?;
        if let Some(d) = planned.plan.destructive.first() {
            return Err(CliError::Refused(format!(
                "the deploy after the adoption would delete {}; it was not applied\n  hint: bring the manifest in line with what was adopted, then run baken adopt again",
                d.resource
            )));
        }
        let how = Execution {
            package: Some(self.pkg),
            yes: true,
            allow_data_loss: false,
            question: "",
            flag: "--yes",
            outputs_file: None,
            lease: Some(self.lease),
        };
        let (_, ok) = execute(&self.args.global, s, &planned, how).await?;
        Ok(ok)
    }

    /// Why baken's gateway cannot serve yet, or None when its health report is fresh and clean.
    async fn gateway_problem(&self) -> Result<Option<String>, CliError> {
        let live = self.session.plan_status().await?.live;
        Ok(match &live.gateway_health {
            None => Some("it has not reported its health yet".into()),
            Some(h) => h.problem.clone(),
        })
    }
}

/// `--cleanup`: what the receipt lists as replaced, once the adoption is through.
async fn run_cleanup(
    args: &AdoptArgs,
    session: &Session,
    receipt: Option<Receipt>,
    keep: &Keeper<'_>,
) -> Result<ExitCode, CliError> {
    let path = keep.path;
    let Some(mut receipt) = receipt else {
        return Err(CliError::NotFound(format!(
            "there is no adoption receipt at {}; --cleanup removes only what a receipt lists\n  hint: pass --receipt PATH, the file `baken adopt --yes` wrote",
            path.display()
        )));
    };
    if !through(&receipt) {
        return Err(CliError::Refused(format!(
            "the adoption recorded in {} is not through yet, so what it replaces may still serve; nothing was changed\n  hint: run `baken adopt --yes` until it says Adopted, then --cleanup",
            path.display()
        )));
    }
    let order = cleanup::order(&receipt);
    if !args.yes {
        if !args.global.json() {
            println!(
                "Cleanup of the adoption recorded in {}: removes",
                path.display()
            );
            for d in &order {
                println!(
                    "  - {} {} [{}] of stack {}",
                    d.resource_type,
                    d.physical_id.as_deref().unwrap_or("(no physical id)"),
                    d.logical_id,
                    d.stack
                );
            }
        }
        eprintln!("Nothing was changed. Run again with --yes to remove them.");
        return Ok(ExitCode::from(EXIT_PENDING));
    }
    let lease = lock::acquire(
        &session.clients,
        &session.stack.name,
        "adopt --cleanup",
        args.lock_timeout,
        None,
    )
    .await?;
    hold(&lease);
    if let Some(i) = interrupt::current() {
        i.applying();
    }
    let result = async {
        let live = session.read().await?;
        // Roles a live function of the stack still runs as (`arn:…:role/<path>name`).
        let roles_in_use: Vec<String> = live
            .resources
            .values()
            .filter(|r| r.id.kind == Kind::Function)
            .filter_map(|r| r.attrs.get(&FunctionAttr::Role.key()))
            .filter_map(|arn| arn.rsplit('/').next().map(str::to_string))
            .collect();
        let json = args.global.json();
        let report = |r: &cleanup::Removal| {
            if json {
                return;
            }
            let what = format!(
                "{} {} [{}]",
                r.resource_type,
                r.physical_id.as_deref().unwrap_or("-"),
                r.logical_id
            );
            match &r.outcome {
                Outcome::Removed => eprintln!("  removed   {what}"),
                Outcome::WentWith(p) => eprintln!("  went with {p}: {what}"),
                Outcome::Kept(why) => eprintln!("  kept      {what}: {why}"),
            }
        };
        // A removal still waiting when an interrupt's grace is over (a security group on
        // Lambda's network interfaces) is abandoned; the receipt still lists it.
        // What was removed before is not known then: partly done (exit 3).
        let removals = step(cleanup::run(
            &session.clients,
            &receipt,
            &roles_in_use,
            &report,
        ));
        removals.await.map_err(|e| match e {
            CliError::Interrupted(_) => CliError::Partly(Box::new(e)),
            e => e,
        })
    }
    .await;
    release(lease, false).await;
    let removals = result?;
    let kept = removals
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Kept(_)))
        .count();
    let removed = removals.len() - kept;
    if kept == 0 {
        receipt.mark(Step::CleanedUp, keep).await?;
    }
    if args.global.json() {
        print_json(&serde_json::json!({
            "stack": session.stack.name,
            "receipt": path,
            "removals": removals,
        }));
    } else {
        println!("Cleanup: {removed} removed, {kept} kept (see above).");
    }
    Ok(ExitCode::from(match (kept, interrupt::requested()) {
        (0, _) => EXIT_OK,
        (_, Some(_)) if removed > 0 => EXIT_PARTIAL,
        (_, Some(signal)) => interrupt::exit_code(signal),
        _ => EXIT_PENDING,
    }))
}
