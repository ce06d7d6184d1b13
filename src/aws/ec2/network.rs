//! VPC, internet gateway, subnets and route tables (the DynamoDB endpoint: `endpoint.rs`).

use aws_sdk_ec2::types::{
    AttributeBooleanValue, InternetGateway, ResourceType, RouteTable, Subnet, Vpc,
};

use super::{dependents, tag_spec};
use crate::aws::client::error::{absent_if, on};
use crate::aws::client::retry::retry_while;
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::network::{InternetGatewayAttr, RouteTableAttr, SubnetAttr, VpcAttr};
use crate::desired::{InternetGatewaySpec, RouteTableSpec, SubnetSpec, VpcSpec};
use crate::resource::{Attrs, PRESENT};

pub(super) const GONE: &[&str] = &[
    "InvalidVpcID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidVpcEndpointId.NotFound",
];

/// Deletes that AWS refuses while something still uses the resource (Lambda's network
/// interfaces linger for a while after the functions leave the VPC): retried within the
/// interface-release bound. moto never refuses, so the retry is covered by mocked sequences.
async fn delete_when_free<F, Fut>(clients: &Clients, call: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    retry_while(
        &clients.timing,
        clients.timing.eni_release,
        |e| e.code_is("DependencyViolation"),
        call,
    )
    .await
}

/// The VPC id, with DNS support and hostnames turned on (one attribute per call, as EC2 wants).
pub async fn create_vpc(clients: &Clients, spec: &VpcSpec) -> Result<String, AwsError> {
    let res = format!("vpc {}", spec.name);
    let out = clients
        .ec2
        .create_vpc()
        .cidr_block(&spec.cidr)
        .tag_specifications(tag_spec(ResourceType::Vpc, &spec.name, &spec.tags))
        .send()
        .await
        .map_err(on("CreateVpc", &res))?;
    let id = out
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_string();
    update_vpc(clients, &id, spec).await?;
    Ok(id)
}

pub async fn update_vpc(clients: &Clients, id: &str, spec: &VpcSpec) -> Result<(), AwsError> {
    let res = format!("vpc {}", spec.name);
    let on_ = || AttributeBooleanValue::builder().value(true).build();
    clients
        .ec2
        .modify_vpc_attribute()
        .vpc_id(id)
        .enable_dns_support(on_())
        .send()
        .await
        .map_err(on("ModifyVpcAttribute", &res))?;
    clients
        .ec2
        .modify_vpc_attribute()
        .vpc_id(id)
        .enable_dns_hostnames(on_())
        .send()
        .await
        .map_err(on("ModifyVpcAttribute", &res))?;
    Ok(())
}

pub async fn delete_vpc(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    delete_when_free(clients, || async {
        let deleted = absent_if(
            clients
                .ec2
                .delete_vpc()
                .vpc_id(id)
                .send()
                .await
                .map_err(on("DeleteVpc", format!("vpc {name} ({id})"))),
            GONE,
        )
        .map(|_| ());
        match deleted {
            Err(e) => Err(dependents::explained(e, || dependents::of_vpc(clients, id)).await),
            ok => ok,
        }
    })
    .await
}

pub async fn create_internet_gateway(
    clients: &Clients,
    spec: &InternetGatewaySpec,
    vpc: &str,
) -> Result<String, AwsError> {
    let res = format!("internet gateway {}", spec.name);
    let out = clients
        .ec2
        .create_internet_gateway()
        .tag_specifications(tag_spec(
            ResourceType::InternetGateway,
            &spec.name,
            &spec.tags,
        ))
        .send()
        .await
        .map_err(on("CreateInternetGateway", &res))?;
    let id = out
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap_or_default()
        .to_string();
    update_internet_gateway(clients, &id, spec, vpc).await?;
    Ok(id)
}

pub async fn update_internet_gateway(
    clients: &Clients,
    id: &str,
    spec: &InternetGatewaySpec,
    vpc: &str,
) -> Result<(), AwsError> {
    clients
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(on(
            "AttachInternetGateway",
            format!("internet gateway {}", spec.name),
        ))?;
    Ok(())
}

/// Detaches the gateway from its VPC, then deletes it. AWS refuses the detach while public
/// addresses are mapped in the VPC (the Elastic IP goes first in the plan; retried meanwhile).
/// Detaches the gateway and deletes it. `attached`: the VPC the plan's read saw it attached to
/// (Some(None): none); None describes it first.
pub async fn delete_internet_gateway(
    clients: &Clients,
    id: &str,
    name: &str,
    attached: Option<Option<String>>,
) -> Result<(), AwsError> {
    let res = format!("internet gateway {name} ({id})");
    let vpcs: Vec<String> = match attached {
        Some(vpc) => vpc.into_iter().collect(),
        None => {
            let found = absent_if(
                clients
                    .ec2
                    .describe_internet_gateways()
                    .internet_gateway_ids(id)
                    .send()
                    .await
                    .map_err(on("DescribeInternetGateways", &res)),
                GONE,
            )?;
            let Some(found) = found else { return Ok(()) };
            found
                .internet_gateways()
                .iter()
                .flat_map(|g| g.attachments())
                .filter_map(|a| a.vpc_id().map(str::to_string))
                .collect()
        }
    };
    for vpc in &vpcs {
        // Detached since it was read (EC2 says Gateway.NotAttached): nothing to undo.
        let detached = delete_when_free(clients, || async {
            clients
                .ec2
                .detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .map(|_| ())
                .map_err(on("DetachInternetGateway", &res))
        })
        .await;
        absent_if(detached, &["Gateway.NotAttached"])?;
    }
    absent_if(
        clients
            .ec2
            .delete_internet_gateway()
            .internet_gateway_id(id)
            .send()
            .await
            .map_err(on("DeleteInternetGateway", &res)),
        GONE,
    )?;
    Ok(())
}

pub async fn create_subnet(
    clients: &Clients,
    spec: &SubnetSpec,
    vpc: &str,
) -> Result<String, AwsError> {
    let out = clients
        .ec2
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(&spec.cidr)
        .availability_zone(&spec.availability_zone)
        .tag_specifications(tag_spec(ResourceType::Subnet, &spec.name, &spec.tags))
        .send()
        .await
        .map_err(on("CreateSubnet", format!("subnet {}", spec.name)))?;
    Ok(out
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap_or_default()
        .to_string())
}

pub async fn delete_subnet(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    delete_when_free(clients, || async {
        let deleted = absent_if(
            clients
                .ec2
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map_err(on("DeleteSubnet", format!("subnet {name} ({id})"))),
            GONE,
        )
        .map(|_| ());
        match deleted {
            Err(e) => Err(dependents::explained(e, || dependents::of_subnet(clients, id)).await),
            ok => ok,
        }
    })
    .await
}

/// Creates the table, its routes and its subnet associations. `routes` and `subnets` are the
/// spec's with the AWS ids filled in.
pub async fn create_route_table(
    clients: &Clients,
    spec: &RouteTableSpec,
    vpc: &str,
    routes: &[(String, String)],
    subnets: &[String],
) -> Result<String, AwsError> {
    let out = clients
        .ec2
        .create_route_table()
        .vpc_id(vpc)
        .client_token(super::client_token(&spec.name))
        .tag_specifications(tag_spec(ResourceType::RouteTable, &spec.name, &spec.tags))
        .send()
        .await
        .map_err(on("CreateRouteTable", format!("route table {}", spec.name)))?;
    let id = out
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap_or_default()
        .to_string();
    let changes: Vec<String> = routes
        .iter()
        .map(|(d, _)| RouteTableAttr::Route(d).key())
        .chain(subnets.iter().map(|s| RouteTableAttr::Association(s).key()))
        .collect();
    update_route_table(clients, &id, &spec.name, routes, subnets, &changes).await?;
    Ok(id)
}

/// Brings routes and associations named in `changed` to the wanted ones.
pub async fn update_route_table(
    clients: &Clients,
    id: &str,
    name: &str,
    routes: &[(String, String)],
    subnets: &[String],
    changed: &[String],
) -> Result<(), AwsError> {
    let res = format!("route table {name} ({id})");
    let ec2 = &clients.ec2;
    let current = ec2
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await
        .map_err(on("DescribeRouteTables", &res))?;
    let table = current.route_tables().first();
    for attr in changed.iter().filter_map(|a| RouteTableAttr::parse(a)) {
        if let RouteTableAttr::Route(dest) = attr {
            let exists = table.is_some_and(|t| {
                t.routes()
                    .iter()
                    .any(|r| r.destination_cidr_block() == Some(dest))
            });
            match routes.iter().find(|(d, _)| d == dest) {
                Some((_, target)) if exists => {
                    ec2.replace_route()
                        .route_table_id(id)
                        .destination_cidr_block(dest)
                        .gateway_id(target)
                        .send()
                        .await
                        .map_err(on("ReplaceRoute", &res))?;
                }
                Some((_, target)) => {
                    ec2.create_route()
                        .route_table_id(id)
                        .destination_cidr_block(dest)
                        .gateway_id(target)
                        .send()
                        .await
                        .map_err(on("CreateRoute", &res))?;
                }
                None => {
                    ec2.delete_route()
                        .route_table_id(id)
                        .destination_cidr_block(dest)
                        .send()
                        .await
                        .map_err(on("DeleteRoute", &res))?;
                }
            }
        } else if let RouteTableAttr::Association(subnet) = attr {
            if subnets.iter().any(|s| s == subnet) {
                ec2.associate_route_table()
                    .route_table_id(id)
                    .subnet_id(subnet)
                    .send()
                    .await
                    .map_err(on("AssociateRouteTable", &res))?;
            } else if let Some(assoc) = table
                .and_then(|t| {
                    t.associations()
                        .iter()
                        .find(|a| a.subnet_id() == Some(subnet))
                })
                .and_then(|a| a.route_table_association_id())
            {
                ec2.disassociate_route_table()
                    .association_id(assoc)
                    .send()
                    .await
                    .map_err(on("DisassociateRouteTable", &res))?;
            }
        }
    }
    Ok(())
}

pub async fn delete_route_table(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    let res = format!("route table {name} ({id})");
    let current = absent_if(
        clients
            .ec2
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .map_err(on("DescribeRouteTables", &res)),
        GONE,
    )?;
    let Some(current) = current else {
        return Ok(());
    };
    // Each subnet lets go at once, side by side.
    let associations = current
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.route_table_association_id());
    futures::future::try_join_all(associations.map(|assoc| {
        let res = &res;
        async move {
            clients
                .ec2
                .disassociate_route_table()
                .association_id(assoc)
                .send()
                .await
                .map_err(on("DisassociateRouteTable", res))
        }
    }))
    .await?;
    delete_when_free(clients, || async {
        absent_if(
            clients
                .ec2
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map_err(on("DeleteRouteTable", &res)),
            GONE,
        )
        .map(|_| ())
    })
    .await
}

/// A VPC's live attributes: its CIDR and DNS flags (read apart, one call each).
pub(super) fn vpc_attrs(v: &Vpc, (support, hostnames): (bool, bool)) -> Attrs {
    Attrs::from([
        (
            VpcAttr::Cidr.key(),
            v.cidr_block().unwrap_or_default().to_string(),
        ),
        (VpcAttr::DnsSupport.key(), support.to_string()),
        (VpcAttr::DnsHostnames.key(), hostnames.to_string()),
    ])
}

impl Seam for VpcSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 3;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.learn_own_id(create_vpc(cx.clients, self).await?);
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        update_vpc(cx.clients, &cx.existing_id()?, self).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { delete_vpc(cx.clients, &id, cx.name()).await })
            .await
    }
}

/// An internet gateway's live attributes: the VPC it is attached to.
pub(super) fn internet_gateway_attrs(g: &InternetGateway) -> Attrs {
    let mut attrs = Attrs::new();
    if let Some(a) = g.attachments().first() {
        let vpc = a.vpc_id().unwrap_or_default().to_string();
        attrs.insert(InternetGatewayAttr::AttachedTo.key(), vpc);
    }
    attrs
}

impl Seam for InternetGatewaySpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let id = create_internet_gateway(cx.clients, self, &cx.fill(&self.vpc)?).await?;
        cx.learn_own_id(id);
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        update_internet_gateway(cx.clients, &cx.existing_id()?, self, &cx.fill(&self.vpc)?).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move {
            let attached = cx
                .live
                .map(|a| a.get(InternetGatewayAttr::AttachedTo.name()).cloned());
            delete_internet_gateway(cx.clients, &id, cx.name(), attached).await
        })
        .await
    }
}

/// A subnet's live attributes.
pub(super) fn subnet_attrs(s: &Subnet) -> Attrs {
    Attrs::from([
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
    ])
}

impl Seam for SubnetSpec {
    const READ_BY: Reader = super::READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.learn_own_id(create_subnet(cx.clients, self, &cx.fill(&self.vpc)?).await?);
        Ok(())
    }
    /// Every compared attribute of a subnet forces a replacement (`SubnetSpec::REPLACED_ON`).
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        Err(in_place_refused(cx))
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { delete_subnet(cx.clients, &id, cx.name()).await })
            .await
    }
}

/// A plan only updates what can change in place; a seam without in-place changes says so.
pub(super) fn in_place_refused(cx: &StepContext<'_>) -> AwsError {
    AwsError::new(
        "apply",
        cx.resource.to_string(),
        format!(
            "no attribute of a {} changes in place",
            cx.resource.kind.label()
        ),
    )
}

/// A route table's live attributes: its routes and subnet associations. The VPC's local route
/// and the endpoint's prefix-list routes are AWS's own, not the table's.
pub(super) fn route_table_attrs(t: &RouteTable) -> Attrs {
    let vpc = t.vpc_id().unwrap_or_default().to_string();
    let mut attrs = Attrs::from([(RouteTableAttr::Vpc.key(), vpc)]);
    for r in t.routes() {
        let target = r
            .gateway_id()
            .or(r.nat_gateway_id())
            .or(r.instance_id())
            .or(r.network_interface_id())
            .or(r.transit_gateway_id())
            .or(r.vpc_peering_connection_id())
            .unwrap_or("unknown");
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
    attrs
}

impl Seam for RouteTableSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 4;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let (routes, subnets) = self.filled(cx)?;
        let vpc = cx.fill(&self.vpc)?;
        cx.learn_own_id(create_route_table(cx.clients, self, &vpc, &routes, &subnets).await?);
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let (routes, subnets) = self.filled(cx)?;
        let id = cx.existing_id()?;
        update_route_table(cx.clients, &id, cx.name(), &routes, &subnets, &cx.changed()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { delete_route_table(cx.clients, &id, cx.name()).await })
            .await
    }
}

/// Routes (destination, target id) and subnet ids, with the references filled in.
type FilledRoutes = (Vec<(String, String)>, Vec<String>);

impl RouteTableSpec {
    fn filled(&self, cx: &StepContext<'_>) -> Result<FilledRoutes, AwsError> {
        let routes = self
            .routes
            .iter()
            .map(|(d, t)| Ok((d.clone(), cx.fill(t)?)))
            .collect::<Result<Vec<_>, AwsError>>()?;
        Ok((routes, cx.fill_all(&self.subnets)?))
    }
}
