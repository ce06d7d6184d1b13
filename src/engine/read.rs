//! Reads the live state of everything a stack owns or wants, one service at a time in parallel.

use crate::aws::{apigateway, dynamodb, iam, lambda, logs, AwsError, Clients};
use crate::desired::{Desired, Kind, PERMISSION_STATEMENT_ID, ROLE_POLICY_NAME};
use crate::live::LiveState;
use crate::model::Stack;

fn wanted_names(desired: &[Desired], kind: Kind) -> Vec<String> {
    desired
        .iter()
        .filter(|d| d.id.kind == kind)
        .map(|d| d.id.name.clone())
        .collect()
}

pub async fn read_live(
    clients: &Clients,
    stack: &Stack,
    desired: &[Desired],
) -> Result<LiveState, AwsError> {
    let name = &stack.name;
    // The tables are searched for by the manifest's names even when teardown wants nothing.
    let mut tables = wanted_names(desired, Kind::Table);
    for t in [&stack.cart_table, &stack.session_table] {
        if !tables.contains(t) {
            tables.push(t.clone());
        }
    }
    let roles = wanted_names(desired, Kind::Role);
    let functions = wanted_names(desired, Kind::Function);
    let (tables, roles, log_groups, functions, api) = tokio::try_join!(
        dynamodb::read(clients, name, &tables),
        iam::read(clients, name, &roles, ROLE_POLICY_NAME),
        logs::read(clients, name),
        lambda::read(clients, name, &functions, PERMISSION_STATEMENT_ID),
        apigateway::read(clients, name, &stack.api.name, &stack.api.stage),
    )?;
    let mut live = LiveState::default();
    for r in tables
        .into_iter()
        .chain(roles)
        .chain(log_groups)
        .chain(functions.functions)
        .chain(functions.permissions)
        .chain(api.resources)
    {
        live.insert(r);
    }
    live.api_id = api.api_id;
    live.api_resource_ids = api.resource_ids;
    live.deployed_mode = functions.deployed_mode;
    Ok(live)
}
