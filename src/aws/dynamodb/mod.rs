//! DynamoDB: the cart and session tables (on-demand, KMS encryption, TTL, one `user_id` index).
//!
//! Table changes are asynchronous in AWS: CreateTable and UpdateTable return while the table is
//! CREATING/UPDATING, and most further calls fail until it is ACTIVE again, so every write here
//! waits for ACTIVE (bounded). moto answers ACTIVE at once; the wait loop is exercised by mocks.

mod adopt;
pub use adopt::{adopt, create_backup, wait_backup};

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, SseSpecification, SseStatus, SseType, TableStatus, Tag,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::client::error::{absent_if, on};
use super::client::retry::{wait_until, Poll};
use super::read::{part, with, ReadContext, Reader};
use super::read_ahead::listed_then_read;
use super::seam::{Seam, StepContext};
use super::{AwsError, Clients};
use crate::desired::on_off;
use crate::desired::{TableAttr, TableSpec};
use crate::live::LiveState;
use crate::live::{Health, LiveResource, Owner};
use crate::resource::{Attrs, Kind, ResourceId};

pub(crate) fn res(name: &str) -> String {
    format!("table {name}")
}

/// Tables named `<stack>-...` or in `wanted`, with their attributes and tags. A table being
/// deleted counts as gone. `account`: for the tables' ARNs, so their tags are read alongside
/// their description instead of after it.
/// `ahead`: names read alongside the list (`read_ahead`).
pub async fn read(
    clients: &Clients,
    account: &super::sts::AccountId,
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

fn key(name: &str) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(KeyType::Hash)
        .build()
        .expect("name and type set")
}

fn string_attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type set")
}

fn all_projection() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn kms() -> SseSpecification {
    SseSpecification::builder()
        .enabled(true)
        .sse_type(SseType::Kms)
        .build()
}

pub(crate) fn tag_list(tags: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value set")
        })
        .collect()
}

pub async fn create(clients: &Clients, spec: &TableSpec) -> Result<(), AwsError> {
    let tags = tag_list(&spec.tags);
    clients
        .dynamodb
        .create_table()
        .table_name(&spec.name)
        .attribute_definitions(string_attr(&spec.partition_key))
        .attribute_definitions(string_attr(&spec.gsi_key))
        .key_schema(key(&spec.partition_key))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&spec.gsi_name)
                .key_schema(key(&spec.gsi_key))
                .projection(all_projection())
                .build()
                .expect("index name and key set"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .sse_specification(kms())
        .deletion_protection_enabled(spec.protected)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("CreateTable", res(&spec.name)))?;
    wait_active(clients, &spec.name).await?;
    enable_ttl(clients, spec).await
}

async fn enable_ttl(clients: &Clients, spec: &TableSpec) -> Result<(), AwsError> {
    clients
        .dynamodb
        .update_time_to_live()
        .table_name(&spec.name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(&spec.ttl_attribute)
                .build()
                .expect("attribute and flag set"),
        )
        .send()
        .await
        .map_err(on("UpdateTimeToLive", res(&spec.name)))?;
    Ok(())
}

pub async fn update(
    clients: &Clients,
    spec: &TableSpec,
    changed: &[String],
) -> Result<(), AwsError> {
    let ddb = &clients.dynamodb;
    let name = &spec.name;
    if changed.iter().any(|a| a == TableAttr::BillingMode.name()) {
        ddb.update_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(on("UpdateTable", res(name)))?;
        wait_active(clients, name).await?;
    }
    if changed.iter().any(|a| a == TableAttr::Encryption.name()) {
        ddb.update_table()
            .table_name(name)
            .sse_specification(kms())
            .send()
            .await
            .map_err(on("UpdateTable", res(name)))?;
        wait_active(clients, name).await?;
    }
    if changed
        .iter()
        .any(|a| matches!(TableAttr::parse(a), Some(TableAttr::Index(_))))
    {
        // An index of that name with another key cannot be changed in place: drop it first.
        let existing = ddb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(on("DescribeTable", res(name)))?;
        let has_index = existing
            .table()
            .map(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .any(|g| g.index_name() == Some(spec.gsi_name.as_str()))
            })
            .unwrap_or(false);
        if has_index {
            ddb.update_table()
                .table_name(name)
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .delete(
                            aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder()
                                .index_name(&spec.gsi_name)
                                .build()
                                .expect("index name set"),
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(on("UpdateTable", res(name)))?;
            wait_active(clients, name).await?;
        }
        ddb.update_table()
            .table_name(name)
            .attribute_definitions(string_attr(&spec.gsi_key))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .create(
                        CreateGlobalSecondaryIndexAction::builder()
                            .index_name(&spec.gsi_name)
                            .key_schema(key(&spec.gsi_key))
                            .projection(all_projection())
                            .build()
                            .expect("index name, key and projection set"),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(on("UpdateTable", res(name)))?;
        wait_active(clients, name).await?;
    }
    if changed
        .iter()
        .any(|a| a == TableAttr::DeletionProtection.name())
    {
        set_deletion_protection(clients, name, spec.protected).await?;
    }
    if changed.iter().any(|a| a == TableAttr::Ttl.name()) {
        enable_ttl(clients, spec).await?;
    }
    Ok(())
}

/// DescribeTable, None when there is no such table.
async fn described(
    clients: &Clients,
    name: &str,
) -> Result<Option<aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput>, AwsError> {
    absent_if(
        clients
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(on("DescribeTable", res(name))),
        &["ResourceNotFoundException"],
    )
}

/// Waits until the table and its indexes are ACTIVE.
pub async fn wait_active(clients: &Clients, name: &str) -> Result<(), AwsError> {
    wait_until(
        "DescribeTable",
        &res(name),
        &clients.timing,
        clients.timing.table,
        || async {
            // Just after CreateTable, DescribeTable may not find it yet: that is waiting too.
            let out = described(clients, name).await?;
            let table = out.as_ref().and_then(|o| o.table());
            let status = table.and_then(|t| t.table_status()).cloned();
            let indexes_ready = table
                .map(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .all(|g| g.index_status().map(|s| s.as_str()) == Some("ACTIVE"))
                })
                .unwrap_or(true);
            Ok(match status {
                Some(TableStatus::Active) if indexes_ready => Poll::Done(()),
                Some(s) => Poll::Waiting(format!(
                    "table {name} to become ACTIVE (now {}{})",
                    s.as_str(),
                    if indexes_ready {
                        ""
                    } else {
                        ", index building"
                    }
                )),
                None => Poll::Waiting(format!("table {name} to appear")),
            })
        },
    )
    .await
}

/// Tables are created with deletion protection, so that nothing but baken's own delete (which
/// turns it off first, as a step the plan listed as destructive) removes one with its items.
async fn set_deletion_protection(
    clients: &Clients,
    name: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    clients
        .dynamodb
        .update_table()
        .table_name(name)
        .deletion_protection_enabled(enabled)
        .send()
        .await
        .map_err(on("UpdateTable", res(name)))?;
    // The table is UPDATING for a moment; DeleteTable and other updates wait for ACTIVE.
    wait_active(clients, name).await
}

pub async fn delete(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let protected = described(clients, name)
        .await?
        .and_then(|d| d.table)
        .is_some_and(|t| t.deletion_protection_enabled() == Some(true));
    if protected {
        set_deletion_protection(clients, name, false).await?;
    }
    absent_if(
        clients
            .dynamodb
            .delete_table()
            .table_name(name)
            .send()
            .await
            .map_err(on("DeleteTable", res(name))),
        &["ResourceNotFoundException"],
    )?;
    Ok(())
}

/// Polls DescribeTable until the table is gone.
pub async fn wait_gone(clients: &Clients, name: &str) -> Result<(), AwsError> {
    wait_until(
        "DescribeTable",
        &res(name),
        &clients.timing,
        clients.timing.table,
        || async {
            Ok(match described(clients, name).await? {
                None => Poll::Done(()),
                Some(_) => Poll::Waiting(format!("table {name} to be deleted")),
            })
        },
    )
    .await
}

/// The two tables and their indexes; ListTables cannot be scoped. Tags in CreateTable need
/// TagResource too.
pub fn permissions(scope: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    use super::permissions::allow;
    let tables: Vec<String> = [&scope.stack.cart_table, &scope.stack.session_table]
        .iter()
        .flat_map(|t| {
            let arn = scope.arn("dynamodb", &format!("table/{t}"));
            [format!("{arn}/index/*"), arn]
        })
        .collect();
    vec![
        allow(
            "DynamoDbList",
            "dynamodb",
            &["ListTables"],
            vec!["*".into()],
        ),
        allow(
            "DynamoDbTables",
            "dynamodb",
            &[
                "CreateTable",
                "DescribeTable",
                "DeleteTable",
                "UpdateTable",
                "UpdateTimeToLive",
                "DescribeTimeToLive",
                "ListTagsOfResource",
                "TagResource",
            ],
            tables,
        ),
    ]
}

/// The tables: those the stack wants, and the two its manifest names in either mode.
pub const READER: Reader = Reader {
    name: "tables",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let stack = cx.stack;
    let tables = with(
        cx.wanted(Kind::Table),
        &[&stack.cart_table, &stack.session_table],
    );
    let found = read(
        cx.clients,
        cx.account,
        &stack.name,
        &tables,
        &cx.ahead(Kind::Table),
    )
    .await?;
    Ok(part(found))
}

impl Seam for TableSpec {
    const READ_BY: Reader = READER;
    const ROUNDS: u32 = 3;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        create(cx.clients, self).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        update(cx.clients, self, &cx.changed()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete(cx.clients, cx.name()).await
    }
    /// DeleteTable answers at once with the table DELETING; CreateTable with its name fails with
    /// ResourceInUseException until it is gone, so the new table waits for that. (moto deletes
    /// at once, so there the wait ends on its first poll.)
    async fn replace(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete(cx.clients, cx.name()).await?;
        wait_gone(cx.clients, cx.name()).await?;
        create(cx.clients, self).await
    }
}
