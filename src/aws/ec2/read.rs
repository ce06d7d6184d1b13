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
use aws_sdk_ec2::types::{IpPermission, VpcAttributeName};

use super::read_instance::{read_instance, InstanceReads};
use super::{filter, name_tag, stack_filter};
use crate::aws::client::error::on;
use crate::aws::read_ahead::ReadById;
use crate::aws::{AwsError, Clients};
use crate::desired::gateway::ElasticIpAttr;
use crate::desired::network::{
    Direction, EndpointAttr, InternetGatewayAttr, RouteTableAttr, Rule, SecurityGroupAttr,
    SubnetAttr, VpcAttr,
};
use crate::live::{LiveResource, Owner};
use crate::resource::refs::{id_key, Refs};
use crate::resource::PRESENT;
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

/// Rules of a security group as attribute keys (`ingress tcp 8000 sg-…`).
pub fn rule_attrs(ingress: &[IpPermission], egress: &[IpPermission]) -> Attrs {
    let mut a = Attrs::new();
    for (direction, perms) in [(Direction::Ingress, ingress), (Direction::Egress, egress)] {
        for p in perms {
            let mut peers: Vec<String> = Vec::new();
            peers.extend(
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string)),
            );
            peers.extend(
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string)),
            );
            peers.extend(
                p.ipv6_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ipv6().map(str::to_string)),
            );
            peers.extend(
                p.prefix_list_ids()
                    .iter()
                    .filter_map(|r| r.prefix_list_id().map(str::to_string)),
            );
            for peer in peers {
                let rule = Rule {
                    direction,
                    protocol: p.ip_protocol().unwrap_or("-1").to_string(),
                    from_port: p.from_port().unwrap_or(-1),
                    to_port: p.to_port().unwrap_or(-1),
                    peer,
                };
                a.insert(rule.key(), PRESENT.into());
            }
        }
    }
    a
}

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

    for (v, (support, hostnames)) in vpcs.vpcs().iter().zip(flags) {
        let id = v.vpc_id().unwrap_or_default();
        let attrs = Attrs::from([
            (
                VpcAttr::Cidr.key(),
                v.cidr_block().unwrap_or_default().to_string(),
            ),
            (VpcAttr::DnsSupport.key(), support.to_string()),
            (VpcAttr::DnsHostnames.key(), hostnames.to_string()),
        ]);
        live.add(Kind::Vpc, name_tag(v.tags()), id, attrs);
    }
    for g in igws.internet_gateways() {
        let mut attrs = Attrs::new();
        if let Some(a) = g.attachments().first() {
            attrs.insert(
                InternetGatewayAttr::AttachedTo.key(),
                a.vpc_id().unwrap_or_default().to_string(),
            );
        }
        live.add(
            Kind::InternetGateway,
            name_tag(g.tags()),
            g.internet_gateway_id().unwrap_or_default(),
            attrs,
        );
    }
    for s in subnets.subnets() {
        let attrs = Attrs::from([
            (
                SubnetAttr::Vpc.key(),
                s.vpc_id().unwrap_or_default().to_string(),
            ),
            (
                SubnetAttr::Cidr.key(),
                s.cidr_block().unwrap_or_default().to_string(),
            ),
            (
                SubnetAttr::AvailabilityZone.key(),
                s.availability_zone().unwrap_or_default().to_string(),
            ),
        ]);
        live.add(
            Kind::Subnet,
            name_tag(s.tags()),
            s.subnet_id().unwrap_or_default(),
            attrs,
        );
    }
    for t in tables.route_tables() {
        let mut attrs = Attrs::from([(
            RouteTableAttr::Vpc.key(),
            t.vpc_id().unwrap_or_default().to_string(),
        )]);
        for r in t.routes() {
            let target = r
                .gateway_id()
                .or(r.nat_gateway_id())
                .or(r.instance_id())
                .or(r.network_interface_id())
                .or(r.transit_gateway_id())
                .or(r.vpc_peering_connection_id())
                .unwrap_or("unknown");
            // The VPC's local route and the endpoint's prefix-list routes are AWS's own.
            if target == "local" || target.starts_with("vpce-") {
                continue;
            }
            let dest = r
                .destination_cidr_block()
                .or(r.destination_ipv6_cidr_block())
                .or(r.destination_prefix_list_id())
                .unwrap_or("unknown");
            attrs.insert(RouteTableAttr::Route(dest).key(), target.to_string());
        }
        for a in t.associations() {
            if let Some(s) = a.subnet_id() {
                attrs.insert(RouteTableAttr::Association(s).key(), PRESENT.into());
            }
        }
        live.add(
            Kind::RouteTable,
            name_tag(t.tags()),
            t.route_table_id().unwrap_or_default(),
            attrs,
        );
    }
    for e in endpoints.vpc_endpoints() {
        let state = e
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        if state == "deleted" || state == "deleting" {
            continue;
        }
        let policy = e
            .policy_document()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .map(|v| crate::resource::json::canonical_json(&v))
            .unwrap_or_default();
        let mut attrs = Attrs::from([
            (
                EndpointAttr::Vpc.key(),
                e.vpc_id().unwrap_or_default().to_string(),
            ),
            (
                EndpointAttr::Service.key(),
                e.service_name().unwrap_or_default().to_string(),
            ),
            (
                EndpointAttr::Type.key(),
                e.vpc_endpoint_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
            ),
            (EndpointAttr::Policy.key(), policy),
        ]);
        for rt in e.route_table_ids() {
            attrs.insert(EndpointAttr::RouteTable(rt).key(), PRESENT.into());
        }
        live.add(
            Kind::VpcEndpoint,
            name_tag(e.tags()),
            e.vpc_endpoint_id().unwrap_or_default(),
            attrs,
        );
    }
    for g in groups.security_groups() {
        let id = g.group_id().unwrap_or_default();
        let name = g.group_name().map(str::to_string);
        let attrs = Attrs::from([
            (
                SecurityGroupAttr::Vpc.key(),
                g.vpc_id().unwrap_or_default().to_string(),
            ),
            (
                SecurityGroupAttr::Description.key(),
                g.description().unwrap_or_default().to_string(),
            ),
        ]);
        live.add(Kind::SecurityGroup, name.clone(), id, attrs);
        live.add(
            Kind::SecurityGroupRules,
            name,
            id,
            rule_attrs(g.ip_permissions(), g.ip_permissions_egress()),
        );
    }
    live.resources.extend(gateway.resources);
    live.refs.extend(gateway.refs);
    live.instance_ami = gateway.instance_ami;
    live.gateway = gateway.gateway;
    for a in addresses.addresses() {
        let mut attrs = Attrs::new();
        if let Some(i) = a.instance_id() {
            attrs.insert(ElasticIpAttr::Instance.key(), i.to_string());
        }
        live.add(
            Kind::ElasticIp,
            name_tag(a.tags()),
            a.allocation_id().unwrap_or_default(),
            attrs,
        );
    }
    Ok(live)
}
