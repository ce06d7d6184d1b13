//! Reads the live state of everything a stack owns or wants, one service at a time in parallel.

use crate::aws::{apigateway, dynamodb, ec2, iam, lambda, logs, ssm, AwsError, Clients};
use crate::desired::gateway::instance_name;
use crate::desired::{Desired, PERMISSION_STATEMENT_ID, ROLE_POLICY_NAME};
use crate::live::{BootstrapReport, Health, LiveState};
use crate::model::names::{bootstrap_status_parameter, gateway_document_name};
use crate::model::Stack;
use crate::resource::Kind;

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

/// Reads what the stack has in either mode, whatever `desired` holds (teardown wants nothing,
/// a mock deploy must still find the jravan resources it removes).
pub async fn read_live(
    clients: &Clients,
    stack: &Stack,
    desired: &[Desired],
) -> Result<LiveState, AwsError> {
    let name = &stack.name;
    let gateway = instance_name(stack);
    let document = gateway_document_name(name);
    let tables = with(
        wanted_names(desired, Kind::Table),
        &[&stack.cart_table, &stack.session_table],
    );
    let roles = with(wanted_names(desired, Kind::Role), &[&gateway]);
    let profiles = with(wanted_names(desired, Kind::InstanceProfile), &[&gateway]);
    let functions = wanted_names(desired, Kind::Function);
    let (tables, roles, profiles, log_groups, functions, api, network, document) = tokio::try_join!(
        dynamodb::read(clients, name, &tables),
        iam::read(clients, name, &roles, ROLE_POLICY_NAME),
        iam::read_instance_profiles(clients, name, &profiles),
        logs::read(clients, name),
        lambda::read(clients, name, &functions, PERMISSION_STATEMENT_ID),
        apigateway::read(clients, name, &stack.api.name, &stack.api.stage),
        ec2::read(clients, name),
        ssm::read_document(clients, name, &document),
    )?;
    let mut live = LiveState::default();
    // The bootstrap reports only once there is an instance to report.
    let mut network = network;
    if let Some(instance) = network
        .resources
        .iter_mut()
        .find(|r| r.id.kind == Kind::Instance)
    {
        live.bootstrap_report = ssm::parameter(clients, &bootstrap_status_parameter(name)).await?;
        let report = BootstrapReport::parse(live.bootstrap_report.as_deref());
        if let Some(r) = report.filter(|r| r.state == "failed") {
            instance.health = Health::Unhealthy(format!("gateway bootstrap failed: {}", r.step));
        }
    }
    for r in tables
        .into_iter()
        .chain(roles)
        .chain(profiles)
        .chain(log_groups)
        .chain(functions.functions)
        .chain(functions.permissions)
        .chain(api.resources)
        .chain(network.resources)
        .chain(document)
    {
        live.insert(r);
    }
    live.api_id = api.api_id;
    live.api_resource_ids = api.resource_ids;
    live.deployed_mode = functions.deployed_mode;
    live.refs = network.refs;
    live.instance_ami = network.instance_ami;
    live.gateway = network.gateway;
    Ok(live)
}
