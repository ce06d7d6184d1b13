//! The executor as a user meets it when AWS refuses a step: nothing new starts after the first
//! failure, the report says what was done, what failed and what was skipped, the exit code is 3
//! (some of the plan was applied), and running deploy again finishes the rest. The fault is
//! injected at the proxy in front of moto; the outcome is read back with the SDK.

use crate::harness::{sdk, TestStack};

#[tokio::test(flavor = "multi_thread")]
async fn after_a_failed_step_nothing_new_starts_and_a_second_deploy_finishes_the_rest() {
    let s = TestStack::new("exec").await;
    // The first log group (the lock table and the tables come before it).
    s.log.fail_next("CreateLogGroup");
    let first = s.deploy_with(&["--json"]).await;
    first.expect_code(3);
    let out = first.json();
    let result = &out["result"];
    let failed = result["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{result:#}");
    assert_eq!(failed[0]["resource"]["kind"], "log-group");
    assert_eq!(failed[0]["error"]["code"], "ValidationException");
    let done = result["done"].as_array().unwrap();
    let skipped = result["skipped"].as_array().unwrap();
    assert!(
        !done.is_empty(),
        "steps already running finished: {result:#}"
    );
    assert!(
        skipped.iter().any(|r| r["kind"] == "function")
            && skipped.iter().any(|r| r["kind"] == "stage"),
        "nothing new started after the failure: {result:#}"
    );
    let planned = out["plan"]["steps"].as_array().unwrap().len();
    assert_eq!(done.len() + failed.len() + skipped.len(), planned);

    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let missing = lambda
        .get_function()
        .function_name(s.function("get-races"))
        .send()
        .await;
    assert!(missing.is_err(), "a skipped function was not created");

    let second = s.deploy_with(&["--json"]).await;
    second.expect_code(0);
    let steps = second.json()["plan"]["steps"].as_array().unwrap().len();
    assert_eq!(steps, failed.len() + skipped.len(), "only what was left");
    lambda
        .get_function()
        .function_name(s.function("get-races"))
        .send()
        .await
        .expect("the second deploy created it");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk().await);
    let name = failed[0]["resource"]["name"].as_str().unwrap();
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    assert!(
        groups
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(name)),
        "the failed log group was created on the second run"
    );
    s.baken(&["status"]).await.expect_code(0);
}
