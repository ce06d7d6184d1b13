//! A writing run as one library call: plan, refuse what will not be done, take the deploy lock,
//! plan again under it when another run changed the stack meanwhile, ask, apply, remember what
//! the next run reads ahead with (`super::left`), release, and hand back what happened.
//! `baken deploy` and `baken teardown` are this call with their arguments, and so are the deploys
//! that end an adoption (under the adoption's lock). The command renders the `Outcome`; what it
//! shows and asks along the way goes through its `Front`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::lock::{self, Lease, LockError, Seen};
use super::progress::Progress;
use super::{apply, interrupt, left, ApplyReport, EngineError, Outputs, Planned, Session};
use crate::aws::{AwsError, RequestCounts};
use crate::bootstrap::GatewaySoftware;
use crate::desired::{Code, Desired};
use crate::live::{LiveState, Owner};
use crate::model::Mode;
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{Action, Plan};
use crate::resource::ResourceId;

/// What the run plans.
pub enum Work<'a> {
    /// The manifest's stack in `mode`; `explicit`: the mode came from `--mode`, so a switch is
    /// intended. `adjust` changes the desired state before it is compared (an adoption keeps
    /// the adopted functions on the CDK app's gateway until baken's is healthy).
    Deploy {
        mode: Mode,
        explicit: bool,
        code: &'a Code,
        software: Option<GatewaySoftware>,
        adjust: Option<fn(&mut [Desired], &LiveState)>,
    },
    /// Everything the stack owns removed; the tables stay when `keep_data`.
    Teardown { keep_data: bool },
    /// A saved plan (`baken plan --out`), applied only if nothing it was computed from moved;
    /// `code` and `software` are the package and the gateway's software it names.
    Saved {
        saved: &'a SavedPlan,
        code: &'a Code,
        software: Option<GatewaySoftware>,
    },
}

/// What the person allowed on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    /// `--yes`: no question.
    pub yes: bool,
    /// `--allow-data-loss`: deletions that lose data need no typed name.
    pub allow_data_loss: bool,
    pub replace_instance: bool,
    pub replace_table: bool,
    /// The deploy ends an adoption: a deletion that loses data is refused outright.
    pub adopting: bool,
}

impl Allowed {
    /// Whether the replacement that needs `flag` was allowed.
    fn flag(&self, flag: &str) -> bool {
        match flag {
            "--replace-instance" => self.replace_instance,
            "--replace-table" => self.replace_table,
            _ => false,
        }
    }
}

/// How the run holds the deploy lock.
pub enum Locking<'a> {
    /// Taken for `command` when the plan writes, waiting up to `timeout`. `seen`: the lock as
    /// the session read it before planning (`Session::open_for_writing`).
    Take {
        command: &'static str,
        timeout: Duration,
        seen: Seen,
    },
    /// Held by the caller (an adoption holds it through all its steps).
    Held(&'a Lease),
}

/// What the run shows and asks through the command.
pub trait Front {
    /// A plan the run may carry out in `place` (`Session::place`); shown again when it is
    /// planned again under the lock.
    fn show(&self, planned: &Planned, place: &str);
    /// Refuses at once what `approve` would refuse for want of a terminal, so that the run
    /// refuses before it takes the lock.
    fn precheck(&self, plan: &Plan, allowed: &Allowed) -> Result<(), Refusal>;
    /// Asks to carry the plan out; false: the person said no.
    fn approve(&self, plan: &Plan, allowed: &Allowed, stack: &str) -> Result<bool, Refusal>;
    /// How the steps' progress is shown.
    fn progress(&self) -> Box<dyn Progress>;
    /// A note for the person (stderr).
    fn note(&self, text: &str);
}

/// What a run will not do, and what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("these names are taken by resources this stack does not own; nothing was changed:\n{list}\n  hint: {hint}")]
    Conflicts { list: String, hint: String },
    #[error("{what} {name} does not exist; nothing was changed\n  hint: create it, then deploy again: {create_with}")]
    Missing {
        what: String,
        name: String,
        create_with: String,
    },
    #[error("this deploy would replace {resource} ({change}), but {why}; nothing was changed\n  hint: undo the change in the manifest; to rebuild the network instead, `baken deploy --mode mock` removes it (the tables and their data stay), then deploy with --mode jravan again")]
    InUse {
        resource: ResourceId,
        change: String,
        why: String,
    },
    #[error("this deploy would replace {resource} ({change}); nothing was changed\n  hint: {why}; run again with {flag} to replace it, or undo the change (the manifest, or windows-bootstrap/ for the instance's user data)")]
    Guarded {
        resource: ResourceId,
        change: String,
        why: String,
        flag: &'static str,
    },
    #[error("the deploy after the adoption would delete {0}; it was not applied\n  hint: bring the manifest in line with what was adopted, then run baken adopt again")]
    AdoptionDeletes(ResourceId),
    /// The command's own (no terminal to ask, an answer that could not be read).
    #[error("{0}")]
    Front(String),
}

/// Why a saved plan is not applied: what moved since it was made.
#[derive(Debug, thiserror::Error)]
#[error("the saved plan is stale: {}; nothing was changed\n  hint: make the plan again (`baken plan --out FILE`), review it, and apply that one", .0.join("; "))]
pub struct Stale(pub Vec<String>);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Stale(#[from] Stale),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// What a run did.
pub struct Outcome {
    /// The plan carried out (the one planned under the lock, when planned again).
    pub planned: Planned,
    /// False: the person said no, and nothing was changed.
    pub approved: bool,
    /// None when the plan had nothing to do (or was not approved).
    pub report: Option<ApplyReport>,
    /// The stack's outputs after the run (a deploy's; a teardown has none).
    pub outputs: Option<Outputs>,
    /// The lease expired and another run took the lock: no step started after that.
    pub lease_lost: bool,
    /// The AWS requests the run had sent when it finished applying and reading the outputs
    /// (the lock's release comes after).
    pub requests: RequestCounts,
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Applied in full, or nothing to do.
    Done,
    /// The person said no.
    Declined,
    /// Every step that ran failed: nothing changed.
    Failed,
    /// Some steps were done, some not: run it again to finish.
    Partly,
    /// Stopped by signal N before anything was done.
    Interrupted(i32),
}

impl Outcome {
    /// Whether the plan was applied in full (or had nothing to do).
    pub fn succeeded(&self) -> bool {
        self.approved && self.report.as_ref().is_none_or(|r| r.succeeded())
    }

    pub fn ending(&self) -> Ending {
        if !self.approved {
            return Ending::Declined;
        }
        // A signal that came after every step was done interrupted nothing.
        let interrupted = interrupt::requested().filter(|_| !self.succeeded());
        match (&self.report, interrupted) {
            (Some(r), Some(_)) if !r.done.is_empty() || !r.interrupted.is_empty() => Ending::Partly,
            (_, Some(signal)) => Ending::Interrupted(signal),
            (Some(r), None) if !r.failed.is_empty() && !r.done.is_empty() => Ending::Partly,
            (Some(r), None) if !r.failed.is_empty() => Ending::Failed,
            _ => Ending::Done,
        }
    }
}

/// Carries `work` out on `session`: the one entry of every writing run.
pub async fn carry_out(
    session: &Session,
    work: &Work<'_>,
    allowed: &Allowed,
    locking: Locking<'_>,
    front: &dyn Front,
) -> Result<Outcome, RunError> {
    // A saved plan whose lock version moved is refused after the read, which names what moved.
    let lock_moved = match (work, &locking) {
        (Work::Saved { saved, .. }, Locking::Take { seen, .. }) => {
            same_lock_version(saved, seen.version).err()
        }
        _ => None,
    };
    let planned = match (plan(session, work).await, lock_moved) {
        (Ok(planned), None) => planned,
        (Ok(_), Some(moved)) => return Err(moved.into()),
        (Err(RunError::Stale(Stale(why))), Some(Stale(mut moved))) => {
            moved.extend(why);
            return Err(Stale(moved).into());
        }
        (Err(e), _) => return Err(e),
    };
    // Everything that refuses is checked before the lock is taken: a refused run writes nothing.
    check(session, &planned, allowed, front)?;
    match locking {
        Locking::Held(lease) => execute(session, planned, allowed, Some(lease), front).await,
        Locking::Take {
            command,
            timeout,
            seen,
        } => {
            let (planned, lease) = lock_if_writing(
                session, work, allowed, command, timeout, &seen, planned, front,
            )
            .await?;
            let result = execute(session, planned, allowed, lease.as_ref(), front).await;
            if let Some(lease) = lease {
                // A complete teardown leaves no stack: its lock table goes last.
                let gone = matches!(work, Work::Teardown { .. })
                    && result.as_ref().is_ok_and(Outcome::succeeded);
                release(lease, gone, front).await;
            }
            result
        }
    }
}

async fn plan(session: &Session, work: &Work<'_>) -> Result<Planned, RunError> {
    Ok(match work {
        Work::Deploy {
            mode,
            explicit,
            code,
            software,
            adjust,
        } => {
            session
                .plan_deploy_with(*mode, *explicit, code, software.clone(), |d, live| {
                    if let Some(adjust) = adjust {
                        adjust(d, live)
                    }
                })
                .await?
        }
        Work::Teardown { keep_data } => session.plan_teardown(*keep_data).await?,
        Work::Saved {
            saved,
            code,
            software,
        } => {
            let mode = Mode::parse(&saved.mode).unwrap_or(session.stack.mode);
            let planned = session
                .plan_deploy(mode, saved.explicit_mode, code, software.clone())
                .await?;
            still_valid(session, saved, &planned)?;
            planned
        }
    })
}

/// What a saved plan needs of the lock: the version it was read at.
fn same_lock_version(saved: &SavedPlan, version: i64) -> Result<(), Stale> {
    match version == saved.lock_version {
        true => Ok(()),
        false => Err(Stale(vec![format!(
            "the stack's deploy lock moved from version {} to {version}: a run wrote to the stack after the plan was made (or this plan was applied already)",
            saved.lock_version
        )])),
    }
}

/// Refuses a saved plan when anything it was computed from differs now.
fn still_valid(session: &Session, saved: &SavedPlan, planned: &Planned) -> Result<(), Stale> {
    let mut why = Vec::new();
    if saved.account != session.account.id || saved.region != session.account.region {
        why.push(format!(
            "it was made for account {}, {} (this is account {}, {})",
            saved.account, saved.region, session.account.id, session.account.region
        ));
    }
    if saved.stack != session.stack.name {
        why.push(format!(
            "it was made for stack {} (the manifest names {})",
            saved.stack, session.stack.name
        ));
    }
    if saved.desired_sha256 != saved::desired_hash(&planned.desired) {
        why.push("what the stack wants differs (the manifest, the package, the gateway's software or the account's facts changed)".into());
    }
    why.extend(saved::moved(
        &saved.live,
        &saved::fingerprints(&planned.desired, &planned.live),
    ));
    if why.is_empty() && saved.plan != saved::plan_value(&planned.plan) {
        why.push("the plan computed now differs from the saved one".into());
    }
    match why.is_empty() {
        true => Ok(()),
        false => Err(Stale(why)),
    }
}

/// The saved plan of `planned`, read at lock version `lock_version`.
pub fn save(
    session: &Session,
    planned: &Planned,
    explicit_mode: bool,
    lock_version: i64,
    manifest_sha256: String,
    artefact: Option<saved::Artefact>,
) -> SavedPlan {
    SavedPlan {
        format: saved::FORMAT.into(),
        version: saved::VERSION,
        baken_version: env!("CARGO_PKG_VERSION").into(),
        stack: session.stack.name.clone(),
        environment: session.stack.environment.as_ref().map(|e| e.name.clone()),
        account: session.account.id.clone(),
        region: session.account.region.clone(),
        mode: planned.plan.mode.as_str().into(),
        explicit_mode,
        manifest_sha256,
        artefact,
        desired_sha256: saved::desired_hash(&planned.desired),
        lock_version,
        live: saved::fingerprints(&planned.desired, &planned.live),
        plan: saved::plan_value(&planned.plan),
    }
}

/// Refuses what the run will not do, shows the plan, and refuses an approval that cannot be
/// given here.
fn check(
    session: &Session,
    planned: &Planned,
    allowed: &Allowed,
    front: &dyn Front,
) -> Result<(), Refusal> {
    refuse_conflicts(planned)?;
    refuse_missing(planned)?;
    front.show(planned, &session.place());
    refuse_guarded(planned, allowed)?;
    if allowed.adopting {
        // A deletion is never part of an adoption.
        if let Some(d) = planned.plan.destructive.first() {
            return Err(Refusal::AdoptionDeletes(d.resource.clone()));
        }
    }
    front.precheck(&planned.plan, allowed)
}

/// Takes the deploy lock when the plan writes anything (a no-op run writes nothing, so it takes
/// none). A run that had to wait, or that finds the lock's version moved since it read the stack,
/// plans again under the lock: what it planned may be stale.
#[allow(clippy::too_many_arguments)]
async fn lock_if_writing(
    session: &Session,
    work: &Work<'_>,
    allowed: &Allowed,
    command: &str,
    timeout: Duration,
    seen: &Seen,
    planned: Planned,
    front: &dyn Front,
) -> Result<(Planned, Option<Lease>), RunError> {
    if planned.plan.is_empty() {
        return Ok((planned, None));
    }
    let lease = lock::acquire(
        &session.clients,
        &session.stack.name,
        command,
        timeout,
        Some(seen),
    )
    .await?;
    hold(&lease);
    if let Work::Saved { saved, .. } = work {
        // A saved plan is applied as it was read, or not at all.
        if let Err(stale) = same_lock_version(saved, lease.version) {
            release(lease, false, front).await;
            return Err(stale.into());
        }
    }
    if lease.version == seen.version {
        return Ok((planned, Some(lease)));
    }
    front.note(
        "note: another run changed the stack since it was read; planning again under the lock",
    );
    let replanned = async {
        let planned = plan(session, work).await?;
        check(session, &planned, allowed, front)?;
        Ok::<_, RunError>(planned)
    };
    match replanned.await {
        Ok(planned) => Ok((planned, Some(lease))),
        Err(e) => {
            release(lease, false, front).await;
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

/// Gives the lock up; `remove`: the lock's table goes too (the stack is gone). A failed release
/// is only a note: the lease expires by itself.
pub async fn release(lease: Lease, remove: bool, front: &dyn Front) {
    if let Some(i) = interrupt::current() {
        i.let_go();
    }
    let done = if remove {
        lease.release_and_remove().await
    } else {
        lease.release().await
    };
    if let Err(e) = done {
        front.note(&format!(
            "warning: the deploy lock was not released ({e}); it expires by itself within {}s",
            lock::LEASE.as_secs()
        ));
    }
}

/// Asks, applies, remembers what the run leaves, and reads the outputs.
async fn execute(
    session: &Session,
    planned: Planned,
    allowed: &Allowed,
    lease: Option<&Lease>,
    front: &dyn Front,
) -> Result<Outcome, RunError> {
    let plan = &planned.plan;
    let mut lease_lost = false;
    let report = if plan.is_empty() {
        None
    } else {
        if !front.approve(plan, allowed, &session.stack.name)? {
            return Ok(Outcome {
                planned,
                approved: false,
                report: None,
                outputs: None,
                lease_lost,
                requests: session.clients.counter.counts(),
            });
        }
        let progress = front.progress();
        if let Some(i) = interrupt::current() {
            i.applying();
        }
        let never = AtomicBool::new(false);
        let stop = lease.map_or(&never, |l| l.lost());
        let report = apply(
            &session.clients,
            plan,
            &planned.desired,
            &planned.live,
            progress.as_ref(),
            stop,
        )
        .await;
        lease_lost = stop.load(Ordering::SeqCst);
        if let Some(lease) = lease {
            lease.remember(left::left_by(plan, &planned.desired, &report));
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
    Ok(Outcome {
        planned,
        approved: true,
        report,
        outputs,
        lease_lost,
        requests: session.clients.counter.counts(),
    })
}

/// Names taken by resources the stack does not own.
fn refuse_conflicts(planned: &Planned) -> Result<(), Refusal> {
    let conflicts = &planned.plan.conflicts;
    if conflicts.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = conflicts
        .iter()
        .map(|c| {
            format!(
                "  {} ({})",
                c.resource,
                crate::plan::render::owner_text(&c.owner)
            )
        })
        .collect();
    let mut stacks: Vec<&str> = conflicts
        .iter()
        .filter_map(|c| match &c.owner {
            Owner::CloudFormation { stack, .. } => Some(stack.as_str()),
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
    Err(Refusal::Conflicts {
        list: list.join("\n"),
        hint,
    })
}

/// Something the stack needs and does not make (the JRA-VAN service key).
fn refuse_missing(planned: &Planned) -> Result<(), Refusal> {
    match planned.plan.missing.first() {
        None => Ok(()),
        Some(m) => Err(Refusal::Missing {
            what: m.what.to_string(),
            name: m.name.clone(),
            create_with: m.create_with.to_string(),
        }),
    }
}

/// Replacements that lose data need their flag (`--replace-instance`, `--replace-table`); one
/// that AWS would refuse (a VPC, subnet or security group still in use) is refused outright.
fn refuse_guarded(planned: &Planned, allowed: &Allowed) -> Result<(), Refusal> {
    let change_of = |id: &ResourceId| {
        planned
            .plan
            .steps
            .iter()
            .find(|s| &s.resource == id)
            .and_then(|s| match &s.action {
                Action::Replace { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let guarded = &planned.plan.guarded_replacements;
    if let Some(g) = guarded.iter().find(|g| g.flag.is_none()) {
        return Err(Refusal::InUse {
            resource: g.resource.clone(),
            change: change_of(&g.resource),
            why: g.reason.clone(),
        });
    }
    if let Some(g) = guarded
        .iter()
        .find(|g| g.flag.is_some_and(|f| !allowed.flag(f)))
    {
        return Err(Refusal::Guarded {
            resource: g.resource.clone(),
            change: change_of(&g.resource),
            why: g.reason.clone(),
            flag: g.flag.unwrap_or_default(),
        });
    }
    Ok(())
}
