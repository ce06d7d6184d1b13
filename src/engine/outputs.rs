//! The stack's outputs (what Terraform calls outputs and CDK stack outputs): the values a person
//! or a pipeline needs after a deploy, derived from what exists in the account.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::live::GatewayAddresses;
use crate::live::{LiveState, Owner};
use crate::model::Stack;
use crate::plan::{Action, Plan};
use crate::resource::{Kind, ResourceId};

use super::ApplyReport;

/// Every field is null (or empty) when the resource it comes from does not exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outputs {
    /// The stage's invoke URL.
    pub api_url: Option<String>,
    pub api_id: Option<String>,
    pub stage: Option<String>,
    pub cart_table: Option<String>,
    pub session_table: Option<String>,
    /// The functions that exist, in the catalog's order.
    pub functions: Vec<String>,
    pub gateway_instance_id: Option<String>,
    pub gateway_public_ip: Option<String>,
    pub gateway_private_ip: Option<String>,
    /// jravan mode with the bedrock advisor: the bedrock-runtime interface endpoint.
    pub bedrock_endpoint: Option<String>,
    /// With `jravan.instance.schedule`: the EventBridge Scheduler schedules, in their group.
    pub gateway_schedules: Vec<String>,
    /// With `alerts`: the SNS topic the alarms mail, the addresses subscribed, the alarms.
    pub alert_topic: Option<String>,
    pub alert_subscriptions: Vec<String>,
    pub alarms: Vec<String>,
}

impl Outputs {
    /// `exists`: the stack's resources that are there now.
    pub fn derive(
        stack: &Stack,
        exists: &BTreeSet<ResourceId>,
        api_id: Option<&str>,
        gateway: Option<&GatewayAddresses>,
    ) -> Outputs {
        let has = |kind: Kind, name: &str| exists.contains(&ResourceId::new(kind, name));
        // The kinds whose names the outputs list as they exist (sorted).
        let of_kind = |kind: Kind| -> Vec<String> {
            exists
                .iter()
                .filter(|id| id.kind == kind && id.copy.is_none())
                .map(|id| id.name.clone())
                .collect()
        };
        let api_id = api_id
            .filter(|_| has(Kind::RestApi, &stack.api.name))
            .map(str::to_string);
        let stage =
            Some(stack.api.stage.clone()).filter(|s| api_id.is_some() && has(Kind::Stage, s));
        Outputs {
            api_url: api_id.as_ref().zip(stage.as_ref()).map(|(id, stage)| {
                format!(
                    "https://{id}.execute-api.{}.amazonaws.com/{stage}",
                    stack.region
                )
            }),
            api_id,
            stage,
            cart_table: Some(stack.cart_table.clone()).filter(|t| has(Kind::Table, t)),
            session_table: Some(stack.session_table.clone()).filter(|t| has(Kind::Table, t)),
            functions: stack
                .functions
                .iter()
                .filter(|f| has(Kind::Function, &f.name))
                .map(|f| f.name.clone())
                .collect(),
            gateway_instance_id: gateway.map(|g| g.instance_id.clone()),
            gateway_public_ip: gateway.and_then(|g| g.public_ip.clone()),
            gateway_private_ip: gateway.and_then(|g| g.private_ip.clone()),
            bedrock_endpoint: of_kind(Kind::InterfaceEndpoint).into_iter().next(),
            gateway_schedules: of_kind(Kind::Schedule),
            alert_topic: of_kind(Kind::AlertTopic).into_iter().next(),
            alert_subscriptions: of_kind(Kind::AlertSubscription),
            alarms: of_kind(Kind::Alarm),
        }
    }

    /// From the live state alone (status, `baken output`).
    pub fn of_live(stack: &Stack, live: &LiveState) -> Outputs {
        Outputs::derive(
            stack,
            &owned(live),
            live.api_id.as_deref(),
            live.gateway.as_ref(),
        )
    }

    /// After a deploy: what was there, plus what the run created, less what it deleted.
    pub fn after_apply(
        stack: &Stack,
        live: &LiveState,
        plan: &Plan,
        report: Option<&ApplyReport>,
        gateway: Option<&GatewayAddresses>,
    ) -> Outputs {
        let mut exists = owned(live);
        let api_id = match report {
            Some(r) => {
                for done in &r.done {
                    let deleted = plan
                        .steps
                        .iter()
                        .any(|s| &s.resource == done && matches!(s.action, Action::Delete { .. }));
                    if deleted {
                        exists.remove(done);
                    } else {
                        exists.insert(done.clone());
                    }
                }
                r.api_id.as_deref()
            }
            None => live.api_id.as_deref(),
        };
        Outputs::derive(stack, &exists, api_id, gateway)
    }

    /// One output by its name (the field names above), None when it has no value.
    pub fn get(&self, name: &str) -> Option<serde_json::Value> {
        let all = serde_json::to_value(self).ok()?;
        match all.get(name)? {
            serde_json::Value::Null => None,
            serde_json::Value::Array(a) if a.is_empty() => None,
            v => Some(v.clone()),
        }
    }
}

fn owned(live: &LiveState) -> BTreeSet<ResourceId> {
    live.resources
        .values()
        .filter(|r| r.owner == Owner::Ours)
        .map(|r| r.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> Stack {
        crate::manifest::parse(std::path::Path::new("m.yaml"), "stack: t\n").unwrap()
    }

    #[test]
    fn outputs_name_only_what_exists() {
        let stack = stack();
        let mut exists = BTreeSet::from([
            ResourceId::new(Kind::RestApi, "t-api"),
            ResourceId::new(Kind::Table, "t-cart"),
            ResourceId::new(Kind::Function, "t-get-races"),
        ]);
        let o = Outputs::derive(&stack, &exists, Some("abc123"), None);
        assert_eq!(o.api_id.as_deref(), Some("abc123"));
        // No stage yet: no invoke URL.
        assert_eq!(o.api_url, None);
        assert_eq!(o.cart_table.as_deref(), Some("t-cart"));
        assert_eq!(o.session_table, None);
        assert_eq!(o.functions, ["t-get-races"]);
        assert_eq!(o.get("session_table"), None);
        exists.insert(ResourceId::new(Kind::Stage, "prod"));
        let o = Outputs::derive(&stack, &exists, Some("abc123"), None);
        assert_eq!(
            o.api_url.as_deref(),
            Some("https://abc123.execute-api.ap-northeast-1.amazonaws.com/prod")
        );
        assert_eq!(o.get("functions"), Some(serde_json::json!(["t-get-races"])));
    }
}
