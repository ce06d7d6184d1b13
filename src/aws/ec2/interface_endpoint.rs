//! An interface VPC endpoint (bedrock-runtime): its live mapping and its writes. The EC2 read
//! lists every endpoint of the stack once (`read.rs`); the interface ones come here.

use aws_sdk_ec2::types::{ResourceType, VpcEndpoint, VpcEndpointType};

use super::endpoint::delete_endpoint;
use super::tag_spec;
use crate::aws::client::error::{absent_if, on};
use crate::aws::client::retry::{wait_until, Poll};
use crate::aws::permissions::{allow, Scope, Statement};
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::bedrock::{InterfaceEndpointAttr, InterfaceEndpointSpec};
use crate::resource::{Attrs, PRESENT};

/// Whether EC2 says this endpoint is an interface endpoint (the rest are gateway endpoints).
pub(super) fn is_interface(e: &VpcEndpoint) -> bool {
    e.vpc_endpoint_type() == Some(&VpcEndpointType::Interface)
}

/// The live attributes of an interface endpoint; None once it is being deleted.
pub(super) fn interface_endpoint_attrs(e: &VpcEndpoint) -> Option<Attrs> {
    let state = e
        .state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    if state == "deleted" || state == "deleting" {
        return None;
    }
    let mut attrs = Attrs::from([
        (
            InterfaceEndpointAttr::Vpc.key(),
            e.vpc_id().unwrap_or_default().to_string(),
        ),
        (
            InterfaceEndpointAttr::Service.key(),
            e.service_name().unwrap_or_default().to_string(),
        ),
        (InterfaceEndpointAttr::Type.key(), "Interface".into()),
        (
            InterfaceEndpointAttr::PrivateDns.key(),
            e.private_dns_enabled().unwrap_or(false).to_string(),
        ),
    ]);
    for s in e.subnet_ids() {
        attrs.insert(InterfaceEndpointAttr::Subnet(s).key(), PRESENT.into());
    }
    for g in e.groups().iter().filter_map(|g| g.group_id()) {
        attrs.insert(
            InterfaceEndpointAttr::SecurityGroup(g).key(),
            PRESENT.into(),
        );
    }
    Some(attrs)
}

impl Seam for InterfaceEndpointSpec {
    const READ_BY: Reader = super::READER;
    // Create, then the wait for its interfaces.
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let what = format!("endpoint {}", self.name);
        // Private DNS needs the VPC's DNS support and hostnames, which the VPC has (VpcSpec).
        let out = cx
            .clients
            .ec2
            .create_vpc_endpoint()
            .vpc_id(cx.fill(&self.vpc)?)
            .client_token(super::client_token(&self.name))
            .service_name(&self.service)
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .set_subnet_ids(Some(cx.fill_all(&self.subnets)?))
            .set_security_group_ids(Some(cx.fill_all(&self.security_groups)?))
            .private_dns_enabled(self.private_dns)
            .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &self.name, &self.tags))
            .send()
            .await
            .map_err(on("CreateVpcEndpoint", &what))?;
        let id = out
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .unwrap_or_default()
            .to_string();
        cx.learn_own_id(id.clone());
        wait_for(cx.clients, &id, &self.name, State::Available).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let id = cx.existing_id()?;
        let subnets = cx.fill_all(&self.subnets)?;
        let groups = cx.fill_all(&self.security_groups)?;
        let mut call = cx.clients.ec2.modify_vpc_endpoint().vpc_endpoint_id(&id);
        for changed in cx.changed() {
            call = match InterfaceEndpointAttr::parse(&changed) {
                Some(InterfaceEndpointAttr::Subnet(s)) if subnets.iter().any(|w| w == s) => {
                    call.add_subnet_ids(s)
                }
                Some(InterfaceEndpointAttr::Subnet(s)) => call.remove_subnet_ids(s),
                Some(InterfaceEndpointAttr::SecurityGroup(g)) if groups.iter().any(|w| w == g) => {
                    call.add_security_group_ids(g)
                }
                Some(InterfaceEndpointAttr::SecurityGroup(g)) => call.remove_security_group_ids(g),
                Some(InterfaceEndpointAttr::PrivateDns) => {
                    call.private_dns_enabled(self.private_dns)
                }
                _ => call,
            };
        }
        call.send().await.map_err(on(
            "ModifyVpcEndpoint",
            format!("endpoint {} ({id})", self.name),
        ))?;
        // New subnets get new interfaces: pending until they are placed.
        wait_for(cx.clients, &id, &self.name, State::Available).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move {
            delete_endpoint(cx.clients, &id, cx.name()).await?;
            // AWS deletes an interface endpoint's interfaces after it answers; the subnets and
            // the security group are refused (DependencyViolation) until they are gone.
            wait_for(cx.clients, &id, cx.name(), State::Gone).await
        })
        .await
    }
}

/// Waits until the interface endpoint `id` is available (its interfaces placed).
pub async fn wait_available(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    wait_for(clients, id, name, State::Available).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Available,
    Gone,
}

/// Waits until the endpoint is available (its interfaces placed: a new endpoint is `pending`
/// for a minute or two) or gone, as Terraform's provider does. Bounded as an instance's start.
async fn wait_for(clients: &Clients, id: &str, name: &str, wanted: State) -> Result<(), AwsError> {
    let res = format!("endpoint {name} ({id})");
    wait_until(
        "DescribeVpcEndpoints",
        &res,
        &clients.timing,
        clients.timing.instance,
        || async {
            let out = absent_if(
                clients
                    .ec2
                    .describe_vpc_endpoints()
                    .vpc_endpoint_ids(id)
                    .send()
                    .await
                    .map_err(on("DescribeVpcEndpoints", &res)),
                &["InvalidVpcEndpointId.NotFound"],
            )?;
            let state = out
                .as_ref()
                .and_then(|o| o.vpc_endpoints().first())
                .and_then(|e| e.state())
                .map(|s| s.as_str().to_ascii_lowercase())
                .unwrap_or_else(|| "deleted".into());
            match (wanted, state.as_str()) {
                (State::Available, "available") | (State::Gone, "deleted") => Ok(Poll::Done(())),
                (State::Available, "failed" | "rejected" | "deleted") => Err(AwsError::new(
                    "CreateVpcEndpoint",
                    &res,
                    format!("the endpoint is {state}"),
                )),
                _ => Ok(Poll::Waiting(format!("endpoint {name} (now {state})"))),
            }
        },
    )
    .await
}

/// What the bedrock-runtime endpoint's create needs beyond EC2's own actions: with private DNS,
/// CreateVpcEndpoint associates an AWS-managed private hosted zone with the VPC, and IAM's
/// reference lists route53:AssociateVPCWithHostedZone as its dependent action. The zone is
/// AWS's and its id unknown beforehand, so the resource is any.
pub(super) fn permissions(scope: &Scope) -> Vec<Statement> {
    if !(scope.jravan() && scope.stack.handlers.calls_bedrock()) {
        return vec![];
    }
    vec![allow(
        "Ec2EndpointPrivateDns",
        "route53",
        &["AssociateVPCWithHostedZone"],
        vec!["*".into()],
    )]
}
