//! The JV-Link gateway instance: its role and instance profile, the Systems Manager document that
//! carries the gateway code, the instance itself and its Elastic IP.

use std::collections::BTreeMap;

use serde_json::json;

use super::functions::{assume_role_policy, RoleSpec};
use super::network::NetworkNames;
use super::{ownership_tags, Account, Desired, JravanFacts, Replace, ReplaceRisk, Spec, Wanted};
use crate::model::names::{
    bootstrap_status_parameter, ec2_name, gateway_health_parameter, role_path,
};
use crate::model::Stack;
use crate::resource::refs::id_ref;
use crate::resource::{Attrs, Kind, ResourceId};

/// What the instance runs, rendered for one stack by `src/bootstrap/`.
#[derive(Debug, Clone)]
pub struct GatewaySoftware {
    pub user_data: String,
    pub user_data_sha256: String,
    /// The Command document's JSON content.
    pub document: String,
    /// The hash of the code bundle: what "the gateway code changed" means.
    pub bundle_sha256: String,
}

/// What gives the instance Systems Manager (Run Command, Session Manager).
pub const SSM_CORE_POLICY: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

pub fn instance_name(stack: &Stack) -> String {
    crate::model::names::gateway_instance_name(&stack.name)
}

#[derive(Debug, Clone)]
pub struct InstanceProfileSpec {
    pub name: String,
    pub path: String,
    pub role: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum InstanceProfileAttr {
        Path = "path",
        Role = "role",
    }
}

impl Wanted for InstanceProfileSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::Instance];
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        InstanceProfileAttr::Path.name(),
        "IAM cannot move an instance profile to another path",
    )];
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (InstanceProfileAttr::Path.key(), self.path.clone()),
            (InstanceProfileAttr::Role.key(), self.role.clone()),
        ])
    }
}

#[derive(Debug, Clone)]
pub struct DocumentSpec {
    pub name: String,
    /// None when the command does not render the gateway (status, teardown).
    pub content: Option<String>,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    /// The document's type and a hash of its content.
    pub enum DocumentAttr {
        Type = "type",
        ContentSha256 = "content_sha256",
    }
}

impl Wanted for DocumentSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::Instance];
    // Only deploy renders the gateway's software.
    const IGNORED_WHEN_UNWANTED: &'static [&'static str] = &[DocumentAttr::ContentSha256.name()];
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([(DocumentAttr::Type.key(), "Command".into())]);
        if let Some(c) = &self.content {
            a.insert(DocumentAttr::ContentSha256.key(), content_sha256(c));
        }
        a
    }
}

/// The hash of a document's content, insensitive to JSON formatting (AWS may store it reformatted).
pub fn content_sha256(content: &str) -> String {
    let canonical = serde_json::from_str::<serde_json::Value>(content)
        .map(|v| crate::resource::json::canonical_json(&v))
        .unwrap_or_else(|_| content.to_string());
    crate::resource::hash::sha256_hex(canonical.as_bytes())
}

#[derive(Debug, Clone)]
pub struct InstanceSpec {
    pub name: String,
    pub ami: String,
    pub instance_type: String,
    pub subnet: String,
    pub security_group: String,
    pub disk_gb: i32,
    pub instance_profile: String,
    pub key_pair: Option<String>,
    /// Termination protection on (the manifest's `protection`).
    pub protected: bool,
    pub document: String,
    /// None when the command does not render the gateway (status, teardown).
    pub software: Option<GatewaySoftware>,
    pub tags: BTreeMap<String, String>,
}

/// Tags on the instance that record what it runs: the user data it was launched with and the
/// gateway code last installed.
pub const TAG_USER_DATA: &str = "baken:user-data-sha256";
pub const TAG_GATEWAY_CODE: &str = "baken:gateway-code";

impl InstanceSpec {
    pub fn root_volume(disk_gb: i32) -> String {
        format!("{disk_gb} GB gp3 encrypted")
    }
}

crate::attribute_keys! {
    /// The gateway instance's compared attributes; the user data and the gateway code by hash.
    pub enum InstanceAttr {
        Ami = "ami",
        InstanceType = "instance_type",
        Subnet = "subnet",
        SecurityGroup = "security_group",
        RootVolume = "root_volume",
        MetadataTokens = "metadata_tokens",
        InstanceProfile = "instance_profile",
        KeyPair = "key_pair",
        UserDataSha256 = "user_data_sha256",
        GatewayCode = "gateway_code",
        TerminationProtection = "termination_protection",
    }
}

impl Wanted for InstanceSpec {
    const DELETION_LOSES: Option<&'static str> =
        Some("the gateway instance and the JV-Link data downloaded to it");
    const DELETED_AFTER: &'static [Kind] = &[Kind::ElasticIp];
    // Only deploy renders the user data and the gateway's code.
    const IGNORED_WHEN_UNWANTED: &'static [&'static str] = &[
        InstanceAttr::UserDataSha256.name(),
        InstanceAttr::GatewayCode.name(),
    ];
    const PROTECTED_BY: Option<&'static str> = Some(InstanceAttr::TerminationProtection.name());
    const REPLACED_ON: &'static [Replace] = INSTANCE_REPLACED_ON;
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::Loses {
        flag: "--replace-instance",
        what: "a new instance starts without JV-Link's downloaded data",
    };
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([
            (InstanceAttr::Ami.key(), self.ami.clone()),
            (InstanceAttr::InstanceType.key(), self.instance_type.clone()),
            (InstanceAttr::Subnet.key(), self.subnet.clone()),
            (
                InstanceAttr::SecurityGroup.key(),
                self.security_group.clone(),
            ),
            (
                InstanceAttr::RootVolume.key(),
                Self::root_volume(self.disk_gb),
            ),
            (InstanceAttr::MetadataTokens.key(), "required".into()),
            (
                InstanceAttr::TerminationProtection.key(),
                super::on_off(self.protected).into(),
            ),
            (
                InstanceAttr::InstanceProfile.key(),
                self.instance_profile.clone(),
            ),
        ]);
        if let Some(k) = &self.key_pair {
            a.insert(InstanceAttr::KeyPair.key(), k.clone());
        }
        if let Some(sw) = &self.software {
            a.insert(
                InstanceAttr::UserDataSha256.key(),
                sw.user_data_sha256.clone(),
            );
            a.insert(InstanceAttr::GatewayCode.key(), sw.bundle_sha256.clone());
        }
        a
    }
}

/// Attributes whose change means a new instance. The gateway code is not one of them: it is
/// installed in place with Run Command.
pub const INSTANCE_REPLACED_ON: &[Replace] = &[
    Replace::new(
        InstanceAttr::Ami.name(),
        "an instance's image is the one it was launched from",
    ),
    Replace::new(
        InstanceAttr::InstanceType.name(),
        "resizing means stopping the gateway; baken launches a new one instead",
    ),
    Replace::new(
        InstanceAttr::Subnet.name(),
        "an instance cannot move to another subnet",
    ),
    Replace::new(
        InstanceAttr::RootVolume.name(),
        "the root disk is made at launch",
    ),
    Replace::new(
        InstanceAttr::KeyPair.name(),
        "the key pair is set at launch",
    ),
    Replace::new(
        InstanceAttr::UserDataSha256.name(),
        "user data runs only at first boot",
    ),
    Replace::new(
        InstanceAttr::InstanceProfile.name(),
        "the gateway's permissions are set at launch",
    ),
];

#[derive(Debug, Clone)]
pub struct ElasticIpSpec {
    pub name: String,
    pub instance: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum ElasticIpAttr {
        Instance = "instance",
    }
}

impl Wanted for ElasticIpSpec {
    fn attrs(&self) -> Attrs {
        Attrs::from([(ElasticIpAttr::Instance.key(), self.instance.clone())])
    }
}

/// Only what the gateway reads and writes: its service key, its bootstrap and health reports,
/// its document.
fn gateway_policy(stack: &Stack, account: &Account, document: &str) -> serde_json::Value {
    let param = |name: &str| {
        format!(
            "arn:aws:ssm:{}:{}:parameter{name}",
            account.region, account.id
        )
    };
    let mut policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ServiceKey",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [param(&stack.jravan.service_key_parameter)]
            },
            {
                "Sid": "BootstrapReport",
                "Effect": "Allow",
                "Action": ["ssm:PutParameter"],
                "Resource": [param(&bootstrap_status_parameter(&stack.name))]
            },
            {
                "Sid": "HealthReport",
                "Effect": "Allow",
                "Action": ["ssm:PutParameter"],
                "Resource": [param(&gateway_health_parameter(&stack.name))]
            },
            {
                "Sid": "GatewayDocument",
                "Effect": "Allow",
                "Action": ["ssm:GetDocument"],
                "Resource": [format!("arn:aws:ssm:{}:{}:document/{document}", account.region, account.id)]
            }
        ]
    });
    // With alerts, the heartbeat: PutMetricData has no resource type, so the namespace
    // condition is what holds the gateway to its own metric.
    if stack.alerts.is_some() {
        if let Some(s) = policy["Statement"].as_array_mut() {
            s.push(json!({
                "Sid": "Heartbeat",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "cloudwatch:namespace": crate::model::names::heartbeat_namespace(&stack.name)
                }}
            }))
        }
    }
    policy
}

pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack, account: &Account, facts: &JravanFacts) {
    let tags = ownership_tags(&stack.name);
    let j = &stack.jravan;
    let name = instance_name(stack);
    let names = NetworkNames::of(stack, facts.availability_zones.len());
    let document = crate::model::names::gateway_document_name(&stack.name);

    let role_id = ResourceId::new(Kind::Role, &name);
    out.push(Desired {
        id: role_id.clone(),
        spec: Spec::Role(RoleSpec {
            name: name.clone(),
            path: role_path(&stack.name),
            assume_role_policy: assume_role_policy("ec2.amazonaws.com"),
            // Every baken role keeps its permissions in one inline policy of this name.
            policy_name: super::ROLE_POLICY_NAME.into(),
            policy: gateway_policy(stack, account, &document),
            managed_policies: vec![SSM_CORE_POLICY.into()],
            description: "JV-Link gateway instance role managed by baken",
            tags: tags.clone(),
            vpc_access: false,
        }),
        depends_on: vec![],
    });
    let profile_id = ResourceId::new(Kind::InstanceProfile, &name);
    out.push(Desired {
        id: profile_id.clone(),
        spec: Spec::InstanceProfile(InstanceProfileSpec {
            name: name.clone(),
            path: role_path(&stack.name),
            role: name.clone(),
            tags: tags.clone(),
        }),
        depends_on: vec![role_id],
    });
    let document_id = ResourceId::new(Kind::GatewayDocument, &document);
    out.push(Desired {
        id: document_id.clone(),
        spec: Spec::GatewayDocument(DocumentSpec {
            name: document.clone(),
            content: facts.software.as_ref().map(|s| s.document.clone()),
            tags: tags.clone(),
        }),
        depends_on: vec![],
    });
    // The first public subnet; the gateway needs the internet (JRA-VAN) and there is no NAT.
    let subnet = &names.public_subnets[0];
    let instance_id = ResourceId::new(Kind::Instance, &name);
    out.push(Desired {
        id: instance_id.clone(),
        spec: Spec::Instance(InstanceSpec {
            name: name.clone(),
            ami: facts.ami.clone(),
            instance_type: j.instance_type.clone(),
            subnet: id_ref(Kind::Subnet, subnet),
            security_group: id_ref(Kind::SecurityGroup, &names.gateway_sg),
            disk_gb: j.disk_gb,
            protected: stack.protection,
            instance_profile: name.clone(),
            key_pair: j.key_pair.clone(),
            document: document.clone(),
            software: facts.software.clone(),
            tags: tags.clone(),
        }),
        depends_on: vec![
            profile_id,
            document_id,
            ResourceId::new(Kind::Subnet, subnet),
            ResourceId::new(Kind::SecurityGroupRules, &names.gateway_sg),
            ResourceId::new(Kind::RouteTable, ec2_name(&stack.name, "public-rt")),
        ],
    });
    let eip = ec2_name(&stack.name, "gateway-eip");
    out.push(Desired {
        id: ResourceId::new(Kind::ElasticIp, &eip),
        spec: Spec::ElasticIp(ElasticIpSpec {
            name: eip.clone(),
            instance: id_ref(Kind::Instance, &name),
            tags: tags.clone(),
        }),
        depends_on: vec![
            instance_id,
            ResourceId::new(Kind::InternetGateway, ec2_name(&stack.name, "igw")),
        ],
    });
}
