//! `baken stacks`: the baken stacks in an account and region, found by their tables' tags (the
//! data tables carry `baken:stack`, the deploy lock's table `baken:lock-for`), each with what its
//! lock says: the mode deployed, who holds it now, and the last run that released it. Leftovers
//! (a preview whose pull request closed, tables a `teardown --keep-data` kept) are seen here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::lock::{self, Holder, LastRun};
use crate::aws::{dynamodb, AwsError, Clients};
use crate::model::names::{MANAGED_BY, TAG_MANAGED_BY, TAG_STACK};

/// The tag on a stack's lock table.
const TAG_LOCK_FOR: &str = "baken:lock-for";

#[derive(Debug, Clone, Serialize)]
pub struct StackEntry {
    pub name: String,
    /// The mode its last release recorded; None when no run recorded one (a teardown that kept
    /// the tables, or no lock table).
    pub mode: Option<String>,
    /// Its data tables.
    pub tables: Vec<String>,
    /// Whether it has a deploy lock table.
    pub lock_table: bool,
    /// The run holding its lock now.
    pub locked_by: Option<Holder>,
    /// The last run that released its lock.
    pub last_run: Option<LastRun>,
}

/// Every baken stack of the account and region, by name.
pub async fn list(clients: &Clients, account: &str) -> Result<Vec<StackEntry>, AwsError> {
    let mut stacks: BTreeMap<String, StackEntry> = BTreeMap::new();
    let entry = |stacks: &mut BTreeMap<String, StackEntry>, name: &str| {
        stacks
            .entry(name.to_string())
            .or_insert_with(|| StackEntry {
                name: name.to_string(),
                mode: None,
                tables: Vec::new(),
                lock_table: false,
                locked_by: None,
                last_run: None,
            })
            .name
            .clone()
    };
    for (table, tags) in dynamodb::tables_with_tags(clients, account).await? {
        if let Some(stack) = tags.get(TAG_LOCK_FOR) {
            let name = entry(&mut stacks, stack);
            stacks.get_mut(&name).expect("entered").lock_table = true;
        } else if let (Some(stack), Some(MANAGED_BY)) = (
            tags.get(TAG_STACK),
            tags.get(TAG_MANAGED_BY).map(String::as_str),
        ) {
            let name = entry(&mut stacks, stack);
            stacks.get_mut(&name).expect("entered").tables.push(table);
        }
    }
    let reads = stacks
        .values()
        .filter(|s| s.lock_table)
        .map(|s| async move {
            Ok::<_, AwsError>((s.name.clone(), lock::read(clients, &s.name).await?))
        });
    for (name, item) in futures::future::try_join_all(reads).await? {
        let (Some(s), Some(item)) = (stacks.get_mut(&name), item) else {
            continue;
        };
        s.mode = item.left.mode;
        s.locked_by = item.held;
        s.last_run = item.last;
    }
    Ok(stacks.into_values().collect())
}
