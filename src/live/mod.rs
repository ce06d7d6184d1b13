//! The live state: what exists in the account for this stack, read through the `aws` modules and
//! expressed in the same attribute form as the desired state, so the two can be compared.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::names::TAG_STACK;
use crate::model::Mode;
use crate::resource::{Attrs, ResourceId};

/// Whose a resource with one of our names is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "owner", content = "stack", rename_all = "kebab-case")]
pub enum Owner {
    Ours,
    /// Tagged for another baken stack.
    OtherStack(String),
    /// Not made by baken, or its tags were removed.
    Unmanaged,
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
}

impl LiveResource {
    pub fn new(id: ResourceId, attrs: Attrs, owner: Owner) -> LiveResource {
        LiveResource {
            id,
            attrs,
            owner,
            health: Health::Ok,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub resources: BTreeMap<ResourceId, LiveResource>,
    /// The REST API's id, when ours exists.
    pub api_id: Option<String>,
    /// API Gateway resource path → resource id, for the REST API above.
    pub api_resource_ids: BTreeMap<String, String>,
    /// The mode the stack was last deployed in, read from its functions' environment.
    pub deployed_mode: Option<Mode>,
    /// AWS-assigned ids (and the instance's private IP) of what exists, by reference key.
    pub refs: crate::resource::refs::Refs,
    /// The image the live gateway instance runs: the pinned AMI.
    pub instance_ami: Option<String>,
    /// The gateway instance's id and addresses, when it exists.
    pub gateway: Option<GatewayAddresses>,
    /// What the instance bootstrap last reported (its Systems Manager parameter), when any.
    pub bootstrap_report: Option<String>,
}

impl LiveState {
    pub fn insert(&mut self, r: LiveResource) {
        self.resources.insert(r.id.clone(), r);
    }

    /// Adds what another service read found.
    pub fn merge(&mut self, part: LiveState) {
        for r in part.resources.into_values() {
            self.insert(r);
        }
        self.refs.extend(part.refs);
        self.api_id = self.api_id.take().or(part.api_id);
        self.api_resource_ids.extend(part.api_resource_ids);
        self.deployed_mode = self.deployed_mode.or(part.deployed_mode);
        self.instance_ami = self.instance_ami.take().or(part.instance_ami);
        self.gateway = self.gateway.take().or(part.gateway);
        self.bootstrap_report = self.bootstrap_report.take().or(part.bootstrap_report);
    }

    pub fn get(&self, id: &ResourceId) -> Option<&LiveResource> {
        self.resources.get(id)
    }
}

/// What the instance bootstrap (windows-bootstrap/user-data.ps1) reports in its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BootstrapReport {
    /// running, failed, manual-step or complete.
    pub state: String,
    pub step: String,
    pub at: String,
}

impl BootstrapReport {
    pub fn parse(text: Option<&str>) -> Option<BootstrapReport> {
        serde_json::from_str(text?).ok()
    }
}

/// The gateway instance as a user needs it: the id to connect with Session Manager, the public
/// address JRA-VAN sees, the private one the Lambdas use.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GatewayAddresses {
    pub instance_id: String,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
}
