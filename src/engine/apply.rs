//! Carries out a plan: steps run as soon as the steps they wait for have finished, a bounded
//! number at a time. After the first failure nothing new starts; running steps finish, and the
//! report says what was done, what failed and what was left for a re-run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;

use super::progress::Progress;
use crate::aws::{apigateway, dynamodb, iam, lambda, logs, AwsError, Clients};
use crate::desired::{Desired, Kind, ResourceId, Spec};
use crate::live::LiveState;
use crate::plan::{spec_of, Action, Plan, Step};

/// How many steps run at once. API Gateway and IAM throttle control-plane writes at a few per
/// second; four keeps a deploy fast without living on the SDK's throttling retries.
pub const MAX_CONCURRENT_STEPS: usize = 4;

#[derive(Debug, Default, Serialize)]
pub struct ApplyReport {
    pub done: Vec<ResourceId>,
    pub failed: Vec<Failure>,
    /// Not started because an earlier step failed.
    pub skipped: Vec<ResourceId>,
    /// The REST API's id after the run (it may have been created by it).
    #[serde(skip)]
    pub api_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Failure {
    pub resource: ResourceId,
    pub error: AwsError,
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// Ids learnt while applying: the REST API's and its resources', created along the way.
struct Ids {
    api_id: Option<String>,
    resource_ids: BTreeMap<String, String>,
}

pub async fn apply(
    clients: &Clients,
    plan: &Plan,
    desired: &[Desired],
    live: &LiveState,
    progress: &dyn Progress,
) -> ApplyReport {
    let ids = Mutex::new(Ids {
        api_id: live.api_id.clone(),
        resource_ids: live.api_resource_ids.clone(),
    });
    let mut report = ApplyReport::default();
    let mut finished: BTreeSet<&ResourceId> = BTreeSet::new();
    let mut started: BTreeSet<&ResourceId> = BTreeSet::new();
    let mut running = FuturesUnordered::new();
    let mut since: BTreeMap<&ResourceId, Instant> = BTreeMap::new();
    let mut failed = false;
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    ticker.tick().await;

    loop {
        if !failed {
            for step in &plan.steps {
                if running.len() >= MAX_CONCURRENT_STEPS {
                    break;
                }
                if started.contains(&step.resource)
                    || !step.after.iter().all(|a| finished.contains(a))
                {
                    continue;
                }
                started.insert(&step.resource);
                since.insert(&step.resource, Instant::now());
                progress.started(step);
                let ids = &ids;
                running.push(async move {
                    let t = Instant::now();
                    let outcome = run_step(clients, step, desired, ids).await;
                    (step, outcome, t.elapsed())
                });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((step, outcome, elapsed)) = running.next() => {
                progress.finished(step, &outcome, elapsed);
                since.remove(&step.resource);
                match outcome {
                    Ok(()) => {
                        finished.insert(&step.resource);
                        report.done.push(step.resource.clone());
                    }
                    Err(error) => {
                        failed = true;
                        report.failed.push(Failure { resource: step.resource.clone(), error });
                    }
                }
            }
            _ = ticker.tick() => {
                let now: Vec<(&Step, Duration)> = plan
                    .steps
                    .iter()
                    .filter_map(|s| since.get(&s.resource).map(|t| (s, t.elapsed())))
                    .collect();
                progress.running(&now);
            }
        }
    }
    report.api_id = ids.lock().expect("ids lock").api_id.clone();
    report.skipped = plan
        .steps
        .iter()
        .filter(|s| !started.contains(&s.resource))
        .map(|s| s.resource.clone())
        .collect();
    report
}

fn changed(action: &Action) -> Vec<String> {
    action
        .changes()
        .iter()
        .map(|c| c.attribute.clone())
        .collect()
}

fn missing_id(what: &str, step: &Step) -> AwsError {
    AwsError::new(
        "apply",
        step.resource.to_string(),
        format!("the {what} is not known"),
    )
    .with_hint("an earlier step did not finish: run the command again")
}

async fn run_step(
    clients: &Clients,
    step: &Step,
    desired: &[Desired],
    ids: &Mutex<Ids>,
) -> Result<(), AwsError> {
    let spec = spec_of(desired, &step.resource);
    let api_id = || {
        ids.lock()
            .expect("ids lock")
            .api_id
            .clone()
            .ok_or_else(|| missing_id("REST API id", step))
    };
    let resource_id = |path: &str| {
        ids.lock()
            .expect("ids lock")
            .resource_ids
            .get(path)
            .cloned()
    };
    let name = step.resource.name.as_str();

    if let Action::Delete { .. } | Action::Replace { .. } = step.action {
        match step.resource.kind {
            Kind::Table => dynamodb::delete(clients, name).await?,
            Kind::Role => iam::delete(clients, name).await?,
            Kind::LogGroup => logs::delete(clients, name).await?,
            Kind::Function => lambda::delete(clients, name).await?,
            Kind::RestApi => apigateway::delete_api(clients, &api_id()?, name).await?,
            Kind::ApiResource => {
                if let Some(id) = resource_id(name) {
                    apigateway::delete_resource(clients, &api_id()?, &id, name).await?;
                }
            }
            Kind::GatewayResponse => {
                apigateway::delete_gateway_response(clients, &api_id()?, name).await?
            }
            Kind::Stage => apigateway::delete_stage(clients, &api_id()?, name).await?,
            Kind::Permission => {
                lambda::remove_permission(clients, name, crate::desired::PERMISSION_STATEMENT_ID)
                    .await?
            }
        }
        if let Action::Delete { .. } = step.action {
            return Ok(());
        }
    }

    let Some(spec) = spec else {
        return Err(AwsError::new(
            "apply",
            step.resource.to_string(),
            "no desired state for this resource",
        ));
    };
    let create = !matches!(step.action, Action::Update { .. });
    let changed = changed(&step.action);
    match spec {
        Spec::Table(s) if create => dynamodb::create(clients, s).await,
        Spec::Table(s) => dynamodb::update(clients, s, &changed).await,
        Spec::Role(s) if create => iam::create(clients, s).await,
        Spec::Role(s) => iam::update(clients, s, &changed).await,
        Spec::LogGroup(s) if create => logs::create(clients, s).await,
        Spec::LogGroup(s) => logs::set_retention(clients, s).await,
        Spec::Function(s) if create => lambda::create(clients, s).await,
        Spec::Function(s) => lambda::update(clients, s, &changed).await,
        Spec::RestApi(s) if create => {
            let (id, root) = apigateway::create_api(clients, s).await?;
            let mut ids = ids.lock().expect("ids lock");
            ids.api_id = Some(id);
            ids.resource_ids = BTreeMap::from([("/".to_string(), root)]);
            Ok(())
        }
        Spec::RestApi(s) => apigateway::update_api(clients, &api_id()?, s).await,
        Spec::ApiResource(s) if create => {
            let parent = s.parent_path().unwrap_or("/");
            let parent_id = resource_id(parent)
                .ok_or_else(|| missing_id(&format!("id of the parent resource {parent}"), step))?;
            let id = apigateway::create_resource(clients, &api_id()?, &parent_id, s).await?;
            ids.lock()
                .expect("ids lock")
                .resource_ids
                .insert(s.path.clone(), id);
            Ok(())
        }
        Spec::ApiResource(s) => {
            let id = resource_id(&s.path)
                .ok_or_else(|| missing_id(&format!("id of resource {}", s.path), step))?;
            apigateway::update_resource(clients, &api_id()?, &id, s, &changed).await
        }
        Spec::GatewayResponse(s) => apigateway::put_gateway_response(clients, &api_id()?, s).await,
        Spec::Stage(s) => {
            let new_deployment = create || changed.iter().any(|c| c == "deployment");
            apigateway::apply_stage(clients, &api_id()?, s, !create, new_deployment).await
        }
        Spec::Permission(s) => {
            let api = api_id()?;
            if !create {
                lambda::remove_permission(clients, &s.function_name, &s.statement_id).await?;
            }
            lambda::add_permission(clients, s, &api).await
        }
    }
}
