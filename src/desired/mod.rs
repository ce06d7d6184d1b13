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
pub use functions::{
    Code, FunctionAttr, FunctionSpec, FunctionVpc, LogGroupAttr, LogGroupSpec, RoleAttr, RoleSpec,
    ROLE_POLICY_NAME,
};
pub use gateway::{
    DocumentSpec, ElasticIpSpec, GatewaySoftware, InstanceProfileSpec, InstanceSpec,
};
pub use network::{
    EndpointSpec, InternetGatewaySpec, RouteTableSpec, SecurityGroupRulesSpec, SecurityGroupSpec,
    SubnetSpec, VpcSpec,
};
pub use tables::{TableAttr, TableSpec};

use crate::model::names::{MANAGED_BY, TAG_MANAGED_BY, TAG_STACK};
use crate::model::{Mode, Stack};
use crate::resource::{Attrs, ResourceId};

/// What every kind's spec says about itself: the attributes compared with the live resource,
/// and which of their changes AWS cannot make in place.
pub trait Wanted {
    /// Attribute changes that force a replacement, each with the reason.
    const REPLACED_ON: &'static [Replace] = &[];
    /// What a replacement costs; decides whether deploy may do it unasked.
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::None;
    fn attrs(&self) -> Attrs;
}

/// An attribute AWS cannot change in place.
#[derive(Debug, Clone, Copy)]
pub struct Replace {
    pub attribute: &'static str,
    pub why: &'static str,
}

impl Replace {
    pub const fn new(attribute: &'static str, why: &'static str) -> Replace {
        Replace { attribute, why }
    }
}

/// What replacing a resource costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceRisk {
    /// Nothing is lost: deploy replaces it when the plan says so.
    None,
    /// Something is lost (`what`): deploy needs `flag` to do it.
    Loses {
        flag: &'static str,
        what: &'static str,
    },
    /// AWS refuses to delete it while other resources use it: a plan that replaces it while
    /// something does is refused rather than left to retry DependencyViolation.
    InUse,
}

/// Every kind and its spec type, in creation order: the one list the `Spec` enum here and the
/// seam registry in `src/aws/seam.rs` are generated from. A kind missing here, or missing its
/// seam there, does not compile (the matches over `Kind` are exhaustive).
macro_rules! with_kinds {
    ($then:ident) => {
        $then! {
            Table => TableSpec,
            Role => RoleSpec,
            InstanceProfile => InstanceProfileSpec,
            Vpc => VpcSpec,
            InternetGateway => InternetGatewaySpec,
            Subnet => SubnetSpec,
            RouteTable => RouteTableSpec,
            VpcEndpoint => EndpointSpec,
            SecurityGroup => SecurityGroupSpec,
            SecurityGroupRules => SecurityGroupRulesSpec,
            GatewayDocument => DocumentSpec,
            Instance => InstanceSpec,
            ElasticIp => ElasticIpSpec,
            LogGroup => LogGroupSpec,
            Function => FunctionSpec,
            RestApi => RestApiSpec,
            ApiResource => ApiResourceSpec,
            GatewayResponse => GatewayResponseSpec,
            Stage => StageSpec,
            Permission => PermissionSpec,
        }
    };
}
pub(crate) use with_kinds;

macro_rules! spec_enum {
    ($($kind:ident => $spec:ty),* $(,)?) => {
        /// One wanted resource's spec.
        #[derive(Debug, Clone)]
        pub enum Spec {
            $($kind($spec),)*
        }

        impl Spec {
            pub fn attrs(&self) -> Attrs {
                match self {
                    $(Spec::$kind(s) => s.attrs(),)*
                }
            }

            pub fn replaced_on(&self) -> &'static [Replace] {
                match self {
                    $(Spec::$kind(_) => <$spec as Wanted>::REPLACED_ON,)*
                }
            }

            pub fn replace_risk(&self) -> ReplaceRisk {
                match self {
                    $(Spec::$kind(_) => <$spec as Wanted>::REPLACE_RISK,)*
                }
            }
        }
    };
}
with_kinds!(spec_enum);

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

/// What the desired state is made for: a mode, with the facts jravan mode needs (so jravan
/// mode without them cannot be asked for).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Mock,
    Jravan(&'a JravanFacts),
}

impl<'a> Target<'a> {
    /// Jravan mode when its facts were looked up (`Session::facts` does so only for it).
    pub fn of(facts: Option<&'a JravanFacts>) -> Target<'a> {
        match facts {
            Some(f) => Target::Jravan(f),
            None => Target::Mock,
        }
    }

    pub fn mode(&self) -> Mode {
        match self {
            Target::Mock => Mode::Mock,
            Target::Jravan(_) => Mode::Jravan,
        }
    }
}

/// Everything `stack` wants for `target`, in creation order.
pub fn desired_state(
    stack: &Stack,
    target: Target<'_>,
    account: &Account,
    code: &Code,
) -> Vec<Desired> {
    let mut out = Vec::new();
    tables::add(&mut out, stack);
    if let Target::Jravan(facts) = target {
        gateway::add(&mut out, stack, account, facts);
        network::add(&mut out, stack, account, facts);
    }
    functions::add(&mut out, stack, target, account, code);
    api::add(&mut out, stack, account);
    // Creation order is kind order; within a kind, the order the modules added them.
    out.sort_by_key(|d| d.id.kind);
    out
}
