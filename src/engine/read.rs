//! Reads the live state of everything a stack owns or wants, one service at a time in parallel.

use std::collections::BTreeSet;

use crate::aws::seam::{self, Reader};
use crate::aws::sts::AccountId;
use crate::aws::{apigateway, dynamodb, ec2, iam, lambda, logs, ssm, AwsError, Clients};
use crate::desired::gateway::instance_name;
use crate::desired::{Desired, PERMISSION_STATEMENT_ID};
use crate::live::{BootstrapReport, GatewayHealth, Health, LiveState, Owner};
use crate::model::names::{
    bootstrap_status_parameter, gateway_document_name, gateway_health_parameter,
};
use crate::model::Stack;
use crate::resource::{Kind, ResourceId};

fn wanted_names(desired: &[Desired], kind: Kind) -> Vec<String> {
    desired
        .iter()
        .filter(|d| d.id.kind == kind)
        .map(|d| d.id.name.clone())
        .collect()
}

fn with(mut names: Vec<String>, always: &[&String]) -> Vec<String> {
    for n in always {
        if !names.contains(n) {
            names.push((*n).clone());
        }
    }
    names
}

/// Whether to read the gateway's reports (status shows them; deploy and teardown do not need
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reports {
    Read,
    Skip,
}

/// What the deploy lock told a writing command before it read (`Session::open_for_writing`):
/// on a deployed stack, what the last run left (the names of the mode it recorded) is read by
/// name alongside the lists, and the REST API, the VPC and the instance under the ids it
/// recorded (`aws::read_ahead`). The plan comes out the same, a round sooner.
#[derive(Debug, Clone, Default)]
pub struct Ahead {
    pub deployed: bool,
    pub api_id: Option<String>,
    /// The jravan VPC's and the gateway instance's ids.
    pub vpc_id: Option<String>,
    pub instance_id: Option<String>,
    /// The resources expected, when not the desired state's: teardown wants nothing, but
    /// expects what the manifest names.
    pub expected: Option<Vec<Desired>>,
    /// What an adoption takes over, seen as the stack's own: the plan of the deploy that follows
    /// it, shown before anything is adopted (nothing is ever written on such a read).
    pub adopting: Vec<ResourceId>,
}

impl Ahead {
    /// The names of `kind` to read ahead.
    fn names(&self, desired: &[Desired], kind: Kind) -> Vec<String> {
        match self.deployed {
            true => wanted_names(self.expected.as_deref().unwrap_or(desired), kind),
            false => Vec::new(),
        }
    }

    /// `names`, with the names looked for in either mode (`always`), when reading ahead at all.
    fn names_and(&self, desired: &[Desired], kind: Kind, always: &[&String]) -> Vec<String> {
        match self.deployed {
            true => with(self.names(desired, kind), always),
            false => Vec::new(),
        }
    }

    fn api_id(&self) -> Option<&str> {
        self.api_id.as_deref().filter(|_| self.deployed)
    }

    fn ec2_ids(&self) -> ec2::KnownIds<'_> {
        ec2::KnownIds {
            vpc: self.vpc_id.as_deref().filter(|_| self.deployed),
            instance: self.instance_id.as_deref().filter(|_| self.deployed),
        }
    }
}

/// Reads what the stack has in either mode, whatever `desired` holds (teardown wants nothing,
/// a mock deploy must still find the jravan resources it removes). Every service read some kind
/// names (`seam::reader`) runs, in parallel.
pub async fn read_live(
    clients: &Clients,
    account: &AccountId,
    stack: &Stack,
    desired: &[Desired],
    reports: Reports,
    ahead: &Ahead,
) -> Result<LiveState, AwsError> {
    let readers: BTreeSet<Reader> = Kind::ALL.iter().map(|k| seam::reader(*k)).collect();
    let names = [
        bootstrap_status_parameter(&stack.name),
        gateway_health_parameter(&stack.name),
    ];
    // When the desired state has a gateway, its reports are read alongside everything else
    // rather than after the instance is found: one round fewer, at the cost of a request when
    // the instance turns out not to exist yet.
    let early = reports == Reports::Read && desired.iter().any(|d| d.id.kind == Kind::Instance);
    let (parts, early) = futures::future::try_join(
        futures::future::try_join_all(
            readers
                .into_iter()
                .map(|r| read(r, clients, account, stack, desired, ahead)),
        ),
        async {
            if early {
                ssm::parameters(clients, &names).await.map(Some)
            } else {
                Ok(None)
            }
        },
    )
    .await?;
    let mut live = LiveState::default();
    for part in parts {
        live.merge(part);
    }
    live.settle_duplicates();
    live.decide_mode();
    // The gateway reports only once there is an instance to report: both parameters in one read.
    if reports == Reports::Read && live.resources.keys().any(|id| id.kind == Kind::Instance) {
        let [bootstrap, health] = &names;
        let mut found = match early {
            Some(found) => found,
            None => ssm::parameters(clients, &names).await?,
        };
        live.bootstrap_report = found.remove(bootstrap).map(|r| r.text);
        live.gateway_health = found.remove(health).and_then(|r| {
            GatewayHealth::parse(&r.text).map(|h| h.view(r.modified_millis, now_millis()))
        });
        let report = BootstrapReport::parse(live.bootstrap_report.as_deref());
        let problem = crate::live::gateway::problem(report.as_ref(), live.gateway_health.as_ref());
        if let Some(reason) = problem {
            for instance in live
                .resources
                .values_mut()
                .filter(|r| r.id.kind == Kind::Instance)
            {
                instance.health = Health::Unhealthy(reason.clone());
            }
        }
    }
    Ok(live)
}

/// This machine's clock, which a health report's age is judged by.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One service read, as a part of the live state.
async fn read(
    reader: Reader,
    clients: &Clients,
    account: &AccountId,
    stack: &Stack,
    desired: &[Desired],
    ahead: &Ahead,
) -> Result<LiveState, AwsError> {
    let name = &stack.name;
    let early = |kind| ahead.names(desired, kind);
    let gateway = instance_name(stack);
    let mut part = LiveState::default();
    let found = match reader {
        Reader::Tables => {
            let tables = with(
                wanted_names(desired, Kind::Table),
                &[&stack.cart_table, &stack.session_table],
            );
            dynamodb::read(clients, account, name, &tables, &early(Kind::Table)).await?
        }
        Reader::Roles => {
            // The gateway's role is looked for in either mode: in the way, or left by jravan.
            let desired_roles = wanted_names(desired, Kind::Role);
            let roles = with(desired_roles.clone(), &[&gateway]);
            // Read ahead: the roles the last run left, and the gateway's (its GetRole is sent
            // either way).
            let expected = early(Kind::Role);
            let ahead_names = ahead.names_and(desired, Kind::Role, &[&gateway]);
            let names = iam::RoleNames {
                wanted: &roles,
                desired: &desired_roles,
                ahead: &ahead_names,
                expected: &expected,
            };
            iam::read(clients, name, names).await?
        }
        Reader::InstanceProfiles => {
            let profiles = with(wanted_names(desired, Kind::InstanceProfile), &[&gateway]);
            let ahead = ahead.names_and(desired, Kind::InstanceProfile, &[&gateway]);
            iam::read_instance_profiles(clients, name, &profiles, &ahead).await?
        }
        Reader::LogGroups => logs::read(clients, name, &early(Kind::LogGroup)).await?,
        Reader::Functions => {
            let functions = wanted_names(desired, Kind::Function);
            let found = lambda::read(
                clients,
                name,
                &functions,
                PERMISSION_STATEMENT_ID,
                &early(Kind::Function),
            )
            .await?;
            part.function_modes = found.modes;
            found
                .functions
                .into_iter()
                .chain(found.permissions)
                .collect()
        }
        Reader::Api => {
            let api = apigateway::read(
                clients,
                name,
                &stack.api.name,
                &stack.api.stage,
                ahead.api_id(),
                ahead.adopting.iter().any(|id| id.kind == Kind::RestApi),
            )
            .await?;
            part.api_id = api.api_id;
            part.api_resource_ids = api.resource_ids;
            api.resources
        }
        Reader::Network => {
            let network = ec2::read(clients, name, ahead.ec2_ids()).await?;
            part.refs = network.refs;
            part.instance_ami = network.instance_ami;
            part.gateway = network.gateway;
            network.resources
        }
        Reader::GatewayDocument => {
            let expected = !early(Kind::GatewayDocument).is_empty();
            ssm::read_document(clients, name, &gateway_document_name(name), expected)
                .await?
                .into_iter()
                .collect()
        }
    };
    for mut r in found {
        if ahead.adopting.contains(&r.id) {
            r.owner = Owner::Ours;
        }
        part.insert(r);
    }
    Ok(part)
}
