//! `baken adopt`: taking over the resources of CloudFormation stacks (the AWS CDK app baken
//! replaces, whose tables, functions and REST API have baken's names) with no data lost.
//!
//! The way over, each step recorded in a receipt before the next (`receipt`), so a re-run after
//! a crash continues where it stopped (`steps`):
//! 1. the preflight (`preflight`): every stack exists and is settled, none is protected, no stack
//!    outside the set imports their exports;
//! 2. on-demand backups of the tables that are kept;
//! 3. the retain update (`template`): every resource gets `DeletionPolicy: Retain`, through a
//!    change set that is refused if it would replace or remove anything;
//! 4. `DeleteStack`, importers first: every resource stays, owned by no stack;
//! 5. baken's ownership tags on what it keeps; then an ordinary deploy converges it in place.
//!
//! The plan of an adoption is a value (`Adoption`), computed from what was read and rendered by
//! the CLI; `classify` decides each resource's fate.

pub mod carry;
pub mod classify;
pub mod cleanup;
pub mod hold;
pub mod permissions;
pub mod preflight;
pub mod preview;
pub mod receipt;
pub mod render;
pub mod steps;
pub mod template;

use std::collections::BTreeMap;

use serde::Serialize;

pub use classify::{Disposition, Fate, Wanted};
pub use preflight::Refusal;

use crate::aws::cloudformation::{fits_inline, StackFacts, StackResource};

/// The CDK app's stacks: `cdk deploy BakenKaigiApiStack` in mock mode, and with
/// `--context jravan=true` the JRA-VAN server stack too. `--from-cdk-app` takes those that exist.
/// (`cdk/app.py` names them so; the API stack imports the server stack's exports.)
pub const CDK_APP_STACKS: [&str; 2] = ["BakenKaigiApiStack", "JraVanServerStack"];

/// What an adoption is computed from.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// Each stack asked for, and what was found (None: no such stack).
    pub stacks: Vec<(String, Option<StackFacts>)>,
    /// Export name → the stacks importing it.
    pub importers: BTreeMap<String, Vec<String>>,
    /// Stack → SSM parameter → the value it is pinned to (the live instance's image).
    pub pins: BTreeMap<String, BTreeMap<String, String>>,
    /// Log groups with baken's names that no baken stack owns: those Lambda made at a
    /// function's first run, which no CloudFormation stack lists either.
    pub loose_log_groups: Vec<String>,
    /// The CDK bootstrap bucket, for retain templates too large to go inline.
    pub template_bucket: Option<String>,
}

/// One stack in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct StackPlan {
    pub name: String,
    pub status: String,
    pub resources: usize,
    /// The retain template's size, against CloudFormation's inline limit.
    pub retain_template_bytes: usize,
    /// How the retain template reaches CloudFormation: `inline`, or the bucket it goes through.
    pub retain_template_via: String,
    /// What the retain template changes besides the policies.
    pub retain_notes: Vec<String>,
}

/// The adoption as a value: each stack in the order it is deleted, what happens to each resource,
/// and what refuses it.
#[derive(Debug, Clone, Serialize)]
pub struct Adoption {
    pub stacks: Vec<StackPlan>,
    pub resources: Vec<Disposition>,
    /// The tables backed up before the first change.
    pub backups: Vec<String>,
    pub refusals: Vec<Refusal>,
    /// The CDK bootstrap bucket that large retain templates go through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_bucket: Option<String>,
    /// The facts of each stack, in deletion order (for the receipt).
    #[serde(skip)]
    pub facts: Vec<StackFacts>,
}

/// Importers before the stacks whose exports they import (CloudFormation refuses to delete a
/// stack while another imports its export); otherwise in the order asked.
fn deletion_order(
    stacks: Vec<StackFacts>,
    importers: &BTreeMap<String, Vec<String>>,
) -> Vec<StackFacts> {
    let mut left = stacks;
    let mut out = Vec::new();
    while !left.is_empty() {
        // A stack may go once no stack still left imports one of its exports.
        let ready = left.iter().position(|s| {
            !s.exports.iter().any(|e| {
                importers.get(e).is_some_and(|users| {
                    users
                        .iter()
                        .any(|u| *u != s.name && left.iter().any(|l| l.name == *u))
                })
            })
        });
        out.push(left.remove(ready.unwrap_or(0)));
    }
    out
}

/// The stack's resources as ListStackResources gives them, and any the template declares that
/// it does not list. (AWS lists every one; moto lists a type it cannot create, such as
/// `AWS::ApiGateway::Stage`, with no logical id.)
fn listed_with_template(
    listed: &[StackResource],
    entries: Option<&serde_json::Value>,
) -> Vec<StackResource> {
    let mut out: Vec<StackResource> = listed
        .iter()
        .filter(|r| !r.logical_id.is_empty())
        .cloned()
        .collect();
    for (logical, entry) in entries.and_then(|e| e.as_object()).into_iter().flatten() {
        if !out.iter().any(|r| &r.logical_id == logical) {
            out.push(StackResource {
                logical_id: logical.clone(),
                resource_type: entry["Type"].as_str().unwrap_or_default().to_string(),
                physical_id: None,
                status: String::new(),
            });
        }
    }
    out
}

/// The wanted log groups of `loose` that no stack resource is: kept with the functions they log.
fn loose_log_groups(loose: &[String], stacks: &[Disposition], wanted: &Wanted) -> Vec<Disposition> {
    loose
        .iter()
        .filter(|g| wanted.log_groups.contains(*g))
        .filter(|g| !stacks.iter().any(|d| d.physical_id.as_ref() == Some(*g)))
        .map(|g| Disposition {
            stack: String::new(),
            logical_id: String::new(),
            resource_type: "AWS::Logs::LogGroup".into(),
            physical_id: Some(g.clone()),
            fate: Fate::Adopted,
            why: "made by Lambda at the function's first run, in no stack; its logs stay and baken sets its retention".into(),
            becomes: Some(crate::resource::ResourceId::new(crate::resource::Kind::LogGroup, g.clone())),
        })
        .collect()
}

/// The adoption of `read.stacks` into the stack whose names are `wanted`.
pub fn plan(read: Read, wanted: &Wanted) -> Adoption {
    let requested: Vec<String> = read.stacks.iter().map(|(n, _)| n.clone()).collect();
    let mut refusals = Vec::new();
    let mut found = Vec::new();
    for (name, facts) in read.stacks {
        match facts {
            Some(f) => found.push(f),
            None => refusals.push(preflight::missing(&name)),
        }
    }
    let facts = deletion_order(found, &read.importers);
    let mut stacks = Vec::new();
    let mut resources = Vec::new();
    for f in &facts {
        refusals.extend(preflight::check(f, &requested, &read.importers));
        let parsed = template::parse(&f.name, &f.template);
        let no_pins = BTreeMap::new();
        let pins = read.pins.get(&f.name).unwrap_or(&no_pins);
        let retained = template::retain(&f.name, &f.template, pins);
        match &retained {
            Err(e) => refusals.push(preflight::bad_template(&f.name, e)),
            Ok(r) => refusals.extend(preflight::size(
                &f.name,
                r.body.len(),
                read.template_bucket.as_deref(),
            )),
        }
        let entries = parsed.as_ref().ok().and_then(|t| t.get("Resources"));
        let entry = |logical: &str| entries.and_then(|e| e.get(logical));
        let listed = listed_with_template(&f.resources, entries);
        let adopted_api = listed.iter().find_map(|r| {
            let d = classify::classify(&f.name, r, entry(&r.logical_id), wanted, None);
            (d.fate == Fate::Adopted && r.resource_type == "AWS::ApiGateway::RestApi")
                .then(|| r.logical_id.clone())
        });
        let mut mine: Vec<Disposition> = listed
            .iter()
            .map(|r| {
                classify::classify(
                    &f.name,
                    r,
                    entry(&r.logical_id),
                    wanted,
                    adopted_api.as_deref(),
                )
            })
            .collect();
        classify::keep_what_stays_uses(&mut mine, entries);
        for d in mine.iter().filter(|d| d.fate == Fate::Adopted) {
            let Some(b) = d
                .becomes
                .as_ref()
                .filter(|b| b.kind == crate::resource::Kind::Table)
            else {
                continue;
            };
            let wanted_key = wanted
                .tables
                .get(&b.name)
                .map(String::as_str)
                .unwrap_or_default();
            refusals.extend(preflight::table_key(
                &f.name,
                &b.name,
                entry(&d.logical_id),
                wanted_key,
            ));
        }
        resources.extend(mine);
        stacks.push(StackPlan {
            name: f.name.clone(),
            status: f.status.clone(),
            resources: listed.len(),
            retain_template_bytes: retained.as_ref().map(|r| r.body.len()).unwrap_or(0),
            retain_template_via: match (&retained, &read.template_bucket) {
                (Ok(r), Some(b)) if !fits_inline(&r.body) => format!("s3://{b}"),
                _ => "inline".into(),
            },
            retain_notes: retained.map(|r| r.notes).unwrap_or_default(),
        });
    }
    resources.extend(loose_log_groups(&read.loose_log_groups, &resources, wanted));
    let backups = resources
        .iter()
        .filter(|d| d.fate == Fate::Adopted && d.resource_type == "AWS::DynamoDB::Table")
        .filter_map(|d| d.becomes.as_ref().map(|b| b.name.clone()))
        .collect();
    Adoption {
        stacks,
        resources,
        backups,
        refusals,
        template_bucket: read.template_bucket,
        facts,
    }
}

#[cfg(test)]
mod tests;
