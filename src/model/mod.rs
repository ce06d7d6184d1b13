//! The resolved model: a validated manifest with every default filled in. The engine sees only
//! these types; they cannot hold a value AWS would reject.

pub mod catalog;
pub mod names;
/// The gateway schedule's cron and running hours: the handlers' own definition, so the
/// functions and baken read a schedule alike.
#[path = "../../handlers/src/schedule.rs"]
pub mod schedule;

use std::collections::BTreeMap;

use serde::Serialize;

pub use catalog::{Access, FunctionDef, FUNCTIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Mock,
    Jravan,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Mock => "mock",
            Mode::Jravan => "jravan",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "mock" => Some(Mode::Mock),
            "jravan" => Some(Mode::Jravan),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    pub name: String,
    pub region: String,
    /// The account the stack belongs in: a run against another refuses before any request but
    /// the identity lookup.
    pub account_id: Option<String>,
    /// The manifest's mode; `--mode` may override it before planning.
    pub mode: Mode,
    pub cart_table: String,
    pub session_table: String,
    pub functions: Vec<Function>,
    pub log_retention_days: i32,
    pub api: Api,
    pub handlers: HandlerSettings,
    pub jravan: Jravan,
    /// The tables are deletion-protected and the gateway termination-protected (`protection:`,
    /// default true; a preview's default is false).
    pub protection: bool,
    /// The environment chosen with `--env`, when the manifest has environments.
    pub environment: Option<Environment>,
    /// Alarms, and who they mail (`alerts:`); None: no alarms.
    pub alerts: Option<Alerts>,
}

/// Who is told when an alarm goes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alerts {
    pub emails: Vec<String>,
}

/// An environment of the manifest, as chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    pub name: String,
    /// Made from the `previews:` template (a short-lived stack per pull request).
    pub preview: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Function {
    #[serde(rename = "suffix", serialize_with = "serialize_def")]
    pub def: &'static FunctionDef,
    pub name: String,
    pub memory_mb: i32,
    pub timeout_s: i32,
    pub architecture: Architecture,
}

fn serialize_def<S: serde::Serializer>(
    def: &&'static FunctionDef,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(def.suffix)
}

#[derive(Debug, Clone, Serialize)]
pub struct Api {
    pub name: String,
    pub stage: String,
    pub cors: Cors,
    pub rate_limit: f64,
    pub burst_limit: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cors {
    pub allow_origin: String,
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandlerSettings {
    pub max_bet_amount: i64,
    pub advisor: String,
    pub bedrock_model_id: Option<String>,
}

impl HandlerSettings {
    /// Whether the functions call Bedrock (in jravan mode, through the bedrock-runtime
    /// endpoint: the private subnets have no other way out).
    pub fn calls_bedrock(&self) -> bool {
        self.advisor == "bedrock"
    }
}

/// Where the bedrock-runtime interface endpoint has its network interfaces: each one is billed
/// by the hour, and one serves every zone (the other zone's calls cross zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointSubnets {
    /// One per private subnet (per zone): a zone's outage leaves the others their own.
    Every,
    /// The first private subnet's only: half the hourly price with two zones.
    One,
}

#[derive(Debug, Clone, Serialize)]
pub struct Jravan {
    pub vpc_cidr: String,
    pub availability_zones: Option<Vec<String>>,
    pub az_count: usize,
    pub public_subnets: Vec<String>,
    pub private_subnets: Vec<String>,
    pub instance_type: String,
    pub disk_gb: i32,
    pub ami: Option<String>,
    pub key_pair: Option<String>,
    pub gateway_port: u16,
    pub service_key_parameter: String,
    /// The 32-bit CPython release installed on the instance, and the SHA-256 of its installer
    /// (`python-<version>.exe` from python.org). No default hash: baken cannot vouch for one.
    pub python_version: String,
    pub python_sha256: Option<String>,
    /// The folder holding the bootstrap templates and the gateway code, relative to the
    /// manifest; None: the repository's `windows-bootstrap/`.
    pub gateway_source: Option<String>,
    /// The bedrock-runtime endpoint's subnets (made only for the bedrock advisor).
    pub bedrock_endpoint: EndpointSubnets,
    /// When the gateway instance runs; None: always.
    pub schedule: Option<GatewaySchedule>,
}

/// The gateway's start and stop (`jravan.instance.schedule`), checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewaySchedule {
    /// `race-days`, or None for explicit expressions.
    pub preset: Option<&'static str>,
    pub start: String,
    pub stop: String,
    pub time_zone: String,
}

impl GatewaySchedule {
    pub fn read(&self) -> schedule::Schedule {
        schedule::Schedule::parse(&self.start, &self.stop, &self.time_zone)
            .expect("checked with the manifest")
    }

    /// What the functions' environment carries (`GATEWAY_SCHEDULE`).
    pub fn encoded(&self) -> String {
        schedule::encode(&self.start, &self.stop, &self.time_zone)
    }
}

impl Stack {
    /// The environment every function of this stack gets (docs/design.md, "Environment variables").
    pub fn function_environment(&self, mode: Mode) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert("RACE_DATA_PROVIDER".into(), mode.as_str().into());
        env.insert("CART_TABLE_NAME".into(), self.cart_table.clone());
        env.insert("SESSION_TABLE_NAME".into(), self.session_table.clone());
        env.insert(
            "MAX_BET_AMOUNT".into(),
            self.handlers.max_bet_amount.to_string(),
        );
        env.insert("ADVISOR".into(), self.handlers.advisor.clone());
        if let Some(model) = &self.handlers.bedrock_model_id {
            env.insert("BEDROCK_MODEL_ID".into(), model.clone());
        }
        // The race routes answer at once while the gateway is stopped on schedule.
        if let (Mode::Jravan, Some(s)) = (mode, &self.jravan.schedule) {
            env.insert("GATEWAY_SCHEDULE".into(), s.encoded());
        }
        env
    }
}
