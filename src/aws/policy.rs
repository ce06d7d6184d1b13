//! The deploying role's policy: every service module's statements, joined.

use super::permissions::{Scope, Statement};
use super::{
    apigateway, cloudformation, cloudwatch, dynamodb, ec2, iam, lambda, lock, logs, scheduler, sns,
    ssm, sts,
};

/// The policy for plan, deploy, status, teardown, output and logs of `scope.stack` in
/// `scope.mode`. Leaving jravan mode removes its resources, which needs the jravan policy.
pub fn policy(scope: &Scope) -> serde_json::Value {
    let statements: Vec<Statement> = [
        sts::permissions(scope),
        dynamodb::permissions(scope),
        lock::permissions(scope),
        iam::permissions(scope),
        logs::permissions(scope),
        lambda::permissions(scope),
        apigateway::permissions(scope),
        ec2::permissions(scope),
        ssm::permissions(scope),
        cloudformation::permissions(scope),
        sns::permissions(scope),
        cloudwatch::permissions(scope),
        scheduler::permissions(scope),
    ]
    .into_iter()
    .flatten()
    .collect();
    serde_json::json!({ "Version": "2012-10-17", "Statement": statements })
}
