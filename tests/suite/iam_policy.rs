//! `baken iam-policy`: every request baken sends in full runs (plan, deploy, a no-op deploy,
//! status, output, logs, a mode switch both ways, teardown) is recorded at the emulator, and each
//! one's IAM action must be allowed by the policy baken prints for that mode. moto does not
//! evaluate IAM, so every printed policy is also audited against IAM's own database (parliament):
//! unknown actions and condition keys, and resources an action cannot take.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::TestStack;
use crate::jravan::{deploy_jravan, JRAVAN};
use crate::proxy::Seen;

/// The IAM action of a request: `service:Operation` for the JSON and query protocols, the
/// operation behind a REST path for Lambda and S3, the HTTP verb for API Gateway's management
/// API.
fn action(seen: &Seen) -> Option<String> {
    match seen.service.as_str() {
        // AWS answers GetCallerIdentity whatever the policy says.
        "sts" => None,
        "apigateway" => Some(format!("apigateway:{}", seen.method)),
        "lambda" => Some(format!("lambda:{}", lambda_operation(&seen.operation))),
        "s3" => Some(format!("s3:{}", s3_operation(&seen.operation))),
        "scheduler" => Some(format!(
            "scheduler:{}",
            scheduler_operation(&seen.operation)
        )),
        // CloudWatch signs as `monitoring`; its IAM prefix is `cloudwatch`.
        "monitoring" => Some(format!("cloudwatch:{}", seen.operation)),
        "" => panic!("an unsigned request: {seen:?}"),
        service => Some(format!("{service}:{}", seen.operation)),
    }
}

/// Lambda's REST routes (API versions 2015-03-31 and, for tags, 2017-03-31) as operations.
fn lambda_operation(request: &str) -> String {
    let (method, path) = request.split_once(' ').unwrap();
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let op = match (method, parts.as_slice()) {
        ("GET", [_, "functions"]) => "ListFunctions",
        ("POST", [_, "functions"]) => "CreateFunction",
        ("GET", [_, "functions", _]) => "GetFunction",
        ("DELETE", [_, "functions", _]) => "DeleteFunction",
        ("GET", [_, "functions", _, "configuration"]) => "GetFunctionConfiguration",
        ("PUT", [_, "functions", _, "configuration"]) => "UpdateFunctionConfiguration",
        ("PUT", [_, "functions", _, "code"]) => "UpdateFunctionCode",
        ("GET", [_, "functions", _, "policy"]) => "GetPolicy",
        ("POST", [_, "functions", _, "policy"]) => "AddPermission",
        ("DELETE", [_, "functions", _, "policy", _]) => "RemovePermission",
        ("DELETE", [_, "layers", _, "versions", _]) => "DeleteLayerVersion",
        ("GET", [_, "tags", ..]) => "ListTags",
        ("POST", [_, "tags", ..]) => "TagResource",
        _ => panic!("a Lambda request this test cannot name: {request}"),
    };
    op.to_string()
}

/// EventBridge Scheduler's REST routes as operations.
fn scheduler_operation(request: &str) -> &'static str {
    let (method, path) = request.split_once(' ').unwrap();
    let parts: Vec<&str> = path.split('?').next().unwrap().split('/').skip(1).collect();
    match (method, parts.first().copied()) {
        ("GET", Some("schedule-groups")) => "GetScheduleGroup",
        ("POST", Some("schedule-groups")) => "CreateScheduleGroup",
        ("DELETE", Some("schedule-groups")) => "DeleteScheduleGroup",
        ("GET", Some("schedules")) => "GetSchedule",
        ("POST", Some("schedules")) => "CreateSchedule",
        ("PUT", Some("schedules")) => "UpdateSchedule",
        ("DELETE", Some("schedules")) => "DeleteSchedule",
        ("GET", Some("tags")) => "ListTagsForResource",
        ("POST", Some("tags")) => "TagResource",
        _ => panic!("a Scheduler request this test cannot name: {request}"),
    }
}

/// S3's REST routes on one object (path-style: `/bucket/key`) as operations.
fn s3_operation(request: &str) -> &'static str {
    let (method, path) = request.split_once(' ').unwrap();
    let object = path
        .trim_start_matches('/')
        .split_once('/')
        .is_some_and(|(_, k)| !k.is_empty());
    match (method, object) {
        ("PUT", true) => "PutObject",
        ("GET", true) => "GetObject",
        ("DELETE", true) => "DeleteObject",
        _ => panic!("an S3 request this test cannot name: {request}"),
    }
}

fn allowed(policy: &Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|s| assert_eq!(s["Effect"], "Allow"))
        .flat_map(|s| s["Action"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

pub async fn policy(s: &TestStack, mode: &str) -> Value {
    policy_with(s, &["--mode", mode]).await
}

/// `baken iam-policy` with `args`.
/// `baken iam-policy ARGS`, audited against IAM's own database (below).
pub async fn policy_with(s: &TestStack, args: &[&str]) -> Value {
    let mut all = vec!["iam-policy"];
    all.extend_from_slice(args);
    let run = s.baken(&all).await;
    run.expect_code(0);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["Version"], "2012-10-17");
    audit(&run.stdout, &args.join(" "));
    doc
}

/// Findings of medium severity or above that are accepted, as (issue, an action it names), with
/// the reason.
const ACCEPTED: &[(&str, &str, &str)] = &[(
    "RESOURCE_MISMATCH",
    "ssm:SendCommand",
    // IAM authorises SendCommand once per resource it names: the document (statement
    // SsmDocumentWrite) and the instance (SsmRunOnTheGateway, with its tag condition). parliament
    // judges each statement alone, so the instance's statement lacks the document.
    "SendCommand is allowed on the document and on the tagged instance by two statements",
)];

/// parliament's findings of medium severity or above on `policy` (IAM's action, resource and
/// condition-key database; scripts/test-env.sh pins it). It exits 0 with none and 1 with some.
fn findings(policy: &str) -> Vec<Value> {
    let parliament = std::path::Path::new(&crate::moto::python()).with_file_name("parliament");
    let out = std::process::Command::new(&parliament)
        .args(["--json", "--minimum_severity", "MEDIUM", "--string", policy])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", parliament.display()));
    let found: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let code = out.status.code();
    assert!(
        code == Some(0) && found.is_empty() || code == Some(1) && !found.is_empty(),
        "parliament exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    found
}

/// Any finding of medium severity or above on a printed policy that is not accepted fails.
fn audit(policy: &str, what: &str) {
    let found = findings(policy);
    let unaccepted: Vec<&Value> = found
        .iter()
        .filter(|f| {
            !ACCEPTED.iter().any(|(issue, action, _)| {
                f["issue"] == *issue && f["detail"].to_string().contains(action)
            })
        })
        .collect();
    assert!(
        unaccepted.is_empty(),
        "iam-policy {what}: IAM's database (parliament) finds: {unaccepted:#?}"
    );
}

/// The statement `iam-policy --adopt` printed before: ListBackups takes no resource, so scoping
/// it to the tables matches nothing. The audit sees it.
#[test]
fn regression_list_backups_scoped_to_tables_is_found_by_the_audit() {
    let old = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AdoptBackUpTables", "Effect": "Allow",
        "Action": ["dynamodb:ListBackups"],
        "Resource": ["arn:aws:dynamodb:ap-northeast-1:123456789012:table/baken-kaigi-cart"]}]}"#;
    let found = findings(old);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["issue"], "RESOURCE_MISMATCH");
}

#[track_caller]
pub fn check(requests: &[Seen], policy: &Value, what: &str) {
    let allowed = allowed(policy);
    let needed: BTreeSet<String> = requests.iter().filter_map(action).collect();
    assert!(
        needed.len() > 20,
        "{what}: too few requests recorded: {needed:?}"
    );
    let missing: Vec<&String> = needed.difference(&allowed).collect();
    assert!(
        missing.is_empty(),
        "{what}: not allowed by `baken iam-policy`: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_of_a_mock_stacks_life_is_allowed_by_its_policy() {
    let s = TestStack::new("iammock").await;
    let mock = policy(&s, "mock").await;
    // No EC2 write and no instance profile write in mock mode.
    let actions = allowed(&mock);
    assert!(
        !actions.contains("ec2:RunInstances") && !actions.contains("iam:CreateInstanceProfile")
    );
    s.log.take();
    s.baken(&["plan", "--no-build"]).await.expect_code(2);
    s.deploy().await.expect_code(0);
    s.deploy().await.expect_code(0);
    s.baken(&["status"]).await.expect_code(0);
    s.baken(&["output"]).await.expect_code(0);
    s.baken(&["logs"]).await.expect_code(0);
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    check(&s.log.take(), &mock, "mock");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_of_a_jravan_stack_and_its_switch_back_is_allowed_by_the_jravan_policy() {
    // Every kind jravan mode can have: the gateway's schedule, alerts, the Bedrock endpoint.
    let s = TestStack::with_manifest(
        "iamjr",
        &format!(
            "{JRAVAN}  instance:\n    schedule: race-days\nalerts:\n  email: ops@example.com\nhandlers:\n  advisor: bedrock\n  bedrock_model_id: m\n"
        ),
    )
    .await;
    let jravan = policy(&s, "jravan").await;
    s.log.take();
    s.deploy().await.expect_code(0);
    deploy_jravan(&s, &[]).await.expect_code(0);
    deploy_jravan(&s, &[]).await.expect_code(0);
    // The subscription awaits its confirmation: unhealthy.
    s.baken(&["status"]).await.expect_code(2);
    s.baken(&["gateway", "stop", "--yes"]).await.expect_code(0);
    s.baken(&["gateway", "start", "--yes"]).await.expect_code(0);
    s.baken(&["output", "gateway_public_ip", "--raw"])
        .await
        .expect_code(0);
    s.baken(&["logs", "gateway"]).await;
    s.deploy_with(&["--mode", "mock", "--allow-data-loss"])
        .await
        .expect_code(0);
    deploy_jravan(&s, &[]).await.expect_code(0);
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    check(&s.log.take(), &jravan, "jravan");
}
