//! The jravan network: VPC, internet gateway, public and private subnets, route tables, the
//! DynamoDB gateway endpoint and the two security groups with rules that name each other.

use std::collections::BTreeMap;

use serde_json::json;

use super::{ownership_tags, Account, Desired, JravanFacts, Replace, ReplaceRisk, Spec, Wanted};
use crate::model::names::ec2_name;
use crate::model::Stack;
use crate::resource::json::canonical_json;
use crate::resource::refs::id_ref;
use crate::resource::PRESENT;
use crate::resource::{Attrs, Kind, ResourceId};

/// The attribute value of one member of a set (a rule, an association): present or absent.

#[derive(Debug, Clone)]
pub struct VpcSpec {
    pub name: String,
    pub cidr: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum VpcAttr {
        Cidr = "cidr",
        DnsSupport = "dns_support",
        DnsHostnames = "dns_hostnames",
    }
}

impl Wanted for VpcSpec {
    const DELETED_AFTER: &'static [Kind] = &[
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::VpcEndpoint,
        Kind::SecurityGroup,
        Kind::SecurityGroupRules,
    ];
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        VpcAttr::Cidr.name(),
        "a VPC's primary CIDR block is fixed",
    )];
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::InUse;
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (VpcAttr::Cidr.key(), self.cidr.clone()),
            (VpcAttr::DnsSupport.key(), "true".into()),
            (VpcAttr::DnsHostnames.key(), "true".into()),
        ])
    }
}

#[derive(Debug, Clone)]
pub struct InternetGatewaySpec {
    pub name: String,
    pub vpc: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum InternetGatewayAttr {
        AttachedTo = "attached_to",
    }
}

impl Wanted for InternetGatewaySpec {
    // No public address may be mapped when the gateway detaches.
    const DELETED_AFTER: &'static [Kind] = &[Kind::ElasticIp, Kind::Instance, Kind::RouteTable];
    fn attrs(&self) -> Attrs {
        Attrs::from([(InternetGatewayAttr::AttachedTo.key(), self.vpc.clone())])
    }
}

#[derive(Debug, Clone)]
pub struct SubnetSpec {
    pub name: String,
    pub vpc: String,
    pub cidr: String,
    pub availability_zone: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum SubnetAttr {
        Vpc = "vpc",
        Cidr = "cidr",
        AvailabilityZone = "availability_zone",
    }
}

impl Wanted for SubnetSpec {
    // The security group's delete is what waits for Lambda to release its interfaces; the subnet
    // goes after it rather than racing the same interfaces.
    const DELETED_AFTER: &'static [Kind] = &[
        Kind::RouteTable,
        Kind::Function,
        Kind::Instance,
        Kind::SecurityGroup,
    ];
    const REPLACED_ON: &'static [Replace] = &[
        Replace::new(
            SubnetAttr::Vpc.name(),
            "a subnet cannot move to another VPC",
        ),
        Replace::new(SubnetAttr::Cidr.name(), "a subnet's CIDR block is fixed"),
        Replace::new(
            SubnetAttr::AvailabilityZone.name(),
            "a subnet cannot move to another zone",
        ),
    ];
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::InUse;
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (SubnetAttr::Vpc.key(), self.vpc.clone()),
            (SubnetAttr::Cidr.key(), self.cidr.clone()),
            (
                SubnetAttr::AvailabilityZone.key(),
                self.availability_zone.clone(),
            ),
        ])
    }
}

#[derive(Debug, Clone)]
pub struct RouteTableSpec {
    pub name: String,
    pub vpc: String,
    /// Destination CIDR → gateway id. The VPC's local route and the endpoint's prefix-list
    /// routes are AWS's own and not listed.
    pub routes: Vec<(String, String)>,
    pub subnets: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    /// A route table's VPC, each route by destination, each subnet associated.
    pub enum RouteTableAttr<'a> {
        Vpc = "vpc";
        Route = "route ",
        Association = "association ",
    }
}

impl Wanted for RouteTableSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::VpcEndpoint, Kind::Function, Kind::Instance];
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        RouteTableAttr::Vpc.name(),
        "a route table cannot move to another VPC",
    )];
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::InUse;
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([(RouteTableAttr::Vpc.key(), self.vpc.clone())]);
        for (dest, target) in &self.routes {
            a.insert(RouteTableAttr::Route(dest).key(), target.clone());
        }
        for s in &self.subnets {
            a.insert(RouteTableAttr::Association(s).key(), PRESENT.into());
        }
        a
    }
}

#[derive(Debug, Clone)]
pub struct EndpointSpec {
    pub name: String,
    pub vpc: String,
    pub service: String,
    pub route_tables: Vec<String>,
    pub policy: serde_json::Value,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    /// The DynamoDB gateway endpoint's attributes and each route table it serves.
    pub enum EndpointAttr<'a> {
        Vpc = "vpc",
        Service = "service",
        Type = "type",
        Policy = "policy";
        RouteTable = "route_table ",
    }
}

impl Wanted for EndpointSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::Function];
    const REPLACED_ON: &'static [Replace] = &[
        Replace::new(
            EndpointAttr::Vpc.name(),
            "an endpoint cannot move to another VPC",
        ),
        Replace::new(
            EndpointAttr::Service.name(),
            "an endpoint's service is fixed",
        ),
        Replace::new(EndpointAttr::Type.name(), "an endpoint's type is fixed"),
    ];
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([
            (EndpointAttr::Vpc.key(), self.vpc.clone()),
            (EndpointAttr::Service.key(), self.service.clone()),
            (EndpointAttr::Type.key(), "Gateway".into()),
            (EndpointAttr::Policy.key(), canonical_json(&self.policy)),
        ]);
        for rt in &self.route_tables {
            a.insert(EndpointAttr::RouteTable(rt).key(), PRESENT.into());
        }
        a
    }
}

#[derive(Debug, Clone)]
pub struct SecurityGroupSpec {
    pub name: String,
    pub vpc: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum SecurityGroupAttr {
        Vpc = "vpc",
        Description = "description",
    }
}

impl Wanted for SecurityGroupSpec {
    const DELETED_AFTER: &'static [Kind] = &[
        Kind::SecurityGroupRules,
        Kind::Function,
        Kind::Instance,
        Kind::VpcEndpoint,
    ];
    const REPLACED_ON: &'static [Replace] = &[
        Replace::new(
            SecurityGroupAttr::Vpc.name(),
            "a security group cannot move to another VPC",
        ),
        Replace::new(
            SecurityGroupAttr::Description.name(),
            "EC2 cannot change a security group's description",
        ),
    ];
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::InUse;
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (SecurityGroupAttr::Vpc.key(), self.vpc.clone()),
            (
                SecurityGroupAttr::Description.key(),
                self.description.clone(),
            ),
        ])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// One TCP rule of a security group. `peer` is a security group id (`sg-`), a prefix list id
/// (`pl-`) or a CIDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub direction: Direction,
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    pub peer: String,
}

impl Rule {
    pub fn tcp(direction: Direction, port: i32, peer: String) -> Rule {
        Rule {
            direction,
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            peer,
        }
    }

    /// The attribute key: `ingress tcp 8000 sg-…`; `all` for every protocol or port.
    pub fn key(&self) -> String {
        let dir = match self.direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        let ports = if self.protocol == "-1" || (self.from_port == -1 && self.to_port == -1) {
            "all".to_string()
        } else if self.from_port == self.to_port {
            self.from_port.to_string()
        } else {
            format!("{}-{}", self.from_port, self.to_port)
        };
        let proto = if self.protocol == "-1" {
            "all"
        } else {
            &self.protocol
        };
        format!("{dir} {proto} {ports} {}", self.peer)
    }

    /// The rule an attribute key names (the inverse of `key`).
    pub fn parse(key: &str) -> Option<Rule> {
        let mut parts = key.split(' ');
        let direction = match parts.next()? {
            "ingress" => Direction::Ingress,
            "egress" => Direction::Egress,
            _ => return None,
        };
        let proto = parts.next()?;
        let ports = parts.next()?;
        let peer = parts.next()?.to_string();
        let protocol = if proto == "all" { "-1" } else { proto }.to_string();
        let (from_port, to_port) = match ports.split_once('-') {
            _ if ports == "all" => (-1, -1),
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => (ports.parse().ok()?, ports.parse().ok()?),
        };
        Some(Rule {
            direction,
            protocol,
            from_port,
            to_port,
            peer,
        })
    }
}

/// The complete rule set of one security group: rules not listed are revoked.
#[derive(Debug, Clone)]
pub struct SecurityGroupRulesSpec {
    pub name: String,
    pub group: String,
    pub rules: Vec<Rule>,
}

impl Wanted for SecurityGroupRulesSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::Function, Kind::Instance];
    fn attrs(&self) -> Attrs {
        self.rules
            .iter()
            .map(|r| (r.key(), PRESENT.to_string()))
            .collect()
    }
}

/// Names of the jravan resources other parts of the desired state refer to.
pub struct NetworkNames {
    pub vpc: String,
    pub private_subnets: Vec<String>,
    pub public_subnets: Vec<String>,
    pub lambda_sg: String,
    pub gateway_sg: String,
    pub bedrock_sg: String,
    pub bedrock_endpoint: String,
}

impl NetworkNames {
    pub fn of(stack: &Stack, az_count: usize) -> NetworkNames {
        let n = |s: &str| ec2_name(&stack.name, s);
        NetworkNames {
            vpc: n("vpc"),
            private_subnets: (1..=az_count).map(|i| n(&format!("private-{i}"))).collect(),
            public_subnets: (1..=az_count).map(|i| n(&format!("public-{i}"))).collect(),
            lambda_sg: n("lambda-sg"),
            gateway_sg: n("gateway-sg"),
            bedrock_sg: n("bedrock-sg"),
            bedrock_endpoint: n("bedrock-endpoint"),
        }
    }
}

fn push(out: &mut Vec<Desired>, kind: Kind, name: &str, spec: Spec, deps: Vec<ResourceId>) {
    out.push(Desired {
        id: ResourceId::new(kind, name),
        spec,
        depends_on: deps,
    });
}

/// The endpoint may reach the stack's two tables and their indexes, nothing else.
fn endpoint_policy(stack: &Stack, account: &Account) -> serde_json::Value {
    let mut resources = Vec::new();
    for t in [&stack.cart_table, &stack.session_table] {
        let arn = account.table_arn(t);
        resources.push(format!("{arn}/index/*"));
        resources.push(arn);
    }
    resources.sort();
    json!({
        "Version": "2008-10-17",
        "Statement": [{
            "Sid": "StackTablesOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "dynamodb:*",
            "Resource": resources
        }]
    })
}

pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack, account: &Account, facts: &JravanFacts) {
    let j = &stack.jravan;
    let tags = ownership_tags(&stack.name);
    let names = NetworkNames::of(stack, facts.availability_zones.len());
    let vpc_id = ResourceId::new(Kind::Vpc, &names.vpc);
    let vpc = id_ref(Kind::Vpc, &names.vpc);
    push(
        out,
        Kind::Vpc,
        &names.vpc,
        Spec::Vpc(VpcSpec {
            name: names.vpc.clone(),
            cidr: j.vpc_cidr.clone(),
            tags: tags.clone(),
        }),
        vec![],
    );
    let igw = ec2_name(&stack.name, "igw");
    push(
        out,
        Kind::InternetGateway,
        &igw,
        Spec::InternetGateway(InternetGatewaySpec {
            name: igw.clone(),
            vpc: vpc.clone(),
            tags: tags.clone(),
        }),
        vec![vpc_id.clone()],
    );
    let mut subnet_ids = (Vec::new(), Vec::new());
    for (i, az) in facts.availability_zones.iter().enumerate() {
        for (name, cidr, ids) in [
            (
                &names.public_subnets[i],
                &j.public_subnets[i],
                &mut subnet_ids.0,
            ),
            (
                &names.private_subnets[i],
                &j.private_subnets[i],
                &mut subnet_ids.1,
            ),
        ] {
            push(
                out,
                Kind::Subnet,
                name,
                Spec::Subnet(SubnetSpec {
                    name: name.clone(),
                    vpc: vpc.clone(),
                    cidr: cidr.clone(),
                    availability_zone: az.clone(),
                    tags: tags.clone(),
                }),
                vec![vpc_id.clone()],
            );
            ids.push(ResourceId::new(Kind::Subnet, name));
        }
    }
    let refs_of = |ids: &[ResourceId]| -> Vec<String> {
        ids.iter().map(|id| id_ref(id.kind, &id.name)).collect()
    };
    let public_rt = ec2_name(&stack.name, "public-rt");
    let mut deps = vec![vpc_id.clone(), ResourceId::new(Kind::InternetGateway, &igw)];
    deps.extend(subnet_ids.0.iter().cloned());
    push(
        out,
        Kind::RouteTable,
        &public_rt,
        Spec::RouteTable(RouteTableSpec {
            name: public_rt.clone(),
            vpc: vpc.clone(),
            routes: vec![("0.0.0.0/0".into(), id_ref(Kind::InternetGateway, &igw))],
            subnets: refs_of(&subnet_ids.0),
            tags: tags.clone(),
        }),
        deps,
    );
    // No route to the internet: the Lambdas reach DynamoDB through the endpoint and the gateway
    // through the VPC's local route. No NAT gateway.
    let private_rt = ec2_name(&stack.name, "private-rt");
    let mut deps = vec![vpc_id.clone()];
    deps.extend(subnet_ids.1.iter().cloned());
    push(
        out,
        Kind::RouteTable,
        &private_rt,
        Spec::RouteTable(RouteTableSpec {
            name: private_rt.clone(),
            vpc: vpc.clone(),
            routes: vec![],
            subnets: refs_of(&subnet_ids.1),
            tags: tags.clone(),
        }),
        deps,
    );
    let endpoint = ec2_name(&stack.name, "dynamodb-endpoint");
    push(
        out,
        Kind::VpcEndpoint,
        &endpoint,
        Spec::VpcEndpoint(EndpointSpec {
            name: endpoint.clone(),
            vpc: vpc.clone(),
            service: format!("com.amazonaws.{}.dynamodb", account.region),
            route_tables: vec![id_ref(Kind::RouteTable, &private_rt)],
            policy: endpoint_policy(stack, account),
            tags: tags.clone(),
        }),
        vec![
            vpc_id.clone(),
            ResourceId::new(Kind::RouteTable, &private_rt),
        ],
    );
    for (name, description) in [
        (&names.lambda_sg, "baken: Lambda functions of the stack"),
        (&names.gateway_sg, "baken: JV-Link gateway instance"),
    ] {
        push(
            out,
            Kind::SecurityGroup,
            name,
            Spec::SecurityGroup(SecurityGroupSpec {
                name: name.clone(),
                vpc: vpc.clone(),
                description: description.into(),
                tags: tags.clone(),
            }),
            vec![vpc_id.clone()],
        );
    }
    let lambda_sg = id_ref(Kind::SecurityGroup, &names.lambda_sg);
    let gateway_sg = id_ref(Kind::SecurityGroup, &names.gateway_sg);
    let port = i32::from(j.gateway_port);
    let mut lambda_rules = vec![
        Rule::tcp(Direction::Egress, port, gateway_sg.clone()),
        Rule::tcp(Direction::Egress, 443, facts.dynamodb_prefix_list.clone()),
    ];
    let mut groups = vec![
        ResourceId::new(Kind::SecurityGroup, &names.lambda_sg),
        ResourceId::new(Kind::SecurityGroup, &names.gateway_sg),
    ];
    if stack.handlers.calls_bedrock() {
        // To the bedrock-runtime endpoint (desired/bedrock.rs), whose group admits only this one.
        lambda_rules.push(Rule::tcp(
            Direction::Egress,
            443,
            id_ref(Kind::SecurityGroup, &names.bedrock_sg),
        ));
        groups.push(ResourceId::new(Kind::SecurityGroup, &names.bedrock_sg));
    }
    for (name, group, rules) in [
        (&names.lambda_sg, lambda_sg.clone(), lambda_rules),
        (
            &names.gateway_sg,
            gateway_sg.clone(),
            vec![
                Rule::tcp(Direction::Ingress, port, lambda_sg.clone()),
                Rule::tcp(Direction::Egress, 443, "0.0.0.0/0".into()),
            ],
        ),
    ] {
        push(
            out,
            Kind::SecurityGroupRules,
            name,
            Spec::SecurityGroupRules(SecurityGroupRulesSpec {
                name: name.clone(),
                group,
                rules,
            }),
            groups.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_keys_parse_back() {
        for key in [
            "ingress tcp 8000 sg-123",
            "egress tcp 443 pl-61a54008",
            "ingress tcp 3389 0.0.0.0/0",
            "egress all all 0.0.0.0/0",
            "ingress tcp 1000-2000 10.0.0.0/16",
        ] {
            assert_eq!(Rule::parse(key).expect(key).key(), key);
        }
    }
}
