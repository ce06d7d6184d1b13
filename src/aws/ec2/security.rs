//! Security groups, their rules, and the Lambda network interfaces that keep a group in use after
//! the functions have left the VPC.

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup, UserIdGroupPair,
};

use super::{filter, tag_spec};
use crate::aws::client::error::{absent_if, on};
use crate::aws::client::retry::{retry_while, wait_until, Poll};
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::network::{Direction, Rule, SecurityGroupAttr};
use crate::desired::SecurityGroupRulesSpec;
use crate::desired::SecurityGroupSpec;
use crate::resource::refs::id_key;
use crate::resource::Kind;
use crate::resource::{Attrs, PRESENT};

const GONE: &[&str] = &[
    "InvalidGroup.NotFound",
    "InvalidNetworkInterfaceID.NotFound",
];

fn permission(rule: &Rule) -> IpPermission {
    let p = IpPermission::builder()
        .ip_protocol(&rule.protocol)
        .from_port(rule.from_port)
        .to_port(rule.to_port);
    let peer = rule.peer.as_str();
    let p = if peer.starts_with("sg-") {
        p.user_id_group_pairs(UserIdGroupPair::builder().group_id(peer).build())
    } else if peer.starts_with("pl-") {
        p.prefix_list_ids(PrefixListId::builder().prefix_list_id(peer).build())
    } else if peer.contains(':') {
        p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(peer).build())
    } else {
        p.ip_ranges(IpRange::builder().cidr_ip(peer).build())
    };
    p.build()
}

/// Creates the group and removes the allow-all egress rule AWS gives every new group: a group's
/// rules are exactly the ones its rules resource lists.
pub async fn create_security_group(
    clients: &Clients,
    spec: &SecurityGroupSpec,
    vpc: &str,
) -> Result<String, AwsError> {
    let res = format!("security group {}", spec.name);
    let out = clients
        .ec2
        .create_security_group()
        .group_name(&spec.name)
        .description(&spec.description)
        .vpc_id(vpc)
        .tag_specifications(tag_spec(
            ResourceType::SecurityGroup,
            &spec.name,
            &spec.tags,
        ))
        .send()
        .await
        .map_err(on("CreateSecurityGroup", &res))?;
    let id = out.group_id().unwrap_or_default().to_string();
    let default_egress = Rule {
        direction: Direction::Egress,
        protocol: "-1".into(),
        from_port: -1,
        to_port: -1,
        peer: "0.0.0.0/0".into(),
    };
    absent_if(
        clients
            .ec2
            .revoke_security_group_egress()
            .group_id(&id)
            .ip_permissions(permission(&default_egress))
            .send()
            .await
            .map_err(on("RevokeSecurityGroupEgress", &res)),
        &["InvalidPermission.NotFound"],
    )?;
    Ok(id)
}

async fn authorize(clients: &Clients, group: &str, res: &str, rule: &Rule) -> Result<(), AwsError> {
    let p = permission(rule);
    let r = match rule.direction {
        Direction::Ingress => clients
            .ec2
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(on("AuthorizeSecurityGroupIngress", res)),
        Direction::Egress => clients
            .ec2
            .authorize_security_group_egress()
            .group_id(group)
            .ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(on("AuthorizeSecurityGroupEgress", res)),
    };
    absent_if(r, &["InvalidPermission.Duplicate"]).map(|_| ())
}

async fn revoke(clients: &Clients, group: &str, res: &str, rule: &Rule) -> Result<(), AwsError> {
    let p = permission(rule);
    let r = match rule.direction {
        Direction::Ingress => clients
            .ec2
            .revoke_security_group_ingress()
            .group_id(group)
            .ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(on("RevokeSecurityGroupIngress", res)),
        Direction::Egress => clients
            .ec2
            .revoke_security_group_egress()
            .group_id(group)
            .ip_permissions(p)
            .send()
            .await
            .map(|_| ())
            .map_err(on("RevokeSecurityGroupEgress", res)),
    };
    absent_if(r, &["InvalidPermission.NotFound"]).map(|_| ())
}

/// Authorizes the wanted rules named in `changed` and revokes the others it names (their keys
/// are the rules; see `Rule::key`).
pub async fn apply_rules(
    clients: &Clients,
    group: &str,
    name: &str,
    wanted: &[Rule],
    changed: &[String],
) -> Result<(), AwsError> {
    let res = format!("security group rules {name} ({group})");
    for key in changed {
        let Some(rule) = Rule::parse(key) else {
            continue;
        };
        if wanted.contains(&rule) {
            authorize(clients, group, &res, &rule).await?;
        } else {
            revoke(clients, group, &res, &rule).await?;
        }
    }
    Ok(())
}

/// Revokes every rule of the group: the two groups name each other, and AWS refuses to delete a
/// group another group's rule still refers to.
pub async fn revoke_all_rules(clients: &Clients, group: &str, name: &str) -> Result<(), AwsError> {
    let res = format!("security group rules {name} ({group})");
    let found = absent_if(
        clients
            .ec2
            .describe_security_groups()
            .group_ids(group)
            .send()
            .await
            .map_err(on("DescribeSecurityGroups", &res)),
        GONE,
    )?;
    let Some(found) = found else { return Ok(()) };
    for g in found.security_groups() {
        let attrs = rule_attrs(g.ip_permissions(), g.ip_permissions_egress());
        for key in attrs.keys() {
            if let Some(rule) = Rule::parse(key) {
                revoke(clients, group, &res, &rule).await?;
            }
        }
    }
    Ok(())
}

/// Lambda's network interfaces in the group: AWS detaches them some time after the functions
/// leave the VPC (up to about 45 minutes) and only then can they, the group and the subnets go.
/// Waits for each to be `available`, deletes it, and says what it is waiting for.
pub async fn release_lambda_interfaces(
    clients: &Clients,
    group: &str,
    name: &str,
) -> Result<(), AwsError> {
    let res = format!("network interfaces of security group {name} ({group})");
    wait_until(
        "DescribeNetworkInterfaces",
        &res,
        &clients.timing,
        clients.timing.eni_release,
        || async {
            let out = clients
                .ec2
                .describe_network_interfaces()
                .filters(filter("group-id", &[group]))
                .send()
                .await
                .map_err(on("DescribeNetworkInterfaces", &res))?;
            let lambda: Vec<_> = out
                .network_interfaces()
                .iter()
                .filter(|n| {
                    n.description()
                        .is_some_and(|d| d.starts_with("AWS Lambda VPC ENI"))
                        || n.requester_id().is_some_and(|r| r.contains("awslambda"))
                        || n.interface_type().is_some_and(|t| t.as_str() == "lambda")
                })
                .collect();
            let mut in_use = Vec::new();
            for n in lambda {
                let id = n.network_interface_id().unwrap_or_default();
                let status = n
                    .status()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .unwrap_or_default();
                if status != "available" {
                    in_use.push(format!("{id} ({status})"));
                    continue;
                }
                absent_if(
                    clients
                        .ec2
                        .delete_network_interface()
                        .network_interface_id(id)
                        .send()
                        .await
                        .map_err(on(
                            "DeleteNetworkInterface",
                            format!("network interface {id}"),
                        )),
                    GONE,
                )?;
            }
            Ok(if in_use.is_empty() {
                Poll::Done(())
            } else {
                Poll::Waiting(format!(
                    "Lambda to release network interface(s) {}",
                    in_use.join(", ")
                ))
            })
        },
    )
    .await
}

/// Deletes the group once nothing uses it; `DependencyViolation` (an interface or a rule of
/// another group still refers to it) is retried within the interface-release bound.
pub async fn delete_security_group(
    clients: &Clients,
    id: &str,
    name: &str,
) -> Result<(), AwsError> {
    release_lambda_interfaces(clients, id, name).await?;
    retry_while(
        &clients.timing,
        clients.timing.eni_release,
        |e| e.code_is("DependencyViolation"),
        || async {
            let deleted = absent_if(
                clients
                    .ec2
                    .delete_security_group()
                    .group_id(id)
                    .send()
                    .await
                    .map_err(on(
                        "DeleteSecurityGroup",
                        format!("security group {name} ({id})"),
                    )),
                GONE,
            )
            .map(|_| ());
            match deleted {
                Err(e) => Err(super::dependents::explained(e, || {
                    super::dependents::of_group(clients, id)
                })
                .await),
                ok => ok,
            }
        },
    )
    .await
}

/// A security group's own live attributes (its rules are the next kind's).
pub(super) fn security_group_attrs(g: &SecurityGroup) -> Attrs {
    Attrs::from([
        (
            SecurityGroupAttr::Vpc.key(),
            g.vpc_id().unwrap_or_default().to_string(),
        ),
        (
            SecurityGroupAttr::Description.key(),
            g.description().unwrap_or_default().to_string(),
        ),
    ])
}

impl Seam for SecurityGroupSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 2;
    /// The group's rules are a resource of their own (`SecurityGroupRulesSpec`) with the group's id.
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let id = create_security_group(cx.clients, self, &cx.fill(&self.vpc)?).await?;
        cx.learn(id_key(Kind::SecurityGroupRules, cx.name()), id.clone());
        cx.learn_own_id(id);
        Ok(())
    }
    /// Every compared attribute of a group forces a replacement (`SecurityGroupSpec::REPLACED_ON`).
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        Err(super::network::in_place_refused(cx))
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { delete_security_group(cx.clients, &id, cx.name()).await })
            .await
    }
}

/// A security group's rules, as the rules kind's attributes.
pub(super) fn security_group_rules_attrs(g: &SecurityGroup) -> Attrs {
    rule_attrs(g.ip_permissions(), g.ip_permissions_egress())
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

impl Seam for SecurityGroupRulesSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        // A new rule set: every wanted rule is a change.
        let rules = self.filled(cx)?;
        let keys: Vec<String> = rules.iter().map(|r| r.key()).collect();
        apply_rules(cx.clients, &cx.fill(&self.group)?, cx.name(), &rules, &keys).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let rules = self.filled(cx)?;
        apply_rules(
            cx.clients,
            &cx.fill(&self.group)?,
            cx.name(),
            &rules,
            &cx.changed(),
        )
        .await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { revoke_all_rules(cx.clients, &id, cx.name()).await })
            .await
    }
}

impl SecurityGroupRulesSpec {
    /// The rules with their peers' ids filled in.
    fn filled(&self, cx: &StepContext<'_>) -> Result<Vec<Rule>, AwsError> {
        let mut rules = self.rules.clone();
        for r in &mut rules {
            r.peer = cx.fill(&r.peer)?;
        }
        Ok(rules)
    }
}
