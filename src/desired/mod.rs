//! The desired state: the resolved model turned into one spec per AWS resource, each with the
//! attributes that are compared against the live state and the resources it depends on.

pub mod api;
mod functions;
pub mod gateway;
pub mod network;
mod tables;

use std::collections::BTreeMap;

pub use api::{
    ApiResourceSpec, GatewayResponseSpec, MethodSpec, PermissionSpec, RestApiSpec, StageSpec,
    PERMISSION_STATEMENT_ID,
};
pub use functions::{Code, FunctionSpec, FunctionVpc, LogGroupSpec, RoleSpec, ROLE_POLICY_NAME};
pub use gateway::{
    DocumentSpec, ElasticIpSpec, GatewaySoftware, InstanceProfileSpec, InstanceSpec,
};
pub use network::{
    EndpointSpec, InternetGatewaySpec, RouteTableSpec, SecurityGroupRulesSpec, SecurityGroupSpec,
    SubnetSpec, VpcSpec,
};
pub use tables::TableSpec;

use crate::model::names::{MANAGED_BY, TAG_MANAGED_BY, TAG_STACK};
use crate::model::{Mode, Stack};
use crate::resource::{Attrs, ResourceId};

#[derive(Debug, Clone)]
pub enum Spec {
    Table(TableSpec),
    Role(RoleSpec),
    InstanceProfile(InstanceProfileSpec),
    Vpc(VpcSpec),
    InternetGateway(InternetGatewaySpec),
    Subnet(SubnetSpec),
    RouteTable(RouteTableSpec),
    VpcEndpoint(EndpointSpec),
    SecurityGroup(SecurityGroupSpec),
    SecurityGroupRules(SecurityGroupRulesSpec),
    GatewayDocument(DocumentSpec),
    Instance(InstanceSpec),
    ElasticIp(ElasticIpSpec),
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
            Spec::InstanceProfile(s) => s.attrs(),
            Spec::Vpc(s) => s.attrs(),
            Spec::InternetGateway(s) => s.attrs(),
            Spec::Subnet(s) => s.attrs(),
            Spec::RouteTable(s) => s.attrs(),
            Spec::VpcEndpoint(s) => s.attrs(),
            Spec::SecurityGroup(s) => s.attrs(),
            Spec::SecurityGroupRules(s) => s.attrs(),
            Spec::GatewayDocument(s) => s.attrs(),
            Spec::Instance(s) => s.attrs(),
            Spec::ElasticIp(s) => s.attrs(),
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
            Spec::Role(_) | Spec::InstanceProfile(_) => &["path"],
            Spec::Vpc(_) => &["cidr"],
            Spec::Subnet(_) => &["vpc", "cidr", "availability_zone"],
            Spec::RouteTable(_) | Spec::SecurityGroup(_) => &["vpc", "description"],
            Spec::VpcEndpoint(_) => &["vpc", "service", "type"],
            Spec::Instance(_) => gateway::INSTANCE_REPLACED_ON,
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

/// Facts about the account that the jravan resources are derived from, looked up before planning.
#[derive(Debug, Clone)]
pub struct JravanFacts {
    pub availability_zones: Vec<String>,
    /// The id of the DynamoDB prefix list of the region (`pl-…`), for the Lambda egress rule.
    pub dynamodb_prefix_list: String,
    /// The pinned image: the manifest's, else the running instance's, else the latest.
    pub ami: String,
    /// None when the command does not render the gateway (status, teardown).
    pub software: Option<GatewaySoftware>,
}

/// Everything `stack` wants in `mode`, in creation order. `jravan` is required in jravan mode.
pub fn desired_state(
    stack: &Stack,
    mode: Mode,
    account: &Account,
    code: &Code,
    jravan: Option<&JravanFacts>,
) -> Vec<Desired> {
    let jravan = jravan.filter(|_| mode == Mode::Jravan);
    let mut out = Vec::new();
    tables::add(&mut out, stack);
    if let Some(facts) = jravan {
        gateway::add(&mut out, stack, account, facts);
        network::add(&mut out, stack, account, facts);
    }
    functions::add(&mut out, stack, mode, account, code, jravan);
    api::add(&mut out, stack, account);
    // Creation order is kind order; within a kind, the order the modules added them.
    out.sort_by_key(|d| d.id.kind);
    out
}
