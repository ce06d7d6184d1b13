//! The right account: every command that reads or changes the stack names the account it acts
//! on, a manifest may pin it, and `--profile` wins over keys in the environment (as in the AWS
//! CLI). The account is read back with STS, not through baken.

use crate::harness::{sdk, TestStack};

async fn account_id() -> String {
    aws_sdk_sts::Client::new(&sdk().await)
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_status_and_deploy_name_the_account_they_act_on() {
    let s = TestStack::new("acct").await;
    let id = account_id().await;
    let artifact = s.artifact.to_str().unwrap();
    let plan = s.baken(&["plan", "--artifact", artifact]).await;
    assert!(
        plan.stdout
            .contains(&format!("(mock mode) in account {id}, ap-northeast-1:")),
        "{}",
        plan.stdout
    );
    let deploy = s.deploy_with(&["--json"]).await;
    deploy.expect_code(0);
    assert_eq!(deploy.json()["account"], id.as_str());
    let status = s.baken(&["status", "--json"]).await;
    assert_eq!(status.json()["account"], id.as_str());
    let text = s.baken(&["status"]).await;
    assert!(
        text.stdout.contains(&format!("in account {id}")),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_pinned_to_another_account_is_refused_before_any_other_request() {
    let s = TestStack::with_manifest("apin", "account_id: \"000000000000\"\n").await;
    s.log.take();
    let run = s.deploy_with(&["--json"]).await;
    run.expect_code(1);
    let error = &run.json()["error"];
    assert_eq!(error["code"], "wrong-account", "{}", run.stdout);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains(&format!("account {}", account_id().await)));
    let seen: Vec<String> = s.log.take().into_iter().map(|r| r.operation).collect();
    assert_eq!(seen, vec!["GetCallerIdentity".to_string()]);

    // The right account pinned: it goes ahead.
    s.set_manifest(&format!("account_id: \"{}\"\n", account_id().await));
    s.deploy().await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_id_that_is_not_twelve_digits_is_a_manifest_error_at_its_line() {
    let s = TestStack::with_manifest("abad", "account_id: \"12345\"\n").await;
    let run = s.baken(&["status"]).await;
    run.expect_code(1);
    assert!(
        run.stderr.contains("baken.yaml:3:") && run.stderr.contains("not an AWS account id"),
        "{}",
        run.stderr
    );
}

/// Regression: with AWS_ACCESS_KEY_ID in the environment, `--profile` was silently ignored.
#[tokio::test(flavor = "multi_thread")]
async fn profile_wins_over_keys_in_the_environment() {
    let s = TestStack::new("aprof").await;
    let dir = s.dir.path();
    let marker = dir.join("credential_process ran");
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile ci]\ncredential_process = sh -c 'touch \"{}\"; echo {{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"fromprofile\\\", \\\"SecretAccessKey\\\": \\\"x\\\"}}'\n",
            marker.display()
        ),
    )
    .unwrap();
    let run = s
        .baken_env(
            &["status", "--profile", "ci"],
            &[("AWS_CONFIG_FILE", config.to_str().unwrap())],
        )
        .await;
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
    assert!(marker.exists(), "the profile's credential_process ran");
}
