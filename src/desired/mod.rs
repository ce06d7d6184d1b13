//! The desired state: the resolved model turned into one spec per AWS resource, each with the
//! attributes that are compared against the live state and the resources it depends on.

pub mod api;
mod functions;
mod tables;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

pub use api::{
    ApiResourceSpec, GatewayResponseSpec, MethodSpec, PermissionSpec, RestApiSpec, StageSpec,
    PERMISSION_STATEMENT_ID,
};
pub use functions::{Code, FunctionSpec, LogGroupSpec, RoleSpec, ROLE_POLICY_NAME};
pub use tables::TableSpec;

use crate::model::names::{MANAGED_BY, TAG_MANAGED_BY, TAG_STACK};
use crate::model::{Mode, Stack};

/// Resource kinds, in the order a fresh deploy creates them (and teardown deletes them backwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Table,
    Role,
    LogGroup,
    Function,
    RestApi,
    ApiResource,
    GatewayResponse,
    Stage,
    Permission,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Role => "role",
            Kind::LogGroup => "log-group",
            Kind::Function => "function",
            Kind::RestApi => "rest-api",
            Kind::ApiResource => "api-resource",
            Kind::GatewayResponse => "gateway-response",
            Kind::Stage => "stage",
            Kind::Permission => "permission",
        }
    }

    /// Kinds whose deletion loses data.
    pub fn holds_data(self) -> bool {
        self == Kind::Table
    }
}

/// A resource as the plan names it: its kind and its deterministic name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceId {
    pub kind: Kind,
    pub name: String,
}

impl ResourceId {
    pub fn new(kind: Kind, name: impl Into<String>) -> ResourceId {
        ResourceId {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)
    }
}

/// Attribute name → rendered value, compared as text.
pub type Attrs = BTreeMap<String, String>;

#[derive(Debug, Clone)]
pub enum Spec {
    Table(TableSpec),
    Role(RoleSpec),
    LogGroup(LogGroupSpec),
    Function(FunctionSpec),
    RestApi(RestApiSpec),
    ApiResource(ApiResourceSpec),
    GatewayResponse(GatewayResponseSpec),
    Stage(StageSpec),
    Permission(PermissionSpec),
}

impl Spec {
    pub fn attrs(&self) -> Attrs {
        match self {
            Spec::Table(s) => s.attrs(),
            Spec::Role(s) => s.attrs(),
            Spec::LogGroup(s) => s.attrs(),
            Spec::Function(s) => s.attrs(),
            Spec::RestApi(s) => s.attrs(),
            Spec::ApiResource(s) => s.attrs(),
            Spec::GatewayResponse(s) => s.attrs(),
            Spec::Stage(s) => s.attrs(),
            Spec::Permission(s) => s.attrs(),
        }
    }

    /// Attributes that cannot change in place: a difference there means replace.
    pub fn replace_on(&self) -> &'static [&'static str] {
        match self {
            Spec::Table(_) => &["partition_key"],
            Spec::Role(_) => &["path"],
            _ => &[],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Desired {
    pub id: ResourceId,
    pub spec: Spec,
    pub depends_on: Vec<ResourceId>,
}

/// Facts about the account that names and ARNs are derived from.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub region: String,
}

impl Account {
    pub fn table_arn(&self, table: &str) -> String {
        format!("arn:aws:dynamodb:{}:{}:table/{table}", self.region, self.id)
    }

    pub fn function_arn(&self, function: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            self.region, self.id
        )
    }

    pub fn log_group_arn(&self, log_group: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{log_group}",
            self.region, self.id
        )
    }
}

/// The ownership tags every resource is created with.
pub fn ownership_tags(stack: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_STACK.to_string(), stack.to_string()),
        (TAG_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
    ])
}

/// Everything `stack` wants in `mode`, in creation order.
pub fn desired_state(stack: &Stack, mode: Mode, account: &Account, code: &Code) -> Vec<Desired> {
    let mut out = Vec::new();
    tables::add(&mut out, stack);
    functions::add(&mut out, stack, mode, account, code);
    api::add(&mut out, stack, account);
    out
}
