//! The steps of an adoption against AWS. Each one starts by asking the receipt whether it was
//! done, and records itself there when it is, so any of them may be interrupted and run again.

use std::collections::BTreeMap;

use super::receipt::{Keeper, Receipt, ReceiptError, Step, FORMAT};
use super::{template, Adoption, Fate, Read};
use crate::aws::cloudformation::{
    self as cfn, ChangeSetOutcome, ProposedChange, StackFacts, TemplateSource, TEMPLATE_BODY_MAX,
};
use crate::aws::s3::{self, Object};
use crate::aws::{apigateway, dynamodb, ec2, lambda, logs, AwsError, Clients};
use crate::desired::{ownership_tags, Account};
use crate::model::names::log_group_name;
use crate::model::Mode;
use crate::resource::Kind;

/// The change set a stack's retain update is made through; a left-over one from a crashed run
/// is deleted before a new one is made. (Change set names are a stack's own on AWS; the stack's
/// name is in it too, so that moto, which keeps them account-wide, does not mix two stacks up.)
pub fn change_set_name(stack: &str) -> String {
    let mut name = format!("baken-adopt-retain-{stack}");
    name.truncate(128);
    name
}

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("the retain update of stack {stack} would not only set policies: {}; the change set was deleted and nothing was changed\n  hint: the stack has drifted from its template, or a parameter resolves to a new value; fix the stack so that `cdk diff` shows nothing, then run baken adopt again", .changes.iter().map(|c| format!("{} {}{}", c.action, c.logical_id, c.replacement.as_ref().map(|r| format!(" (replacement {r})")).unwrap_or_default())).collect::<Vec<_>>().join(", "))]
    WouldChange {
        stack: String,
        changes: Vec<ProposedChange>,
    },
    #[error("stack {stack} does not retain every resource yet ({missing}), so deleting it would delete them; it was not deleted\n  hint: run baken adopt again: it makes the retain update first")]
    NotRetained { stack: String, missing: String },
    #[error("the retain template of stack {stack} is {bytes} bytes, over the {TEMPLATE_BODY_MAX} bytes CloudFormation takes inline, and there is no CDK bootstrap bucket ({} stack) to give it by URL\n  hint: run `cdk bootstrap` in this account and region, then baken adopt again: it continues from its receipt", cfn::CDK_TOOLKIT)]
    NoBucket { stack: String, bytes: usize },
    #[error("CloudFormation deleted {resources} of stack {stack} instead of leaving them\n  hint: restore tables from the backups the receipt lists (aws dynamodb restore-table-from-backup), then run baken deploy")]
    Deleted { stack: String, resources: String },
}

/// Reads the stacks, who imports their exports, and the live image of each instance that a
/// stack's SSM image parameter feeds (the pin that keeps the retain update from replacing it).
pub async fn read(clients: &Clients, names: &[String]) -> Result<Read, AwsError> {
    let reads = names
        .iter()
        .map(|n| async move { cfn::read_stack(clients, n).await.map(|f| (n.clone(), f)) });
    let stacks = futures::future::try_join_all(reads).await?;
    let exports: Vec<String> = stacks
        .iter()
        .filter_map(|(_, f)| f.as_ref())
        .flat_map(|f| f.exports.iter().cloned())
        .collect();
    let imports = exports
        .iter()
        .map(|e| async move { cfn::importers(clients, e).await.map(|i| (e.clone(), i)) });
    let pins = stacks
        .iter()
        .filter_map(|(_, f)| f.as_ref())
        .map(|f| async move { pins_of(clients, f).await.map(|p| (f.name.clone(), p)) });
    let (importers, pins, template_bucket) = futures::future::try_join3(
        futures::future::try_join_all(imports),
        futures::future::try_join_all(pins),
        cfn::bootstrap_bucket(clients),
    )
    .await?;
    Ok(Read {
        stacks,
        importers: importers.into_iter().collect(),
        pins: pins.into_iter().collect(),
        loose_log_groups: Vec::new(),
        template_bucket,
    })
}

/// The log groups with `baken_stack`'s names that no baken stack owns: those Lambda made at a
/// function's first run, which no CloudFormation stack lists.
pub async fn loose_log_groups(
    clients: &Clients,
    baken_stack: &str,
) -> Result<Vec<String>, AwsError> {
    Ok(logs::read(clients, baken_stack, &[])
        .await?
        .into_iter()
        .filter(|g| g.owner == crate::live::Owner::Unmanaged)
        .map(|g| g.id.name)
        .collect())
}

/// Each SSM image parameter of the stack → the image of the live instance that uses it, else
/// the value CloudFormation last resolved it to.
async fn pins_of(clients: &Clients, f: &StackFacts) -> Result<BTreeMap<String, String>, AwsError> {
    let Ok(parsed) = template::parse(&f.name, &f.template) else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
    for (param, users) in template::ssm_image_parameters(&parsed) {
        let instance = f
            .resources
            .iter()
            .find(|r| r.resource_type == "AWS::EC2::Instance" && users.contains(&r.logical_id));
        let live = match instance.and_then(|r| r.physical_id.as_deref()) {
            Some(id) => ec2::instance_image(clients, id).await?,
            None => None,
        };
        let resolved = f
            .parameters
            .iter()
            .find(|p| p.key == param)
            .and_then(|p| p.resolved.clone());
        if let Some(v) = live.or(resolved) {
            out.insert(param, v);
        }
    }
    Ok(out)
}

/// The receipt of a new adoption, written before the first change.
pub async fn start(
    adoption: &Adoption,
    baken_stack: &str,
    account: &Account,
    mode: Mode,
    keep: &Keeper<'_>,
) -> Result<Receipt, ReceiptError> {
    let receipt = Receipt {
        format: FORMAT,
        baken_stack: baken_stack.to_string(),
        account: account.id.clone(),
        region: account.region.clone(),
        mode,
        stacks: adoption.facts.clone(),
        resources: adoption.resources.clone(),
        backups: BTreeMap::new(),
        done: Vec::new(),
        template_bucket: adoption.template_bucket.clone(),
        uploads: BTreeMap::new(),
    };
    keep.save(&receipt).await?;
    Ok(receipt)
}

fn adopted_tables(receipt: &Receipt) -> Vec<String> {
    receipt
        .resources
        .iter()
        .filter(|d| d.fate == Fate::Adopted)
        .filter_map(|d| d.becomes.as_ref())
        .filter(|b| b.kind == Kind::Table)
        .map(|b| b.name.clone())
        .collect()
}

/// On-demand backups of the kept tables, each ARN recorded as soon as AWS gives it, then a wait
/// until every one is AVAILABLE.
pub async fn back_up(
    clients: &Clients,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
) -> Result<(), StepError> {
    if receipt.is_done(&Step::BackedUp) {
        return Ok(());
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    for table in adopted_tables(receipt) {
        if receipt.backups.contains_key(&table) {
            continue;
        }
        let arn = dynamodb::create_backup(clients, &table, &format!("baken-adopt-{table}-{stamp}"))
            .await?;
        receipt.backups.insert(table, arn);
        keep.save(receipt).await?;
    }
    let waits = receipt
        .backups
        .iter()
        .map(|(table, arn)| dynamodb::wait_backup(clients, table, arn));
    futures::future::try_join_all(waits).await?;
    receipt.mark(Step::BackedUp, keep).await?;
    Ok(())
}

/// The retain update of one stack, through a change set that must change policies only.
pub async fn retain(
    clients: &Clients,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
    facts: &StackFacts,
) -> Result<(), StepError> {
    let step = Step::Retained(facts.name.clone());
    if receipt.is_done(&step) {
        return Ok(());
    }
    let pins = pins_of(clients, facts).await?;
    let retained = template::retain(&facts.name, &facts.template, &pins)?;
    let source = template_source(clients, receipt, keep, &facts.name, &retained.body).await?;
    // Change sets are made by stack name (the stack is live until the next step).
    let stack = facts.name.as_str();
    let change_set = change_set_name(stack);
    cfn::delete_change_set(clients, stack, &change_set).await?;
    let outcome =
        cfn::create_change_set(clients, stack, &change_set, &source, &retained.parameters).await?;
    match outcome {
        ChangeSetOutcome::Ready(changes) => {
            let unsafe_changes: Vec<ProposedChange> = changes
                .into_iter()
                .filter(|c| !c.keeps_resource())
                .collect();
            if !unsafe_changes.is_empty() {
                cfn::delete_change_set(clients, stack, &change_set).await?;
                remove_upload(clients, receipt, keep, stack).await?;
                return Err(StepError::WouldChange {
                    stack: facts.name.clone(),
                    changes: unsafe_changes,
                });
            }
            cfn::execute_change_set(clients, stack, &change_set).await?;
        }
        // AWS found no resource to change: the update was made before (a re-run), or the
        // policies are all that differs and the change set does not count them. In the second
        // case the template goes as a plain update, which changes no resource either.
        ChangeSetOutcome::NoChanges => {
            if !live_template_retains(clients, stack).await? {
                cfn::update_stack(clients, stack, &source, &retained.parameters).await?;
            }
        }
    }
    receipt.mark(step, keep).await?;
    Ok(())
}

/// Where the retain template of `stack` goes in the bootstrap bucket: one key per stack, so a
/// re-run after a crash writes the same object again.
fn upload_key(baken_stack: &str, stack: &str) -> String {
    format!("baken/{baken_stack}/{stack}.retain.template.json")
}

/// The retain template as CloudFormation takes it: inline up to 51,200 bytes, else put in the
/// bootstrap bucket first (recorded in the receipt, so the object is removed even after a crash)
/// and given by URL.
async fn template_source(
    clients: &Clients,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
    stack: &str,
    body: &str,
) -> Result<TemplateSource, StepError> {
    if cfn::fits_inline(body) {
        return Ok(TemplateSource::Body(body.to_string()));
    }
    // The plan found the bucket; a receipt without one (the bootstrap stack was made since)
    // looks again.
    let bucket = match receipt.template_bucket.clone() {
        Some(b) => b,
        None => cfn::bootstrap_bucket(clients)
            .await?
            .ok_or_else(|| StepError::NoBucket {
                stack: stack.to_string(),
                bytes: body.len(),
            })?,
    };
    receipt.template_bucket = Some(bucket.clone());
    let object = Object {
        bucket,
        key: upload_key(&receipt.baken_stack, stack),
    };
    receipt.uploads.insert(stack.to_string(), object.clone());
    keep.save(receipt).await?;
    s3::put(clients, &object, body).await?;
    Ok(TemplateSource::Url(object.url(&receipt.region)))
}

/// Removes the retain template of `stack` from the bucket, if baken put one there.
async fn remove_upload(
    clients: &Clients,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
    stack: &str,
) -> Result<(), StepError> {
    if let Some(object) = receipt.uploads.get(stack).cloned() {
        s3::delete(clients, &object).await?;
        receipt.uploads.remove(stack);
        keep.save(receipt).await?;
    }
    Ok(())
}

/// Whether the stack's live template retains every resource.
async fn live_template_retains(clients: &Clients, stack: &str) -> Result<bool, StepError> {
    let Some((_, live)) = cfn::status_and_template(clients, stack).await? else {
        return Ok(false);
    };
    Ok(template::all_retained(&template::parse(stack, &live)?))
}

/// Deletes one stack once its live template retains every resource, and checks that
/// CloudFormation deleted none of them.
pub async fn delete(
    clients: &Clients,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
    facts: &StackFacts,
) -> Result<(), StepError> {
    let step = Step::Deleted(facts.name.clone());
    if receipt.is_done(&step) {
        return Ok(());
    }
    // Read again by id: after a crash the stack may already be gone (DELETE_COMPLETE).
    if let Some((status, live)) = cfn::status_and_template(clients, &facts.id).await? {
        if status != "DELETE_COMPLETE" {
            let missing = template::not_retained(&template::parse(&facts.name, &live)?);
            if !missing.is_empty() {
                return Err(StepError::NotRetained {
                    stack: facts.name.clone(),
                    missing: missing.join(", "),
                });
            }
            cfn::delete_stack(clients, &facts.id).await?;
        }
    }
    // AWS marks each retained resource DELETE_SKIPPED. (moto lists every resource of a deleted
    // stack as CREATE_COMPLETE; only a DELETE_COMPLETE is a resource lost.)
    let after = cfn::resources(clients, &facts.id).await?;
    let deleted: Vec<String> = after
        .iter()
        .filter(|r| r.status == "DELETE_COMPLETE")
        .map(|r| format!("{} ({})", r.logical_id, r.resource_type))
        .collect();
    if !deleted.is_empty() {
        return Err(StepError::Deleted {
            stack: facts.name.clone(),
            resources: deleted.join(", "),
        });
    }
    // The stack is gone: its template in the bucket has served.
    remove_upload(clients, receipt, keep, &facts.name).await?;
    receipt.mark(step, keep).await?;
    Ok(())
}

/// baken's ownership tags on every adopted table, function, REST API and log group, and on the
/// log groups Lambda made for the adopted functions (a CDK app rarely declares them).
pub async fn tag(
    clients: &Clients,
    receipt: &mut Receipt,
    keep: &Keeper<'_>,
    account: &Account,
) -> Result<(), StepError> {
    if receipt.is_done(&Step::Tagged) {
        return Ok(());
    }
    let stack = receipt.baken_stack.clone();
    let tags = ownership_tags(&stack);
    let mut groups: Vec<String> = Vec::new();
    for d in receipt.resources.iter().filter(|d| d.fate == Fate::Adopted) {
        let Some(b) = &d.becomes else { continue };
        match b.kind {
            Kind::Table => {
                dynamodb::adopt(clients, &account.table_arn(&b.name), &b.name, &tags).await?
            }
            Kind::Function => {
                lambda::adopt(clients, &account.function_arn(&b.name), &b.name, &tags).await?;
                groups.push(log_group_name(&b.name));
            }
            Kind::RestApi => {
                let id = d.physical_id.as_deref().unwrap_or_default();
                apigateway::adopt_api(clients, id, &b.name, &tags).await?
            }
            Kind::LogGroup => groups.push(b.name.clone()),
            _ => {}
        }
    }
    groups.sort();
    groups.dedup();
    for g in groups {
        logs::adopt(clients, &g, &stack, &tags).await?;
    }
    receipt.mark(Step::Tagged, keep).await?;
    Ok(())
}
