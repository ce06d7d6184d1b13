use std::fmt;

use serde::{Deserialize, Serialize};

/// The one list of kinds, in the order a fresh deploy creates them (and teardown deletes them
/// backwards): each kind's variant, its label in plans, status and JSON, and its spec type
/// (`crate::desired`, named here only as an identifier: the macro that is handed the list
/// resolves it where it expands). `Kind` below, the `Spec` enum and the kind policy in
/// `crate::desired`, and the seam registry in `crate::aws::seam` are all generated from it, so
/// adding a kind is one line here and the kind's own files.
macro_rules! with_kinds {
    ($then:ident) => {
        $then! {
            Table => "table", TableSpec;
            Role => "role", RoleSpec;
            InstanceProfile => "instance-profile", InstanceProfileSpec;
            Vpc => "vpc", VpcSpec;
            InternetGateway => "internet-gateway", InternetGatewaySpec;
            Subnet => "subnet", SubnetSpec;
            RouteTable => "route-table", RouteTableSpec;
            VpcEndpoint => "vpc-endpoint", EndpointSpec;
            SecurityGroup => "security-group", SecurityGroupSpec;
            SecurityGroupRules => "security-group-rules", SecurityGroupRulesSpec;
            InterfaceEndpoint => "interface-endpoint", InterfaceEndpointSpec;
            GatewayDocument => "gateway-document", DocumentSpec;
            Instance => "instance", InstanceSpec;
            ElasticIp => "elastic-ip", ElasticIpSpec;
            ScheduleGroup => "schedule-group", ScheduleGroupSpec;
            Schedule => "schedule", ScheduleSpec;
            LogGroup => "log-group", LogGroupSpec;
            Function => "function", FunctionSpec;
            RestApi => "rest-api", RestApiSpec;
            ApiResource => "api-resource", ApiResourceSpec;
            GatewayResponse => "gateway-response", GatewayResponseSpec;
            Stage => "stage", StageSpec;
            Permission => "permission", PermissionSpec;
            AlertTopic => "alert-topic", TopicSpec;
            AlertSubscription => "alert-subscription", SubscriptionSpec;
            Alarm => "alarm", AlarmSpec;
        }
    };
}
pub(crate) use with_kinds;

macro_rules! declare_kind {
    ($($kind:ident => $label:literal, $spec:ident;)*) => {
        /// Resource kinds, in the order a fresh deploy creates them (and teardown deletes them
        /// backwards; what each kind must outlive is its `Wanted::DELETED_AFTER`).
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
with_kinds!(declare_kind);

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
