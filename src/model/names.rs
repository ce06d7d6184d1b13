//! Deterministic physical names. With no state file, a resource is found again by its name and
//! recognised as ours by its ownership tags.

/// Tag keys written in every create call.
pub const TAG_STACK: &str = "baken:stack";
pub const TAG_MANAGED_BY: &str = "baken:managed-by";
pub const MANAGED_BY: &str = "baken";

/// IAM limits role names to 64 characters.
pub const IAM_ROLE_NAME_MAX: usize = 64;
/// Lambda limits function names to 64 characters.
pub const FUNCTION_NAME_MAX: usize = 64;

pub fn function_name(stack: &str, suffix: &str) -> String {
    format!("{stack}-{suffix}")
}

/// Execution roles live under an IAM path of their own, so one ListRoles call finds all of a
/// stack's roles and nothing else.
pub fn role_path(stack: &str) -> String {
    format!("/baken/{stack}/")
}

pub fn role_name(stack: &str, suffix: &str) -> String {
    format!("{stack}-{suffix}")
}

pub fn log_group_name(function_name: &str) -> String {
    format!("/aws/lambda/{function_name}")
}

pub fn default_table_name(stack: &str, table: &str) -> String {
    format!("{stack}-{table}")
}

pub fn default_api_name(stack: &str) -> String {
    format!("{stack}-api")
}

/// The Systems Manager Command document that installs the gateway code on the instance.
pub fn gateway_document_name(stack: &str) -> String {
    format!("{stack}-gateway-install")
}

/// Where the instance bootstrap reports its progress and completion (read by `baken status`).
pub fn bootstrap_status_parameter(stack: &str) -> String {
    format!("/baken/{stack}/gateway-bootstrap")
}

/// Where the running gateway reports its health on a schedule (read by `baken status`).
pub fn gateway_health_parameter(stack: &str) -> String {
    format!("/baken/{stack}/gateway-health")
}

/// Name tags of the jravan network and instance resources (EC2 ids are AWS's; the Name tag and
/// the stack tag find them again).
pub fn ec2_name(stack: &str, suffix: &str) -> String {
    format!("{stack}-{suffix}")
}

/// The deploy lock's table: the stack's own, never one of its data tables.
pub fn lock_table_name(stack: &str) -> String {
    format!("{stack}-baken-lock")
}

/// The gateway instance's name, which its role and instance profile share.
pub fn gateway_instance_name(stack: &str) -> String {
    ec2_name(stack, "gateway")
}

/// The gateway's heartbeat (with `alerts`): a namespace of the stack's own, so the gateway
/// role's PutMetricData can be held to it (`cloudwatch:namespace`), and the metric the gateway
/// puts there after each successful JV-Link sync.
pub fn heartbeat_namespace(stack: &str) -> String {
    format!("Baken/{stack}")
}
pub const HEARTBEAT_METRIC: &str = "GatewaySynced";
