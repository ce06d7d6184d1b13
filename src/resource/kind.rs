use std::fmt;

use serde::Serialize;

/// Resource kinds, in the order a fresh deploy creates them (and teardown deletes them backwards).
/// Backwards, the order is what AWS needs to let go: functions (and their network interfaces)
/// before security groups and subnets, the Elastic IP before the instance, the instance before
/// its security group and subnet, the network before the VPC, and the roles last, since Lambda
/// uses a function's role to remove its network interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Table,
    Role,
    InstanceProfile,
    Vpc,
    InternetGateway,
    Subnet,
    RouteTable,
    VpcEndpoint,
    SecurityGroup,
    SecurityGroupRules,
    GatewayDocument,
    Instance,
    ElasticIp,
    LogGroup,
    Function,
    RestApi,
    ApiResource,
    GatewayResponse,
    Stage,
    Permission,
}

impl Kind {
    /// Every kind, in creation order.
    pub const ALL: [Kind; 20] = [
        Kind::Table,
        Kind::Role,
        Kind::InstanceProfile,
        Kind::Vpc,
        Kind::InternetGateway,
        Kind::Subnet,
        Kind::RouteTable,
        Kind::VpcEndpoint,
        Kind::SecurityGroup,
        Kind::SecurityGroupRules,
        Kind::GatewayDocument,
        Kind::Instance,
        Kind::ElasticIp,
        Kind::LogGroup,
        Kind::Function,
        Kind::RestApi,
        Kind::ApiResource,
        Kind::GatewayResponse,
        Kind::Stage,
        Kind::Permission,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Role => "role",
            Kind::InstanceProfile => "instance-profile",
            Kind::Vpc => "vpc",
            Kind::InternetGateway => "internet-gateway",
            Kind::Subnet => "subnet",
            Kind::RouteTable => "route-table",
            Kind::VpcEndpoint => "vpc-endpoint",
            Kind::SecurityGroup => "security-group",
            Kind::SecurityGroupRules => "security-group-rules",
            Kind::GatewayDocument => "gateway-document",
            Kind::Instance => "instance",
            Kind::ElasticIp => "elastic-ip",
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
    /// Set on a second live resource with the same kind and name (an SDK retry of a create that
    /// had succeeded, a hand-made copy): its AWS id. Nothing wants a copy, so a deploy deletes it.
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_kind_once_in_creation_order() {
        let mut sorted = Kind::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, Kind::ALL.to_vec());
    }
}
