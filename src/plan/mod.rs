//! The plan as a value: what to create, update (attribute by attribute), replace or delete, and in
//! which order. Computed from the desired and the live state without any AWS call; rendered by
//! `render.rs`, carried out by the engine (`apply`).

mod guards;
mod order;
mod policy_diff;
pub mod render;
#[cfg(test)]
mod rendered;
pub mod saved;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::desired::{api::API_ID, Desired, FunctionAttr, Spec};
use crate::live::{Duplicate, Health, LiveState, Owner};
use crate::model::Mode;
use crate::resource::refs::{self, Refs};
use crate::resource::{Attrs, Kind, ResourceId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub attribute: String,
    /// None: absent in AWS.
    pub live: Option<String>,
    /// None: AWS has it, the manifest does not want it.
    pub wanted: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update {
        changes: Vec<Change>,
    },
    Replace {
        reason: String,
        changes: Vec<Change>,
    },
    Delete {
        holds_data: bool,
    },
}

impl Action {
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update { .. } => "update",
            Action::Replace { .. } => "replace",
            Action::Delete { .. } => "delete",
        }
    }

    pub fn changes(&self) -> &[Change] {
        match self {
            Action::Update { changes } | Action::Replace { changes, .. } => changes,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub resource: ResourceId,
    #[serde(flatten)]
    pub action: Action,
    /// Steps of this plan that must finish first.
    pub after: Vec<ResourceId>,
}

/// A resource with one of our names that this stack does not own.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub resource: ResourceId,
    #[serde(flatten)]
    pub owner: Owner,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unhealthy {
    pub resource: ResourceId,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub stack: String,
    pub mode: Mode,
    /// In execution order.
    pub steps: Vec<Step>,
    pub in_sync: Vec<ResourceId>,
    pub conflicts: Vec<Conflict>,
    pub unhealthy: Vec<Unhealthy>,
    /// Resources found more than once: the copy kept, and the extra ones the steps delete.
    pub duplicates: Vec<Duplicate>,
    /// Replacements deploy does not do unasked: they lose data, or AWS would refuse the delete.
    pub guarded_replacements: Vec<Guarded>,
    /// Deletions that lose what deploying again does not bring back: they need
    /// `--allow-data-loss`, or the stack's name typed at a terminal.
    pub destructive: Vec<Destructive>,
    /// What the stack needs but baken does not create: deploy refuses until it exists.
    pub missing: Vec<Missing>,
}

/// A prerequisite the user makes (a secret baken must never hold), with how to make it.
#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    pub what: &'static str,
    pub name: String,
    /// The command that creates it.
    pub create_with: String,
}

impl Missing {
    /// The JRA-VAN service key: a SecureString parameter the gateway reads at start.
    pub fn service_key(parameter: &str, region: &str) -> Missing {
        Missing {
            what: "the JRA-VAN service key parameter",
            name: parameter.to_string(),
            create_with: format!(
                "aws ssm put-parameter --region {region} --type SecureString --name {parameter} --value '<your JRA-VAN service key>'"
            ),
        }
    }
}

/// A step that deletes a table (and its items) or terminates the gateway instance (and the
/// JV-Link data on it).
#[derive(Debug, Clone, Serialize)]
pub struct Destructive {
    pub resource: ResourceId,
    pub loses: &'static str,
    /// A table's item count as DynamoDB last estimated it (it refreshes it about every six hours).
    pub items: Option<i64>,
}

/// A replacement that needs a flag (`flag`), or that deploy refuses (`flag` None).
#[derive(Debug, Clone, Serialize)]
pub struct Guarded {
    pub resource: ResourceId,
    /// What the replacement costs, or what still uses the resource.
    pub reason: String,
    pub flag: Option<&'static str>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn count(&self, verb: &str) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action.verb() == verb)
            .count()
    }
}

/// The desired attributes with the REST API's id and the other resources' AWS ids filled in
/// where they are known (in names of set members too: `vpc subnet subnet-…`).
pub fn wanted_attrs(d: &Desired, api_id: Option<&str>, known: &Refs) -> Attrs {
    let fill = |text: &str| {
        let text = match api_id {
            Some(id) if text.contains(API_ID) => text.replace(API_ID, id),
            _ => text.to_string(),
        };
        refs::fill_known(&text, known)
    };
    d.spec
        .attrs()
        .iter()
        .map(|(k, v)| (fill(k), fill(v)))
        .collect()
}

/// The changes from `live` to `wanted` of a resource of `kind`; the live-only attributes the kind
/// ignores when unwanted (`Wanted::IGNORED_WHEN_UNWANTED`) are not changes.
pub fn diff(kind: Kind, wanted: &Attrs, live: &Attrs) -> Vec<Change> {
    let ignored = kind.ignored_when_unwanted();
    let keys: BTreeSet<&String> = wanted.keys().chain(live.keys()).collect();
    keys.into_iter()
        .filter(|k| wanted.contains_key(*k) || !ignored.contains(&k.as_str()))
        .filter_map(|k| {
            let (w, l) = (wanted.get(k), live.get(k));
            (w != l).then(|| Change {
                attribute: k.clone(),
                live: l.cloned(),
                wanted: w.cloned(),
            })
        })
        .collect()
}

/// Compares desired with live. `desired` is in creation order; deletions come after everything
/// else, in reverse kind order.
pub fn compute(stack: &str, mode: Mode, desired: &[Desired], live: &LiveState) -> Plan {
    let mut plan = compute_replacing(stack, mode, desired, live);
    plan.guarded_replacements = guards::guarded(&plan.steps, desired, live);
    plan.destructive = guards::destructive(&plan.steps, live);
    plan
}

fn compute_replacing(stack: &str, mode: Mode, desired: &[Desired], live: &LiveState) -> Plan {
    let first = compute_with(stack, mode, desired, live, &live.refs);
    // A replaced resource gets new AWS ids: what refers to it must be planned against the ids it
    // will have, not the ones it has (the Elastic IP follows a new instance, the functions its new
    // private IP).
    let replaced: Vec<&ResourceId> = first
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Replace { .. }))
        .map(|s| &s.resource)
        .collect();
    if replaced.is_empty() {
        return first;
    }
    let mut known = live.refs.clone();
    for id in replaced {
        known.remove(&refs::id_key(id.kind, &id.name));
        known.remove(&refs::private_ip_key(&id.name));
    }
    compute_with(stack, mode, desired, live, &known)
}

fn compute_with(
    stack: &str,
    mode: Mode,
    desired: &[Desired],
    live: &LiveState,
    known: &Refs,
) -> Plan {
    let mut plan = Plan {
        stack: stack.to_string(),
        mode,
        steps: Vec::new(),
        in_sync: Vec::new(),
        conflicts: Vec::new(),
        unhealthy: Vec::new(),
        duplicates: live.duplicates.clone(),
        guarded_replacements: Vec::new(),
        destructive: Vec::new(),
        missing: Vec::new(),
    };
    let mut actions: BTreeMap<ResourceId, Action> = BTreeMap::new();
    for d in desired {
        let Some(l) = live.get(&d.id) else {
            actions.insert(d.id.clone(), Action::Create);
            continue;
        };
        if l.owner != Owner::Ours {
            plan.conflicts.push(Conflict {
                resource: d.id.clone(),
                owner: l.owner.clone(),
            });
            continue;
        }
        let mut changes = diff(
            d.id.kind,
            &wanted_attrs(d, live.api_id.as_deref(), known),
            &l.attrs,
        );
        if let Health::Unhealthy(reason) = &l.health {
            plan.unhealthy.push(Unhealthy {
                resource: d.id.clone(),
                reason: reason.clone(),
            });
            // A failed function is repaired by uploading its code again.
            if d.id.kind == Kind::Function {
                changes.push(Change {
                    attribute: FunctionAttr::Health.key(),
                    live: Some(reason.clone()),
                    wanted: Some("active".into()),
                });
            }
        }
        if changes.is_empty() {
            plan.in_sync.push(d.id.clone());
        } else if let Some((c, rule)) = changes.iter().find_map(|c| {
            d.spec
                .replaced_on()
                .iter()
                .find(|r| r.attribute == c.attribute)
                .map(|r| (c, r))
        }) {
            let reason = format!("{} cannot change in place: {}", c.attribute, rule.why);
            actions.insert(d.id.clone(), Action::Replace { reason, changes });
        } else {
            actions.insert(d.id.clone(), Action::Update { changes });
        }
    }

    // Creation order: a step waits for the steps of the resources it depends on.
    for d in desired {
        if let Some(action) = actions.remove(&d.id) {
            let after = d
                .depends_on
                .iter()
                .filter(|dep| plan_has(&plan.steps, dep))
                .cloned()
                .collect();
            plan.steps.push(Step {
                resource: d.id.clone(),
                action,
                after,
            });
        }
    }

    // Deletions wait for every other step: a function leaves the VPC before its subnets and
    // security group go, a resource moves off what is about to be deleted first.
    let others: Vec<ResourceId> = plan.steps.iter().map(|s| s.resource.clone()).collect();
    plan.steps
        .extend(deletions(desired, live).into_iter().map(|mut s| {
            s.after.extend(others.iter().cloned());
            s
        }));
    order::defer_vpc_revocations(&mut plan.steps, desired);
    plan
}

fn plan_has(steps: &[Step], id: &ResourceId) -> bool {
    steps.iter().any(|s| &s.resource == id)
}

/// Owned live resources nobody wants, children of a deleted REST API left to go with it.
fn deletions(desired: &[Desired], live: &LiveState) -> Vec<Step> {
    let wanted: BTreeSet<&ResourceId> = desired.iter().map(|d| &d.id).collect();
    let mut doomed: Vec<&ResourceId> = live
        .resources
        .values()
        .filter(|l| l.owner == Owner::Ours && !wanted.contains(&l.id))
        .map(|l| &l.id)
        .collect();
    // A duplicate REST API goes alone: the children read are the kept one's.
    let api_goes = doomed
        .iter()
        .any(|id| id.kind == Kind::RestApi && id.copy.is_none());
    let doomed_paths: Vec<String> = doomed
        .iter()
        .filter(|id| id.kind == Kind::ApiResource)
        .map(|id| id.name.clone())
        .collect();
    let doomed_functions: Vec<String> = doomed
        .iter()
        .filter(|id| id.kind == Kind::Function)
        .map(|id| id.name.clone())
        .collect();
    doomed.retain(|id| match id.kind {
        Kind::ApiResource | Kind::GatewayResponse | Kind::Stage if api_goes => false,
        // DeleteFunction removes the function's resource policy with it.
        Kind::Permission => !doomed_functions.contains(&id.name),
        // DeleteResource removes the subtree.
        Kind::ApiResource => !doomed_paths
            .iter()
            .any(|p| id.name.starts_with(&format!("{p}/"))),
        _ => true,
    });
    doomed.sort_by(|a, b| b.kind.cmp(&a.kind).then(a.name.cmp(&b.name)));
    doomed
        .iter()
        .map(|id| Step {
            resource: (*id).clone(),
            action: Action::Delete {
                holds_data: id.kind.holds_data(),
            },
            after: doomed
                .iter()
                .filter(|o| id.kind.deleted_after(o.kind))
                .map(|o| (*o).clone())
                .collect(),
        })
        .collect()
}

/// The spec a step of `desired` carries out.
pub fn spec_of<'a>(desired: &'a [Desired], id: &ResourceId) -> Option<&'a Spec> {
    desired.iter().find(|d| &d.id == id).map(|d| &d.spec)
}

#[cfg(test)]
pub(crate) mod tests;
