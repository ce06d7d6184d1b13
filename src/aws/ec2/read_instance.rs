//! Reads the gateway instance: what DescribeInstances gives, and the three things EC2 keeps
//! apart (termination protection, the root volume, the status checks), read side by side.
//! On a deployed stack those three are read by the instance id the deploy lock recorded,
//! alongside the lists (`InstanceReads::ahead`): one round fewer.

use aws_sdk_ec2::types::{Instance, InstanceStatus, InstanceStatusSummary, Volume};

use super::live::Ec2Live;
use super::{filter, name_tag, tag_value};
use crate::aws::client::error::on;
use crate::aws::{AwsError, Clients};
use crate::desired::gateway::{InstanceAttr, InstanceSpec, TAG_GATEWAY_CODE, TAG_USER_DATA};
use crate::live::Health;
use crate::resource::refs::private_ip_key;
use crate::resource::{Attrs, Kind};

/// The reads of one instance that DescribeInstances does not answer.
pub(super) struct InstanceReads {
    protected: bool,
    /// The root volume among these (ahead of the description, every volume attached).
    volumes: Vec<Volume>,
    status: Option<InstanceStatus>,
}

impl InstanceReads {
    /// Read by id before the description says which volume is the root or whether the
    /// instance runs: the volumes attached to it, and the status checks whatever its state
    /// (EC2 answers none for an instance that is not running).
    pub(super) async fn ahead(clients: &Clients, id: String) -> Result<Self, AwsError> {
        let volumes = async {
            clients
                .ec2
                .describe_volumes()
                .filters(filter("attachment.instance-id", &[id.as_str()]))
                .send()
                .await
                .map_err(on("DescribeVolumes", format!("instance {id} volumes")))
        };
        let res = format!("instance {id}");
        let (protected, volumes, status) = tokio::try_join!(
            super::instance::termination_protected(clients, &id, &res),
            volumes,
            status(clients, &id, &res),
        )?;
        Ok(Self {
            protected,
            volumes: volumes.volumes().to_vec(),
            status,
        })
    }

    /// Read after the description: the root volume by its id, the status checks only of a
    /// running instance.
    async fn after(
        clients: &Clients,
        id: &str,
        res: &str,
        root: Option<&str>,
        running: bool,
    ) -> Result<Self, AwsError> {
        let volumes = async {
            let Some(vol) = root else {
                return Ok(Vec::new());
            };
            clients
                .ec2
                .describe_volumes()
                .volume_ids(vol)
                .send()
                .await
                .map(|out| out.volumes().to_vec())
                .map_err(on("DescribeVolumes", format!("{res} root volume {vol}")))
        };
        let status = async {
            match running {
                true => status(clients, id, res).await,
                false => Ok(None),
            }
        };
        let (protected, volumes, status) = tokio::try_join!(
            super::instance::termination_protected(clients, id, res),
            volumes,
            status,
        )?;
        Ok(Self {
            protected,
            volumes,
            status,
        })
    }
}

async fn status(
    clients: &Clients,
    id: &str,
    res: &str,
) -> Result<Option<InstanceStatus>, AwsError> {
    let out = clients
        .ec2
        .describe_instance_status()
        .instance_ids(id)
        .send()
        .await
        .map_err(on("DescribeInstanceStatus", res))?;
    Ok(out.instance_statuses().first().cloned())
}

/// The root volume as the spec states it (`30 GB gp3 encrypted`).
fn root_volume_text(v: &Volume) -> String {
    let size = v.size().unwrap_or_default();
    let kind = v.volume_type().map(|t| t.as_str());
    let encrypted = v.encrypted() == Some(true);
    if encrypted && kind == Some("gp3") {
        return InstanceSpec::root_volume(size);
    }
    format!(
        "{size} GB {}{}",
        kind.unwrap_or("unknown"),
        if encrypted {
            " encrypted"
        } else {
            " unencrypted"
        }
    )
}

fn health(state: &str, status: Option<&InstanceStatus>) -> Health {
    if state != "running" {
        return Health::Unhealthy(format!("instance {state}"));
    }
    let Some(s) = status else {
        return Health::Ok;
    };
    let check = |x: Option<&InstanceStatusSummary>| {
        x.and_then(|s| s.status())
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let (system, instance) = (check(s.system_status()), check(s.instance_status()));
    match system == "impaired" || instance == "impaired" {
        true => Health::Unhealthy(format!(
            "status checks failing (system {system}, instance {instance})"
        )),
        false => Health::Ok,
    }
}

/// Adds instance `i` to `live`, with `early` if its reads went out ahead by its id.
pub(super) async fn read_instance(
    clients: &Clients,
    live: &mut Ec2Live,
    i: &Instance,
    early: Option<InstanceReads>,
) -> Result<(), AwsError> {
    let id = i.instance_id().unwrap_or_default();
    let Some(name) = name_tag(i.tags()) else {
        return Ok(());
    };
    let state = i
        .state()
        .and_then(|s| s.name())
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let mut attrs = Attrs::from([
        (
            InstanceAttr::Ami.key(),
            i.image_id().unwrap_or_default().to_string(),
        ),
        (
            InstanceAttr::InstanceType.key(),
            i.instance_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        ),
        (
            InstanceAttr::Subnet.key(),
            i.subnet_id().unwrap_or_default().to_string(),
        ),
        (
            InstanceAttr::MetadataTokens.key(),
            i.metadata_options()
                .and_then(|m| m.http_tokens())
                .map(|t| t.as_str().to_ascii_lowercase())
                .unwrap_or_default(),
        ),
    ]);
    // The groups of the primary interface are what filters the gateway's traffic (AWS derives the
    // instance's list from them; moto fills only the interface's when the launch names one).
    let primary = i
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
    let groups: Vec<&str> = match primary {
        Some(n) => n.groups().iter().filter_map(|g| g.group_id()).collect(),
        None => i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect(),
    };
    attrs.insert(InstanceAttr::SecurityGroup.key(), groups.join(","));
    if let Some(arn) = i.iam_instance_profile().and_then(|p| p.arn()) {
        // arn:aws:iam::<account>:instance-profile/<path><name>
        attrs.insert(
            InstanceAttr::InstanceProfile.key(),
            arn.rsplit('/').next().unwrap_or(arn).to_string(),
        );
    }
    if let Some(k) = i.key_name() {
        attrs.insert(InstanceAttr::KeyPair.key(), k.to_string());
    }
    for (tag, attr) in [
        (TAG_USER_DATA, InstanceAttr::UserDataSha256),
        (TAG_GATEWAY_CODE, InstanceAttr::GatewayCode),
    ] {
        if let Some(v) = tag_value(i.tags(), tag) {
            attrs.insert(attr.key(), v.to_string());
        }
    }
    let root = i.root_device_name();
    let root = i
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == root)
        .and_then(|m| m.ebs())
        .and_then(|e| e.volume_id());
    let running = state == "running";
    let reads = match early {
        Some(reads) => reads,
        None => {
            let res = format!("instance {name} ({id})");
            InstanceReads::after(clients, id, &res, root, running).await?
        }
    };
    attrs.insert(
        InstanceAttr::TerminationProtection.key(),
        if reads.protected {
            "enabled"
        } else {
            "disabled"
        }
        .into(),
    );
    let root = root.and_then(|id| reads.volumes.iter().find(|v| v.volume_id() == Some(id)));
    if let Some(v) = root {
        attrs.insert(InstanceAttr::RootVolume.key(), root_volume_text(v));
    }
    let status = reads.status.as_ref().filter(|_| running);
    live.instance_ami = i.image_id().map(str::to_string);
    live.gateway = Some(super::instance::addresses(i));
    if let Some(ip) = i.private_ip_address() {
        live.refs.insert(private_ip_key(&name), ip.to_string());
    }
    live.add(Kind::Instance, Some(name), id, attrs);
    if let Some(last) = live.resources.last_mut() {
        last.health = health(&state, status);
    }
    Ok(())
}
