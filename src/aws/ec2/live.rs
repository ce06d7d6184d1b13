//! What the EC2 read finds: its resources, the ids they are known by, and the gateway's
//! addresses. Each kind's file turns its AWS answer into attributes; this collects them.

use crate::live::{LiveResource, Owner};
use crate::resource::refs::{id_key, Refs};
use crate::resource::{Attrs, Kind, ResourceId};

#[derive(Debug, Default)]
pub struct Ec2Live {
    pub resources: Vec<LiveResource>,
    pub refs: Refs,
    pub instance_ami: Option<String>,
    /// The gateway instance's id and addresses, for the stack's outputs.
    pub gateway: Option<crate::live::GatewayAddresses>,
}

impl Ec2Live {
    pub(super) fn add(&mut self, kind: Kind, name: Option<String>, id: &str, attrs: Attrs) {
        // Something tagged for the stack without a Name tag is not one of ours to manage.
        let Some(name) = name else { return };
        self.refs.insert(id_key(kind, &name), id.to_string());
        // A second resource with the name is read too (`LiveState::settle_duplicates`).
        self.resources.push(
            LiveResource::new(ResourceId::new(kind, name), attrs, Owner::Ours).with_aws_id(id),
        );
    }
}
