//! An adoption carried out, as library calls: the lock taken, every step not yet in the receipt
//! done in order (each whole, or not at all, so a re-run continues), the deploys that end it
//! through `crate::engine::run`, and the lock released; and `--cleanup`'s removals under the lock.
//! `baken adopt` parses, calls these, and renders.

use std::time::Duration;

use super::cleanup::{self, Removal};
use super::hold::hold_gateway;
use super::receipt::{Keeper, Receipt, ReceiptError, Step};
use super::steps::{self, StepError};
use super::Adoption;
use crate::aws::AwsError;
use crate::bootstrap::GatewaySoftware;
use crate::desired::{Code, FunctionAttr};
use crate::engine::lock::{self, Lease, LockError};
use crate::engine::run::{self, Allowed, Front, Locking, Outcome, RunError, Work};
use crate::engine::{interrupt, EngineError, Session};
use crate::model::Mode;
use crate::resource::Kind;

#[derive(Debug, thiserror::Error)]
pub enum CarryError {
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// SIGINT or SIGTERM (its number) stopped the adoption between two of its steps.
    #[error("interrupted by signal {0}")]
    Interrupted(i32),
    /// An error after some of the adoption was done: run it again to finish.
    #[error(transparent)]
    Partly(Box<CarryError>),
}

impl From<EngineError> for CarryError {
    fn from(e: EngineError) -> CarryError {
        CarryError::Run(RunError::Engine(e))
    }
}

/// What the adoption's front shows besides a run's: each deploy's outcome.
pub trait AdoptFront: Front {
    /// A deploy of the adoption has run (its document, its report).
    fn deployed(&self, outcome: &Outcome);
    /// The front as a run's.
    fn as_front(&self) -> &dyn Front;
}

/// Where a run with `--yes` starts from.
pub enum Start {
    /// The receipt of an adoption under way.
    Resume(Receipt),
    /// A new adoption, planned and not refused.
    New(Adoption),
}

/// How a run of the adoption ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Every step is done: baken's stack owns what the CloudFormation stacks held; `replaced`
    /// resources are left for `--cleanup`.
    Adopted { replaced: usize },
    /// Deployed, but baken's gateway cannot serve yet (the reason): the functions stay on the CDK
    /// app's until a later run finds it healthy.
    GatewayNotReady(String),
    /// A deploy of the adoption was not applied in full.
    Partly,
}

/// What carrying an adoption out needs.
pub struct Carry<'a> {
    pub session: &'a Session,
    pub mode: Mode,
    pub keep: &'a Keeper<'a>,
    pub code: &'a Code,
    pub software: Option<GatewaySoftware>,
    pub front: &'a dyn AdoptFront,
}

/// Whether the adoption the receipt records is through: deployed, and in jravan mode cut over.
pub fn through(r: &Receipt) -> bool {
    r.is_done(&Step::Deployed) && (r.mode != Mode::Jravan || r.is_done(&Step::CutOver))
}

/// One step of the adoption, abandoned when an interrupt's grace runs out (the receipt records
/// whole steps only, so a re-run does it again).
async fn step<T, E: Into<CarryError>>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, CarryError> {
    match interrupt::within_grace(work).await {
        Ok(done) => done.map_err(Into::into),
        Err(signal) => Err(CarryError::Interrupted(signal)),
    }
}

/// Between two steps, an interrupt ends the run: each step is whole in the receipt.
fn go_on() -> Result<(), CarryError> {
    match interrupt::requested() {
        Some(signal) => Err(CarryError::Interrupted(signal)),
        None => Ok(()),
    }
}

impl Carry<'_> {
    /// Takes the lock (waiting up to `timeout`), starts the receipt of a new adoption, does
    /// every step not yet done, and releases the lock. An error after anything was done is
    /// `CarryError::Partly`.
    pub async fn run(&self, start: Start, timeout: Duration) -> Result<Finish, CarryError> {
        let s = self.session;
        let lease = lock::acquire(&s.clients, &s.stack.name, "adopt", timeout, None).await?;
        run::hold(&lease);
        let started = match start {
            Start::Resume(r) => Ok(r),
            Start::New(a) => steps::start(&a, &s.stack.name, &s.account, self.mode, self.keep)
                .await
                .map_err(CarryError::from),
        };
        let mut receipt = match started {
            Ok(r) => r,
            Err(e) => {
                run::release(lease, false, self.front.as_front()).await;
                return Err(e);
            }
        };
        let result = self.carry_out(&mut receipt, &lease).await;
        run::release(lease, false, self.front.as_front()).await;
        match result {
            Err(e) if !receipt.done.is_empty() || !receipt.backups.is_empty() => {
                Err(CarryError::Partly(Box::new(e)))
            }
            other => other,
        }
    }

    /// Every step not yet in the receipt, in order.
    async fn carry_out(&self, receipt: &mut Receipt, lease: &Lease) -> Result<Finish, CarryError> {
        let c = &self.session.clients;
        let keep = self.keep;
        let note = |text: &str| self.front.note(text);
        let stacks = receipt.stacks.clone();
        if let Some(i) = interrupt::current() {
            i.applying();
        }
        if !receipt.is_done(&Step::BackedUp) {
            note("backing up the kept tables…");
        }
        step(steps::back_up(c, receipt, keep)).await?;
        for f in &stacks {
            go_on()?;
            if !receipt.is_done(&Step::Retained(f.name.clone())) {
                note(&format!(
                    "retaining every resource of stack {} (change set {})…",
                    f.name,
                    steps::change_set_name(&f.name)
                ));
            }
            step(steps::retain(c, receipt, keep, f)).await?;
        }
        for f in &stacks {
            go_on()?;
            if !receipt.is_done(&Step::Deleted(f.name.clone())) {
                note(&format!("deleting stack {}; every resource stays…", f.name));
            }
            step(steps::delete(c, receipt, keep, f)).await?;
        }
        go_on()?;
        step(steps::tag(c, receipt, keep, &self.session.account)).await?;
        go_on()?;
        if !receipt.is_done(&Step::Deployed) {
            let hold = self.mode == Mode::Jravan;
            if !self.deploy(hold, lease).await? {
                return Ok(Finish::Partly);
            }
            receipt.mark(Step::Deployed, keep).await?;
        }
        if self.mode == Mode::Jravan && !receipt.is_done(&Step::CutOver) {
            if let Some(problem) = self.gateway_problem().await? {
                return Ok(Finish::GatewayNotReady(problem));
            }
            note("baken's gateway is healthy: moving the functions to it…");
            if !self.deploy(false, lease).await? {
                return Ok(Finish::Partly);
            }
            receipt.mark(Step::CutOver, keep).await?;
        }
        Ok(Finish::Adopted {
            replaced: cleanup::order(receipt).len(),
        })
    }

    /// An ordinary deploy of the manifest under the adoption's lock; `hold`: the functions stay
    /// on their live gateway. A replacement that loses data, or a deletion, is never part of an
    /// adoption. True when it applied in full.
    async fn deploy(&self, hold: bool, lease: &Lease) -> Result<bool, CarryError> {
        let work = Work::Deploy {
            mode: self.mode,
            explicit: true,
            code: self.code,
            software: self.software.clone(),
            adjust: hold.then_some(hold_gateway as fn(&mut [_], &_)),
        };
        let allowed = Allowed {
            yes: true,
            adopting: true,
            ..Allowed::default()
        };
        let front = self.front.as_front();
        let outcome =
            run::carry_out(self.session, &work, &allowed, Locking::Held(lease), front).await?;
        self.front.deployed(&outcome);
        Ok(outcome.succeeded())
    }

    /// Why baken's gateway cannot serve yet, or None when its health report is fresh and clean.
    async fn gateway_problem(&self) -> Result<Option<String>, CarryError> {
        let live = self.session.plan_status().await?.live;
        Ok(match &live.gateway_health {
            None => Some("it has not reported its health yet".into()),
            Some(h) => h.problem.clone(),
        })
    }
}

/// `--cleanup` under the lock (waiting up to `timeout`): removes what the receipt lists as
/// replaced, keeping a role a live function still runs as; `report` is told each removal as it
/// is done. The receipt records the cleanup once nothing was kept.
pub async fn clean_up(
    session: &Session,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
    timeout: Duration,
    report: &dyn Fn(&Removal),
    front: &dyn Front,
) -> Result<Vec<Removal>, CarryError> {
    let lease = lock::acquire(
        &session.clients,
        &session.stack.name,
        "adopt --cleanup",
        timeout,
        None,
    )
    .await?;
    run::hold(&lease);
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
        // A removal still waiting when an interrupt's grace is over (a security group on
        // Lambda's network interfaces) is abandoned; the receipt still lists it. What was
        // removed before is not known then: partly done.
        step(cleanup::run(
            &session.clients,
            receipt,
            &roles_in_use,
            report,
        ))
        .await
        .map_err(|e| match e {
            CarryError::Interrupted(_) => CarryError::Partly(Box::new(e)),
            e => e,
        })
    }
    .await;
    run::release(lease, false, front).await;
    let removals = result?;
    if removals
        .iter()
        .all(|r| !matches!(r.outcome, cleanup::Outcome::Kept(_)))
    {
        receipt.mark(Step::CleanedUp, keep).await?;
    }
    Ok(removals)
}
