//! CloudWatch Logs: one log group per function, with a retention period.

use super::error::{absent_if, on};
use super::{AwsError, Clients};
use crate::desired::{Attrs, Kind, LogGroupSpec, ResourceId};
use crate::live::{LiveResource, Owner};
use crate::model::names::log_group_name;

/// Every log group of the stack's functions (`/aws/lambda/<stack>-...`) with its tags.
pub async fn read(clients: &Clients, stack: &str) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = log_group_name(&format!("{stack}-"));
    let mut groups = Vec::new();
    let mut pages = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("DescribeLogGroups", format!("log groups {prefix}*")))?;
        groups.extend(page.log_groups.unwrap_or_default());
    }
    let reads = groups.into_iter().map(|g| async move {
        let name = g.log_group_name().unwrap_or_default().to_string();
        // ListTagsLogGroup is deprecated in favour of ListTagsForResource but still answered by
        // AWS and, unlike the newer call, by every emulator version we test with.
        #[allow(deprecated)]
        let tags = clients
            .logs
            .list_tags_log_group()
            .log_group_name(&name)
            .send()
            .await
            .map_err(on("ListTagsLogGroup", format!("log group {name}")))?;
        let owner = Owner::from_tags(
            stack,
            tags.tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let retention = g
            .retention_in_days()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "never expire".into());
        let attrs = Attrs::from([("retention_days".to_string(), retention)]);
        Ok::<_, AwsError>(LiveResource::new(
            ResourceId::new(Kind::LogGroup, name),
            attrs,
            owner,
        ))
    });
    futures::future::try_join_all(reads).await
}

pub async fn create(clients: &Clients, spec: &LogGroupSpec) -> Result<(), AwsError> {
    clients
        .logs
        .create_log_group()
        .log_group_name(&spec.name)
        .set_tags(Some(spec.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(on("CreateLogGroup", format!("log group {}", spec.name)))?;
    set_retention(clients, spec).await
}

pub async fn set_retention(clients: &Clients, spec: &LogGroupSpec) -> Result<(), AwsError> {
    clients
        .logs
        .put_retention_policy()
        .log_group_name(&spec.name)
        .retention_in_days(spec.retention_days)
        .send()
        .await
        .map_err(on("PutRetentionPolicy", format!("log group {}", spec.name)))?;
    Ok(())
}

pub async fn delete(clients: &Clients, name: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(on("DeleteLogGroup", format!("log group {name}"))),
        &["ResourceNotFoundException"],
    )?;
    Ok(())
}
