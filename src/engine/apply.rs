//! Carries out a plan: steps run as soon as the steps they wait for have finished, a bounded
//! number at a time, the ones heading the longest remaining chain first. After the first failure
//! nothing new starts; running steps finish, and the report says what was done, what failed and
//! what was left for a re-run. An interrupt (`super::interrupt`) stops new steps the same way,
//! and abandons the ones still running once its grace is over.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;

use super::progress::Progress;
use crate::aws::client::counter::{self, StepRequests};
use crate::aws::seam::{self, Learnt, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::Desired;
use crate::live::LiveState;
use crate::plan::{spec_of, Action, Plan, Step};
use crate::resource::{Kind, ResourceId};

/// How many steps run at once. Throttling is not this number's job: every service's requests
/// are held to its documented control-plane rate (`aws::client::limits`), so more steps in flight only
/// fill the time other steps spend waiting for answers.
pub const MAX_CONCURRENT_STEPS: usize = 16;

/// Each step's longest path to the end of the plan, itself included, in estimated rounds.
fn remaining_paths(steps: &[Step]) -> BTreeMap<&ResourceId, u32> {
    let mut dependents: BTreeMap<&ResourceId, Vec<&Step>> = BTreeMap::new();
    for s in steps {
        for a in &s.after {
            dependents.entry(a).or_default().push(s);
        }
    }
    fn path<'a>(
        s: &'a Step,
        dependents: &BTreeMap<&'a ResourceId, Vec<&'a Step>>,
        memo: &mut BTreeMap<&'a ResourceId, u32>,
    ) -> u32 {
        if let Some(p) = memo.get(&s.resource) {
            return *p;
        }
        let rest = dependents
            .get(&s.resource)
            .map(|ds| {
                ds.iter()
                    .map(|d| path(d, dependents, memo))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        let p = seam::rounds(s.resource.kind) + rest;
        memo.insert(&s.resource, p);
        p
    }
    let mut memo = BTreeMap::new();
    for s in steps {
        path(s, &dependents, &mut memo);
    }
    memo
}

/// Whether `step` may start as far as `dep` goes: `dep` has finished, or `step` is an API
/// resource created under `dep` and `dep`'s id is known (it needs the id, not `dep`'s methods).
fn satisfied(
    step: &Step,
    dep: &ResourceId,
    finished: &BTreeSet<&ResourceId>,
    learnt: &Learnt,
) -> bool {
    use crate::resource::Kind::ApiResource;
    finished.contains(dep)
        || (step.resource.kind == ApiResource
            && dep.kind == ApiResource
            && !matches!(step.action, Action::Delete { .. })
            && learnt.api_resource_ids.contains_key(&dep.name))
}

#[derive(Debug, Default, Serialize)]
pub struct ApplyReport {
    pub done: Vec<ResourceId>,
    pub failed: Vec<Failure>,
    /// Not started because an earlier step failed, the deploy lock was lost or the run was
    /// interrupted.
    pub skipped: Vec<ResourceId>,
    /// Still running when an interrupted run's grace was over, and abandoned: whether they took
    /// effect is known only to the next run's read.
    pub interrupted: Vec<ResourceId>,
    /// Each step that ran, with its requests: the weights of the plan's critical path.
    pub step_requests: Vec<StepRun>,
    /// The REST API's id after the run (it may have been created by it).
    #[serde(skip)]
    pub api_id: Option<String>,
    /// The AWS ids known after the run, those it created among them.
    #[serde(skip)]
    pub refs: crate::resource::refs::Refs,
}

#[derive(Debug, Serialize)]
pub struct StepRun {
    pub resource: ResourceId,
    #[serde(flatten)]
    pub requests: StepRequests,
}

#[derive(Debug, Serialize)]
pub struct Failure {
    pub resource: ResourceId,
    pub error: AwsError,
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.interrupted.is_empty()
    }
}

pub async fn apply(
    clients: &Clients,
    plan: &Plan,
    desired: &[Desired],
    live: &LiveState,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> ApplyReport {
    let learnt = Mutex::new(Learnt {
        api_id: live.api_id.clone(),
        api_resource_ids: live.api_resource_ids.clone(),
        refs: live.refs.clone(),
        api_imported: false,
        changed: Default::default(),
    });
    let changed = learnt.lock().expect("learnt ids lock").changed.clone();
    let priority = remaining_paths(&plan.steps);
    let mut report = ApplyReport::default();
    let mut finished: BTreeSet<&ResourceId> = BTreeSet::new();
    let mut started: BTreeSet<&ResourceId> = BTreeSet::new();
    let mut running = FuturesUnordered::new();
    let mut since: BTreeMap<&ResourceId, Instant> = BTreeMap::new();
    let mut failed = false;
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    ticker.tick().await;
    let abandon = super::interrupt::grace_over();
    tokio::pin!(abandon);

    loop {
        // A lost deploy lock, or an interrupt, stops new steps as a failure does.
        let interrupted = super::interrupt::requested().is_some();
        if !failed && !interrupted && !stop.load(Ordering::SeqCst) {
            let mut ready: Vec<&Step> = {
                let known = learnt.lock().expect("learnt ids lock");
                plan.steps
                    .iter()
                    .filter(|s| !started.contains(&s.resource))
                    .filter(|s| s.after.iter().all(|a| satisfied(s, a, &finished, &known)))
                    .collect()
            };
            // The head of the longest remaining chain first; plan order among equals.
            ready.sort_by_key(|s| {
                std::cmp::Reverse(priority.get(&s.resource).copied().unwrap_or(0))
            });
            for step in ready {
                if running.len() >= MAX_CONCURRENT_STEPS {
                    break;
                }
                started.insert(&step.resource);
                since.insert(&step.resource, Instant::now());
                progress.started(step);
                let learnt = &learnt;
                running.push(async move {
                    let t = Instant::now();
                    let (outcome, requests) =
                        counter::for_step(run_step(clients, step, desired, live, learnt)).await;
                    (step, outcome, t.elapsed(), requests)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((step, outcome, elapsed, requests)) = running.next() => {
                progress.finished(step, &outcome, elapsed);
                since.remove(&step.resource);
                report.step_requests.push(StepRun { resource: step.resource.clone(), requests });
                match outcome {
                    Ok(()) => {
                        finished.insert(&step.resource);
                        report.done.push(step.resource.clone());
                        // A new REST API came with its whole tree (one PutRestApi): the plan's
                        // api-resource creates are done with it.
                        if step.resource.kind == Kind::RestApi
                            && learnt.lock().expect("learnt ids lock").api_imported
                        {
                            let children: Vec<&Step> = plan
                                .steps
                                .iter()
                                .filter(|s| {
                                    s.resource.kind == Kind::ApiResource
                                        && matches!(s.action, Action::Create)
                                        && !started.contains(&s.resource)
                                })
                                .collect();
                            for child in children {
                                started.insert(&child.resource);
                                finished.insert(&child.resource);
                                progress.finished(child, &Ok(()), Duration::ZERO);
                                report.done.push(child.resource.clone());
                            }
                        }
                    }
                    Err(error) => {
                        failed = true;
                        report.failed.push(Failure { resource: step.resource.clone(), error });
                    }
                }
            }
            // An id was learnt: a step waiting only for it may start.
            _ = changed.notified() => {}
            // Interrupted, and the steps in flight had their time: they are abandoned (their
            // requests dropped), and the next run reads what they did.
            _ = &mut abandon => {
                report.interrupted = since.keys().map(|r| (*r).clone()).collect();
                break;
            }
            _ = ticker.tick() => {
                let waits = crate::aws::client::retry::waiting_for();
                let what = |s: &Step| {
                    waits
                        .iter()
                        .find(|(resource, _)| names(resource, &s.resource))
                        .map(|(_, what)| what.clone())
                };
                let now: Vec<(&Step, Duration, Option<String>)> = plan
                    .steps
                    .iter()
                    .filter_map(|s| since.get(&s.resource).map(|t| (s, t.elapsed(), what(s))))
                    .collect();
                progress.running(&now);
            }
        }
    }
    {
        let learnt = learnt.lock().expect("learnt ids lock");
        report.api_id = learnt.api_id.clone();
        report.refs = learnt.refs.clone();
    }
    report.skipped = plan
        .steps
        .iter()
        .filter(|s| !started.contains(&s.resource))
        .map(|s| s.resource.clone())
        .collect();
    report
}

/// Whether a wait's resource text (`security group t-lambda-sg (sg-…)`, as `AwsError::resource`
/// writes it) is about `id`: its name as a whole word, and a copy's AWS id too. A substring test
/// gave `t-gateway` the wait of `t-gateway-sg`.
fn names(wait: &str, id: &ResourceId) -> bool {
    let words: Vec<&str> = wait
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    words.contains(&id.name.as_str()) && id.copy.as_deref().is_none_or(|c| words.contains(&c))
}

/// Carries out one step through its kind's seam.
async fn run_step(
    clients: &Clients,
    step: &Step,
    desired: &[Desired],
    live: &LiveState,
    learnt: &Mutex<Learnt>,
) -> Result<(), AwsError> {
    let cx = StepContext::new(clients, &step.resource, step.action.changes(), learnt)
        .with_live(live.get(&step.resource).map(|l| &l.attrs));
    if let Action::Delete { .. } = step.action {
        return seam::delete(&cx).await;
    }
    let Some(spec) = spec_of(desired, &step.resource) else {
        return Err(AwsError::new(
            "apply",
            step.resource.to_string(),
            "no desired state for this resource",
        ));
    };
    match step.action {
        Action::Update { .. } => seam::update(spec, &cx).await,
        Action::Replace { .. } => seam::replace(spec, &cx).await,
        _ => seam::create(spec, &cx).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::progress::Silent;

    /// A lost deploy lock (`stop` set by the lease's renewal) starts no step: all are skipped,
    /// and no request is sent (the clients point nowhere).
    #[tokio::test]
    async fn a_lost_lock_starts_nothing_and_reports_every_step_skipped() {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("ap-northeast-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let clients = Clients::from_config(&config, crate::aws::Timing::fast());
        let desired = crate::plan::tests::desired();
        let live = LiveState::default();
        let plan = crate::plan::compute("t", crate::model::Mode::Mock, &desired, &live);
        let report = apply(
            &clients,
            &plan,
            &desired,
            &live,
            &Silent,
            &AtomicBool::new(true),
        )
        .await;
        assert!(report.done.is_empty() && report.failed.is_empty());
        assert_eq!(report.skipped.len(), plan.steps.len());
        assert_eq!(
            clients.counter.counts().reads + clients.counter.counts().writes,
            0
        );
    }

    use crate::resource::Kind;

    /// Regression: the progress board matched waits by substring.
    #[test]
    fn the_gateway_does_not_get_the_wait_of_its_security_group() {
        let wait = "security group t-gateway-sg (sg-1)";
        assert!(!names(wait, &ResourceId::new(Kind::Instance, "t-gateway")));
        assert!(names(
            wait,
            &ResourceId::new(Kind::SecurityGroup, "t-gateway-sg")
        ));
        assert!(names(
            "instance t-gateway (i-1)",
            &ResourceId::new(Kind::Instance, "t-gateway")
        ));
        let copy = ResourceId::new(Kind::SecurityGroup, "t-gateway-sg").copy("sg-2");
        assert!(!names(wait, &copy), "a copy's wait names its own id");
    }

    /// The REST API heads the longest chain of a fresh deploy (API, resources five levels deep,
    /// stage): it starts before the steps that only look ready first in plan order.
    #[test]
    fn the_head_of_the_longest_chain_ranks_first() {
        let desired = crate::plan::tests::desired();
        let plan = crate::plan::compute(
            "t",
            crate::model::Mode::Mock,
            &desired,
            &LiveState::default(),
        );
        let priority = remaining_paths(&plan.steps);
        let rank = |kind: Kind| {
            plan.steps
                .iter()
                .filter(|s| s.resource.kind == kind)
                .map(|s| priority[&s.resource])
                .max()
                .unwrap()
        };
        let independent = plan.steps.iter().filter(|s| s.after.is_empty());
        let best = independent.max_by_key(|s| priority[&s.resource]).unwrap();
        assert_eq!(best.resource.kind, Kind::RestApi);
        assert!(rank(Kind::RestApi) > rank(Kind::Table) && rank(Kind::RestApi) > rank(Kind::Role));
    }

    /// A child API resource waits for its parent's id, not for the parent's methods; a deletion
    /// still waits for the step itself.
    #[test]
    fn a_child_api_resource_may_start_once_its_parents_id_is_learnt() {
        let parent = ResourceId::new(Kind::ApiResource, "/cart");
        let child = Step {
            resource: ResourceId::new(Kind::ApiResource, "/cart/items"),
            action: Action::Create,
            after: vec![parent.clone()],
        };
        let mut learnt = Learnt::default();
        let finished = BTreeSet::new();
        assert!(!satisfied(&child, &parent, &finished, &learnt));
        learnt.api_resource_ids.insert("/cart".into(), "r-1".into());
        assert!(satisfied(&child, &parent, &finished, &learnt));
        let deletion = Step {
            action: Action::Delete { holds_data: false },
            ..child
        };
        assert!(!satisfied(&deletion, &parent, &finished, &learnt));
    }
}
