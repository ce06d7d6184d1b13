//! The desired state: the resolved model turned into one spec per AWS resource, each with the
//! attributes that are compared against the live state and the resources it depends on.

pub mod alerts;
pub mod api;
pub mod bedrock;
mod functions;
pub mod gateway;
pub mod network;
pub mod schedule;
mod tables;

use std::collections::BTreeMap;

pub use alerts::{AlarmSpec, SubscriptionSpec, TopicSpec};
pub use api::{
    ApiResourceSpec, GatewayResponseSpec, MethodSpec, PermissionSpec, RestApiSpec, StageSpec,
    PERMISSION_STATEMENT_ID,
};
pub use bedrock::InterfaceEndpointSpec;
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
pub use schedule::{ScheduleGroupSpec, ScheduleSpec};
pub use tables::{on_off, TableAttr, TableSpec};

use crate::model::names::{MANAGED_BY, TAG_MANAGED_BY, TAG_STACK};
use crate::model::{Mode, Stack};
use crate::resource::kind::with_kinds;
use crate::resource::{Attrs, Kind, ResourceId};

/// What every kind's spec says about itself: the attributes compared with the live resource,
/// which of their changes AWS cannot make in place, and the kind's policy (what its deletion
/// loses, what it must outlive, what the plan ignores of it). The AWS side of a kind (its reads
/// and writes) is its `crate::aws::seam::Seam` impl.
pub trait Wanted {
    /// Attribute changes that force a replacement, each with the reason.
    const REPLACED_ON: &'static [Replace] = &[];
    /// What a replacement costs; decides whether deploy may do it unasked.
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::None;
    /// What deleting it loses, as the plan says it; such a deletion needs the stack's name typed
    /// (or `--allow-data-loss`).
    const DELETION_LOSES: Option<&'static str> = None;
    /// Its deletion deletes stored data ("its data is deleted with it").
    const HOLDS_DATA: bool = false;
    /// The kinds whose deletions must be done before a deletion of this kind starts: what may use
    /// it, and what AWS needs it for while it goes. Everything else is deleted side by side, so a
    /// teardown's length is its longest chain, not the sum of all kinds.
    const DELETED_AFTER: &'static [Kind] = &[];
    /// The kinds whose deletions wait for this kind's: the other side of `DELETED_AFTER`, so a
    /// new kind states where it goes in a teardown in its own file (an endpoint before its
    /// subnets and security groups) without an edit to theirs.
    const DELETED_BEFORE: &'static [Kind] = &[];
    /// Live-only attributes that mean nothing when the desired side does not state them (a hash
    /// of what only deploy renders or builds): the plan ignores them then.
    const IGNORED_WHEN_UNWANTED: &'static [&'static str] = &[];
    /// The attribute whose value `enabled` protects the resource from deletion (status shows it).
    const PROTECTED_BY: Option<&'static str> = None;
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

macro_rules! spec_enum {
    ($($kind:ident => $label:literal, $spec:ident;)*) => {
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

            pub fn kind(&self) -> Kind {
                match self {
                    $(Spec::$kind(_) => Kind::$kind,)*
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

        /// Each kind's policy, from its spec's `Wanted` items.
        impl Kind {
            /// See `Wanted::DELETION_LOSES`.
            pub fn deletion_loses(self) -> Option<&'static str> {
                match self {
                    $(Kind::$kind => <$spec as Wanted>::DELETION_LOSES,)*
                }
            }

            /// See `Wanted::HOLDS_DATA`.
            pub fn holds_data(self) -> bool {
                match self {
                    $(Kind::$kind => <$spec as Wanted>::HOLDS_DATA,)*
                }
            }

            /// Whether a deletion of this kind waits for one of `other`: this kind's
            /// `Wanted::DELETED_AFTER` names it, or its `Wanted::DELETED_BEFORE` names this.
            pub fn deleted_after(self, other: Kind) -> bool {
                let after: &[Kind] = match self {
                    $(Kind::$kind => <$spec as Wanted>::DELETED_AFTER,)*
                };
                let before: &[Kind] = match other {
                    $(Kind::$kind => <$spec as Wanted>::DELETED_BEFORE,)*
                };
                after.contains(&other) || before.contains(&self)
            }

            /// See `Wanted::IGNORED_WHEN_UNWANTED`.
            pub fn ignored_when_unwanted(self) -> &'static [&'static str] {
                match self {
                    $(Kind::$kind => <$spec as Wanted>::IGNORED_WHEN_UNWANTED,)*
                }
            }

            /// See `Wanted::PROTECTED_BY`.
            pub fn protected_by(self) -> Option<&'static str> {
                match self {
                    $(Kind::$kind => <$spec as Wanted>::PROTECTED_BY,)*
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

    pub fn topic_arn(&self, topic: &str) -> String {
        format!("arn:aws:sns:{}:{}:{topic}", self.region, self.id)
    }

    pub fn alarm_arn(&self, alarm: &str) -> String {
        format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{alarm}",
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
        let names = network::NetworkNames::of(stack, facts.availability_zones.len());
        bedrock::add(&mut out, stack, account, &names);
        schedule::add(&mut out, stack, account);
    }
    functions::add(&mut out, stack, target, account, code);
    api::add(&mut out, stack, account);
    alerts::add(&mut out, stack, account, target.mode());
    // Creation order is kind order; within a kind, the order the modules added them.
    out.sort_by_key(|d| d.id.kind);
    out
}
