//! The resource-policy statement that lets API Gateway invoke a function, and every other
//! statement of that policy (drift: none is wanted).

use crate::aws::client::error::{absent_if, on};
use crate::aws::client::retry::retry_while;
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::api::PermissionAttr;
use crate::desired::PermissionSpec;
use crate::live::{LiveResource, Owner};
use crate::resource::{Attrs, Kind, ResourceId};

use super::{is_conflict, res};

pub(super) async fn read_permission(
    clients: &Clients,
    function: &str,
    statement_id: &str,
) -> Result<Option<LiveResource>, AwsError> {
    let policy = absent_if(
        clients
            .lambda
            .get_policy()
            .function_name(function)
            .send()
            .await
            .map_err(on("GetPolicy", res(function))),
        &["ResourceNotFoundException"],
    )?;
    let Some(doc) = policy.and_then(|p| p.policy) else {
        return Ok(None);
    };
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap_or_default();
    let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
    let mut attrs = Attrs::new();
    for other in statements.iter().filter(|s| s["Sid"] != statement_id) {
        let sid = other["Sid"].as_str().unwrap_or("(no id)");
        attrs.insert(
            PermissionAttr::OtherStatement(sid).key(),
            crate::resource::json::canonical_json(other),
        );
    }
    if let Some(s) = statements.iter().find(|s| s["Sid"] == statement_id) {
        let principal = s["Principal"]["Service"]
            .as_str()
            .or(s["Principal"].as_str())
            .unwrap_or_default();
        attrs.insert(PermissionAttr::Principal.key(), principal.to_string());
        attrs.insert(
            PermissionAttr::Action.key(),
            s["Action"].as_str().unwrap_or_default().to_string(),
        );
        attrs.insert(
            PermissionAttr::SourceArn.key(),
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    if attrs.is_empty() {
        return Ok(None);
    }
    Ok(Some(LiveResource::new(
        ResourceId::new(Kind::Permission, function),
        attrs,
        Owner::Ours,
    )))
}

pub async fn add_permission(
    clients: &Clients,
    spec: &PermissionSpec,
    api_id: &str,
) -> Result<(), AwsError> {
    let timing = clients.timing;
    retry_while(&timing, timing.conflict, is_conflict, || async {
        clients
            .lambda
            .add_permission()
            .function_name(&spec.function_name)
            .statement_id(&spec.statement_id)
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(spec.source_arn(api_id))
            .send()
            .await
            .map_err(on(
                "AddPermission",
                format!("permission of {}", spec.function_name),
            ))
    })
    .await?;
    Ok(())
}

pub async fn remove_permission(
    clients: &Clients,
    function: &str,
    statement_id: &str,
) -> Result<(), AwsError> {
    absent_if(
        clients
            .lambda
            .remove_permission()
            .function_name(function)
            .statement_id(statement_id)
            .send()
            .await
            .map_err(on("RemovePermission", format!("permission of {function}"))),
        &["ResourceNotFoundException"],
    )?;
    Ok(())
}

impl Seam for PermissionSpec {
    const READ_BY: Reader = super::READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        add_permission(cx.clients, self, &cx.api_id()?).await
    }
    /// A statement added by hand is removed; baken's own cannot be edited, so it is removed and
    /// added again.
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let mut ours = false;
        for c in cx.changes {
            match PermissionAttr::parse(&c.attribute) {
                Some(PermissionAttr::OtherStatement(sid)) => {
                    remove_permission(cx.clients, &self.function_name, sid).await?;
                }
                _ => ours = true,
            }
        }
        if ours {
            let api = cx.api_id()?;
            remove_permission(cx.clients, &self.function_name, &self.statement_id).await?;
            add_permission(cx.clients, self, &api).await?;
        }
        Ok(())
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        remove_permission(
            cx.clients,
            cx.name(),
            crate::desired::PERMISSION_STATEMENT_ID,
        )
        .await
    }
}
