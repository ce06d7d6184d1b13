use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares `Kind` from the one list below: its variants, `ALL` and the labels.
macro_rules! kinds {
    ($($kind:ident => $label:literal),* $(,)?) => {
        /// Resource kinds, in the order a fresh deploy creates them (and teardown deletes them backwards).
        /// Backwards, the order is what AWS needs to let go: functions (and their network interfaces)
        /// before security groups and subnets, the Elastic IP before the instance, the instance before
        /// its security group and subnet, the network before the VPC, and the roles last, since Lambda
        /// uses a function's role to remove its network interfaces.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Kind {
            $(#[serde(rename = $label)] $kind,)*
        }

        impl Kind {
            /// Every kind, in creation order.
            pub const ALL: &'static [Kind] = &[$(Kind::$kind,)*];

            /// Its name in plans, status and JSON.
            pub fn label(self) -> &'static str {
                match self {
                    $(Kind::$kind => $label,)*
                }
            }
        }
    };
}

kinds! {
    Table => "table",
    Role => "role",
    InstanceProfile => "instance-profile",
    Vpc => "vpc",
    InternetGateway => "internet-gateway",
    Subnet => "subnet",
    RouteTable => "route-table",
    VpcEndpoint => "vpc-endpoint",
    SecurityGroup => "security-group",
    SecurityGroupRules => "security-group-rules",
    GatewayDocument => "gateway-document",
    Instance => "instance",
    ElasticIp => "elastic-ip",
    LogGroup => "log-group",
    Function => "function",
    RestApi => "rest-api",
    ApiResource => "api-resource",
    GatewayResponse => "gateway-response",
    Stage => "stage",
    Permission => "permission",
}

impl Kind {
    /// Kinds whose deletion loses data.
    pub fn holds_data(self) -> bool {
        self == Kind::Table
    }
}

/// A resource as the plan names it: its kind and its deterministic name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceId {
    pub kind: Kind,
    pub name: String,
    /// Set on a second live resource with the same kind and name (an SDK retry of a create that
    /// had succeeded, a hand-made copy): its AWS id. Nothing wants a copy, so a deploy deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<String>,
}

impl ResourceId {
    pub fn new(kind: Kind, name: impl Into<String>) -> ResourceId {
        ResourceId {
            kind,
            name: name.into(),
            copy: None,
        }
    }

    /// The extra copy with AWS id `aws_id` of this resource.
    pub fn copy(&self, aws_id: &str) -> ResourceId {
        ResourceId {
            copy: Some(aws_id.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)?;
        match &self.copy {
            Some(id) => write!(f, " (duplicate {id})"),
            None => Ok(()),
        }
    }
}
