//! CloudFormation: reading the stacks `baken adopt` takes over, the retain-only update through a
//! change set, the deletion that leaves every resource behind, and finding which stack holds a
//! name baken wants ("in the way").

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, Parameter, Replacement, StackStatus,
    TemplateStage,
};
use serde::{Deserialize, Serialize};

use super::client::error::{absent_if, on};
use super::client::retry::{wait_until, Poll};
use super::{AwsError, Clients};

/// What CloudFormation accepts inline (`TemplateBody`); larger templates need an S3 URL.
pub const TEMPLATE_BODY_MAX: usize = 51_200;

/// Whether CloudFormation takes `template` inline; a larger one must be given by URL.
pub fn fits_inline(template: &str) -> bool {
    template.len() <= TEMPLATE_BODY_MAX
}

/// How a template reaches CloudFormation: inline, or as the URL of an S3 object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    Body(String),
    Url(String),
}

/// The CDK bootstrap stack, and its output naming the bucket `cdk deploy` uploads templates to.
pub const CDK_TOOLKIT: &str = "CDKToolkit";
const CDK_TOOLKIT_BUCKET_OUTPUT: &str = "BucketName";

/// One stack as `adopt` needs it. Kept in the receipt, so it must round-trip through JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackFacts {
    pub name: String,
    pub id: String,
    pub status: String,
    pub termination_protection: bool,
    /// Parameter key → the value given, and what AWS resolved it to (SSM parameter types).
    pub parameters: Vec<StackParameter>,
    /// The export names of the stack's outputs.
    pub exports: Vec<String>,
    pub resources: Vec<StackResource>,
    /// The template as it was submitted (`TemplateStage::Original`).
    pub template: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackParameter {
    pub key: String,
    pub value: Option<String>,
    pub resolved: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackResource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub status: String,
}

fn stack_res(name: &str) -> String {
    format!("CloudFormation stack {name}")
}

/// AWS answers a ValidationError "Stack with id X does not exist" for a stack that is not there.
fn is_missing(e: &AwsError) -> bool {
    e.code_is("ValidationError") && e.message.contains("does not exist")
}

/// DescribeStacks, ListStackResources and GetTemplate side by side; None when there is no such
/// stack (a deleted one is not found by name).
pub async fn read_stack(clients: &Clients, name: &str) -> Result<Option<StackFacts>, AwsError> {
    let cf = &clients.cloudformation;
    let described = async {
        cf.describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(on("DescribeStacks", stack_res(name)))
    };
    let joined = futures::future::try_join3(
        described,
        resources(clients, name),
        get_template(clients, name),
    )
    .await;
    let (described, resources, template) = match joined {
        Err(e) if is_missing(&e) => return Ok(None),
        other => other?,
    };
    let Some(stack) = described.stacks().first() else {
        return Ok(None);
    };
    Ok(Some(StackFacts {
        name: stack.stack_name().unwrap_or(name).to_string(),
        id: stack.stack_id().unwrap_or_default().to_string(),
        status: stack
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        termination_protection: stack.enable_termination_protection() == Some(true),
        parameters: stack
            .parameters()
            .iter()
            .map(|p| StackParameter {
                key: p.parameter_key().unwrap_or_default().to_string(),
                value: p.parameter_value().map(str::to_string),
                resolved: p.resolved_value().map(str::to_string),
            })
            .collect(),
        exports: stack
            .outputs()
            .iter()
            .filter_map(|o| o.export_name().map(str::to_string))
            .collect(),
        resources,
        template,
    }))
}

async fn get_template(clients: &Clients, stack: &str) -> Result<String, AwsError> {
    let out = clients
        .cloudformation
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(on("GetTemplate", stack_res(stack)))?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

/// A stack's status and its template as submitted (by name, or by id after its deletion); None
/// when there is no such stack. What the steps check before they go on, without the resources.
pub async fn status_and_template(
    clients: &Clients,
    stack: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let described = async {
        clients
            .cloudformation
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(on("DescribeStacks", stack_res(stack)))
    };
    match futures::future::try_join(described, get_template(clients, stack)).await {
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(e),
        Ok((d, template)) => Ok(d.stacks().first().map(|s| {
            let status = s.stack_status().map(|x| x.as_str().to_string());
            (status.unwrap_or_default(), template)
        })),
    }
}

/// Every resource of a stack, by name or (for a deleted stack) by id.
pub async fn resources(clients: &Clients, stack: &str) -> Result<Vec<StackResource>, AwsError> {
    let mut out = Vec::new();
    let mut pages = clients
        .cloudformation
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("ListStackResources", stack_res(stack)))?;
        out.extend(page.stack_resource_summaries().iter().map(|r| {
            StackResource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: r.resource_type().unwrap_or_default().to_string(),
                physical_id: r
                    .physical_resource_id()
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
                status: r
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            }
        }));
    }
    Ok(out)
}

/// The stacks that import `export`. AWS answers a ValidationError ("is not imported by any
/// stack") when none does: that is an empty list.
pub async fn importers(clients: &Clients, export: &str) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .cloudformation
            .list_imports()
            .export_name(export)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(on("ListImports", format!("export {export}")));
        let page = match page {
            Err(e) if e.code_is("ValidationError") && e.message.contains("not imported") => {
                return Ok(out)
            }
            other => other?,
        };
        out.extend(page.imports().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// The bucket of the CDK bootstrap stack (its `BucketName` output); None when there is no
/// bootstrap stack, or it names no bucket.
pub async fn bootstrap_bucket(clients: &Clients) -> Result<Option<String>, AwsError> {
    let described = clients
        .cloudformation
        .describe_stacks()
        .stack_name(CDK_TOOLKIT)
        .send()
        .await
        .map_err(on("DescribeStacks", stack_res(CDK_TOOLKIT)));
    let described = match described {
        Err(e) if is_missing(&e) => return Ok(None),
        other => other?,
    };
    Ok(described
        .stacks()
        .first()
        .into_iter()
        .flat_map(|s| s.outputs())
        .find(|o| o.output_key() == Some(CDK_TOOLKIT_BUCKET_OUTPUT))
        .and_then(|o| o.output_value())
        .filter(|v| !v.is_empty())
        .map(str::to_string))
}

/// What a change set would do to one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposedChange {
    pub logical_id: String,
    pub action: String,
    /// `True`, `False` or `Conditional`; absent where AWS does not say.
    pub replacement: Option<String>,
}

impl ProposedChange {
    /// A change that keeps the resource where it is: a Modify that replaces nothing.
    pub fn keeps_resource(&self) -> bool {
        self.action == ChangeAction::Modify.as_str()
            && self
                .replacement
                .as_deref()
                .is_none_or(|r| r == Replacement::False.as_str())
    }
}

/// How a change set came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetOutcome {
    /// Ready to execute, with what it would do.
    Ready(Vec<ProposedChange>),
    /// AWS found nothing to change: the template is already the one submitted.
    NoChanges,
}

/// Creates the change set `name` updating `stack` to `template` with the given parameters
/// (`None`: the previous value), waits for it and reads what it would change.
pub async fn create_change_set(
    clients: &Clients,
    stack: &str,
    name: &str,
    template: &TemplateSource,
    parameters: &[(String, Option<String>)],
) -> Result<ChangeSetOutcome, AwsError> {
    let cf = &clients.cloudformation;
    let mut call = cf
        .create_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .change_set_type(ChangeSetType::Update)
        .description("baken adopt: DeletionPolicy and UpdateReplacePolicy Retain on every resource")
        // CDK stacks name their roles: an update that carries them needs the named-IAM
        // acknowledgement even though no role changes.
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand);
    call = match template {
        TemplateSource::Body(b) => call.template_body(b),
        TemplateSource::Url(u) => call.template_url(u),
    };
    for p in stack_parameters(parameters) {
        call = call.parameters(p);
    }
    call.send()
        .await
        .map_err(on("CreateChangeSet", stack_res(stack)))?;
    let status = wait_until(
        "DescribeChangeSet",
        &stack_res(stack),
        &clients.timing,
        clients.timing.stack,
        || async {
            let out = cf
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(name)
                .send()
                .await
                .map_err(on("DescribeChangeSet", stack_res(stack)))?;
            Ok(match out.status() {
                Some(ChangeSetStatus::CreateComplete) => Poll::Done(None),
                Some(ChangeSetStatus::Failed) => {
                    Poll::Done(Some(out.status_reason().unwrap_or_default().to_string()))
                }
                other => Poll::Waiting(format!(
                    "change set {name} to be ready (now {})",
                    other.map(|s| s.as_str()).unwrap_or("unknown")
                )),
            })
        },
    )
    .await?;
    if let Some(reason) = status {
        // AWS fails a change set that changes nothing; that is a retain update already done.
        if reason.contains("didn't contain changes") || reason.contains("No updates") {
            delete_change_set(clients, stack, name).await?;
            return Ok(ChangeSetOutcome::NoChanges);
        }
        return Err(AwsError::new(
            "CreateChangeSet",
            stack_res(stack),
            format!("change set {name} failed: {reason}"),
        ));
    }
    Ok(ChangeSetOutcome::Ready(
        change_set_changes(clients, stack, name).await?,
    ))
}

async fn change_set_changes(
    clients: &Clients,
    stack: &str,
    name: &str,
) -> Result<Vec<ProposedChange>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .cloudformation
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(on("DescribeChangeSet", stack_res(stack)))?;
        out.extend(
            page.changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(|r| ProposedChange {
                    logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                    action: r
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    replacement: r.replacement().map(|x| x.as_str().to_string()),
                }),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

pub async fn delete_change_set(clients: &Clients, stack: &str, name: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .cloudformation
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .send()
            .await
            .map_err(on("DeleteChangeSet", stack_res(stack))),
        &["ChangeSetNotFound", "ChangeSetNotFoundException"],
    )?;
    Ok(())
}

/// Executes the change set and waits for the stack to be UPDATE_COMPLETE.
pub async fn execute_change_set(
    clients: &Clients,
    stack: &str,
    name: &str,
) -> Result<(), AwsError> {
    clients
        .cloudformation
        .execute_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
        .map_err(on("ExecuteChangeSet", stack_res(stack)))?;
    wait_stack(clients, stack, &[StackStatus::UpdateComplete]).await
}

/// Updates the stack to `template` directly (UpdateStack) and waits for UPDATE_COMPLETE: for a
/// template whose only changes are stack-level (policies), where AWS may find a change set empty.
/// "No updates are to be performed" is not an error.
pub async fn update_stack(
    clients: &Clients,
    stack: &str,
    template: &TemplateSource,
    parameters: &[(String, Option<String>)],
) -> Result<(), AwsError> {
    let call = clients.cloudformation.update_stack().stack_name(stack);
    let mut call = match template {
        TemplateSource::Body(b) => call.template_body(b),
        TemplateSource::Url(u) => call.template_url(u),
    }
    .capabilities(Capability::CapabilityIam)
    .capabilities(Capability::CapabilityNamedIam)
    .capabilities(Capability::CapabilityAutoExpand);
    for p in stack_parameters(parameters) {
        call = call.parameters(p);
    }
    match call
        .send()
        .await
        .map_err(on("UpdateStack", stack_res(stack)))
    {
        Err(e) if e.code_is("ValidationError") && e.message.contains("No updates") => Ok(()),
        Err(e) => Err(e),
        Ok(_) => wait_stack(clients, stack, &[StackStatus::UpdateComplete]).await,
    }
}

fn stack_parameters(parameters: &[(String, Option<String>)]) -> Vec<Parameter> {
    parameters
        .iter()
        .map(|(key, value)| {
            let p = Parameter::builder().parameter_key(key);
            match value {
                Some(v) => p.parameter_value(v),
                None => p.use_previous_value(true),
            }
            .build()
        })
        .collect()
}

/// Polls the stack (by name or id) until its status is one of `done`; a status that is neither
/// in progress nor wanted is an error.
async fn wait_stack(clients: &Clients, stack: &str, done: &[StackStatus]) -> Result<(), AwsError> {
    wait_until(
        "DescribeStacks",
        &stack_res(stack),
        &clients.timing,
        clients.timing.stack,
        || async {
            let out = clients
                .cloudformation
                .describe_stacks()
                .stack_name(stack)
                .send()
                .await
                .map_err(on("DescribeStacks", stack_res(stack)))?;
            let Some(s) = out.stacks().first() else {
                return Ok(Poll::Waiting(format!("stack {stack} to be listed")));
            };
            let status = s.stack_status().cloned();
            let text = status.as_ref().map(|s| s.as_str()).unwrap_or("unknown");
            Ok(match status {
                Some(st) if done.contains(&st) => Poll::Done(()),
                _ if text.ends_with("_IN_PROGRESS") => {
                    Poll::Waiting(format!("stack {stack} to finish (now {text})"))
                }
                _ => {
                    return Err(AwsError::new(
                        "DescribeStacks",
                        stack_res(stack),
                        format!(
                            "the stack ended in {text}: {}",
                            s.stack_status_reason().unwrap_or("no reason given")
                        ),
                    )
                    .with_hint("see the stack's events in the CloudFormation console, then run `baken adopt` again: it continues from its receipt"))
                }
            })
        },
    )
    .await
}

/// Deletes the stack (by its id, which stays valid after deletion) and waits for DELETE_COMPLETE.
pub async fn delete_stack(clients: &Clients, stack_id: &str) -> Result<(), AwsError> {
    clients
        .cloudformation
        .delete_stack()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(on("DeleteStack", stack_res(stack_id)))?;
    wait_stack(clients, stack_id, &[StackStatus::DeleteComplete]).await
}

/// The stack (name or id) and the logical id holding each physical id, over every live stack of
/// the region: who owns a name baken wants. Nested stacks are listed like any other.
pub async fn owners(clients: &Clients) -> Result<BTreeMap<String, (String, String)>, AwsError> {
    let mut names = Vec::new();
    let mut pages = clients.cloudformation.list_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("ListStacks", "CloudFormation stacks"))?;
        names.extend(
            page.stack_summaries()
                .iter()
                .filter(|s| s.stack_status() != Some(&StackStatus::DeleteComplete))
                .filter_map(|s| s.stack_name().map(str::to_string)),
        );
    }
    let lists = names.iter().map(|n| async move {
        // A stack deleted between the list and this read holds nothing.
        match resources(clients, n).await {
            Err(e) if is_missing(&e) => Ok((n, Vec::new())),
            other => other.map(|r| (n, r)),
        }
    });
    let mut out = BTreeMap::new();
    for (stack, resources) in futures::future::try_join_all(lists).await? {
        for r in resources {
            if let Some(p) = r.physical_id {
                out.insert(p, (stack.clone(), r.logical_id));
            }
        }
    }
    Ok(out)
}

/// The read-only calls plan, deploy and status make to say which stack holds a name in the way.
/// (What `baken adopt` itself needs is stated by the adoption, beside its own calls.)
pub fn permissions(_: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    use super::permissions::allow;
    vec![allow(
        "CloudFormationFindOwner",
        "cloudformation",
        &["ListStacks", "ListStackResources"],
        vec!["*".into()],
    )]
}
