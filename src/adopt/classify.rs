//! What happens to each resource of an adopted stack, by its CloudFormation type and whether
//! baken's manifest wants a resource of that name.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aws::cloudformation::StackResource;
use crate::desired::{Desired, Spec};
use crate::resource::{Kind, ResourceId};

/// The fate of one resource. Every resource is retained by CloudFormation first; the fate says
/// what baken does with it afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// Kept where it is, with its data and id, and reconciled by baken from then on.
    Adopted,
    /// baken builds its own; the old one is removed by `baken adopt --cleanup`.
    Replaced,
    /// Not baken's business: it stays in the account, owned by no stack.
    Left,
}

impl Fate {
    pub fn label(self) -> &'static str {
        match self {
            Fate::Adopted => "keep",
            Fate::Replaced => "replace",
            Fate::Left => "leave",
        }
    }
}

/// One resource of an adopted stack and what happens to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disposition {
    pub stack: String,
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub fate: Fate,
    pub why: String,
    /// The baken resource an adopted one becomes, for those baken tags as its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub becomes: Option<ResourceId>,
}

/// The names baken's manifest wants, by kind.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub stack: String,
    /// Table name → its partition key.
    pub tables: BTreeMap<String, String>,
    pub functions: BTreeSet<String>,
    pub log_groups: BTreeSet<String>,
    pub api: String,
}

impl Wanted {
    pub fn of(stack: &str, desired: &[Desired]) -> Wanted {
        let mut w = Wanted {
            stack: stack.to_string(),
            ..Wanted::default()
        };
        for d in desired {
            let name = d.id.name.clone();
            match &d.spec {
                Spec::Table(t) => {
                    w.tables.insert(name, t.partition_key.clone());
                }
                Spec::Function(_) => {
                    w.functions.insert(name);
                }
                Spec::LogGroup(_) => {
                    w.log_groups.insert(name);
                }
                Spec::RestApi(_) => w.api = name,
                _ => {}
            }
        }
        w
    }
}

/// The REST API a resource's `RestApiId` refers to (`{"Ref": logical id}`), from the template.
fn rest_api_ref(properties: Option<&serde_json::Value>) -> Option<&str> {
    properties?.get("RestApiId")?.get("Ref")?.as_str()
}

/// `r` of `stack`, with its template entry `template` (its `Properties` are read for names CDK
/// put there) and the logical id of the stack's adopted REST API, if any.
pub fn classify(
    stack: &str,
    r: &StackResource,
    template: Option<&serde_json::Value>,
    wanted: &Wanted,
    adopted_api: Option<&str>,
) -> Disposition {
    let properties = template.and_then(|t| t.get("Properties"));
    let physical = r.physical_id.clone();
    let named = |prop: &str| {
        properties
            .and_then(|p| p.get(prop))
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| physical.clone())
    };
    let (fate, why, becomes) = decide(r, &named, properties, wanted, adopted_api);
    Disposition {
        stack: stack.to_string(),
        logical_id: r.logical_id.clone(),
        resource_type: r.resource_type.clone(),
        physical_id: physical,
        fate,
        why,
        becomes,
    }
}

fn decide(
    r: &StackResource,
    named: &dyn Fn(&str) -> Option<String>,
    properties: Option<&serde_json::Value>,
    wanted: &Wanted,
    adopted_api: Option<&str>,
) -> (Fate, String, Option<ResourceId>) {
    let stack = &wanted.stack;
    let keep = |kind: Kind, name: String, why: &str| {
        (
            Fate::Adopted,
            why.to_string(),
            Some(ResourceId::new(kind, name)),
        )
    };
    let not_wanted = |what: &str, name: &str| {
        (
            Fate::Left,
            format!("baken's manifest has no {what} named {name}; it stays, owned by no stack"),
            None,
        )
    };
    let cleanup = |why: &str| (Fate::Replaced, why.to_string(), None);
    let t = r.resource_type.as_str();
    match t {
        "AWS::DynamoDB::Table" => match named("TableName") {
            Some(n) if wanted.tables.contains_key(&n) => keep(
                Kind::Table,
                n,
                "its items stay; backed up first, then reconciled in place",
            ),
            n => not_wanted("table", n.as_deref().unwrap_or("?")),
        },
        "AWS::Lambda::Function" => match named("FunctionName") {
            Some(n) if wanted.functions.contains(&n) => keep(
                Kind::Function,
                n,
                "kept under its name; its code and configuration become baken's",
            ),
            n => not_wanted("function", n.as_deref().unwrap_or("?")),
        },
        "AWS::Logs::LogGroup" => match named("LogGroupName") {
            Some(n) if wanted.log_groups.contains(&n) => {
                keep(Kind::LogGroup, n, "its logs stay; baken sets its retention")
            }
            n => not_wanted("log group", n.as_deref().unwrap_or("?")),
        },
        "AWS::ApiGateway::RestApi" => match properties
            .and_then(|p| p.get("Name"))
            .and_then(|v| v.as_str())
        {
            Some(n) if n == wanted.api => keep(
                Kind::RestApi,
                n.to_string(),
                "kept with its id, so its invoke URL does not change; reconciled in place",
            ),
            n => not_wanted("REST API", n.unwrap_or("?")),
        },
        "AWS::ApiGateway::Resource"
        | "AWS::ApiGateway::Method"
        | "AWS::ApiGateway::Deployment"
        | "AWS::ApiGateway::Stage"
        | "AWS::ApiGateway::GatewayResponse"
        | "AWS::ApiGateway::Model"
        | "AWS::ApiGateway::RequestValidator" => match (rest_api_ref(properties), adopted_api) {
            (Some(api), Some(adopted)) if api == adopted => (
                Fate::Adopted,
                "part of the adopted REST API; baken reconciles it with the API".into(),
                None,
            ),
            _ => (
                Fate::Left,
                "part of a REST API baken does not adopt; it stays with that API".into(),
                None,
            ),
        },
        "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => cleanup(&format!(
            "baken makes its own roles under /baken/{stack}/, each with only what it needs; `baken adopt --cleanup` removes this one"
        )),
        "AWS::IAM::InstanceProfile" => cleanup(
            "baken's gateway instance has a profile of its own; `baken adopt --cleanup` removes this one",
        ),
        "AWS::Lambda::Permission" => cleanup(
            "baken grants API Gateway's invoke per function itself; `baken adopt --cleanup` removes this grant",
        ),
        "AWS::Lambda::LayerVersion" => cleanup(
            "baken's functions are one binary each and use no layer: the deploy lets the functions go of it, and `baken adopt --cleanup` deletes this version",
        ),
        _ if t.starts_with("AWS::EC2::") => cleanup(
            "baken builds its own jravan network and gateway instance; this one keeps serving until baken's gateway reports healthy, then `baken adopt --cleanup` removes it",
        ),
        "AWS::CDK::Metadata" => (
            Fate::Left,
            "CDK's usage record, nothing in the account".into(),
            None,
        ),
        "AWS::ApiGateway::Account" => (
            Fate::Left,
            "an account-wide API Gateway setting other APIs may rely on; it stays as it is".into(),
            None,
        ),
        _ => (
            Fate::Left,
            format!("baken does not manage {t}; it stays, owned by no stack"),
            None,
        ),
    }
}

/// Whether the template entry `v` names `logical` (a Ref or a GetAtt of it).
fn names(v: &serde_json::Value, logical: &str) -> bool {
    match v {
        serde_json::Value::Object(m) => {
            m.get("Ref").and_then(|r| r.as_str()) == Some(logical)
                || m.get("Fn::GetAtt")
                    .and_then(|g| g.get(0))
                    .and_then(|g| g.as_str())
                    == Some(logical)
                || m.values().any(|x| names(x, logical))
        }
        serde_json::Value::Array(a) => a.iter().any(|x| names(x, logical)),
        _ => false,
    }
}

/// A resource baken would remove that something staying uses (the CloudWatch role of the
/// account-wide API Gateway setting) stays too: removing it would break what stays.
pub fn keep_what_stays_uses(all: &mut [Disposition], entries: Option<&serde_json::Value>) {
    let Some(entries) = entries else { return };
    let staying: Vec<(String, String)> = all
        .iter()
        .filter(|d| d.fate == Fate::Left)
        .map(|d| (d.logical_id.clone(), d.resource_type.clone()))
        .collect();
    for d in all.iter_mut().filter(|d| d.fate == Fate::Replaced) {
        if let Some((user, t)) = staying
            .iter()
            .find(|(l, _)| names(&entries[l.as_str()], &d.logical_id))
        {
            d.fate = Fate::Left;
            d.why = format!("{user} ({t}) uses it and stays, so it stays too");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adopt::tests::res;

    fn wanted() -> Wanted {
        Wanted {
            stack: "baken-kaigi".into(),
            tables: [("baken-kaigi-cart".to_string(), "cart_id".to_string())].into(),
            functions: ["baken-kaigi-get-cart".to_string()].into(),
            log_groups: ["/aws/lambda/baken-kaigi-get-cart".to_string()].into(),
            api: "baken-kaigi-api".into(),
        }
    }

    #[test]
    fn wanted_names_are_kept_and_others_left_with_the_reason() {
        let w = wanted();
        let table = classify(
            "S",
            &res("AWS::DynamoDB::Table", "Cart", "baken-kaigi-cart"),
            None,
            &w,
            None,
        );
        assert_eq!(table.fate, Fate::Adopted);
        assert_eq!(
            table.becomes,
            Some(ResourceId::new(Kind::Table, "baken-kaigi-cart"))
        );
        let other = classify(
            "S",
            &res("AWS::DynamoDB::Table", "Old", "old-table"),
            None,
            &w,
            None,
        );
        assert_eq!(other.fate, Fate::Left);
        assert!(
            other.why.contains("no table named old-table"),
            "{}",
            other.why
        );
        let role = classify("S", &res("AWS::IAM::Role", "R", "S-R-123"), None, &w, None);
        assert_eq!(role.fate, Fate::Replaced);
        let sg = classify(
            "S",
            &res("AWS::EC2::SecurityGroup", "G", "sg-1"),
            None,
            &w,
            None,
        );
        assert_eq!(sg.fate, Fate::Replaced);
    }

    #[test]
    fn the_rest_api_is_matched_by_its_name_and_its_children_follow_it() {
        let w = wanted();
        let api_t = serde_json::json!({"Properties": {"Name": "baken-kaigi-api"}});
        let api = classify(
            "S",
            &res("AWS::ApiGateway::RestApi", "Api", "abc123"),
            Some(&api_t),
            &w,
            None,
        );
        assert_eq!(api.fate, Fate::Adopted);
        assert_eq!(
            api.becomes,
            Some(ResourceId::new(Kind::RestApi, "baken-kaigi-api"))
        );
        let child_t = serde_json::json!({"Properties": {"RestApiId": {"Ref": "Api"}}});
        let stage = classify(
            "S",
            &res("AWS::ApiGateway::Stage", "Prod", "prod"),
            Some(&child_t),
            &w,
            Some("Api"),
        );
        assert_eq!(stage.fate, Fate::Adopted);
        let orphan = classify(
            "S",
            &res("AWS::ApiGateway::Method", "M", ""),
            Some(&child_t),
            &w,
            None,
        );
        assert_eq!(orphan.fate, Fate::Left);
    }
}
