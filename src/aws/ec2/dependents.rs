//! What still uses a VPC, subnet or security group when AWS refuses to delete it with
//! `DependencyViolation`. AWS says only that something does; a wait that names the blocker lets
//! a user see at once whether it is Lambda's interfaces letting go (worth waiting for) or
//! something baken does not manage (worth removing by hand).

use aws_sdk_ec2::types::Tag;

use super::{filter, name_tag};
use crate::aws::{AwsError, Clients};

/// `kind id (Name)`, or `kind id (untagged)`.
fn item(kind: &str, id: Option<&str>, tags: &[Tag]) -> String {
    let name = name_tag(tags).unwrap_or_else(|| "untagged".into());
    format!("{kind} {} ({name})", id.unwrap_or_default())
}

/// Adds what blocks the delete to a `DependencyViolation`; other errors pass unchanged.
pub(super) async fn explained<F, Fut>(e: AwsError, find: F) -> AwsError
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    if !e.code_is("DependencyViolation") {
        return e;
    }
    let found = find().await;
    if found.is_empty() {
        return e;
    }
    AwsError {
        message: format!("{}; still using it: {}", e.message, found.join(", ")),
        ..e
    }
}

/// Network interfaces (Lambda's, the instance's) matching `f`.
async fn interfaces(clients: &Clients, name: &str, value: &str) -> Vec<String> {
    let Ok(out) = clients
        .ec2
        .describe_network_interfaces()
        .filters(filter(name, &[value]))
        .send()
        .await
    else {
        return vec![];
    };
    out.network_interfaces()
        .iter()
        .map(|n| {
            let what = n
                .description()
                .filter(|d| !d.is_empty())
                .unwrap_or("no description");
            format!(
                "network interface {} ({what})",
                n.network_interface_id().unwrap_or_default()
            )
        })
        .collect()
}

/// What is still in the VPC. Lookups that fail are left out: this only explains an error.
pub(super) async fn of_vpc(clients: &Clients, vpc: &str) -> Vec<String> {
    let ec2 = &clients.ec2;
    let by_vpc = || filter("vpc-id", &[vpc]);
    let (subnets, gateways, groups, tables, endpoints, nics) = tokio::join!(
        ec2.describe_subnets().filters(by_vpc()).send(),
        ec2.describe_internet_gateways()
            .filters(filter("attachment.vpc-id", &[vpc]))
            .send(),
        ec2.describe_security_groups().filters(by_vpc()).send(),
        ec2.describe_route_tables().filters(by_vpc()).send(),
        ec2.describe_vpc_endpoints().filters(by_vpc()).send(),
        interfaces(clients, "vpc-id", vpc),
    );
    let mut out = Vec::new();
    if let Ok(s) = subnets {
        out.extend(
            s.subnets()
                .iter()
                .map(|x| item("subnet", x.subnet_id(), x.tags())),
        );
    }
    if let Ok(g) = gateways {
        out.extend(
            g.internet_gateways()
                .iter()
                .map(|x| item("internet gateway", x.internet_gateway_id(), x.tags())),
        );
    }
    // The default group and the main route table go with the VPC.
    if let Ok(g) = groups {
        out.extend(
            g.security_groups()
                .iter()
                .filter(|x| x.group_name() != Some("default"))
                .map(|x| item("security group", x.group_id(), x.tags())),
        );
    }
    if let Ok(t) = tables {
        out.extend(
            t.route_tables()
                .iter()
                .filter(|x| !x.associations().iter().any(|a| a.main() == Some(true)))
                .map(|x| item("route table", x.route_table_id(), x.tags())),
        );
    }
    if let Ok(e) = endpoints {
        out.extend(
            e.vpc_endpoints()
                .iter()
                .filter(|x| {
                    x.state()
                        .is_none_or(|s| !s.as_str().eq_ignore_ascii_case("deleted"))
                })
                .map(|x| item("endpoint", x.vpc_endpoint_id(), x.tags())),
        );
    }
    out.extend(nics);
    out
}

/// The network interfaces still in the subnet.
pub(super) async fn of_subnet(clients: &Clients, subnet: &str) -> Vec<String> {
    interfaces(clients, "subnet-id", subnet).await
}

/// The interfaces in the group, and the groups whose rules name it.
pub(super) async fn of_group(clients: &Clients, group: &str) -> Vec<String> {
    let referring = |f: &'static str| {
        clients
            .ec2
            .describe_security_groups()
            .filters(filter(f, &[group]))
            .send()
    };
    let (nics, ingress, egress) = tokio::join!(
        interfaces(clients, "group-id", group),
        referring("ip-permission.group-id"),
        referring("egress.ip-permission.group-id"),
    );
    let mut out = nics;
    let mut groups: Vec<String> = [ingress, egress]
        .into_iter()
        .flatten()
        .flat_map(|r| r.security_groups().to_vec())
        .filter(|g| g.group_id() != Some(group))
        .map(|g| item("rules of security group", g.group_id(), g.tags()))
        .collect();
    groups.sort();
    groups.dedup();
    out.extend(groups);
    out
}
