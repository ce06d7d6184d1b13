//! `baken adopt`: the plan of taking over CloudFormation stacks, and with `--yes` the take-over
//! itself, step by step from a receipt (`baken::adopt`), ending in an ordinary deploy. Progress
//! goes to stderr; under `--json` stdout has one document (the plan, the deploy's, or the
//! cleanup's).

use std::path::Path;
use std::process::ExitCode;

use baken::adopt::carry::{self, AdoptFront, Carry, Finish, Start};
use baken::adopt::cleanup::{self, Outcome};
use baken::adopt::receipt::{Keeper, Receipt};
use baken::adopt::{self, render, steps, Adoption, Wanted, CDK_APP_STACKS};
use baken::engine::interrupt;
use baken::engine::progress::Progress;
use baken::engine::run::{self as engine_run, Allowed, Front, Refusal};
use baken::engine::{Planned, Session};
use baken::model::Mode;
use baken::package::Package;
use baken::plan::Plan;

use super::args::{AdoptArgs, Global, ModeArg};
use super::context::{code_of, gateway_software, load_stack, mode, open_session, package};
use super::deploy::{render as render_run, Terminal};
use super::error::{CliError, EXIT_OK, EXIT_PARTIAL, EXIT_PENDING};
use super::output::{envelope, print_json};

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
            if carry::through(&r) {
                // Nothing left to do: no build, no lock.
                adopted_line(&session, cleanup::order(&r).len(), &path);
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
    let code = code_of(Some(&pkg));
    let front = Adopting {
        terminal: Terminal::new(global, ""),
        global,
        session: &session,
        pkg: &pkg,
    };
    let how = Carry {
        session: &session,
        mode,
        keep: &keep,
        code: &code,
        software,
        front: &front,
    };
    match how.run(start, args.lock_timeout).await? {
        Finish::Adopted { replaced } => {
            adopted_line(&session, replaced, &path);
            Ok(ExitCode::from(EXIT_OK))
        }
        Finish::GatewayNotReady(problem) => {
            eprintln!(
                "baken's gateway is not healthy yet ({problem}); the functions keep using the CDK app's gateway\n  next: once `baken status` shows the gateway healthy, run this command again to move the functions to it"
            );
            Ok(ExitCode::from(EXIT_PENDING))
        }
        Finish::Partly => Ok(ExitCode::from(EXIT_PARTIAL)),
    }
}

fn adopted_line(session: &Session, replaced: usize, path: &Path) {
    eprintln!(
        "Adopted: the CloudFormation stacks are gone and baken stack {} owns what they held.\n  next: `baken adopt --cleanup --yes` removes the {} resources baken replaced (listed in {})",
        session.stack.name,
        replaced,
        path.display()
    );
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
        print_json(&envelope(
            session,
            mode,
            session.clients.counter.counts(),
            serde_json::json!({
                "receipt": path,
                "adoption": adoption,
                "deploy": deploy,
            }),
        ));
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

/// The terminal an adoption runs at: a run's front, and each deploy's outcome rendered as
/// `baken deploy` renders it.
struct Adopting<'a> {
    terminal: Terminal<'a>,
    global: &'a Global,
    session: &'a Session,
    pkg: &'a Package,
}

impl Front for Adopting<'_> {
    fn show(&self, planned: &Planned, place: &str) {
        self.terminal.show(planned, place)
    }

    fn precheck(&self, plan: &Plan, allowed: &Allowed) -> Result<(), Refusal> {
        self.terminal.precheck(plan, allowed)
    }

    fn approve(&self, plan: &Plan, allowed: &Allowed, stack: &str) -> Result<bool, Refusal> {
        self.terminal.approve(plan, allowed, stack)
    }

    fn progress(&self) -> Box<dyn Progress> {
        self.terminal.progress()
    }

    fn note(&self, text: &str) {
        self.terminal.note(text)
    }
}

impl AdoptFront for Adopting<'_> {
    fn deployed(&self, outcome: &engine_run::Outcome) {
        // The exit code is the adoption's, not this deploy's.
        if let Err(e) = render_run(self.global, self.session, outcome, Some(self.pkg), None) {
            eprintln!("error: {e}");
        }
    }

    fn as_front(&self) -> &dyn Front {
        self
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
    if !carry::through(&receipt) {
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
    let front = Terminal::new(&args.global, "");
    let removals = carry::clean_up(
        session,
        &mut receipt,
        keep,
        args.lock_timeout,
        &report,
        &front,
    )
    .await?;
    let kept = removals
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Kept(_)))
        .count();
    let removed = removals.len() - kept;
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
