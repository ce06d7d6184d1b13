//! The live state: what exists in the account for this stack, read through the `aws` modules and
//! expressed in the same attribute form as the desired state, so the two can be compared.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::names::TAG_STACK;
use crate::model::Mode;
use crate::resource::{Attrs, ResourceId};

pub mod gateway;
pub use gateway::{BootstrapReport, GatewayAddresses, GatewayHealth, HealthView};

/// Whose a resource with one of our names is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Ours,
    /// Tagged for another baken stack.
    OtherStack(String),
    /// A resource of a live CloudFormation stack (the CDK app baken replaces): `baken adopt`
    /// takes it over.
    CloudFormation {
        stack: String,
        logical_id: String,
    },
    /// Not made by baken, or its tags were removed.
    Unmanaged,
}

/// Flat in JSON: `owner` (`ours`, `other-stack`, `cloudformation`, `unmanaged`) and the stack
/// (and logical id) beside it, so that it flattens into a conflict or a status entry.
impl Serialize for Owner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self {
            Owner::Ours => m.serialize_entry("owner", "ours")?,
            Owner::OtherStack(stack) => {
                m.serialize_entry("owner", "other-stack")?;
                m.serialize_entry("stack", stack)?;
            }
            Owner::CloudFormation { stack, logical_id } => {
                m.serialize_entry("owner", "cloudformation")?;
                m.serialize_entry("stack", stack)?;
                m.serialize_entry("logical_id", logical_id)?;
                m.serialize_entry("adopt_with", &adopt_command(stack))?;
            }
            Owner::Unmanaged => m.serialize_entry("owner", "unmanaged")?,
        }
        m.end()
    }
}

/// What takes a CloudFormation stack's resources over.
pub fn adopt_command(stack: &str) -> String {
    format!("baken adopt --from-cloudformation {stack}")
}

impl Owner {
    pub fn from_tags<'a>(stack: &str, mut tags: impl Iterator<Item = (&'a str, &'a str)>) -> Owner {
        match tags.find(|(k, _)| *k == TAG_STACK) {
            Some((_, v)) if v == stack => Owner::Ours,
            Some((_, v)) => Owner::OtherStack(v.to_string()),
            None => Owner::Unmanaged,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "health", content = "reason", rename_all = "kebab-case")]
pub enum Health {
    Ok,
    /// Exists but cannot serve (a Lambda function in the Failed state, ...).
    Unhealthy(String),
}

#[derive(Debug, Clone)]
pub struct LiveResource {
    pub id: ResourceId,
    pub attrs: Attrs,
    pub owner: Owner,
    pub health: Health,
    /// The id AWS assigned (`vpc-…`, a REST API's id), for kinds whose name AWS does not keep
    /// unique: two live resources with one name are told apart by it.
    pub aws_id: Option<String>,
    /// A table's item count as AWS last estimated it.
    pub item_count: Option<i64>,
}

impl LiveResource {
    pub fn new(id: ResourceId, attrs: Attrs, owner: Owner) -> LiveResource {
        LiveResource {
            id,
            attrs,
            owner,
            health: Health::Ok,
            aws_id: None,
            item_count: None,
        }
    }

    pub fn with_aws_id(mut self, id: impl Into<String>) -> LiveResource {
        self.aws_id = Some(id.into());
        self
    }

    /// Whether an attribute (name or value) names `aws_id` as a whole word.
    pub fn refers_to(&self, aws_id: &str) -> bool {
        let words = |t: &str| {
            t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .any(|w| w == aws_id)
        };
        self.attrs.iter().any(|(k, v)| words(k) || words(v))
    }
}

/// Two or more live resources for one wanted resource.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub resource: ResourceId,
    /// The AWS id of the copy kept: the one other resources use.
    pub kept: String,
    /// The AWS ids of the extra copies.
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub resources: BTreeMap<ResourceId, LiveResource>,
    /// The REST API's id, when ours exists.
    pub api_id: Option<String>,
    /// API Gateway resource path → resource id, for the REST API above.
    pub api_resource_ids: BTreeMap<String, String>,
    /// The mode the stack is deployed in, when the evidence agrees (`decide_mode`).
    pub deployed_mode: Option<Mode>,
    /// What contradicts itself about the deployed mode, when something does.
    pub mode_conflict: Option<String>,
    /// Each of our functions' data provider, by function name.
    pub function_modes: Vec<(String, Mode)>,
    /// AWS-assigned ids (and the instance's private IP) of what exists, by reference key.
    pub refs: crate::resource::refs::Refs,
    /// The image the live gateway instance runs: the pinned AMI.
    pub instance_ami: Option<String>,
    /// The gateway instance's id and addresses, when it exists.
    pub gateway: Option<GatewayAddresses>,
    /// What the instance bootstrap last reported (its Systems Manager parameter), when any.
    pub bootstrap_report: Option<String>,
    /// The running gateway's last health report, judged when it was read; None before any.
    pub gateway_health: Option<HealthView>,
    /// Neither report exists yet: since when the first is awaited.
    pub first_report_awaited: Option<gateway::Awaited>,
    /// With `jravan.instance.schedule`: what it says now.
    pub gateway_schedule: Option<gateway::ScheduleView>,
    /// Resources found more than once, after `settle_duplicates`.
    pub duplicates: Vec<Duplicate>,
    /// Second and later finds of one id, until `settle_duplicates` decides which one is kept.
    pending: Vec<LiveResource>,
}

impl LiveState {
    /// Adds a live resource; a second one with the same id is kept aside, never dropped.
    pub fn insert(&mut self, r: LiveResource) {
        if self.resources.contains_key(&r.id) {
            self.pending.push(r);
        } else {
            self.resources.insert(r.id.clone(), r);
        }
    }

    /// Decides, for each resource found more than once, which copy is in use, and keeps that
    /// one under the resource's id. In order: a copy whose AWS id another kind already kept (a
    /// security group's rules follow the group); the one most other live resources refer to (its
    /// subnets name a VPC, functions and the instance their subnets and groups); the one that
    /// refers to most (the Elastic IP associated with the instance, the gateway attached to the
    /// VPC); the first found (readers list the oldest first where AWS says when it was made). The
    /// others stay in the state as copies (`ResourceId::copy`), which a plan deletes, and the
    /// references point at the one kept.
    pub fn settle_duplicates(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut ids: Vec<ResourceId> = pending.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut pending: Vec<Option<LiveResource>> = pending.into_iter().map(Some).collect();
        let mut kept_ids: Vec<String> = Vec::new();
        for id in ids {
            let Some(first) = self.resources.remove(&id) else {
                continue;
            };
            let mut copies = vec![first];
            copies.extend(
                pending
                    .iter_mut()
                    .filter(|p| p.as_ref().is_some_and(|p| p.id == id))
                    .filter_map(Option::take),
            );
            let others: Vec<&LiveResource> = self.resources.values().collect();
            let score = |i: usize| {
                let c = &copies[i];
                let aws = c.aws_id.as_deref().unwrap_or_default();
                let incoming = others.iter().filter(|r| r.refers_to(aws)).count();
                let outgoing = others
                    .iter()
                    .filter_map(|r| r.aws_id.as_deref())
                    .filter(|other| c.refers_to(other))
                    .count();
                (
                    kept_ids.iter().any(|k| k == aws),
                    incoming,
                    outgoing,
                    std::cmp::Reverse(i),
                )
            };
            let best = (0..copies.len()).max_by_key(|i| score(*i)).unwrap_or(0);
            let kept = copies.remove(best);
            let kept_id = kept.aws_id.clone().unwrap_or_default();
            let key = crate::resource::refs::id_key(id.kind, &id.name);
            if self.refs.contains_key(&key) {
                self.refs.insert(key, kept_id.clone());
            }
            kept_ids.push(kept_id.clone());
            let mut extra = Vec::new();
            for mut c in copies {
                let aws = c.aws_id.clone().unwrap_or_default();
                c.id = id.copy(&aws);
                extra.push(aws);
                self.resources.insert(c.id.clone(), c);
            }
            self.resources.insert(id.clone(), kept);
            self.duplicates.push(Duplicate {
                resource: id,
                kept: kept_id,
                extra,
            });
        }
    }

    /// Decides the deployed mode from all the evidence: every function's data provider and
    /// whether the jravan network exists. A single function set to another provider by hand does
    /// not make the stack that mode: disagreement is reported (`mode_conflict`), never guessed.
    pub fn decide_mode(&mut self) {
        let network = self
            .resources
            .values()
            .any(|r| r.id.kind == crate::resource::Kind::Vpc && r.owner == Owner::Ours);
        let of = |m: Mode| -> Vec<&str> {
            self.function_modes
                .iter()
                .filter(|(_, fm)| *fm == m)
                .map(|(n, _)| n.as_str())
                .collect()
        };
        let (mock, jravan) = (of(Mode::Mock), of(Mode::Jravan));
        let list = |names: &[&str]| names.join(", ");
        let network_text = if network {
            "the jravan network exists"
        } else {
            "there is no jravan network"
        };
        self.mode_conflict = None;
        self.deployed_mode = match (mock.is_empty(), jravan.is_empty()) {
            (true, true) => network.then_some(Mode::Jravan),
            (false, true) => Some(Mode::Mock),
            (true, false) if network => Some(Mode::Jravan),
            (true, false) => {
                self.mode_conflict = Some(format!(
                    "every function is set to jravan ({}), but {network_text}",
                    list(&jravan)
                ));
                None
            }
            (false, false) => {
                self.mode_conflict = Some(format!(
                    "{} function{} in mock mode ({}) and {} in jravan mode ({}); {network_text}",
                    mock.len(),
                    if mock.len() == 1 { " is" } else { "s are" },
                    list(&mock),
                    jravan.len(),
                    list(&jravan)
                ));
                None
            }
        };
    }

    /// Adds what another service read found.
    /// Marks the resources among `ids` as the stack's own (what an adoption takes over).
    pub fn own(&mut self, ids: &[ResourceId]) {
        for r in self.resources.values_mut().chain(self.pending.iter_mut()) {
            if ids.contains(&r.id) {
                r.owner = Owner::Ours;
            }
        }
    }

    pub fn merge(&mut self, part: LiveState) {
        for r in part.resources.into_values().chain(part.pending) {
            self.insert(r);
        }
        self.refs.extend(part.refs);
        self.api_id = self.api_id.take().or(part.api_id);
        self.api_resource_ids.extend(part.api_resource_ids);
        self.deployed_mode = self.deployed_mode.or(part.deployed_mode);
        self.function_modes.extend(part.function_modes);
        self.instance_ami = self.instance_ami.take().or(part.instance_ami);
        self.gateway = self.gateway.take().or(part.gateway);
        self.gateway_schedule = self.gateway_schedule.take().or(part.gateway_schedule);
        self.bootstrap_report = self.bootstrap_report.take().or(part.bootstrap_report);
        self.gateway_health = self.gateway_health.take().or(part.gateway_health);
    }

    pub fn get(&self, id: &ResourceId) -> Option<&LiveResource> {
        self.resources.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Kind;

    fn res(kind: Kind, name: &str, aws: &str, attrs: &[(&str, &str)]) -> LiveResource {
        let attrs = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LiveResource::new(ResourceId::new(kind, name), attrs, Owner::Ours).with_aws_id(aws)
    }

    #[test]
    fn the_address_associated_with_the_instance_is_kept_whichever_is_found_first() {
        let mut live = LiveState::default();
        live.insert(res(Kind::Instance, "t-gateway", "i-1", &[]));
        live.insert(res(
            Kind::ElasticIp,
            "t-eip",
            "eipalloc-loose",
            &[("instance", "")],
        ));
        live.insert(res(
            Kind::ElasticIp,
            "t-eip",
            "eipalloc-used",
            &[("instance", "i-1")],
        ));
        live.settle_duplicates();
        assert_eq!(live.duplicates.len(), 1);
        assert_eq!(live.duplicates[0].kept, "eipalloc-used");
        assert_eq!(live.duplicates[0].extra, vec!["eipalloc-loose".to_string()]);
    }

    #[test]
    fn a_groups_rules_follow_the_group_kept_and_interleaved_finds_are_settled_once() {
        let mut live = LiveState::default();
        // The instance uses sg-2; the rules resources share their group's id.
        live.insert(res(
            Kind::Instance,
            "t-gateway",
            "i-1",
            &[("security_group", "sg-2")],
        ));
        live.insert(res(Kind::SecurityGroup, "t-sg", "sg-1", &[]));
        live.insert(res(Kind::SecurityGroupRules, "t-sg", "sg-1", &[]));
        live.insert(res(Kind::SecurityGroup, "t-sg", "sg-2", &[]));
        live.insert(res(Kind::SecurityGroupRules, "t-sg", "sg-2", &[]));
        live.insert(res(Kind::SecurityGroup, "t-sg", "sg-3", &[]));
        live.settle_duplicates();
        assert_eq!(
            live.duplicates.len(),
            2,
            "one entry per resource found twice"
        );
        assert_eq!(live.duplicates[0].extra.len(), 2);
        let kept: Vec<(Kind, &str)> = live
            .duplicates
            .iter()
            .map(|d| (d.resource.kind, d.kept.as_str()))
            .collect();
        assert_eq!(
            kept,
            vec![
                (Kind::SecurityGroup, "sg-2"),
                (Kind::SecurityGroupRules, "sg-2")
            ]
        );
    }
}
