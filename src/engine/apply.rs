//! Carries out a plan: steps run as soon as the steps they wait for have finished, a bounded
//! number at a time. After the first failure nothing new starts; running steps finish, and the
//! report says what was done, what failed and what was left for a re-run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;

use super::progress::Progress;
use crate::aws::{apigateway, dynamodb, ec2, iam, lambda, logs, ssm, AwsError, Clients};
use crate::desired::{Desired, FunctionSpec, Spec};
use crate::live::LiveState;
use crate::plan::{spec_of, Action, Plan, Step};
use crate::resource::refs::{self, id_key, private_ip_key, Refs};
use crate::resource::{Kind, ResourceId};

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

/// Ids learnt while applying: the REST API's and its resources', and the AWS ids (and the
/// instance's private IP) of what is created along the way.
struct Ids {
    api_id: Option<String>,
    resource_ids: BTreeMap<String, String>,
    refs: Refs,
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
        refs: live.refs.clone(),
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
                let waits = crate::aws::retry::waiting_for();
                // A wait names its resource (`security group t-lambda-sg (sg-…)`).
                let what = |s: &Step| {
                    waits
                        .iter()
                        .find(|(resource, _)| resource.contains(&s.resource.name))
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

/// The function spec with its references (subnets, security group, gateway address) filled in.
fn resolved_function(s: &FunctionSpec, known: &Refs) -> Result<FunctionSpec, String> {
    let mut out = s.clone();
    for v in out.environment.values_mut() {
        *v = refs::fill(v, known)?;
    }
    if let Some(vpc) = &mut out.vpc {
        for x in vpc.subnets.iter_mut().chain(vpc.security_groups.iter_mut()) {
            *x = refs::fill(x, known)?;
        }
    }
    Ok(out)
}

/// A client token for RunInstances: unique per launch, the same for the SDK's retries of it.
fn client_token(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut token = format!("{name}-{nanos:x}");
    token.truncate(64);
    token
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
    // The AWS value of a reference, once the resource it names exists.
    let fill = |text: &str| {
        refs::fill(text, &ids.lock().expect("ids lock").refs)
            .map_err(|key| missing_id(&format!("id of {key}"), step))
    };
    let learn = |key: String, value: String| {
        ids.lock().expect("ids lock").refs.insert(key, value);
    };
    let name = step.resource.name.as_str();
    let own_id = || {
        ids.lock()
            .expect("ids lock")
            .refs
            .get(&id_key(step.resource.kind, name))
            .cloned()
    };

    if let Action::Delete { .. } | Action::Replace { .. } = step.action {
        delete(clients, step, own_id(), &api_id, &resource_id).await?;
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
    let existing = || own_id().ok_or_else(|| missing_id("AWS id", step));
    match spec {
        Spec::Table(s) if create => dynamodb::create(clients, s).await,
        Spec::Table(s) => dynamodb::update(clients, s, &changed).await,
        Spec::Role(s) if create => iam::create(clients, s).await,
        Spec::Role(s) => iam::update(clients, s, &changed).await,
        Spec::InstanceProfile(s) if create => iam::create_instance_profile(clients, s).await,
        Spec::InstanceProfile(s) => {
            let current = step
                .action
                .changes()
                .iter()
                .find(|c| c.attribute == "role")
                .and_then(|c| c.live.clone());
            iam::set_profile_role(clients, s, current.as_deref()).await
        }
        Spec::Vpc(s) if create => {
            let id = ec2::create_vpc(clients, s).await?;
            learn(id_key(Kind::Vpc, name), id);
            Ok(())
        }
        Spec::Vpc(s) => ec2::update_vpc(clients, &existing()?, s).await,
        Spec::InternetGateway(s) if create => {
            let id = ec2::create_internet_gateway(clients, s, &fill(&s.vpc)?).await?;
            learn(id_key(Kind::InternetGateway, name), id);
            Ok(())
        }
        Spec::InternetGateway(s) => {
            ec2::update_internet_gateway(clients, &existing()?, s, &fill(&s.vpc)?).await
        }
        // Every compared attribute of a subnet (and of a security group, below) forces a
        // replacement, so these two steps only ever create.
        Spec::Subnet(s) => {
            let id = ec2::create_subnet(clients, s, &fill(&s.vpc)?).await?;
            learn(id_key(Kind::Subnet, name), id);
            Ok(())
        }
        Spec::RouteTable(s) => {
            let routes = s
                .routes
                .iter()
                .map(|(d, t)| Ok((d.clone(), fill(t)?)))
                .collect::<Result<Vec<_>, AwsError>>()?;
            let subnets = s
                .subnets
                .iter()
                .map(|x| fill(x))
                .collect::<Result<Vec<_>, _>>()?;
            if create {
                let id =
                    ec2::create_route_table(clients, s, &fill(&s.vpc)?, &routes, &subnets).await?;
                learn(id_key(Kind::RouteTable, name), id);
                Ok(())
            } else {
                ec2::update_route_table(clients, &existing()?, name, &routes, &subnets, &changed)
                    .await
            }
        }
        Spec::VpcEndpoint(s) => {
            let tables = s
                .route_tables
                .iter()
                .map(|x| fill(x))
                .collect::<Result<Vec<_>, _>>()?;
            if create {
                let id = ec2::create_endpoint(clients, s, &fill(&s.vpc)?, &tables).await?;
                learn(id_key(Kind::VpcEndpoint, name), id);
                Ok(())
            } else {
                ec2::update_endpoint(clients, &existing()?, s, &tables, &changed).await
            }
        }
        Spec::SecurityGroup(s) => {
            let id = ec2::create_security_group(clients, s, &fill(&s.vpc)?).await?;
            learn(id_key(Kind::SecurityGroupRules, name), id.clone());
            learn(id_key(Kind::SecurityGroup, name), id);
            Ok(())
        }
        Spec::SecurityGroupRules(s) => {
            let mut rules = s.rules.clone();
            for r in &mut rules {
                r.peer = fill(&r.peer)?;
            }
            // A new rule set: every wanted rule is a change.
            let keys: Vec<String> = if create {
                rules.iter().map(|r| r.key()).collect()
            } else {
                changed.clone()
            };
            ec2::apply_rules(clients, &fill(&s.group)?, name, &rules, &keys).await
        }
        Spec::GatewayDocument(s) if create => ssm::create_document(clients, s).await,
        Spec::GatewayDocument(s) => ssm::update_document(clients, s).await,
        Spec::Instance(s) if create => {
            let token = client_token(name);
            let (id, ip) = ec2::launch_instance(
                clients,
                s,
                ec2::Launch {
                    subnet: &fill(&s.subnet)?,
                    security_group: &fill(&s.security_group)?,
                    client_token: &token,
                },
            )
            .await?;
            learn(private_ip_key(name), ip);
            learn(id_key(Kind::Instance, name), id);
            Ok(())
        }
        Spec::Instance(s) => {
            ec2::update_instance_in_place(
                clients,
                &existing()?,
                s,
                &fill(&s.security_group)?,
                &changed,
            )
            .await
        }
        Spec::ElasticIp(s) => {
            let current = if create { None } else { own_id() };
            let id =
                ec2::associate_address(clients, s, current.as_deref(), &fill(&s.instance)?).await?;
            learn(id_key(Kind::ElasticIp, name), id);
            Ok(())
        }
        Spec::LogGroup(s) if create => logs::create(clients, s).await,
        Spec::LogGroup(s) => logs::set_retention(clients, s).await,
        Spec::Function(s) => {
            let known = ids.lock().expect("ids lock").refs.clone();
            let s = resolved_function(s, &known)
                .map_err(|key| missing_id(&format!("id of {key}"), step))?;
            if create {
                lambda::create(clients, &s).await
            } else {
                lambda::update(clients, &s, &changed).await
            }
        }
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

/// Removes the step's resource. EC2 resources are deleted by their AWS id; one that is not known
/// is already gone.
async fn delete(
    clients: &Clients,
    step: &Step,
    own_id: Option<String>,
    api_id: &dyn Fn() -> Result<String, AwsError>,
    resource_id: &dyn Fn(&str) -> Option<String>,
) -> Result<(), AwsError> {
    let name = step.resource.name.as_str();
    let kind = step.resource.kind;
    match kind {
        Kind::Table => dynamodb::delete(clients, name).await,
        Kind::Role => iam::delete(clients, name).await,
        Kind::InstanceProfile => iam::delete_instance_profile(clients, name).await,
        Kind::GatewayDocument => ssm::delete_document(clients, name).await,
        Kind::LogGroup => logs::delete(clients, name).await,
        Kind::Function => lambda::delete(clients, name).await,
        Kind::RestApi => apigateway::delete_api(clients, &api_id()?, name).await,
        Kind::ApiResource => match resource_id(name) {
            Some(id) => apigateway::delete_resource(clients, &api_id()?, &id, name).await,
            None => Ok(()),
        },
        Kind::GatewayResponse => {
            apigateway::delete_gateway_response(clients, &api_id()?, name).await
        }
        Kind::Stage => apigateway::delete_stage(clients, &api_id()?, name).await,
        Kind::Permission => {
            lambda::remove_permission(clients, name, crate::desired::PERMISSION_STATEMENT_ID).await
        }
        Kind::Vpc
        | Kind::InternetGateway
        | Kind::Subnet
        | Kind::RouteTable
        | Kind::VpcEndpoint
        | Kind::SecurityGroup
        | Kind::SecurityGroupRules
        | Kind::Instance
        | Kind::ElasticIp => {
            let Some(id) = own_id else { return Ok(()) };
            match kind {
                Kind::Vpc => ec2::delete_vpc(clients, &id, name).await,
                Kind::InternetGateway => ec2::delete_internet_gateway(clients, &id, name).await,
                Kind::Subnet => ec2::delete_subnet(clients, &id, name).await,
                Kind::RouteTable => ec2::delete_route_table(clients, &id, name).await,
                Kind::VpcEndpoint => ec2::delete_endpoint(clients, &id, name).await,
                Kind::SecurityGroup => ec2::delete_security_group(clients, &id, name).await,
                Kind::SecurityGroupRules => ec2::revoke_all_rules(clients, &id, name).await,
                Kind::Instance => ec2::terminate_instance(clients, &id, name).await,
                _ => ec2::delete_address(clients, &id, name).await,
            }
        }
    }
}
