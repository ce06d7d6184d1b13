//! The manifest exactly as written: every field optional, unknown keys refused. Validation into the
//! resolved model (`crate::model`) happens in `validate.rs`; nothing else reads these types.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::text::{digits, text, text_list, text_or_list};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    #[serde(default, deserialize_with = "text")]
    pub stack: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "digits")]
    pub account_id: Option<String>,
    pub mode: Option<RawMode>,
    #[serde(default)]
    pub tables: RawTables,
    #[serde(default)]
    pub functions: RawFunctions,
    #[serde(default)]
    pub api: RawApi,
    #[serde(default)]
    pub handlers: RawHandlers,
    #[serde(default)]
    pub jravan: RawJravan,
    #[serde(default)]
    pub alerts: RawAlerts,
    /// Tables deletion-protected and the gateway termination-protected (default true).
    pub protection: Option<bool>,
    /// Named overlays (`super::environments`); laid over the rest before these types are read.
    pub environments: Option<serde_yaml::Value>,
    /// The template of preview stacks.
    pub previews: Option<serde_yaml::Value>,
}

/// Who is told when an alarm goes off.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    #[serde(default, deserialize_with = "text_or_list")]
    pub email: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawMode {
    Mock,
    Jravan,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTables {
    pub cart: Option<RawTable>,
    pub session: Option<RawTable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunctions {
    pub memory: Option<i64>,
    pub timeout: Option<i64>,
    pub architecture: Option<RawArchitecture>,
    pub log_retention_days: Option<i64>,
    /// Per-function settings, keyed by the function's suffix (`get-races`, ...).
    #[serde(default)]
    pub overrides: BTreeMap<String, RawFunctionOverride>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RawArchitecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunctionOverride {
    pub memory: Option<i64>,
    pub timeout: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub stage: Option<String>,
    #[serde(default)]
    pub cors: RawCors,
    #[serde(default)]
    pub throttling: RawThrottling,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    #[serde(default, deserialize_with = "text")]
    pub allow_origin: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub allow_headers: Option<Vec<String>>,
    #[serde(default, deserialize_with = "text_list")]
    pub allow_methods: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThrottling {
    pub rate_limit: Option<f64>,
    pub burst_limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHandlers {
    pub max_bet_amount: Option<i64>,
    pub advisor: Option<RawAdvisor>,
    #[serde(default, deserialize_with = "text")]
    pub bedrock_model_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawAdvisor {
    RuleBased,
    Bedrock,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJravan {
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub instance: RawInstance,
    #[serde(default)]
    pub gateway: RawGateway,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    #[serde(default, deserialize_with = "text")]
    pub vpc_cidr: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub availability_zones: Option<Vec<String>>,
    pub az_count: Option<i64>,
    #[serde(default, deserialize_with = "text_list")]
    pub public_subnets: Option<Vec<String>>,
    #[serde(default, deserialize_with = "text_list")]
    pub private_subnets: Option<Vec<String>>,
    pub bedrock_endpoint: Option<RawEndpointSubnets>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawEndpointSubnets {
    EverySubnet,
    OneSubnet,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstance {
    #[serde(rename = "type")]
    #[serde(default, deserialize_with = "text")]
    pub instance_type: Option<String>,
    pub disk_gb: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub ami: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub key_pair: Option<String>,
    /// `always`, `race-days` or `{start, stop, timezone}`: read in `validate`.
    pub schedule: Option<serde_yaml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGateway {
    pub port: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub service_key_parameter: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub python_version: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub python_sha256: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub source: Option<String>,
}
