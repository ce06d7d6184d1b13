//! `baken adopt --cleanup`: removes what the receipt lists as replaced by baken's own (the CDK
//! app's roles and grants, and in jravan mode its instance, network and key pair), once nothing
//! of baken's uses them. Only what the receipt names is touched, by the physical id
//! CloudFormation reported: nothing is found by guessing a name.
//!
//! The order is what AWS needs to let go: grants, the instance, its address and key, the
//! endpoint, every security group's rules (groups refer to each other) and then the groups, the
//! subnets (both wait for Lambda to release the functions' network interfaces, up to ~45 minutes
//! after the functions left the VPC), route tables, the internet gateway, the VPC, and the roles
//! last. Every removal treats "already gone" as done, so a re-run continues.

use serde::Serialize;
use serde_json::Value;

use super::receipt::Receipt;
use super::{Disposition, Fate};
use crate::aws::{ec2, iam, lambda, AwsError, Clients};

/// What happened to one replaced resource.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Removal {
    pub stack: String,
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "outcome", content = "why", rename_all = "kebab-case")]
pub enum Outcome {
    Removed,
    /// Removed with another resource (a rule with its group, a route with its table).
    WentWith(String),
    /// Not removed; why, and what to do.
    Kept(String),
}

/// Where a type goes in the removal order; None: it goes with another resource.
fn rank(resource_type: &str) -> Option<u8> {
    Some(match resource_type {
        "AWS::Lambda::Permission" => 0,
        "AWS::Lambda::LayerVersion" => 0,
        "AWS::EC2::Instance" => 1,
        "AWS::EC2::EIP" => 2,
        "AWS::EC2::KeyPair" => 3,
        "AWS::EC2::VPCEndpoint" => 4,
        "AWS::EC2::SecurityGroup" => 5,
        "AWS::EC2::Subnet" => 6,
        "AWS::EC2::RouteTable" => 7,
        "AWS::EC2::InternetGateway" => 8,
        "AWS::EC2::VPC" => 9,
        "AWS::IAM::InstanceProfile" => 10,
        "AWS::IAM::Policy" => 11,
        "AWS::IAM::Role" => 12,
        _ => return None,
    })
}

fn parent_of(resource_type: &str) -> &'static str {
    match resource_type {
        "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => "its security group",
        "AWS::EC2::Route" | "AWS::EC2::SubnetRouteTableAssociation" => "its route table",
        "AWS::EC2::VPCGatewayAttachment" => "the internet gateway",
        "AWS::EC2::EIPAssociation" => "the Elastic IP",
        _ => "",
    }
}

/// The replaced resources of the receipt in removal order.
pub fn order(receipt: &Receipt) -> Vec<&Disposition> {
    let mut out: Vec<&Disposition> = receipt
        .resources
        .iter()
        .filter(|d| d.fate == Fate::Replaced)
        .collect();
    out.sort_by_key(|d| rank(&d.resource_type).unwrap_or(u8::MAX));
    out
}

/// The resource's entry in its stack's template, as the receipt keeps it.
fn template_entry(receipt: &Receipt, d: &Disposition) -> Option<Value> {
    let stack = receipt.stacks.iter().find(|s| s.name == d.stack)?;
    let template: Value = serde_json::from_str(&stack.template).ok()?;
    template["Resources"].get(&d.logical_id).cloned()
}

/// The function a `AWS::Lambda::Permission` grants on, from the stack's template: a name or ARN
/// written out, or a Ref / GetAtt of the stack's function (its physical id in the receipt).
fn permission_function(receipt: &Receipt, d: &Disposition) -> Option<String> {
    let entry = template_entry(receipt, d)?;
    let logical = match &entry["Properties"]["FunctionName"] {
        Value::String(s) => return Some(s.rsplit(':').next().unwrap_or(s).to_string()),
        Value::Object(o) => o
            .get("Ref")
            .and_then(Value::as_str)
            .or_else(|| o.get("Fn::GetAtt")?.get(0)?.as_str())?
            .to_string(),
        _ => return None,
    };
    let stack = receipt.stacks.iter().find(|s| s.name == d.stack)?;
    stack
        .resources
        .iter()
        .find(|r| r.logical_id == logical)
        .and_then(|r| r.physical_id.clone())
}

/// The roles an `AWS::IAM::Policy` is put on (Refs to the stack's roles, as their physical
/// ids in the receipt, or names written out) and the name it has on them.
fn inline_policy(receipt: &Receipt, d: &Disposition) -> Option<(String, Vec<String>)> {
    let entry = template_entry(receipt, d)?;
    let name = entry["Properties"]["PolicyName"].as_str()?.to_string();
    let stack = receipt.stacks.iter().find(|s| s.name == d.stack)?;
    let roles = entry["Properties"]["Roles"]
        .as_array()?
        .iter()
        .filter_map(|r| match r {
            Value::String(n) => Some(n.clone()),
            Value::Object(o) => {
                let logical = o.get("Ref")?.as_str()?;
                stack
                    .resources
                    .iter()
                    .find(|x| x.logical_id == logical)?
                    .physical_id
                    .clone()
            }
            _ => None,
        })
        .collect();
    Some((name, roles))
}

/// A key pair's name as the stack's template declares it, for a key pair CloudFormation reported
/// no physical id for (moto makes none; AWS reports the name).
fn declared_name(receipt: &Receipt, d: &Disposition) -> Option<String> {
    if d.resource_type != "AWS::EC2::KeyPair" {
        return None;
    }
    template_entry(receipt, d)?["Properties"]["KeyName"]
        .as_str()
        .map(str::to_string)
}

/// Removes every replaced resource of the receipt. `roles_in_use`: role names a live function
/// still runs as (those are kept, with the reason).
pub async fn run(
    clients: &Clients,
    receipt: &Receipt,
    roles_in_use: &[String],
    report: &dyn Fn(&Removal),
) -> Result<Vec<Removal>, AwsError> {
    let mut out = Vec::new();
    let replaced = order(receipt);
    // Groups refer to each other in their rules: every group's rules go before any group.
    for d in replaced
        .iter()
        .filter(|d| d.resource_type == "AWS::EC2::SecurityGroup")
    {
        if let Some(id) = &d.physical_id {
            ec2::revoke_all_rules(clients, id, &d.logical_id).await?;
        }
    }
    for d in replaced {
        let id = d.physical_id.clone().or_else(|| declared_name(receipt, d));
        let interrupted = crate::engine::interrupt::requested().is_some();
        let outcome = match (rank(&d.resource_type), id.as_deref()) {
            // Interrupted: nothing more is removed; a re-run goes on.
            _ if interrupted => {
                Outcome::Kept("the run was interrupted; run --cleanup again".into())
            }
            (None, _) => match parent_of(&d.resource_type) {
                "" => Outcome::Kept(format!(
                    "baken adopt does not remove {}; delete it by hand if nothing uses it",
                    d.resource_type
                )),
                parent => Outcome::WentWith(parent.to_string()),
            },
            (Some(_), None) => Outcome::Kept("CloudFormation reported no physical id".into()),
            (Some(_), Some(id)) => remove(clients, receipt, d, id, roles_in_use).await?,
        };
        let r = Removal {
            stack: d.stack.clone(),
            logical_id: d.logical_id.clone(),
            resource_type: d.resource_type.clone(),
            physical_id: d.physical_id.clone(),
            outcome,
        };
        report(&r);
        out.push(r);
    }
    Ok(out)
}

async fn remove(
    clients: &Clients,
    receipt: &Receipt,
    d: &Disposition,
    id: &str,
    roles_in_use: &[String],
) -> Result<Outcome, AwsError> {
    let name = d.logical_id.as_str();
    match d.resource_type.as_str() {
        "AWS::Lambda::Permission" => {
            let Some(function) = permission_function(receipt, d) else {
                return Ok(Outcome::Kept(
                    "its function is not named in the template".into(),
                ));
            };
            // CloudFormation reports the statement id, or `function ARN|statement id`.
            let statement = id.rsplit('|').next().unwrap_or(id);
            lambda::remove_permission(clients, &function, statement).await?
        }
        "AWS::EC2::Instance" => ec2::terminate_instance(clients, id, name).await?,
        "AWS::EC2::EIP" => {
            if let Some(allocation) = ec2::address_allocation(clients, id).await? {
                ec2::delete_address(clients, &allocation, name).await?
            }
        }
        "AWS::EC2::KeyPair" => ec2::delete_key_pair(clients, id).await?,
        "AWS::EC2::VPCEndpoint" => ec2::delete_endpoint(clients, id, name).await?,
        "AWS::EC2::SecurityGroup" => ec2::delete_security_group(clients, id, name).await?,
        "AWS::EC2::Subnet" => ec2::delete_subnet(clients, id, name).await?,
        "AWS::EC2::RouteTable" => ec2::delete_route_table(clients, id, name).await?,
        "AWS::EC2::InternetGateway" => {
            ec2::delete_internet_gateway(clients, id, name, None).await?
        }
        "AWS::EC2::VPC" => ec2::delete_vpc(clients, id, name).await?,
        "AWS::IAM::InstanceProfile" => iam::delete_instance_profile(clients, id).await?,
        "AWS::Lambda::LayerVersion" => lambda::delete_layer_version(clients, id).await?,
        // CloudFormation's physical id of an inline policy is not its name: the template says
        // the name and which roles it is on.
        "AWS::IAM::Policy" => {
            let Some((policy, roles)) = inline_policy(receipt, d) else {
                return Ok(Outcome::Kept(
                    "its name and roles are not in the template".into(),
                ));
            };
            if roles.iter().any(|r| roles_in_use.contains(r)) {
                return Ok(Outcome::Kept(
                    "a function still runs as its role; run `baken deploy`, then --cleanup again"
                        .into(),
                ));
            }
            for role in &roles {
                iam::delete_role_policy(clients, role, &policy).await?;
            }
        }
        "AWS::IAM::Role" => {
            if roles_in_use.iter().any(|r| r == id) {
                return Ok(Outcome::Kept(
                    "a function still runs as this role; run `baken deploy`, then --cleanup again"
                        .into(),
                ));
            }
            iam::delete(clients, id).await?
        }
        other => {
            return Ok(Outcome::Kept(format!(
                "baken adopt does not remove {other}"
            )));
        }
    }
    Ok(Outcome::Removed)
}
