//! The gateway's Elastic IP: allocated and associated with the instance, moved, released; and
//! found by its address, as CloudFormation names one (`baken adopt --cleanup`).

use aws_sdk_ec2::types::{Address, DomainType, ResourceType};

use super::tag_spec;
use crate::aws::client::error::{absent_if, on};
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::gateway::ElasticIpAttr;
use crate::desired::ElasticIpSpec;
use crate::resource::Attrs;

const GONE: &[&str] = &["InvalidAllocationID.NotFound"];

/// Allocates the address (when `allocation` is None) and associates it with the instance.
pub async fn associate_address(
    clients: &Clients,
    spec: &ElasticIpSpec,
    allocation: Option<&str>,
    instance: &str,
) -> Result<String, AwsError> {
    let res = format!("elastic ip {}", spec.name);
    let allocation = match allocation {
        Some(a) => a.to_string(),
        None => clients
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &spec.name, &spec.tags))
            .send()
            .await
            .map_err(on("AllocateAddress", &res))?
            .allocation_id()
            .unwrap_or_default()
            .to_string(),
    };
    clients
        .ec2
        .associate_address()
        .allocation_id(&allocation)
        .instance_id(instance)
        .allow_reassociation(true)
        .send()
        .await
        .map_err(on("AssociateAddress", &res))?;
    Ok(allocation)
}

/// The allocation id of an Elastic IP named by its address (how CloudFormation names an EIP),
/// or the allocation id itself; None when there is no such address.
pub async fn address_allocation(
    clients: &Clients,
    physical: &str,
) -> Result<Option<String>, AwsError> {
    if physical.starts_with("eipalloc-") {
        return Ok(Some(physical.to_string()));
    }
    let found = absent_if(
        clients
            .ec2
            .describe_addresses()
            .public_ips(physical)
            .send()
            .await
            .map_err(on("DescribeAddresses", format!("elastic ip {physical}"))),
        &["InvalidAddress.NotFound"],
    )?;
    Ok(found.and_then(|f| {
        f.addresses()
            .iter()
            .find_map(|a| a.allocation_id().map(str::to_string))
    }))
}

/// Disassociates and releases the address.
pub async fn delete_address(
    clients: &Clients,
    allocation: &str,
    name: &str,
) -> Result<(), AwsError> {
    let res = format!("elastic ip {name} ({allocation})");
    let found = absent_if(
        clients
            .ec2
            .describe_addresses()
            .allocation_ids(allocation)
            .send()
            .await
            .map_err(on("DescribeAddresses", &res)),
        GONE,
    )?;
    let Some(found) = found else { return Ok(()) };
    for a in found.addresses() {
        if let Some(assoc) = a.association_id() {
            absent_if(
                clients
                    .ec2
                    .disassociate_address()
                    .association_id(assoc)
                    .send()
                    .await
                    .map_err(on("DisassociateAddress", &res)),
                &["InvalidAssociationID.NotFound"],
            )?;
        }
    }
    absent_if(
        clients
            .ec2
            .release_address()
            .allocation_id(allocation)
            .send()
            .await
            .map_err(on("ReleaseAddress", &res)),
        GONE,
    )?;
    Ok(())
}

/// An Elastic IP's live attributes: the instance it is associated with.
pub(super) fn address_attrs(a: &Address) -> Attrs {
    let mut attrs = Attrs::new();
    if let Some(i) = a.instance_id() {
        attrs.insert(ElasticIpAttr::Instance.key(), i.to_string());
    }
    attrs
}

impl Seam for ElasticIpSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let id = associate_address(cx.clients, self, None, &cx.fill(&self.instance)?).await?;
        cx.learn_own_id(id);
        Ok(())
    }
    /// Moves the address we hold to the instance.
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let current = cx.own_id();
        let instance = cx.fill(&self.instance)?;
        let id = associate_address(cx.clients, self, current.as_deref(), &instance).await?;
        cx.learn_own_id(id);
        Ok(())
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { delete_address(cx.clients, &id, cx.name()).await })
            .await
    }
}
