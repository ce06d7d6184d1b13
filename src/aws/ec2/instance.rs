//! The gateway instance, and the account facts the network is planned from. (Its Elastic IP is
//! in `address.rs`.)

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, HttpTokensState, IamInstanceProfileSpecification,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceNetworkInterfaceSpecification, InstanceType, ResourceType, Tag, VolumeType,
};
use base64::Engine as _;

use super::{filter, tag_spec};
use crate::aws::client::error::{absent_if, on};
use crate::aws::client::retry::{retry_while, wait_until, Poll};
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{ssm, AwsError, Clients};
use crate::desired::gateway::InstanceAttr;
use crate::desired::gateway::{TAG_GATEWAY_CODE, TAG_USER_DATA};
use crate::desired::InstanceSpec;
use crate::live::GatewayAddresses;
use crate::resource::refs::private_ip_key;

const GONE: &[&str] = &["InvalidInstanceID.NotFound", "InvalidAllocationID.NotFound"];

/// The first two available zones of the region, in name order (or as many as asked for).
pub async fn availability_zones(clients: &Clients, count: usize) -> Result<Vec<String>, AwsError> {
    let out = clients
        .ec2
        .describe_availability_zones()
        .filters(filter("state", &["available"]))
        .send()
        .await
        .map_err(on(
            "DescribeAvailabilityZones",
            format!("region {}", clients.region),
        ))?;
    let mut zones: Vec<String> = out
        .availability_zones()
        .iter()
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    if zones.len() < count {
        return Err(AwsError::new(
            "DescribeAvailabilityZones",
            format!("region {}", clients.region),
            format!(
                "{} availability zones are available, {count} are needed",
                zones.len()
            ),
        )
        .with_hint(
            "name the zones in the manifest (jravan.network.availability_zones) or lower az_count",
        ));
    }
    zones.truncate(count);
    Ok(zones)
}

/// The region's DynamoDB prefix list (`pl-…`), which the Lambda egress rule allows instead of
/// the whole internet.
pub async fn dynamodb_prefix_list(clients: &Clients) -> Result<String, AwsError> {
    let name = format!("com.amazonaws.{}.dynamodb", clients.region);
    let out = clients
        .ec2
        .describe_prefix_lists()
        .filters(filter("prefix-list-name", &[&name]))
        .send()
        .await
        .map_err(on("DescribePrefixLists", &name))?;
    out.prefix_lists()
        .iter()
        .find_map(|p| p.prefix_list_id().map(str::to_string))
        .ok_or_else(|| {
            AwsError::new(
                "DescribePrefixLists",
                &name,
                "the region has no DynamoDB prefix list",
            )
        })
}

pub async fn gateway_addresses(
    clients: &Clients,
    stack: &str,
    name: &str,
) -> Result<Option<GatewayAddresses>, AwsError> {
    let out = clients
        .ec2
        .describe_instances()
        .filters(super::stack_filter(stack))
        .filters(filter("tag:Name", &[name]))
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping", "stopped"],
        ))
        .send()
        .await
        .map_err(on("DescribeInstances", format!("instance {name}")))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .map(addresses))
}

/// The instance as its outputs and status name it.
pub(super) fn addresses(i: &aws_sdk_ec2::types::Instance) -> GatewayAddresses {
    GatewayAddresses {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        public_ip: i.public_ip_address().map(str::to_string),
        private_ip: i.private_ip_address().map(str::to_string),
        launched_millis: i.launch_time().and_then(|t| t.to_millis().ok()),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
    }
}

/// What the launch needs beyond the spec: the AWS ids it refers to and a client token.
pub struct Launch<'a> {
    pub subnet: &'a str,
    pub security_group: &'a str,
    /// Makes a retried RunInstances (by the SDK, after a timeout) return the first launch
    /// instead of starting a second instance.
    pub client_token: &'a str,
}

/// The image an instance runs, None when there is no such instance (`baken adopt` pins a CDK
/// stack's image parameter to it).
pub async fn instance_image(clients: &Clients, id: &str) -> Result<Option<String>, AwsError> {
    let out = absent_if(
        clients
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(on("DescribeInstances", format!("instance {id}"))),
        &["InvalidInstanceID.NotFound"],
    )?;
    Ok(out.and_then(|o| {
        o.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| i.image_id().map(str::to_string))
    }))
}

/// Launches the instance, waits for it to run, and returns its id and private IP.
pub async fn launch_instance(
    clients: &Clients,
    spec: &InstanceSpec,
    launch: Launch<'_>,
) -> Result<(String, String), AwsError> {
    let res = format!("instance {}", spec.name);
    let Some(software) = &spec.software else {
        return Err(AwsError::new(
            "RunInstances",
            &res,
            "the gateway user data was not rendered",
        ));
    };
    let mut instance_tags = tag_spec(ResourceType::Instance, &spec.name, &spec.tags);
    let mut extra = instance_tags.tags().to_vec();
    extra.push(
        Tag::builder()
            .key(TAG_USER_DATA)
            .value(&software.user_data_sha256)
            .build(),
    );
    extra.push(
        Tag::builder()
            .key(TAG_GATEWAY_CODE)
            .value(&software.bundle_sha256)
            .build(),
    );
    instance_tags = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(ResourceType::Instance)
        .set_tags(Some(extra))
        .build();
    let user_data = base64::engine::general_purpose::STANDARD.encode(&software.user_data);
    let root = BlockDeviceMapping::builder()
        // The Windows AMIs' root device.
        .device_name("/dev/sda1")
        .ebs(
            EbsBlockDevice::builder()
                .volume_size(spec.disk_gb)
                .volume_type(VolumeType::Gp3)
                .encrypted(true)
                .delete_on_termination(true)
                .build(),
        )
        .build();
    // The primary interface, stated rather than implied: AWS deletes it with the instance by
    // default, moto only when asked (without this a terminated instance leaves its interface
    // behind in moto, and the subnet looks in use). No public address of its own: the Elastic IP
    // is the instance's address.
    let primary = InstanceNetworkInterfaceSpecification::builder()
        .device_index(0)
        .subnet_id(launch.subnet)
        .groups(launch.security_group)
        .delete_on_termination(true)
        .associate_public_ip_address(false)
        .build();
    let run = || async {
        clients
            .ec2
            .run_instances()
            .image_id(&spec.ami)
            .instance_type(InstanceType::from(spec.instance_type.as_str()))
            .min_count(1)
            .max_count(1)
            .network_interfaces(primary.clone())
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name(&spec.instance_profile)
                    .build(),
            )
            .block_device_mappings(root.clone())
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(HttpTokensState::Required)
                    .http_endpoint(InstanceMetadataEndpointState::Enabled)
                    .build(),
            )
            .set_key_name(spec.key_pair.clone())
            .disable_api_termination(spec.protected)
            .user_data(&user_data)
            .client_token(launch.client_token)
            .tag_specifications(instance_tags.clone())
            .tag_specifications(tag_spec(ResourceType::Volume, &spec.name, &spec.tags))
            .send()
            .await
            .map_err(on("RunInstances", &res))
    };
    // A new instance profile is not usable by EC2 for a few seconds (IAM is eventually
    // consistent): AWS answers InvalidParameterValue naming the profile.
    let out = retry_while(
        &clients.timing,
        clients.timing.iam_propagation,
        |e| {
            e.code_is("InvalidParameterValue") && e.message.to_ascii_lowercase().contains("profile")
        },
        run,
    )
    .await?;
    let id = out
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .unwrap_or_default()
        .to_string();
    let ip = wait_state(clients, &id, &spec.name, "running").await?;
    // AWS protects the instance from its launch (DisableApiTermination above); moto ignores the
    // launch parameter and keeps only what ModifyInstanceAttribute sets. One read confirms it,
    // and sets it where it did not take.
    if spec.protected && !termination_protected(clients, &id, &res).await? {
        set_termination_protection(clients, &id, &res, true).await?;
    }
    Ok((id, ip.unwrap_or_default()))
}

/// Whether EC2 refuses to terminate the instance (DisableApiTermination).
pub(super) async fn termination_protected(
    clients: &Clients,
    id: &str,
    res: &str,
) -> Result<bool, AwsError> {
    Ok(clients
        .ec2
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .map_err(on("DescribeInstanceAttribute", res))?
        .disable_api_termination()
        .and_then(|v| v.value())
        == Some(true))
}

/// The gateway is created with termination protection: only baken's own terminate, a step the
/// plan listed as destructive, turns it off and ends the instance (and JV-Link's data on it).
async fn set_termination_protection(
    clients: &Clients,
    id: &str,
    res: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    clients
        .ec2
        .modify_instance_attribute()
        .instance_id(id)
        .disable_api_termination(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(enabled)
                .build(),
        )
        .send()
        .await
        .map_err(on("ModifyInstanceAttribute", res))?;
    Ok(())
}

/// Waits for the instance to reach `wanted` (lower case); returns its private IP. A missing
/// instance counts as terminated.
async fn wait_state(
    clients: &Clients,
    id: &str,
    name: &str,
    wanted: &str,
) -> Result<Option<String>, AwsError> {
    let res = format!("instance {name} ({id})");
    wait_until(
        "DescribeInstances",
        &res,
        &clients.timing,
        clients.timing.instance,
        || async {
            let out = absent_if(
                clients
                    .ec2
                    .describe_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .map_err(on("DescribeInstances", &res)),
                GONE,
            )?;
            let instance = out
                .as_ref()
                .and_then(|o| o.reservations().first())
                .and_then(|r| r.instances().first());
            let state = instance
                .and_then(|i| i.state())
                .and_then(|s| s.name())
                .map(|s| s.as_str().to_ascii_lowercase())
                .unwrap_or_else(|| "terminated".into());
            if state == wanted {
                return Ok(Poll::Done(
                    instance
                        .and_then(|i| i.private_ip_address())
                        .map(str::to_string),
                ));
            }
            if wanted == "running" && (state == "terminated" || state == "shutting-down") {
                let reason = instance
                    .and_then(|i| i.state_reason())
                    .and_then(|r| r.message())
                    .unwrap_or("no reason given");
                return Err(AwsError::new(
                    "RunInstances",
                    &res,
                    format!("the instance is {state}: {reason}"),
                ));
            }
            Ok(Poll::Waiting(format!(
                "instance {name} to be {wanted} (now {state})"
            )))
        },
    )
    .await
}

/// The changes an instance takes without being replaced: security group, metadata options, and
/// the gateway code (installed by Run Command, then recorded in the instance's tag).
pub async fn update_instance_in_place(
    clients: &Clients,
    id: &str,
    spec: &InstanceSpec,
    security_group: &str,
    changed: &[String],
) -> Result<(), AwsError> {
    let res = format!("instance {} ({id})", spec.name);
    if changed
        .iter()
        .any(|c| c == InstanceAttr::SecurityGroup.name())
    {
        clients
            .ec2
            .modify_instance_attribute()
            .instance_id(id)
            .groups(security_group)
            .send()
            .await
            .map_err(on("ModifyInstanceAttribute", &res))?;
    }
    if changed
        .iter()
        .any(|c| c == InstanceAttr::TerminationProtection.name())
    {
        set_termination_protection(clients, id, &res, spec.protected).await?;
    }
    if changed
        .iter()
        .any(|c| c == InstanceAttr::MetadataTokens.name())
    {
        clients
            .ec2
            .modify_instance_metadata_options()
            .instance_id(id)
            .http_tokens(HttpTokensState::Required)
            .send()
            .await
            .map_err(on("ModifyInstanceMetadataOptions", &res))?;
    }
    if let (true, Some(software)) = (
        changed
            .iter()
            .any(|c| c == InstanceAttr::GatewayCode.name()),
        &spec.software,
    ) {
        ssm::run_document(clients, &spec.document, id, &spec.name).await?;
        clients
            .ec2
            .create_tags()
            .resources(id)
            .tags(
                Tag::builder()
                    .key(TAG_GATEWAY_CODE)
                    .value(&software.bundle_sha256)
                    .build(),
            )
            .send()
            .await
            .map_err(on("CreateTags", &res))?;
    }
    Ok(())
}

/// Terminates the instance and waits until it is gone (its interface holds the subnet and the
/// security group until then).
pub async fn terminate_instance(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    let res = format!("instance {name} ({id})");
    let lifted = absent_if(
        set_termination_protection(clients, id, &res, false).await,
        GONE,
    )?;
    if lifted.is_none() {
        return Ok(());
    }
    let out = absent_if(
        clients
            .ec2
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(on("TerminateInstances", &res)),
        GONE,
    )?;
    if out.is_none() {
        return Ok(());
    }
    wait_state(clients, id, name, "terminated")
        .await
        .map(|_| ())
}

/// Deletes a key pair by name; one that is gone is not an error.
pub async fn delete_key_pair(clients: &Clients, name: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .ec2
            .delete_key_pair()
            .key_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(on("DeleteKeyPair", format!("key pair {name}"))),
        &["InvalidKeyPair.NotFound"],
    )?;
    Ok(())
}

impl Seam for InstanceSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 4;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let token = super::client_token(cx.name());
        let launch = Launch {
            subnet: &cx.fill(&self.subnet)?,
            security_group: &cx.fill(&self.security_group)?,
            client_token: &token,
        };
        let (id, ip) = launch_instance(cx.clients, self, launch).await?;
        cx.learn(private_ip_key(cx.name()), ip);
        cx.learn_own_id(id);
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let group = cx.fill(&self.security_group)?;
        update_instance_in_place(cx.clients, &cx.existing_id()?, self, &group, &cx.changed()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { terminate_instance(cx.clients, &id, cx.name()).await })
            .await
    }
}

/// Starts or stops the instance (`baken gateway start|stop`) and waits until it is running or
/// stopped.
pub async fn switch_instance(
    clients: &Clients,
    id: &str,
    name: &str,
    start: bool,
) -> Result<(), AwsError> {
    let res = format!("instance {name} ({id})");
    if start {
        clients
            .ec2
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(on("StartInstances", &res))?;
        wait_state(clients, id, name, "running").await?;
    } else {
        clients
            .ec2
            .stop_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(on("StopInstances", &res))?;
        wait_state(clients, id, name, "stopped").await?;
    }
    Ok(())
}
