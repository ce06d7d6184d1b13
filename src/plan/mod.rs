//! The plan as a value: what to create, update (attribute by attribute), replace or delete, and in
//! which order. Computed from the desired and the live state without any AWS call; rendered by
//! `render.rs`, carried out by `crate::engine::apply`.

mod policy_diff;
pub mod render;
#[cfg(test)]
mod rendered;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::desired::gateway::{DocumentAttr, InstanceAttr};
use crate::desired::{api::API_ID, Desired, FunctionAttr, ReplaceRisk, RoleAttr, Spec};
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

/// Live-only attributes that mean nothing when the desired side does not state them: the code
/// hash is unknown to commands that do not build.
/// The same holds for the gateway's user data and code, which only deploy renders.
const IGNORED_WHEN_UNWANTED: [&str; 4] = [
    FunctionAttr::CodeSha256.name(),
    InstanceAttr::UserDataSha256.name(),
    InstanceAttr::GatewayCode.name(),
    DocumentAttr::ContentSha256.name(),
];

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

pub fn diff(wanted: &Attrs, live: &Attrs) -> Vec<Change> {
    let keys: BTreeSet<&String> = wanted.keys().chain(live.keys()).collect();
    keys.into_iter()
        .filter(|k| wanted.contains_key(*k) || !IGNORED_WHEN_UNWANTED.contains(&k.as_str()))
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
    plan.guarded_replacements = guarded(&plan.steps, desired, live);
    plan.destructive = destructive(&plan.steps, live);
    plan
}

/// The deletions of tables and of the gateway instance. (Their replacements are guarded by their
/// own flags, `--replace-table` and `--replace-instance`.)
fn destructive(steps: &[Step], live: &LiveState) -> Vec<Destructive> {
    steps
        .iter()
        .filter(|s| matches!(s.action, Action::Delete { .. }))
        .filter_map(|s| {
            let loses = match s.resource.kind {
                Kind::Table => "the table and every item in it",
                Kind::Instance => "the gateway instance and the JV-Link data downloaded to it",
                _ => return None,
            };
            Some(Destructive {
                resource: s.resource.clone(),
                loses,
                items: live.get(&s.resource).and_then(|l| l.item_count),
            })
        })
        .collect()
}

/// The replacements of `steps` that lose something or that AWS would refuse: a VPC, subnet, route
/// table or security group is never deleted while something still uses it (its delete would sit
/// in DependencyViolation retries for the whole interface-release bound).
fn guarded(steps: &[Step], desired: &[Desired], live: &LiveState) -> Vec<Guarded> {
    let mut out = Vec::new();
    for step in steps {
        let (Action::Replace { .. }, Some(spec)) = (&step.action, spec_of(desired, &step.resource))
        else {
            continue;
        };
        match spec.replace_risk() {
            ReplaceRisk::None => {}
            ReplaceRisk::Loses { flag, what } => out.push(Guarded {
                resource: step.resource.clone(),
                reason: what.to_string(),
                flag: Some(flag),
            }),
            ReplaceRisk::InUse => {
                let Some(aws_id) = live.get(&step.resource).and_then(|l| l.aws_id.as_deref())
                else {
                    continue;
                };
                let users: Vec<String> = live
                    .resources
                    .values()
                    .filter(|r| r.id.name != step.resource.name && r.refers_to(aws_id))
                    .map(|r| r.id.to_string())
                    .collect();
                if !users.is_empty() {
                    out.push(Guarded {
                        resource: step.resource.clone(),
                        reason: format!(
                            "AWS refuses to delete it while {} use{} it",
                            users.join(", "),
                            if users.len() == 1 { "s" } else { "" }
                        ),
                        flag: None,
                    });
                }
            }
        }
    }
    out
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
        let mut changes = diff(&wanted_attrs(d, live.api_id.as_deref(), known), &l.attrs);
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
    defer_vpc_revocations(&mut plan.steps, desired);
    plan
}

/// Leaving jravan mode, a role loses its network-interface permissions only after the functions
/// have left the VPC and the security groups and subnets (whose deletion waits for Lambda to
/// release the interfaces) are gone: Lambda uses the role to clean the interfaces up. The edge is
/// typed: a role update whose spec grants no VPC access (`RoleSpec::vpc_access`), in a plan that
/// deletes network, waits for that network. (It was found by searching the rendered policy for
/// a statement id, which missed a live policy that names the statement differently.)
fn defer_vpc_revocations(steps: &mut Vec<Step>, desired: &[Desired]) {
    let network: Vec<ResourceId> = steps
        .iter()
        .filter(|s| {
            matches!(s.action, Action::Delete { .. })
                && matches!(s.resource.kind, Kind::SecurityGroup | Kind::Subnet)
        })
        .map(|s| s.resource.clone())
        .collect();
    if network.is_empty() {
        return;
    }
    let revokes = |s: &Step| {
        matches!(s.action, Action::Update { .. })
            && s.action
                .changes()
                .iter()
                .any(|c| matches!(RoleAttr::parse(&c.attribute), Some(RoleAttr::Policy(_))))
            && matches!(spec_of(desired, &s.resource), Some(Spec::Role(r)) if !r.vpc_access)
    };
    let deferred: Vec<ResourceId> = steps
        .iter()
        .filter(|s| revokes(s))
        .map(|s| s.resource.clone())
        .collect();
    if deferred.is_empty() {
        return;
    }
    let functions: Vec<ResourceId> = steps
        .iter()
        .filter(|s| s.resource.kind == Kind::Function)
        .map(|s| s.resource.clone())
        .collect();
    for s in steps.iter_mut() {
        if deferred.contains(&s.resource) {
            s.after = network.iter().chain(functions.iter()).cloned().collect();
        } else {
            s.after.retain(|a| !deferred.contains(a));
        }
    }
    // Listed where they run: after the deletions.
    let (late, mut rest): (Vec<Step>, Vec<Step>) = std::mem::take(steps)
        .into_iter()
        .partition(|s| deferred.contains(&s.resource));
    rest.extend(late);
    *steps = rest;
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
    doomed.retain(|id| match id.kind {
        Kind::ApiResource | Kind::GatewayResponse | Kind::Stage if api_goes => false,
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
                .filter(|o| o.kind > id.kind)
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
pub(crate) mod tests {
    use super::*;
    use crate::desired::{desired_state, Account, Code};
    use crate::engine::status::{report, State};
    use crate::live::{LiveResource, LiveState};
    use crate::manifest;

    pub(crate) fn desired() -> Vec<Desired> {
        let stack = manifest::parse(std::path::Path::new("t.yaml"), "stack: t\n").unwrap();
        let account = Account {
            id: "123456789012".into(),
            region: stack.region.clone(),
        };
        desired_state(
            &stack,
            crate::desired::Target::Mock,
            &account,
            &Code::Unknown,
        )
    }

    /// The live state of a stack deployed exactly as desired.
    pub(crate) fn deployed(desired: &[Desired]) -> LiveState {
        let mut live = LiveState::default();
        live.api_id = Some("abc".into());
        for d in desired {
            live.insert(LiveResource::new(
                d.id.clone(),
                wanted_attrs(d, Some("abc"), &Refs::new()),
                Owner::Ours,
            ));
        }
        live
    }

    #[test]
    fn nothing_to_do_when_live_matches() {
        let d = desired();
        let plan = compute("t", Mode::Mock, &d, &deployed(&d));
        assert!(plan.is_empty());
        assert_eq!(plan.in_sync.len(), d.len());
        assert!(report(&plan).in_sync());
    }

    #[test]
    fn a_drifted_attribute_is_an_update_naming_live_and_wanted() {
        let d = desired();
        let mut live = deployed(&d);
        let id = ResourceId::new(Kind::Function, "t-get-races");
        live.resources
            .get_mut(&id)
            .unwrap()
            .attrs
            .insert("memory".into(), "512".into());
        let plan = compute("t", Mode::Mock, &d, &live);
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(
            plan.steps[0].action,
            Action::Update {
                changes: vec![Change {
                    attribute: "memory".into(),
                    live: Some("512".into()),
                    wanted: Some("128".into())
                }]
            }
        );
    }

    #[test]
    fn a_role_path_change_is_a_replace_with_its_reason() {
        let d = desired();
        let mut live = deployed(&d);
        let id = ResourceId::new(Kind::Role, "t-get-races");
        live.resources
            .get_mut(&id)
            .unwrap()
            .attrs
            .insert("path".into(), "/".into());
        let plan = compute("t", Mode::Mock, &d, &live);
        assert!(
            matches!(&plan.steps[0].action, Action::Replace { reason, .. } if reason == "path cannot change in place: IAM cannot move a role to another path")
        );
    }

    #[test]
    fn a_failed_function_is_unhealthy_in_status_and_redeployed() {
        let d = desired();
        let mut live = deployed(&d);
        let id = ResourceId::new(Kind::Function, "t-add-to-cart");
        live.resources.get_mut(&id).unwrap().health =
            Health::Unhealthy("state Failed: bad image".into());
        let plan = compute("t", Mode::Mock, &d, &live);
        assert_eq!(plan.steps.len(), 1, "the code is uploaded again");
        let status = report(&plan);
        let entry = status.entries.iter().find(|e| e.resource == id).unwrap();
        assert!(
            matches!(&entry.state, State::Unhealthy { reason } if reason.contains("bad image"))
        );
        assert!(!status.in_sync());
    }

    #[test]
    fn foreign_resources_are_conflicts_and_never_deleted() {
        let d = desired();
        let mut live = deployed(&d);
        let table = ResourceId::new(Kind::Table, "t-cart");
        live.resources.get_mut(&table).unwrap().owner = Owner::OtherStack("u".into());
        // Something of another stack that this stack does not want: left alone.
        let other = ResourceId::new(Kind::Function, "t-extra");
        live.insert(LiveResource::new(
            other.clone(),
            Attrs::new(),
            Owner::OtherStack("u".into()),
        ));
        let plan = compute("t", Mode::Mock, &d, &live);
        assert_eq!(plan.conflicts.len(), 1);
        assert!(plan.steps.is_empty());
    }

    pub(crate) fn jravan_desired() -> Vec<Desired> {
        let stack = manifest::parse(std::path::Path::new("t.yaml"), "stack: t\n").unwrap();
        let account = Account {
            id: "123456789012".into(),
            region: stack.region.clone(),
        };
        let facts = crate::desired::JravanFacts {
            availability_zones: vec!["ap-northeast-1a".into(), "ap-northeast-1c".into()],
            dynamodb_prefix_list: "pl-1".into(),
            ami: "ami-1".into(),
            software: None,
        };
        desired_state(
            &stack,
            crate::desired::Target::Jravan(&facts),
            &account,
            &Code::Unknown,
        )
    }

    /// `jravan::jravan_deploy_…_a_second_deploy_writes_nothing` proves each kind is read back
    /// (a kind nobody reads is created again by every deploy) only if jravan mode has every kind.
    #[test]
    fn the_jravan_desired_state_has_every_kind_so_the_no_op_test_covers_every_reader() {
        let kinds: BTreeSet<Kind> = jravan_desired().iter().map(|d| d.id.kind).collect();
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), Kind::ALL.to_vec());
    }

    fn waits_for(plan: &Plan, step: (Kind, &str), other: (Kind, &str)) -> bool {
        let s = plan
            .steps
            .iter()
            .find(|s| s.resource == ResourceId::new(step.0, step.1))
            .unwrap_or_else(|| panic!("{step:?} in the plan"));
        s.after.contains(&ResourceId::new(other.0, other.1))
    }

    #[test]
    fn a_jravan_teardown_removes_users_before_what_they_use_and_roles_last() {
        let d = jravan_desired();
        let plan = compute("t", Mode::Jravan, &[], &deployed(&d));
        for (step, other) in [
            (
                (Kind::SecurityGroup, "t-lambda-sg"),
                (Kind::Function, "t-get-races"),
            ),
            (
                (Kind::SecurityGroup, "t-gateway-sg"),
                (Kind::Instance, "t-gateway"),
            ),
            (
                (Kind::SecurityGroup, "t-lambda-sg"),
                (Kind::SecurityGroupRules, "t-gateway-sg"),
            ),
            (
                (Kind::Instance, "t-gateway"),
                (Kind::ElasticIp, "t-gateway-eip"),
            ),
            (
                (Kind::Subnet, "t-private-1"),
                (Kind::SecurityGroup, "t-lambda-sg"),
            ),
            (
                (Kind::RouteTable, "t-private-rt"),
                (Kind::VpcEndpoint, "t-dynamodb-endpoint"),
            ),
            (
                (Kind::InternetGateway, "t-igw"),
                (Kind::ElasticIp, "t-gateway-eip"),
            ),
            ((Kind::Vpc, "t-vpc"), (Kind::Subnet, "t-public-1")),
            (
                (Kind::InstanceProfile, "t-gateway"),
                (Kind::Instance, "t-gateway"),
            ),
            ((Kind::Role, "t-get-races"), (Kind::Vpc, "t-vpc")),
            (
                (Kind::Role, "t-gateway"),
                (Kind::InstanceProfile, "t-gateway"),
            ),
        ] {
            assert!(
                waits_for(&plan, step, other),
                "{step:?} waits for {other:?}"
            );
        }
    }

    #[test]
    fn leaving_jravan_detaches_functions_first_and_revokes_vpc_permissions_last() {
        let live = deployed(&jravan_desired());
        let plan = compute("t", Mode::Mock, &desired(), &live);
        // Functions leave the VPC before anything of the network goes.
        assert!(waits_for(
            &plan,
            (Kind::SecurityGroup, "t-lambda-sg"),
            (Kind::Function, "t-get-races")
        ));
        assert!(waits_for(
            &plan,
            (Kind::Subnet, "t-private-1"),
            (Kind::Function, "t-get-races")
        ));
        // The roles lose their network-interface permissions only once the interfaces are gone.
        assert!(waits_for(
            &plan,
            (Kind::Role, "t-get-races"),
            (Kind::SecurityGroup, "t-lambda-sg")
        ));
        assert!(waits_for(
            &plan,
            (Kind::Role, "t-get-races"),
            (Kind::Subnet, "t-private-2")
        ));
        assert!(!waits_for(
            &plan,
            (Kind::Function, "t-get-races"),
            (Kind::Role, "t-get-races")
        ));
        let last = plan.steps.last().unwrap();
        assert_eq!(last.resource.kind, Kind::Role);
    }

    /// Regression: the ordering was found by searching the live policy's JSON for the statement
    /// id `VpcNetworkInterfaces`; a role whose statement is named otherwise lost its permissions
    /// before Lambda had released the interfaces.
    #[test]
    fn vpc_permissions_are_revoked_last_whatever_the_live_statement_is_called() {
        let mut live = deployed(&jravan_desired());
        for r in live
            .resources
            .values_mut()
            .filter(|r| r.id.kind == Kind::Role)
        {
            for v in r.attrs.values_mut() {
                *v = v.replace("VpcNetworkInterfaces", "LambdaEni");
            }
        }
        let plan = compute("t", Mode::Mock, &desired(), &live);
        assert!(waits_for(
            &plan,
            (Kind::Role, "t-get-races"),
            (Kind::SecurityGroup, "t-lambda-sg")
        ));
        assert_eq!(plan.steps.last().unwrap().resource.kind, Kind::Role);
    }

    #[test]
    fn teardown_deletes_dependents_first_and_leaves_api_children_to_the_api() {
        let d = desired();
        let plan = compute("t", Mode::Mock, &[], &deployed(&d));
        let kinds: Vec<Kind> = plan.steps.iter().map(|s| s.resource.kind).collect();
        assert!(
            !kinds.contains(&Kind::ApiResource) && !kinds.contains(&Kind::Stage),
            "they go with the REST API"
        );
        let pos = |k: Kind| kinds.iter().position(|x| *x == k).unwrap();
        assert!(pos(Kind::Permission) < pos(Kind::RestApi));
        assert!(pos(Kind::RestApi) < pos(Kind::Function));
        assert!(pos(Kind::Function) < pos(Kind::Role));
        assert!(pos(Kind::Function) < pos(Kind::LogGroup));
        let role_step = plan
            .steps
            .iter()
            .find(|s| s.resource.kind == Kind::Role)
            .unwrap();
        assert!(
            role_step.after.iter().any(|a| a.kind == Kind::Function),
            "roles wait for the functions"
        );
        assert!(plan
            .steps
            .iter()
            .filter(|s| s.resource.kind == Kind::Table)
            .all(|s| s.action == Action::Delete { holds_data: true }));
    }
}
