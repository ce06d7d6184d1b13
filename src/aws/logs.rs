//! CloudWatch Logs: one log group per function, with a retention period.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::client::error::{absent_if, on};
use super::read::{part, ReadContext, Reader};
use super::read_ahead::listed_then_read;
use super::seam::{Seam, StepContext};
use super::{AwsError, Clients};
use crate::desired::{LogGroupAttr, LogGroupSpec};
use crate::live::LiveState;
use crate::live::{LiveResource, Owner};
use crate::model::names::log_group_name;
use crate::resource::{Attrs, Kind, ResourceId};

/// Every log group of the stack's functions (`/aws/lambda/<stack>-...`) with its tags.
/// `ahead`: names whose tags are read alongside the list (`read_ahead`).
pub async fn read(
    clients: &Clients,
    stack: &str,
    ahead: &[String],
) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = log_group_name(&format!("{stack}-"));
    // Each group's retention, from the list.
    let retention: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let list = async {
        let mut groups = BTreeMap::new();
        let mut pages = clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(on("DescribeLogGroups", format!("log groups {prefix}*")))?;
            for g in page.log_groups.unwrap_or_default() {
                let days = g
                    .retention_in_days()
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "never expire".into());
                groups.insert(g.log_group_name.unwrap_or_default(), days);
            }
        }
        let names = groups.keys().cloned().collect();
        let _ = retention.set(groups);
        Ok(names)
    };
    let owners = listed_then_read(list, ahead, |name| async move {
        // ListTagsLogGroup is deprecated in favour of ListTagsForResource but still answered by
        // AWS and, unlike the newer call, by every emulator version we test with.
        #[allow(deprecated)]
        let tags = absent_if(
            clients
                .logs
                .list_tags_log_group()
                .log_group_name(&name)
                .send()
                .await
                .map_err(on("ListTagsLogGroup", format!("log group {name}"))),
            &["ResourceNotFoundException"],
        )?;
        Ok(tags.map(|tags| {
            let owner = Owner::from_tags(
                stack,
                tags.tags()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            (name, owner)
        }))
    })
    .await?;
    let retention = retention.get().cloned().unwrap_or_default();
    Ok(owners
        .into_iter()
        .map(|(name, owner)| {
            let days = retention.get(&name).cloned().unwrap_or_default();
            let attrs = Attrs::from([(LogGroupAttr::RetentionDays.key(), days)]);
            LiveResource::new(ResourceId::new(Kind::LogGroup, name), attrs, owner)
        })
        .collect())
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

/// Tags a log group as this stack's (`baken adopt`): one a CloudFormation stack made, or one
/// Lambda made at a function's first run, unless another baken stack's tag is on it. A group that
/// does not exist is left alone (false).
pub async fn adopt(
    clients: &Clients,
    name: &str,
    stack: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<bool, AwsError> {
    let gone = &["ResourceNotFoundException"];
    #[allow(deprecated)] // As in `read`: the older tag calls are the ones every emulator answers.
    let listed = absent_if(
        clients
            .logs
            .list_tags_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(on("ListTagsLogGroup", format!("log group {name}"))),
        gone,
    )?;
    let Some(listed) = listed else {
        return Ok(false);
    };
    let owner = Owner::from_tags(
        stack,
        listed
            .tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if matches!(owner, Owner::OtherStack(_)) {
        return Ok(false);
    }
    #[allow(deprecated)]
    clients
        .logs
        .tag_log_group()
        .log_group_name(name)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(on("TagLogGroup", format!("log group {name}")))?;
    Ok(true)
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

/// One log event as `baken logs` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogEvent {
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub log_stream: String,
    pub event_id: String,
    pub message: String,
}

/// The events of `group` from `start_ms` on (inclusive, as FilterLogEvents counts it), oldest
/// first, at most `limit`; the flag says whether more were left unread. None when the group does
/// not exist.
pub async fn events(
    clients: &Clients,
    group: &str,
    start_ms: i64,
    filter: Option<&str>,
    limit: usize,
) -> Result<Option<(Vec<LogEvent>, bool)>, AwsError> {
    // Bounds the time one read can take when AWS keeps answering empty pages with a token.
    const MAX_PAGES: usize = 50;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = absent_if(
            clients
                .logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(start_ms)
                .set_filter_pattern(filter.map(str::to_string))
                .set_next_token(token.clone())
                // A page is at most 10,000 events or 1 MB; ask for no more than is wanted.
                .limit((limit - out.len()).clamp(1, 10_000) as i32)
                .send()
                .await
                .map_err(on("FilterLogEvents", format!("log group {group}"))),
            &["ResourceNotFoundException"],
        )?;
        let Some(page) = page else { return Ok(None) };
        out.extend(page.events().iter().map(|e| LogEvent {
            timestamp: e.timestamp().unwrap_or_default(),
            log_stream: e.log_stream_name().unwrap_or_default().to_string(),
            event_id: e.event_id().unwrap_or_default().to_string(),
            message: e.message().unwrap_or_default().trim_end().to_string(),
        }));
        // AWS may answer a page with no events and a token while it searches on: follow the
        // token until it is gone or the limit is reached.
        token = page.next_token().map(str::to_string);
        if out.len() >= limit {
            let more = token.is_some() || out.len() > limit;
            out.truncate(limit);
            return Ok(Some((out, more)));
        }
        if token.is_none() {
            return Ok(Some((out, false)));
        }
    }
    Ok(Some((out, true)))
}

/// The functions' log groups by name; DescribeLogGroups is allowed on `log-group:*` only.
pub fn permissions(scope: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    use super::permissions::allow;
    let groups: Vec<String> = scope
        .stack
        .functions
        .iter()
        .flat_map(|f| {
            let arn = scope.arn("logs", &format!("log-group:{}", log_group_name(&f.name)));
            // Some actions name the group, others its streams (`…:*`).
            [format!("{arn}:*"), arn]
        })
        .collect();
    vec![
        // IAM's action table lists no resource type for DescribeLogGroups: only "*" matches.
        allow(
            "LogsDescribe",
            "logs",
            &["DescribeLogGroups"],
            vec!["*".into()],
        ),
        allow(
            "LogsGroups",
            "logs",
            &[
                "CreateLogGroup",
                "DeleteLogGroup",
                "PutRetentionPolicy",
                "ListTagsLogGroup",
                "TagLogGroup",
                "TagResource",
                "FilterLogEvents",
            ],
            groups,
        ),
    ]
}

/// The functions' log groups, by the stack's prefix.
pub const READER: Reader = Reader {
    name: "log-groups",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    Ok(part(
        read(cx.clients, &cx.stack.name, &cx.ahead(Kind::LogGroup)).await?,
    ))
}

impl Seam for LogGroupSpec {
    const READ_BY: Reader = READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        create(cx.clients, self).await
    }
    /// Retention is the only compared attribute.
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        set_retention(cx.clients, self).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete(cx.clients, cx.name()).await
    }
}
