use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;

use super::network::NetworkNames;
use super::{ownership_tags, Account, Desired, Replace, Spec, Target, Wanted};
use crate::model::names::{log_group_name, role_name, role_path};
use crate::model::{Access, Function, Stack};
use crate::resource::json::canonical_json;
use crate::resource::refs::{id_ref, private_ip_ref};
use crate::resource::PRESENT;
use crate::resource::{Attrs, Kind, ResourceId};

/// The deployment package. `Unknown` when the command does not build (status, teardown): the code
/// hash is then not compared.
#[derive(Debug, Clone)]
pub enum Code {
    Zip {
        path: PathBuf,
        sha256_base64: String,
    },
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleSpec {
    pub name: String,
    pub path: String,
    pub assume_role_policy: serde_json::Value,
    pub policy_name: String,
    pub policy: serde_json::Value,
    /// ARNs of AWS managed policies attached to the role.
    pub managed_policies: Vec<String>,
    pub description: &'static str,
    pub tags: BTreeMap<String, String>,
    /// The policy lets Lambda manage the functions' network interfaces (jravan mode).
    pub vpc_access: bool,
}

pub const ROLE_POLICY_NAME: &str = "baken-function-access";

crate::attribute_keys! {
    /// A role's compared attributes: its inline policies by name, its managed policies by ARN.
    pub enum RoleAttr<'a> {
        Path = "path",
        AssumeRolePolicy = "assume_role_policy";
        Policy = "policy.",
        ManagedPolicy = "managed_policy ",
    }
}

impl Wanted for RoleSpec {
    // Lambda removes a function's network interfaces with its role, until the network is gone;
    // the instance profile holds the gateway's role.
    const DELETED_AFTER: &'static [Kind] = &[
        Kind::Function,
        Kind::InstanceProfile,
        Kind::Instance,
        Kind::SecurityGroup,
        Kind::Subnet,
        Kind::Vpc,
    ];
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        RoleAttr::Path.name(),
        "IAM cannot move a role to another path",
    )];
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([
            (RoleAttr::Path.key(), self.path.clone()),
            (
                RoleAttr::AssumeRolePolicy.key(),
                canonical_json(&self.assume_role_policy),
            ),
            (
                RoleAttr::Policy(&self.policy_name).key(),
                canonical_json(&self.policy),
            ),
        ]);
        for arn in &self.managed_policies {
            a.insert(RoleAttr::ManagedPolicy(arn).key(), PRESENT.into());
        }
        a
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: i32,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum LogGroupAttr {
        RetentionDays = "retention_days",
    }
}

impl Wanted for LogGroupSpec {
    // A function still running may log.
    const DELETED_AFTER: &'static [Kind] = &[Kind::Function];
    fn attrs(&self) -> Attrs {
        Attrs::from([(
            LogGroupAttr::RetentionDays.key(),
            self.retention_days.to_string(),
        )])
    }
}

#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: String,
    pub role_arn: String,
    pub runtime: &'static str,
    pub handler: &'static str,
    pub memory_mb: i32,
    pub timeout_s: i32,
    pub architecture: &'static str,
    pub environment: BTreeMap<String, String>,
    pub code: Code,
    /// Subnet and security-group references (jravan mode); None: outside any VPC.
    pub vpc: Option<FunctionVpc>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct FunctionVpc {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

crate::attribute_keys! {
    /// A function's compared attributes: its configuration, each environment variable, each
    /// subnet and security group it is attached to, and the code's hash.
    pub enum FunctionAttr<'a> {
        Role = "role",
        Runtime = "runtime",
        Handler = "handler",
        Memory = "memory",
        Timeout = "timeout",
        Architecture = "architecture",
        CodeSha256 = "code_sha256",
        /// Not read from AWS: the plan's change for a function in the Failed state.
        Health = "health";
        Environment = "environment.",
        VpcSubnet = "vpc subnet ",
        VpcSecurityGroup = "vpc security_group ",
        /// A layer the function names (by version ARN); baken's functions name none.
        Layer = "layer ",
    }
}

impl Wanted for FunctionSpec {
    // The routes call it until the API is gone; its own permission goes with it anyway.
    const DELETED_AFTER: &'static [Kind] = &[Kind::RestApi, Kind::ApiResource];
    // The code hash is unknown to commands that do not build.
    const IGNORED_WHEN_UNWANTED: &'static [&'static str] = &[FunctionAttr::CodeSha256.name()];
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::from([
            (FunctionAttr::Role.key(), self.role_arn.clone()),
            (FunctionAttr::Runtime.key(), self.runtime.into()),
            (FunctionAttr::Handler.key(), self.handler.into()),
            (FunctionAttr::Memory.key(), self.memory_mb.to_string()),
            (FunctionAttr::Timeout.key(), self.timeout_s.to_string()),
            (FunctionAttr::Architecture.key(), self.architecture.into()),
        ]);
        for (k, v) in &self.environment {
            a.insert(FunctionAttr::Environment(k).key(), v.clone());
        }
        if let Some(vpc) = &self.vpc {
            for s in &vpc.subnets {
                a.insert(FunctionAttr::VpcSubnet(s).key(), PRESENT.into());
            }
            for g in &vpc.security_groups {
                a.insert(FunctionAttr::VpcSecurityGroup(g).key(), PRESENT.into());
            }
        }
        if let Code::Zip { sha256_base64, .. } = &self.code {
            a.insert(FunctionAttr::CodeSha256.key(), sha256_base64.clone());
        }
        a
    }
}

pub fn role_arn(account: &Account, stack: &str, suffix: &str) -> String {
    format!(
        "arn:aws:iam::{}:role{}{}",
        account.id,
        role_path(stack),
        role_name(stack, suffix)
    )
}

pub fn assume_role_policy(service: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole"
        }]
    })
}

const READ_ACTIONS: [&str; 4] = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
];
const WRITE_ACTIONS: [&str; 4] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
];

/// Only what the function's row in docs/design.md allows: its tables (and their indexes) and its logs.
fn access_policy(
    account: &Account,
    stack: &Stack,
    vpc_access: bool,
    f: &Function,
) -> serde_json::Value {
    let log_group = account.log_group_arn(&log_group_name(&f.name));
    let mut statements = vec![json!({
        "Sid": "OwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [format!("{log_group}:*")]
    })];
    for (sid, table, access) in [
        ("Cart", &stack.cart_table, f.def.cart),
        ("Session", &stack.session_table, f.def.session),
    ] {
        let actions: Vec<&str> = match access {
            Access::None => continue,
            Access::Read => READ_ACTIONS.to_vec(),
            Access::ReadWrite => READ_ACTIONS
                .iter()
                .chain(WRITE_ACTIONS.iter())
                .copied()
                .collect(),
        };
        let arn = account.table_arn(table);
        statements.push(json!({
            "Sid": format!("{sid}Table{}", if access == Access::Read { "Read" } else { "ReadWrite" }),
            "Effect": "Allow",
            "Action": actions,
            "Resource": [arn.clone(), format!("{arn}/index/*")]
        }));
    }
    // The language-model advisor speaks in the consultation routes only.
    if let (true, Some(model)) = (
        f.def.path.starts_with("/consultations"),
        &stack.handlers.bedrock_model_id,
    ) {
        if stack.handlers.advisor == "bedrock" {
            statements.push(json!({
                "Sid": "AdvisorModel",
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel"],
                "Resource": [format!("arn:aws:bedrock:{}::foundation-model/{model}", account.region)]
            }));
        }
    }
    // In the VPC, Lambda creates and removes the functions' network interfaces with the
    // execution role (what AWSLambdaVPCAccessExecutionRole grants; EC2 has no resource scoping
    // for these actions).
    if vpc_access {
        statements.push(json!({
            "Sid": "VpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses"
            ],
            "Resource": ["*"]
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

pub(super) fn add(
    out: &mut Vec<Desired>,
    stack: &Stack,
    target: Target<'_>,
    account: &Account,
    code: &Code,
) {
    let mode = target.mode();
    // In the VPC, Lambda manages the functions' network interfaces with their roles.
    let vpc_access = matches!(target, Target::Jravan(_));
    let tags = ownership_tags(&stack.name);
    let mut env = stack.function_environment(mode);
    // In the VPC: the private subnets, the Lambda security group, and the gateway's private IP.
    let mut vpc = None;
    let mut network_deps = Vec::new();
    if let Target::Jravan(facts) = target {
        let names = NetworkNames::of(stack, facts.availability_zones.len());
        let instance = crate::model::names::gateway_instance_name(&stack.name);
        env.insert(
            "JRAVAN_API_URL".into(),
            format!(
                "http://{}:{}",
                private_ip_ref(&instance),
                stack.jravan.gateway_port
            ),
        );
        vpc = Some(FunctionVpc {
            subnets: names
                .private_subnets
                .iter()
                .map(|s| id_ref(Kind::Subnet, s))
                .collect(),
            security_groups: vec![id_ref(Kind::SecurityGroup, &names.lambda_sg)],
        });
        network_deps.extend(
            names
                .private_subnets
                .iter()
                .map(|s| ResourceId::new(Kind::Subnet, s)),
        );
        network_deps.push(ResourceId::new(Kind::SecurityGroupRules, &names.lambda_sg));
        network_deps.push(ResourceId::new(Kind::Instance, &instance));
    }
    for f in &stack.functions {
        let role = role_name(&stack.name, f.def.suffix);
        let role_id = ResourceId::new(Kind::Role, role.clone());
        out.push(Desired {
            id: role_id.clone(),
            spec: Spec::Role(RoleSpec {
                name: role,
                path: role_path(&stack.name),
                assume_role_policy: assume_role_policy("lambda.amazonaws.com"),
                policy_name: ROLE_POLICY_NAME.into(),
                policy: access_policy(account, stack, vpc_access, f),
                managed_policies: vec![],
                description: "Lambda execution role managed by baken",
                tags: tags.clone(),
                vpc_access,
            }),
            // The policy names the tables' ARNs; they need not exist, but creating tables first
            // keeps the order a reader expects.
            depends_on: vec![],
        });
        let log_group = log_group_name(&f.name);
        let log_id = ResourceId::new(Kind::LogGroup, log_group.clone());
        out.push(Desired {
            id: log_id,
            spec: Spec::LogGroup(LogGroupSpec {
                name: log_group,
                retention_days: stack.log_retention_days,
                tags: tags.clone(),
            }),
            depends_on: vec![],
        });
        // The log group comes before the function can be called (its invoke permission waits
        // for it, `api.rs`): a function that logs before it exists makes Lambda create one
        // itself, untagged and kept forever. The function itself need not wait: Lambda logs only
        // when it is invoked, so CreateFunction runs alongside CreateLogGroup (5/s).
        out.push(Desired {
            id: ResourceId::new(Kind::Function, f.name.clone()),
            spec: Spec::Function(FunctionSpec {
                name: f.name.clone(),
                role_arn: role_arn(account, &stack.name, f.def.suffix),
                runtime: "provided.al2023",
                handler: "bootstrap",
                memory_mb: f.memory_mb,
                timeout_s: f.timeout_s,
                architecture: f.architecture.as_str(),
                environment: env.clone(),
                code: code.clone(),
                vpc: vpc.clone(),
                tags: tags.clone(),
            }),
            depends_on: [vec![role_id], network_deps.clone()].concat(),
        });
    }
}
