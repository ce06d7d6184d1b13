//! What the tables are: the stack's tables found by list and name, their attributes, tags
//! and health, and the region's tables by tag (`baken stacks`).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    KeySchemaElement, KeyType, SseStatus, TableStatus, TimeToLiveStatus,
};

use super::res;
use crate::aws::client::error::{absent_if, on};
use crate::aws::read_ahead::listed_then_read;
use crate::aws::{AwsError, Clients};
use crate::desired::{on_off, TableAttr};
use crate::live::{Health, LiveResource, Owner};
use crate::resource::{Attrs, Kind, ResourceId};

/// Tables named `<stack>-...` or in `wanted`, with their attributes and tags. A table being
/// deleted counts as gone. `account`: for the tables' ARNs, so their tags are read alongside
/// their description instead of after it.
/// `ahead`: names read alongside the list (`read_ahead`).
pub async fn read(
    clients: &Clients,
    account: &crate::aws::sts::AccountId,
    stack: &str,
    wanted: &[String],
    ahead: &[String],
) -> Result<Vec<LiveResource>, AwsError> {
    let list = async {
        let mut names = Vec::new();
        let mut pages = clients.dynamodb.list_tables().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(on("ListTables", "tables"))?;
            names.extend(
                page.table_names()
                    .iter()
                    .filter(|n| n.starts_with(&format!("{stack}-")) || wanted.contains(n))
                    // The deploy lock's table is not one of the stack's resources.
                    .filter(|n| **n != crate::model::names::lock_table_name(stack))
                    .cloned(),
            );
        }
        Ok(names)
    };
    listed_then_read(list, ahead, |n| async move {
        // The tags are read by ARN, which needs the account (looked up alongside, in status).
        let account = account.get().await?;
        read_one(clients, table_arn(&clients.region, &account, &n), stack, &n).await
    })
    .await
}

/// Every table of the account and region with its tags (`baken stacks` finds the stacks by
/// them). A table deleted between the list and its tags' read is left out.
pub async fn tables_with_tags(
    clients: &Clients,
    account: &str,
) -> Result<Vec<(String, BTreeMap<String, String>)>, AwsError> {
    let mut names = Vec::new();
    let mut pages = clients.dynamodb.list_tables().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("ListTables", "tables"))?;
        names.extend(page.table_names().iter().cloned());
    }
    let reads = names.into_iter().map(|name| async move {
        let arn = table_arn(&clients.region, account, &name);
        let tags = absent_if(
            clients
                .dynamodb
                .list_tags_of_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(on("ListTagsOfResource", res(&name))),
            &["ResourceNotFoundException"],
        )?;
        Ok::<_, AwsError>(tags.map(|t| {
            let tags = t
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            (name, tags)
        }))
    });
    Ok(futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

pub fn table_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
}

/// One table ListTables found: its description, tags (who owns it) and time to live side by
/// side, one round; the TTL is used only when it is ours.
async fn read_one(
    clients: &Clients,
    arn: String,
    stack: &str,
    name: &str,
) -> Result<Option<LiveResource>, AwsError> {
    let ddb = &clients.dynamodb;
    let gone = &["ResourceNotFoundException"];
    let described = async {
        absent_if(
            ddb.describe_table()
                .table_name(name)
                .send()
                .await
                .map_err(on("DescribeTable", res(name))),
            gone,
        )
    };
    let tags = async {
        ddb.list_tags_of_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(on("ListTagsOfResource", res(name)))
    };
    let ttl = async {
        ddb.describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .map_err(on("DescribeTimeToLive", res(name)))
    };
    // Deleted between the list and these reads (or read ahead and not there): gone, whichever
    // answered first. AWS says ResourceNotFoundException to all three; moto answers
    // DescribeTimeToLive on a missing table with `ResourceNotFound`.
    let (described, tags, ttl) = match futures::future::try_join3(described, tags, ttl).await {
        Err(e) if e.code_is("ResourceNotFoundException") || e.code_is("ResourceNotFound") => {
            return Ok(None)
        }
        other => other?,
    };
    let Some(table) = described.and_then(|d| d.table) else {
        return Ok(None);
    };
    if table.table_status() == Some(&TableStatus::Deleting) {
        return Ok(None);
    }
    let owner = Owner::from_tags(stack, tags.tags().iter().map(|t| (t.key(), t.value())));
    let attr_type = |attr: &str| {
        table
            .attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == attr)
            .map(|d| d.attribute_type().as_str().to_string())
            .unwrap_or_default()
    };
    let hash_key = |keys: &[KeySchemaElement]| {
        keys.iter()
            .find(|k| k.key_type() == &KeyType::Hash)
            .map(|k| k.attribute_name().to_string())
            .unwrap_or_default()
    };
    let mut attrs = Attrs::new();
    let pk = hash_key(table.key_schema());
    attrs.insert(
        TableAttr::PartitionKey.key(),
        format!("{pk} ({})", attr_type(&pk)),
    );
    for gsi in table.global_secondary_indexes() {
        let key = hash_key(gsi.key_schema());
        let projection = gsi
            .projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str())
            .unwrap_or("?");
        attrs.insert(
            TableAttr::Index(gsi.index_name().unwrap_or_default()).key(),
            format!("{key} ({}), projection {projection}", attr_type(&key)),
        );
    }
    let billing = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map(|b| b.as_str().to_string())
        .unwrap_or_else(|| "PROVISIONED".into());
    attrs.insert(TableAttr::BillingMode.key(), billing);
    let sse = table.sse_description();
    let encryption = match (sse.and_then(|s| s.status()), sse.and_then(|s| s.sse_type())) {
        (Some(SseStatus::Enabled | SseStatus::Updating), Some(t)) => t.as_str().to_string(),
        _ => "AWS owned key".into(),
    };
    attrs.insert(TableAttr::Encryption.key(), encryption);
    if owner == Owner::Ours {
        let ttl = ttl.time_to_live_description();
        let text = match (
            ttl.and_then(|t| t.time_to_live_status()),
            ttl.and_then(|t| t.attribute_name()),
        ) {
            (Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling), Some(a)) => {
                format!("{a} enabled")
            }
            _ => "disabled".into(),
        };
        attrs.insert(TableAttr::Ttl.key(), text);
    }
    attrs.insert(
        TableAttr::DeletionProtection.key(),
        on_off(table.deletion_protection_enabled() == Some(true)).into(),
    );
    let mut live = LiveResource::new(ResourceId::new(Kind::Table, name), attrs, owner);
    // DynamoDB refreshes ItemCount about every six hours: an estimate, shown, never relied on.
    live.item_count = table.item_count();
    if let Some(status) = table.table_status() {
        if !matches!(status, TableStatus::Active | TableStatus::Updating) {
            live.health = Health::Unhealthy(format!("table status {}", status.as_str()));
        }
    }
    Ok(Some(live))
}
