//! What refuses an adoption before anything is changed: each problem with the stack it is about
//! and what to do about it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::template::TemplateError;
use crate::aws::cloudformation::{StackFacts, CDK_TOOLKIT, TEMPLATE_BODY_MAX};
use crate::aws::s3::TEMPLATE_URL_MAX;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub stack: String,
    pub problem: String,
    pub hint: String,
}

fn refusal(stack: &str, problem: impl Into<String>, hint: impl Into<String>) -> Refusal {
    Refusal {
        stack: stack.to_string(),
        problem: problem.into(),
        hint: hint.into(),
    }
}

/// Settled states: the stack's resources are what its template says.
const SETTLED: [&str; 5] = [
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
];

pub fn missing(stack: &str) -> Refusal {
    refusal(
        stack,
        "there is no such stack in this account and region",
        "check the name with `aws cloudformation list-stacks`, and --region and --profile",
    )
}

pub fn bad_template(stack: &str, e: &TemplateError) -> Refusal {
    refusal(
        stack,
        e.to_string(),
        "adopt the stack by hand: set DeletionPolicy Retain on every resource, update it, delete it, then run `baken deploy`",
    )
}

/// A kept table whose partition key is not the manifest's: DynamoDB cannot change a key, so the
/// deploy after the adoption would have to replace the table and lose its items. Found from the
/// template before anything changes, instead of by that deploy after the stacks are gone.
pub fn table_key(
    stack: &str,
    table: &str,
    template: Option<&serde_json::Value>,
    wanted_key: &str,
) -> Option<Refusal> {
    let key = template?
        .get("Properties")?
        .get("KeySchema")?
        .as_array()?
        .iter()
        .find(|k| k.get("KeyType").and_then(|t| t.as_str()) == Some("HASH"))?
        .get("AttributeName")?
        .as_str()?;
    (key != wanted_key).then(|| {
        refusal(
            stack,
            format!("table {table} is keyed by {key}, and baken's manifest keys it by {wanted_key}: adopting it would mean replacing it and losing its items"),
            "keep the table out of the adoption (give the manifest's table another name), or copy its items to a table keyed as baken needs first",
        )
    })
}

/// A retain template over the inline limit goes through the CDK bootstrap bucket (`bucket`);
/// without one, or over what CloudFormation reads from S3 at all, the adoption is refused.
pub fn size(stack: &str, bytes: usize, bucket: Option<&str>) -> Option<Refusal> {
    if bytes > TEMPLATE_URL_MAX {
        return Some(refusal(
            stack,
            format!("its retain template is {bytes} bytes, over the {TEMPLATE_URL_MAX} bytes CloudFormation reads from S3"),
            "split the stack, or adopt it by hand (docs/adopt.md)",
        ));
    }
    (bytes > TEMPLATE_BODY_MAX && bucket.is_none()).then(|| {
        refusal(
            stack,
            format!("its retain template is {bytes} bytes, over the {TEMPLATE_BODY_MAX} bytes CloudFormation takes inline, and there is no CDK bootstrap bucket ({CDK_TOOLKIT} stack) to give it by URL"),
            "run `cdk bootstrap` in this account and region (it makes the bucket), then baken adopt again",
        )
    })
}

/// The stack's own problems: protection, its state, the bootstrap stack, nested stacks, and
/// exports that a stack outside `requested` imports.
pub fn check(
    f: &StackFacts,
    requested: &[String],
    importers: &BTreeMap<String, Vec<String>>,
) -> Vec<Refusal> {
    let name = &f.name;
    let mut out = Vec::new();
    if name == CDK_TOOLKIT {
        out.push(refusal(
            name,
            "this is the CDK bootstrap stack, shared by every CDK app in the account and region",
            "leave it; name the app's own stacks",
        ));
    }
    if f.termination_protection {
        out.push(refusal(
            name,
            "termination protection is on, so CloudFormation would refuse to delete it",
            format!("turn it off: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {name}"),
        ));
    }
    let status = f.status.as_str();
    if !SETTLED.contains(&status) {
        let hint = if status.ends_with("_IN_PROGRESS") {
            "wait for it to finish, then run baken adopt again".to_string()
        } else if status == "UPDATE_ROLLBACK_FAILED" {
            format!("continue the rollback first: aws cloudformation continue-update-rollback --stack-name {name}")
        } else {
            "bring it to a settled state in the CloudFormation console first".to_string()
        };
        out.push(refusal(name, format!("it is {status}"), hint));
    }
    if f.resources
        .iter()
        .any(|r| r.resource_type == "AWS::CloudFormation::Stack")
    {
        out.push(refusal(
            name,
            "it has nested stacks, which baken adopt does not take over",
            "adopt the nested stacks' resources by hand (docs/adopt.md)",
        ));
    }
    for export in &f.exports {
        let outside: Vec<&String> = importers
            .get(export)
            .into_iter()
            .flatten()
            .filter(|s| !requested.contains(s))
            .collect();
        if let Some(user) = outside.first() {
            out.push(refusal(
                name,
                format!("its export {export} is imported by stack {user}, which is not being adopted"),
                format!("adopt both (--from-cloudformation {name} {user}), or remove the import from {user} first"),
            ));
        }
    }
    out
}
