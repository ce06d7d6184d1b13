//! What the functions are: found by list and name, their configuration as attributes, their
//! data provider and their invoke permission.

use aws_sdk_lambda::types::{LastUpdateStatus, State};

use super::permission::read_permission;
use super::res;
use crate::aws::client::error::{absent_if, on};
use crate::aws::read_ahead::listed_then_read;
use crate::aws::{AwsError, Clients};
use crate::desired::FunctionAttr;
use crate::live::{Health, LiveResource, Owner};
use crate::model::Mode;
use crate::resource::PRESENT;
use crate::resource::{Attrs, Kind, ResourceId};

pub struct LiveFunctions {
    pub functions: Vec<LiveResource>,
    pub permissions: Vec<LiveResource>,
    /// Each of our functions' data provider (`RACE_DATA_PROVIDER`), by function name.
    pub modes: Vec<(String, Mode)>,
}

/// Functions named `<stack>-...` or in `wanted`, and their API Gateway invoke permissions.
/// `ahead`: names read alongside the list (`read_ahead`).
pub async fn read(
    clients: &Clients,
    stack: &str,
    wanted: &[String],
    statement_id: &str,
    ahead: &[String],
) -> Result<LiveFunctions, AwsError> {
    let list = async {
        let mut names = Vec::new();
        let mut pages = clients.lambda.list_functions().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(on("ListFunctions", "functions"))?;
            names.extend(
                page.functions()
                    .iter()
                    .filter_map(|f| f.function_name())
                    .filter(|n| {
                        n.starts_with(&format!("{stack}-")) || wanted.iter().any(|w| w == n)
                    })
                    .map(str::to_string),
            );
        }
        Ok(names)
    };
    let found = listed_then_read(list, ahead, |n| async move {
        read_one(clients, stack, &n, statement_id).await
    })
    .await?;
    let mut out = LiveFunctions {
        functions: vec![],
        permissions: vec![],
        modes: vec![],
    };
    for (function, permission, mode) in found {
        if let (Owner::Ours, Some(mode)) = (&function.owner, mode) {
            out.modes.push((function.id.name.clone(), mode));
        }
        out.functions.push(function);
        out.permissions.extend(permission);
    }
    Ok(out)
}

/// The function with its configuration and tags; None when there is none by that name.
pub(super) async fn find(
    clients: &Clients,
    name: &str,
) -> Result<Option<aws_sdk_lambda::operation::get_function::GetFunctionOutput>, AwsError> {
    absent_if(
        clients
            .lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .map_err(on("GetFunction", res(name))),
        &["ResourceNotFoundException"],
    )
}

async fn read_one(
    clients: &Clients,
    stack: &str,
    name: &str,
    statement_id: &str,
) -> Result<Option<(LiveResource, Option<LiveResource>, Option<Mode>)>, AwsError> {
    // The function and its invoke permission side by side (one round); the permission is
    // dropped below when the function is not ours.
    let (got, permission) = futures::future::try_join(
        find(clients, name),
        read_permission(clients, name, statement_id),
    )
    .await?;
    let Some(got) = got else { return Ok(None) };
    let owner = Owner::from_tags(
        stack,
        got.tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let Some(c) = got.configuration() else {
        return Ok(None);
    };
    use FunctionAttr as A;
    let mut attrs = Attrs::from([
        (A::Role.key(), c.role().unwrap_or_default().to_string()),
        (
            A::Runtime.key(),
            c.runtime()
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
        ),
        (
            A::Handler.key(),
            c.handler().unwrap_or_default().to_string(),
        ),
        (
            A::Memory.key(),
            c.memory_size().map(|m| m.to_string()).unwrap_or_default(),
        ),
        (
            A::Timeout.key(),
            c.timeout().map(|t| t.to_string()).unwrap_or_default(),
        ),
        (
            A::Architecture.key(),
            c.architectures()
                .first()
                .map(|a| a.as_str())
                .unwrap_or("x86_64")
                .to_string(),
        ),
        (
            A::CodeSha256.key(),
            c.code_sha256().unwrap_or_default().to_string(),
        ),
    ]);
    // Outside a VPC, Lambda answers an empty VpcConfig (or none).
    if let Some(vpc) = c.vpc_config() {
        for s in vpc.subnet_ids() {
            attrs.insert(A::VpcSubnet(s).key(), PRESENT.into());
        }
        for g in vpc.security_group_ids() {
            attrs.insert(A::VpcSecurityGroup(g).key(), PRESENT.into());
        }
    }
    for l in c.layers() {
        attrs.insert(A::Layer(l.arn().unwrap_or_default()).key(), PRESENT.into());
    }
    let env = c.environment().and_then(|e| e.variables());
    for (k, v) in env.into_iter().flatten() {
        attrs.insert(A::Environment(k).key(), v.clone());
    }
    let mode = env
        .and_then(|e| e.get("RACE_DATA_PROVIDER"))
        .and_then(|m| Mode::parse(m));
    let mut function =
        LiveResource::new(ResourceId::new(Kind::Function, name), attrs, owner.clone());
    if c.state() == Some(&State::Failed) {
        function.health = Health::Unhealthy(format!(
            "state Failed: {}",
            c.state_reason().unwrap_or("no reason given")
        ));
    } else if c.last_update_status() == Some(&LastUpdateStatus::Failed) {
        function.health = Health::Unhealthy(format!(
            "last update failed: {}",
            c.last_update_status_reason().unwrap_or("no reason given")
        ));
    }
    let permission = permission.filter(|_| owner == Owner::Ours);
    Ok(Some((function, permission, mode)))
}
