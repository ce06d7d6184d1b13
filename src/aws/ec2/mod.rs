//! EC2: the jravan network (VPC, internet gateway, subnets, route tables, DynamoDB endpoint,
//! security groups), the gateway instance and its Elastic IP.
//!
//! EC2 ids are AWS's, so resources are found by the stack tag and named by their `Name` tag;
//! both are written in the create calls (tag specifications), so nothing exists untagged even
//! for a moment. moto answers some states in lower case where AWS documents capitalised values
//! (and the SDK has separate enum variants): states are compared case-insensitively.

mod address;
mod dependents;
mod endpoint;
mod instance;
mod interface_endpoint;
mod live;
mod network;
mod permissions;
mod read;
mod read_instance;
mod security;

pub use address::{address_allocation, associate_address, delete_address};
pub use endpoint::{create_endpoint, delete_endpoint, update_endpoint};
pub use instance::{
    availability_zones, delete_key_pair, dynamodb_prefix_list, gateway_addresses, instance_image,
    launch_instance, switch_instance, terminate_instance, update_instance_in_place, Launch,
};
pub use interface_endpoint::wait_available;
pub use live::Ec2Live;
pub use network::{
    create_internet_gateway, create_route_table, create_subnet, create_vpc,
    delete_internet_gateway, delete_route_table, delete_subnet, delete_vpc,
    update_internet_gateway, update_route_table, update_vpc,
};
pub use permissions::permissions;
pub use read::{read, KnownIds};
pub use security::rule_attrs;
pub use security::{
    apply_rules, create_security_group, delete_security_group, release_lambda_interfaces,
    revoke_all_rules,
};

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::read::{part, ReadContext, Reader};
use super::AwsError;
use crate::live::{Health, LiveState};
use crate::model::names::TAG_STACK;
use crate::resource::Kind;

/// A client token for the creates that take one (RunInstances, CreateRouteTable,
/// CreateVpcEndpoint): unique per create, the same for the SDK's retries of it, so a retry of a
/// create whose answer was lost returns the first resource instead of making a second.
/// CreateVpc, CreateSubnet, CreateSecurityGroup, CreateInternetGateway and AllocateAddress have
/// none: a copy they leave is found by its tags on the next read (`LiveState::settle_duplicates`).
fn client_token(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut token = format!("{name}-{nanos:x}");
    token.truncate(64);
    token
}

/// The filter that finds everything of a stack.
fn stack_filter(stack: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{TAG_STACK}"))
        .values(stack)
        .build()
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// Tags for a create call: the ownership tags plus `Name`.
fn tag_spec(
    resource_type: ResourceType,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> TagSpecification {
    let mut all: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    all.push(Tag::builder().key("Name").value(name).build());
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(all))
        .build()
}

fn name_tag(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .map(str::to_string)
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// Every EC2 resource of the stack.
pub const READER: Reader = Reader {
    name: "network",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let ahead = cx.ahead;
    let known = KnownIds {
        vpc: ahead.vpc_id.as_deref().filter(|_| ahead.deployed),
        instance: ahead.instance_id.as_deref().filter(|_| ahead.deployed),
    };
    let found = read(cx.clients, &cx.stack.name, known).await?;
    let mut part = part(found.resources);
    part.refs = found.refs;
    part.instance_ami = found.instance_ami;
    part.gateway = found.gateway;
    on_schedule(&mut part, cx.stack);
    Ok(part)
}

/// A stopped instance is healthy while its schedule has it stopped, and unhealthy while the
/// schedule has it running; status shows what the schedule says either way.
fn on_schedule(part: &mut LiveState, stack: &crate::model::Stack) {
    let Some(schedule) = &stack.jravan.schedule else {
        return;
    };
    let at = crate::live::gateway::ScheduleView::now(schedule);
    part.gateway_schedule = Some(at.clone());
    let stopped = part.gateway.as_ref().is_some_and(|g| g.state == "stopped");
    if !stopped {
        return;
    }
    for r in part
        .resources
        .values_mut()
        .filter(|r| r.id.kind == Kind::Instance)
    {
        r.health = if at.running {
            Health::Unhealthy(format!(
                "instance stopped, but its schedule has it running until {} (`baken gateway start` starts it)",
                at.next_stop.as_deref().unwrap_or("further notice")
            ))
        } else {
            Health::Ok
        };
    }
}
