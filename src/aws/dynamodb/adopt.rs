//! Taking over a table a CloudFormation stack made (`baken adopt`): its on-demand backup
//! before the first change, and baken's ownership tags after the stack is gone.

use super::{res, tag_list};
use crate::aws::client::error::on;
use crate::aws::client::retry::{wait_until, Poll};
use crate::aws::{AwsError, Clients};

/// Tags a table a CloudFormation stack made as this stack's (`baken adopt`).
pub async fn adopt(
    clients: &Clients,
    arn: &str,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let tags = tag_list(tags);
    clients
        .dynamodb
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("TagResource", res(name)))?;
    Ok(())
}

/// Starts an on-demand backup of `name` (`baken adopt`, before the first change); its ARN.
pub async fn create_backup(
    clients: &Clients,
    name: &str,
    backup: &str,
) -> Result<String, AwsError> {
    let out = clients
        .dynamodb
        .create_backup()
        .table_name(name)
        .backup_name(backup)
        .send()
        .await
        .map_err(on("CreateBackup", res(name)))?;
    out.backup_details()
        .map(|d| d.backup_arn().to_string())
        .ok_or_else(|| AwsError::new("CreateBackup", res(name), "AWS returned no backup ARN"))
}

/// Waits until the backup is AVAILABLE: only then does it hold the table's items.
pub async fn wait_backup(clients: &Clients, name: &str, arn: &str) -> Result<(), AwsError> {
    wait_until(
        "DescribeBackup",
        &res(name),
        &clients.timing,
        clients.timing.table,
        || async {
            let out = clients
                .dynamodb
                .describe_backup()
                .backup_arn(arn)
                .send()
                .await
                .map_err(on("DescribeBackup", res(name)))?;
            let status = out
                .backup_description()
                .and_then(|d| d.backup_details())
                .map(|d| d.backup_status().as_str().to_string())
                .unwrap_or_default();
            Ok(match status.as_str() {
                "AVAILABLE" => Poll::Done(()),
                "DELETED" => {
                    return Err(AwsError::new(
                        "DescribeBackup",
                        res(name),
                        format!("backup {arn} was deleted before it was complete"),
                    ))
                }
                s => Poll::Waiting(format!("backup of {name} to be AVAILABLE (now {s})")),
            })
        },
    )
    .await
}
