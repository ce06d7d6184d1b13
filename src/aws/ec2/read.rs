//! Reads every EC2 resource of a stack, each kind with one Describe call filtered by the stack
//! tag, in parallel; then the few per-resource attributes EC2 keeps elsewhere (VPC DNS flags,
//! the root volume, instance status checks). On a deployed stack those are read alongside the
//! lists by the ids the deploy lock recorded (`KnownIds`), so a no-op jravan deploy reads EC2
//! in one round.

use aws_sdk_ec2::operation::{
    describe_addresses::DescribeAddressesOutput, describe_instances::DescribeInstancesOutput,
    describe_internet_gateways::DescribeInternetGatewaysOutput,
    describe_route_tables::DescribeRouteTablesOutput,
    describe_security_groups::DescribeSecurityGroupsOutput,
    describe_subnets::DescribeSubnetsOutput, describe_vpc_endpoints::DescribeVpcEndpointsOutput,
    describe_vpcs::DescribeVpcsOutput,
};
use aws_sdk_ec2::types::VpcAttributeName;

use super::address::address_attrs;
use super::endpoint::endpoint_attrs;
use super::interface_endpoint::{interface_endpoint_attrs, is_interface};
use super::live::Ec2Live;
use super::network::{internet_gateway_attrs, route_table_attrs, subnet_attrs, vpc_attrs};
use super::read_instance::{read_instance, InstanceReads};
use super::security::{security_group_attrs, security_group_rules_attrs};
use super::{filter, name_tag, stack_filter};
use crate::aws::client::error::on;
use crate::aws::read_ahead::ReadById;
use crate::aws::{AwsError, Clients};
use crate::resource::Kind;

/// Ids the last deploy left (the deploy lock's hints): what hangs off them is read by id
/// alongside the lists, and used if the lists confirm them.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownIds<'a> {
    pub vpc: Option<&'a str>,
    pub instance: Option<&'a str>,
}

/// A VPC's DNS support and DNS hostnames flags (EC2 answers one attribute a call).
async fn vpc_flags(clients: &Clients, vpc: &str) -> Result<(bool, bool), AwsError> {
    tokio::try_join!(
        vpc_flag(clients, vpc, VpcAttributeName::EnableDnsSupport),
        vpc_flag(clients, vpc, VpcAttributeName::EnableDnsHostnames),
    )
}

async fn vpc_flag(clients: &Clients, vpc: &str, attr: VpcAttributeName) -> Result<bool, AwsError> {
    let out = clients
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc)
        .attribute(attr.clone())
        .send()
        .await
        .map_err(on("DescribeVpcAttribute", format!("vpc {vpc}")))?;
    let value = match attr {
        VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
        _ => out.enable_dns_hostnames(),
    };
    Ok(value.and_then(|v| v.value()).unwrap_or(false))
}

type Lists = (
    DescribeVpcsOutput,
    DescribeInternetGatewaysOutput,
    DescribeSubnetsOutput,
    DescribeRouteTablesOutput,
    DescribeVpcEndpointsOutput,
    DescribeSecurityGroupsOutput,
    DescribeInstancesOutput,
    DescribeAddressesOutput,
);

/// Every EC2 kind of the stack, each listed with one Describe call filtered by the stack tag.
async fn lists(clients: &Clients, stack: &str) -> Result<Lists, AwsError> {
    let ec2 = &clients.ec2;
    let what = format!("EC2 resources of stack {stack}");
    let live_states = ["pending", "running", "stopping", "stopped", "shutting-down"];
    tokio::try_join!(
        async {
            ec2.describe_vpcs()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeVpcs", &what))
        },
        async {
            ec2.describe_internet_gateways()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeInternetGateways", &what))
        },
        async {
            ec2.describe_subnets()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeSubnets", &what))
        },
        async {
            ec2.describe_route_tables()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeRouteTables", &what))
        },
        async {
            ec2.describe_vpc_endpoints()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeVpcEndpoints", &what))
        },
        async {
            ec2.describe_security_groups()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeSecurityGroups", &what))
        },
        async {
            ec2.describe_instances()
                .filters(stack_filter(stack))
                .filters(filter("instance-state-name", &live_states))
                .send()
                .await
                .map_err(on("DescribeInstances", &what))
        },
        async {
            ec2.describe_addresses()
                .filters(stack_filter(stack))
                .send()
                .await
                .map_err(on("DescribeAddresses", &what))
        },
    )
}

pub async fn read(
    clients: &Clients,
    stack: &str,
    known: KnownIds<'_>,
) -> Result<Ec2Live, AwsError> {
    let early_flags = ReadById::start(known.vpc, |id| async move { vpc_flags(clients, &id).await });
    let early_instance = ReadById::start(known.instance, |id| InstanceReads::ahead(clients, id));
    let (lists, mut early_flags, mut early_instance) =
        tokio::join!(lists(clients, stack), early_flags, early_instance);
    let (vpcs, igws, subnets, tables, endpoints, groups, instances, addresses) = lists?;
    // What needs the ids just listed and was not read ahead, side by side in one round: each
    // VPC's DNS flags (VPC attributes of their own, one call each) and each instance's own
    // reads.
    let mut live = Ec2Live::default();
    let mut gateway = Ec2Live::default();
    let instance_reads = async {
        for i in instances.reservations().iter().flat_map(|r| r.instances()) {
            let early = early_instance.take(i.instance_id().unwrap_or_default());
            read_instance(clients, &mut gateway, i, early).await?;
        }
        Ok::<_, AwsError>(())
    };
    let early_flags: Vec<Option<(bool, bool)>> = vpcs
        .vpcs()
        .iter()
        .map(|v| early_flags.take(v.vpc_id().unwrap_or_default()))
        .collect();
    let flags = futures::future::try_join_all(vpcs.vpcs().iter().zip(early_flags).map(
        |(v, early)| async move {
            match early {
                Some(flags) => Ok(flags),
                None => vpc_flags(clients, v.vpc_id().unwrap_or_default()).await,
            }
        },
    ));
    let (flags, ()) = futures::future::try_join(flags, instance_reads).await?;

    // Each kind turns its AWS answer into attributes, beside its writes.
    for (v, dns) in vpcs.vpcs().iter().zip(flags) {
        live.add(
            Kind::Vpc,
            name_tag(v.tags()),
            v.vpc_id().unwrap_or_default(),
            vpc_attrs(v, dns),
        );
    }
    for g in igws.internet_gateways() {
        let id = g.internet_gateway_id().unwrap_or_default();
        live.add(
            Kind::InternetGateway,
            name_tag(g.tags()),
            id,
            internet_gateway_attrs(g),
        );
    }
    for s in subnets.subnets() {
        let id = s.subnet_id().unwrap_or_default();
        live.add(Kind::Subnet, name_tag(s.tags()), id, subnet_attrs(s));
    }
    for t in tables.route_tables() {
        let id = t.route_table_id().unwrap_or_default();
        live.add(
            Kind::RouteTable,
            name_tag(t.tags()),
            id,
            route_table_attrs(t),
        );
    }
    for e in endpoints.vpc_endpoints() {
        let (kind, attrs) = if is_interface(e) {
            (Kind::InterfaceEndpoint, interface_endpoint_attrs(e))
        } else {
            (Kind::VpcEndpoint, endpoint_attrs(e))
        };
        if let Some(attrs) = attrs {
            let id = e.vpc_endpoint_id().unwrap_or_default();
            live.add(kind, name_tag(e.tags()), id, attrs);
        }
    }
    for g in groups.security_groups() {
        let (id, name) = (
            g.group_id().unwrap_or_default(),
            g.group_name().map(str::to_string),
        );
        live.add(
            Kind::SecurityGroup,
            name.clone(),
            id,
            security_group_attrs(g),
        );
        live.add(
            Kind::SecurityGroupRules,
            name,
            id,
            security_group_rules_attrs(g),
        );
    }
    live.resources.extend(gateway.resources);
    live.refs.extend(gateway.refs);
    live.instance_ami = gateway.instance_ami;
    live.gateway = gateway.gateway;
    for a in addresses.addresses() {
        let id = a.allocation_id().unwrap_or_default();
        live.add(Kind::ElasticIp, name_tag(a.tags()), id, address_attrs(a));
    }
    Ok(live)
}
