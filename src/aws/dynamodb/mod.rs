//! DynamoDB: the cart and session tables (on-demand, KMS encryption, TTL, one `user_id` index).
//!
//! Table changes are asynchronous in AWS: CreateTable and UpdateTable return while the table is
//! CREATING/UPDATING, and most further calls fail until it is ACTIVE again, so every write here
//! waits for ACTIVE (bounded). moto answers ACTIVE at once; the wait loop is exercised by mocks.

mod adopt;
pub use adopt::{adopt, create_backup, wait_backup};
mod read;
pub use read::{read, tables_with_tags};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, SseSpecification, SseType, TableStatus, Tag, TimeToLiveSpecification,
};

use super::client::error::{absent_if, on};
use super::client::retry::{wait_until, Poll};
use super::read::{part, with, ReadContext, Reader};
use super::seam::{Seam, StepContext};
use super::{AwsError, Clients};
use crate::desired::{TableAttr, TableSpec};
use crate::live::LiveState;
use crate::resource::Kind;

pub(crate) fn res(name: &str) -> String {
    format!("table {name}")
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
