//! The way to Bedrock from jravan mode's private subnets: a bedrock-runtime interface endpoint
//! with private DNS (so the SDK's usual hostname resolves to it) and a security group of its own
//! that admits HTTPS from the functions' group only. Made only for the bedrock advisor.

use std::collections::BTreeMap;

use super::network::{Direction, NetworkNames, Rule, SecurityGroupRulesSpec, SecurityGroupSpec};
use super::{ownership_tags, Account, Desired, Replace, Spec, Wanted};
use crate::model::{EndpointSubnets, Stack};
use crate::resource::refs::id_ref;
use crate::resource::PRESENT;
use crate::resource::{Attrs, Kind, ResourceId};

/// An interface VPC endpoint: network interfaces in `subnets`, guarded by `security_groups`.
#[derive(Debug, Clone)]
pub struct InterfaceEndpointSpec {
    pub name: String,
    pub vpc: String,
    pub service: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub private_dns: bool,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    /// An interface endpoint's attributes, each subnet and each security group it has.
    pub enum InterfaceEndpointAttr<'a> {
        Vpc = "vpc",
        Service = "service",
        Type = "type",
        PrivateDns = "private_dns";
        Subnet = "subnet ",
        SecurityGroup = "security_group ",
    }
}

impl Wanted for InterfaceEndpointSpec {
    // Its network interfaces sit in the subnets and carry the group: EC2 refuses to delete
    // either while the endpoint has them (DependencyViolation).
    const DELETED_BEFORE: &'static [Kind] = &[Kind::Subnet, Kind::SecurityGroup, Kind::Vpc];
    const DELETED_AFTER: &'static [Kind] = &[Kind::Function];
    const REPLACED_ON: &'static [Replace] = &[
        Replace::new(
            InterfaceEndpointAttr::Vpc.name(),
            "an endpoint cannot move to another VPC",
        ),
        Replace::new(
            InterfaceEndpointAttr::Service.name(),
            "an endpoint's service is fixed",
        ),
        Replace::new(
            InterfaceEndpointAttr::Type.name(),
            "an endpoint's type is fixed",
        ),
    ];
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([
            (InterfaceEndpointAttr::Vpc.key(), self.vpc.clone()),
            (InterfaceEndpointAttr::Service.key(), self.service.clone()),
            (InterfaceEndpointAttr::Type.key(), "Interface".into()),
            (
                InterfaceEndpointAttr::PrivateDns.key(),
                self.private_dns.to_string(),
            ),
        ]);
        for s in &self.subnets {
            a.insert(InterfaceEndpointAttr::Subnet(s).key(), PRESENT.into());
        }
        for g in &self.security_groups {
            a.insert(
                InterfaceEndpointAttr::SecurityGroup(g).key(),
                PRESENT.into(),
            );
        }
        a
    }
}

/// The endpoint, its security group and the group's one rule, when the functions call Bedrock.
pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack, account: &Account, names: &NetworkNames) {
    if !stack.handlers.calls_bedrock() {
        return;
    }
    let tags = ownership_tags(&stack.name);
    let vpc_id = ResourceId::new(Kind::Vpc, &names.vpc);
    let sg_id = ResourceId::new(Kind::SecurityGroup, &names.bedrock_sg);
    let lambda_sg_id = ResourceId::new(Kind::SecurityGroup, &names.lambda_sg);
    out.push(Desired {
        id: sg_id.clone(),
        spec: Spec::SecurityGroup(SecurityGroupSpec {
            name: names.bedrock_sg.clone(),
            vpc: id_ref(Kind::Vpc, &names.vpc),
            description: "baken: Bedrock runtime endpoint".into(),
            tags: tags.clone(),
        }),
        depends_on: vec![vpc_id.clone()],
    });
    // No egress rule: an endpoint's interfaces answer, they never start a connection.
    out.push(Desired {
        id: ResourceId::new(Kind::SecurityGroupRules, &names.bedrock_sg),
        spec: Spec::SecurityGroupRules(SecurityGroupRulesSpec {
            name: names.bedrock_sg.clone(),
            group: id_ref(Kind::SecurityGroup, &names.bedrock_sg),
            rules: vec![Rule::tcp(
                Direction::Ingress,
                443,
                id_ref(Kind::SecurityGroup, &names.lambda_sg),
            )],
        }),
        depends_on: vec![sg_id.clone(), lambda_sg_id],
    });
    let subnets: &[String] = match stack.jravan.bedrock_endpoint {
        EndpointSubnets::Every => &names.private_subnets,
        EndpointSubnets::One => &names.private_subnets[..1],
    };
    let mut depends_on = vec![vpc_id, sg_id];
    depends_on.extend(subnets.iter().map(|s| ResourceId::new(Kind::Subnet, s)));
    out.push(Desired {
        id: ResourceId::new(Kind::InterfaceEndpoint, &names.bedrock_endpoint),
        spec: Spec::InterfaceEndpoint(InterfaceEndpointSpec {
            name: names.bedrock_endpoint.clone(),
            vpc: id_ref(Kind::Vpc, &names.vpc),
            service: format!("com.amazonaws.{}.bedrock-runtime", account.region),
            subnets: subnets.iter().map(|s| id_ref(Kind::Subnet, s)).collect(),
            security_groups: vec![id_ref(Kind::SecurityGroup, &names.bedrock_sg)],
            private_dns: true,
            tags,
        }),
        depends_on,
    });
}
