//! The deploy lock's storage: one item in a small DynamoDB table of the stack's own
//! (`<stack>-baken-lock`), written with conditional writes, so that of two runs only one holds
//! it. The table is made by the first run that takes the lock and deleted by teardown as its last
//! step. It carries no `baken:stack` tag: it is not a resource of the stack's plan.
//!
//! AWS: a conditional write is atomic, and a failed condition is ConditionalCheckFailedException.
//! (The test emulator is patched to serialise writes as AWS does: tests/moto/patch_dynamodb.py.)
//!
//! Each run holds a token of its own. A write whose answer was lost (a timeout, a 500 after AWS
//! applied it) is retried by the SDK, and the retry's condition then fails against the run's own
//! holding: every failed condition is checked against the item as it is now, and the run's own
//! token there counts as success.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, Tag,
};
use serde::Serialize;

use super::client::error::{absent_if, on};
use super::{dynamodb, AwsError, Clients};

/// The key of the one item.
const ITEM: &str = "deploy";

pub use crate::model::names::lock_table_name as table_name;

fn res(stack: &str) -> String {
    format!("lock of stack {stack}")
}

/// Who holds the lock, as the item records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// `user@host pid N`, with the CI run when there is one.
    pub holder: String,
    /// Unique to the run that holds it: what the conditions compare.
    #[serde(skip)]
    pub token: String,
    pub command: String,
    /// Seconds since the epoch.
    pub started_at: i64,
    pub expires_at: i64,
}

/// The item: its holder when held, and a version that every release increments, so a run can
/// tell whether someone changed the stack since it read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockItem {
    pub held: Option<Holder>,
    pub version: i64,
    pub left: Left,
    /// The last run that released it (`baken stacks` shows it).
    pub last: Option<LastRun>,
}

/// The run that last released the lock: who, which command, when (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastRun {
    pub holder: String,
    pub command: String,
    pub at: i64,
}

/// What the last release recorded of the stack it left: hints that let the next run read ahead
/// (`engine::read::Ahead`), never trusted alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Left {
    /// The REST API's id, read alongside the list that confirms it.
    pub api_id: Option<String>,
    /// The mode deployed (`mock`, `jravan`): what it names is expected to exist.
    pub mode: Option<String>,
    /// The jravan VPC's and the gateway instance's ids: their attributes are read alongside
    /// the EC2 lists.
    pub vpc_id: Option<String>,
    pub instance_id: Option<String>,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn item_of(map: &HashMap<String, AttributeValue>) -> LockItem {
    let text = |k: &str| map.get(k).and_then(|v| v.as_s().ok()).cloned();
    let num = |k: &str| {
        map.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
    };
    let held = match (text("holder"), num("expires_at")) {
        (Some(holder), Some(expires_at)) => Some(Holder {
            holder,
            token: text("token").unwrap_or_default(),
            command: text("command").unwrap_or_default(),
            started_at: num("started_at").unwrap_or_default(),
            expires_at,
        }),
        _ => None,
    };
    let last = match (text("last_holder"), text("last_command"), num("last_at")) {
        (Some(holder), Some(command), Some(at)) => Some(LastRun {
            holder,
            command,
            at,
        }),
        _ => None,
    };
    LockItem {
        held,
        last,
        version: num("version").unwrap_or_default(),
        left: Left {
            api_id: text("api_id"),
            mode: text("deployed_mode"),
            vpc_id: text("vpc_id"),
            instance_id: text("instance_id"),
        },
    }
}

fn is_condition_failed(e: &AwsError) -> bool {
    e.code_is("ConditionalCheckFailedException")
}

/// The item `key` of the lock table, read consistently: None when there is no table, an empty
/// map when there is no such item.
async fn get(
    clients: &Clients,
    stack: &str,
    key: &str,
    what: String,
) -> Result<Option<HashMap<String, AttributeValue>>, AwsError> {
    let got = absent_if(
        clients
            .dynamodb
            .get_item()
            .table_name(table_name(stack))
            .key("id", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(on("GetItem", what)),
        &["ResourceNotFoundException"],
    )?;
    Ok(got.map(|g| g.item.unwrap_or_default()))
}

/// The lock item; None when the stack has no lock table (nothing ever took the lock).
pub async fn read(clients: &Clients, stack: &str) -> Result<Option<LockItem>, AwsError> {
    let got = get(clients, stack, ITEM, res(stack)).await?;
    Ok(got.map(|item| item_of(&item)))
}

/// The key of the item that keeps an adoption's receipt beside the lock.
const ADOPTION: &str = "adopt-receipt";

/// Keeps `body` (an adoption's receipt, compressed) in the lock table, replacing the one there:
/// an adoption started in one checkout (a CI job) continues from another. UpdateItem, the lock's
/// own write, so the lock's permissions cover it.
pub async fn put_adoption(clients: &Clients, stack: &str, body: Vec<u8>) -> Result<(), AwsError> {
    clients
        .dynamodb
        .update_item()
        .table_name(table_name(stack))
        .key("id", s(ADOPTION))
        .update_expression("SET body = :b")
        .expression_attribute_values(":b", AttributeValue::B(Blob::new(body)))
        .send()
        .await
        .map_err(on(
            "UpdateItem",
            format!("adoption receipt of stack {stack}"),
        ))?;
    Ok(())
}

/// The adoption receipt kept in the lock table; None when there is none (or no table).
pub async fn get_adoption(clients: &Clients, stack: &str) -> Result<Option<Vec<u8>>, AwsError> {
    let what = format!("adoption receipt of stack {stack}");
    let got = get(clients, stack, ADOPTION, what).await?;
    Ok(got
        .and_then(|mut item| item.remove("body"))
        .and_then(|b| b.as_b().ok().cloned())
        .map(Blob::into_inner))
}

/// Creates the lock table (on-demand, one string key) unless it exists.
pub async fn ensure_table(clients: &Clients, stack: &str) -> Result<(), AwsError> {
    let name = table_name(stack);
    let created = clients
        .dynamodb
        .create_table()
        .table_name(&name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type set"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .expect("name and type set"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .tags(
            Tag::builder()
                .key("baken:lock-for")
                .value(stack)
                .build()
                .expect("key and value set"),
        )
        .send()
        .await
        .map_err(on("CreateTable", res(stack)));
    match created {
        // Another run made it at the same moment.
        Err(e) if e.code_is("ResourceInUseException") => {}
        other => {
            other?;
        }
    }
    dynamodb::wait_active(clients, &name).await
}

/// Takes the lock if it is free or its lease has expired. Ok(Ok(version)): taken; `version` is
/// the item's version before this run took it. Ok(Err(Some(holder))): someone holds it.
/// Ok(Err(None)): it was released between the write and the read; try again.
pub async fn try_acquire(
    clients: &Clients,
    stack: &str,
    me: &Holder,
    now: i64,
) -> Result<Result<i64, Option<Holder>>, AwsError> {
    // UpdateItem, not PutItem: it keeps the version, and makes the item on first use.
    let put = clients
        .dynamodb
        .update_item()
        .table_name(table_name(stack))
        .key("id", s(ITEM))
        .update_expression(
            "SET holder = :h, #token = :t, command = :c, started_at = :s, expires_at = :e",
        )
        .condition_expression("attribute_not_exists(holder) OR expires_at < :now")
        .expression_attribute_names("#token", "token")
        .expression_attribute_values(":h", s(&me.holder))
        .expression_attribute_values(":t", s(&me.token))
        .expression_attribute_values(":c", s(&me.command))
        .expression_attribute_values(":s", n(me.started_at))
        .expression_attribute_values(":e", n(me.expires_at))
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .map_err(on("UpdateItem", res(stack)));
    match put {
        Ok(out) => Ok(Ok(out
            .attributes
            .as_ref()
            .map(item_of)
            .unwrap_or_default()
            .version)),
        Err(e) if is_condition_failed(&e) => {
            let current = read(clients, stack).await?.unwrap_or_default();
            match current.held {
                // A retry of this run's own write, whose answer was lost: taken. (The version
                // counts on at release only, so it is still the one this run took.)
                Some(h) if h.token == me.token => Ok(Ok(current.version)),
                other => Ok(Err(other)),
            }
        }
        Err(e) => Err(e),
    }
}

/// Extends the lease of the run holding `token`. Ok(false): the lease was lost (it expired and
/// another run took it). A retry of a renewal that went through passes its condition again.
pub async fn renew(
    clients: &Clients,
    stack: &str,
    token: &str,
    expires_at: i64,
) -> Result<bool, AwsError> {
    let out = clients
        .dynamodb
        .update_item()
        .table_name(table_name(stack))
        .key("id", s(ITEM))
        .update_expression("SET expires_at = :e")
        .condition_expression("#token = :me")
        .expression_attribute_names("#token", "token")
        .expression_attribute_values(":e", n(expires_at))
        .expression_attribute_values(":me", s(token))
        .send()
        .await
        .map_err(on("UpdateItem", res(stack)));
    match out {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failed(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Gives the lock of the run holding `token` up and counts the version on, so that a run waiting
/// for it knows the stack changed; records what the run `left`. A lock someone else holds now is
/// left alone, and so is one already released (a retry of a release whose answer was lost).
pub async fn release(
    clients: &Clients,
    stack: &str,
    token: &str,
    left: &Left,
    last: &LastRun,
) -> Result<(), AwsError> {
    match emptied(clients, stack, Some((token, last)), left).await {
        Err(e) if is_condition_failed(&e) => Ok(()),
        other => other,
    }
}

/// Removes the lock whoever holds it (`baken unlock`).
pub async fn clear(clients: &Clients, stack: &str) -> Result<(), AwsError> {
    emptied(clients, stack, None, &Left::default()).await
}

/// Removes the holder's fields and counts the version on; with `token`, only if its run holds
/// it. A hint `left` does not have is removed: a stale one would only cost wasted reads.
async fn emptied(
    clients: &Clients,
    stack: &str,
    token: Option<(&str, &LastRun)>,
    left: &Left,
) -> Result<(), AwsError> {
    let mut remove = vec!["holder", "#token", "command", "started_at", "expires_at"];
    let mut set = vec!["version = if_not_exists(version, :zero) + :one"];
    let mut call = clients
        .dynamodb
        .update_item()
        .table_name(table_name(stack))
        .key("id", s(ITEM))
        .expression_attribute_names("#token", "token")
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1));
    for (field, assignment, placeholder, value) in [
        ("api_id", "api_id = :api", ":api", &left.api_id),
        (
            "deployed_mode",
            "deployed_mode = :mode",
            ":mode",
            &left.mode,
        ),
        ("vpc_id", "vpc_id = :vpc", ":vpc", &left.vpc_id),
        (
            "instance_id",
            "instance_id = :instance",
            ":instance",
            &left.instance_id,
        ),
    ] {
        match value {
            Some(v) => {
                set.push(assignment);
                call = call.expression_attribute_values(placeholder, s(v));
            }
            None => remove.push(field),
        }
    }
    // A release records the run that let go (`baken stacks` shows it); `unlock` does not.
    if let Some((t, last)) = token {
        set.push("last_holder = :lh, last_command = :lc, last_at = :la");
        call = call
            .condition_expression("#token = :me")
            .expression_attribute_values(":me", s(t))
            .expression_attribute_values(":lh", s(&last.holder))
            .expression_attribute_values(":lc", s(&last.command))
            .expression_attribute_values(":la", n(last.at));
    }
    call = call.update_expression(format!(
        "REMOVE {} SET {}",
        remove.join(", "),
        set.join(", ")
    ));
    call.send().await.map_err(on("UpdateItem", res(stack)))?;
    Ok(())
}

/// Deletes the lock table: teardown's last step, once the stack is gone. baken creates it
/// without deletion protection, so it is deleted straight away; DynamoDB refuses a protected
/// table with a ValidationException, and then the protection is turned off first.
pub async fn delete_table(clients: &Clients, stack: &str) -> Result<(), AwsError> {
    let name = table_name(stack);
    let direct = absent_if(
        clients
            .dynamodb
            .delete_table()
            .table_name(&name)
            .send()
            .await
            .map_err(on("DeleteTable", res(stack))),
        &["ResourceNotFoundException"],
    );
    match direct {
        Err(e) if e.code.as_deref() == Some("ValidationException") => {
            dynamodb::delete(clients, &name).await
        }
        other => other.map(|_| ()),
    }
}

/// The lock table's own actions, on its name only.
pub fn permissions(scope: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    let table = scope.arn(
        "dynamodb",
        &format!("table/{}", table_name(&scope.stack.name)),
    );
    vec![super::permissions::allow(
        "DeployLock",
        "dynamodb",
        &[
            "CreateTable",
            "DescribeTable",
            "DeleteTable",
            "TagResource",
            "GetItem",
            "UpdateItem",
        ],
        vec![table],
    )]
}
