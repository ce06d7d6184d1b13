//! The deploy lock, with real processes against moto: two deploys at once end with one REST API;
//! a run finding the lock held refuses at once and names the holder, or waits with
//! `--lock-timeout`; an expired lease (a killed holder) is taken over; `baken unlock` clears a
//! stale one; teardown removes the lock's table with the stack. The lock item is written and read
//! with the SDK.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::harness::{sdk, TestStack};

fn lock_table(s: &TestStack) -> String {
    format!("{}-baken-lock", s.name)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Writes the lock item as another run would hold it, its lease ending at `expires_at`.
async fn hold(s: &TestStack, expires_at: i64) {
    let n = |v: i64| AttributeValue::N(v.to_string());
    let t = |v: &str| AttributeValue::S(v.to_string());
    aws_sdk_dynamodb::Client::new(&sdk().await)
        .put_item()
        .table_name(lock_table(s))
        .item("id", t("deploy"))
        .item("holder", t("ci@runner-7 pid 4242"))
        .item("command", t("deploy"))
        .item("started_at", n(expires_at - 120))
        .item("expires_at", n(expires_at))
        .item("version", n(5))
        .send()
        .await
        .unwrap();
}

async fn api_count(name: &str) -> usize {
    let api = aws_sdk_apigateway::Client::new(&sdk().await);
    let out = api.get_rest_apis().limit(500).send().await.unwrap();
    out.items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .count()
}

/// Who holds the stack's deploy lock now, read straight from its table in the stack's account.
pub async fn holder(s: &TestStack) -> Option<String> {
    recorded(s, "holder").await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_deploys_at_once_end_with_one_rest_api_the_second_waiting_for_the_first() {
    let s = TestStack::new("lock2").await;
    let (a, b) = tokio::join!(
        s.deploy_with(&["--lock-timeout", "60s"]),
        s.deploy_with(&["--lock-timeout", "60s"])
    );
    a.expect_code(0);
    b.expect_code(0);
    assert_eq!(api_count(&format!("{}-api", s.name)).await, 1);
    s.baken(&["status"]).await.expect_code(0);
    // Released: nobody holds it.
    assert_eq!(holder(&s).await, None);
}

/// The lock's write went through and its answer was lost (a 500 after moto applied it): the
/// SDK's retry finds the run's own holding, and the deploy goes on instead of refusing itself.
#[tokio::test(flavor = "multi_thread")]
async fn regression_a_lost_answer_to_the_lock_write_does_not_lock_the_stack_against_itself() {
    let s = TestStack::new("locklost").await;
    s.log.lose_answer_next("UpdateItem");
    let run = s.deploy().await;
    run.expect_code(0);
    assert!(
        s.log
            .snapshot()
            .iter()
            .filter(|r| r.operation == "UpdateItem")
            .count()
            >= 3,
        "the lost write, its retry, the release"
    );
    // Released: the next writing run takes the lock at once.
    assert_eq!(holder(&s).await, None);
    s.set_manifest("functions:\n  memory: 256\n");
    s.deploy().await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_is_refused_naming_its_holder_an_expired_one_is_taken_and_unlock_clears() {
    let s = TestStack::new("lockh").await;
    s.deploy().await.expect_code(0);
    // A change to apply, so the next deploys need the lock.
    s.set_manifest("functions:\n  memory: 256\n");

    hold(&s, now() + 600).await;
    s.log.take();
    let refused = s.deploy_with(&["--json"]).await;
    refused.expect_code(1);
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "locked", "{}", refused.stdout);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("locked by ci@runner-7 pid 4242 (`deploy`"),
        "{error}"
    );
    let writes = s.log.writes();
    assert!(
        writes
            .iter()
            .all(|w| w == "CreateTable" || w == "UpdateItem"),
        "nothing but the lock was written: {writes:?}"
    );

    // A bounded wait ends with the same refusal.
    let waited = s.deploy_with(&["--lock-timeout", "3s"]).await;
    waited.expect_code(1);
    assert!(waited.stderr.contains("after waiting"), "{}", waited.stderr);

    // `unlock` shows the holder, then clears it; a second `unlock` finds nothing.
    let unlocked = s.baken(&["unlock", "--yes"]).await;
    unlocked.expect_code(0);
    assert!(
        unlocked.stdout.contains("locked by ci@runner-7 pid 4242"),
        "{}",
        unlocked.stdout
    );
    let again = s.baken(&["unlock", "--yes", "--json"]).await;
    again.expect_code(1);
    assert_eq!(again.json()["error"]["code"], "not-found");

    // A holder that died: its lease ran out, and the next deploy takes the lock over.
    hold(&s, now() - 1).await;
    s.deploy().await.expect_code(0);
    s.baken(&["status"]).await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_no_op_deploy_takes_no_lock_and_teardown_removes_the_lock_table() {
    let s = TestStack::new("lockn").await;
    s.deploy().await.expect_code(0);
    s.log.take();
    s.deploy().await.expect_code(0);
    assert_eq!(
        s.log.writes(),
        Vec::<String>::new(),
        "a no-op deploy writes nothing"
    );
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    let ddb = aws_sdk_dynamodb::Client::new(&sdk().await);
    assert!(ddb
        .describe_table()
        .table_name(lock_table(&s))
        .send()
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teardown_and_a_deploy_at_once_run_one_after_the_other() {
    let s = TestStack::new("lockt").await;
    s.deploy().await.expect_code(0);
    s.set_manifest("functions:\n  memory: 256\n");
    let (down, up) = tokio::join!(
        s.baken(&[
            "teardown",
            "--yes",
            "--allow-data-loss",
            "--lock-timeout",
            "60s"
        ]),
        s.deploy_with(&["--lock-timeout", "60s"])
    );
    down.expect_code(0);
    up.expect_code(0);
    // Whichever ran second decided the end: a whole stack in sync, or nothing.
    let apis = api_count(&format!("{}-api", s.name)).await;
    let status = s.baken(&["status", "--json"]).await;
    if apis == 1 {
        status.expect_code(0);
    } else {
        assert_eq!(apis, 0);
        let missing = status.json()["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "missing");
        assert!(missing, "{}", status.stdout);
    }
}

mod as_aws_answers {
    //! The losing side of a conditional write, and a write's answer lost after it was applied,
    //! as AWS answers them: aws-smithy-mocks.
    use std::collections::HashMap;

    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;
    use baken::aws::lock::{self, Holder};

    use crate::retries::clients;

    fn condition_failed() -> UpdateItemError {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .meta(
                    ErrorMetadata::builder()
                        .code("ConditionalCheckFailedException")
                        .build(),
                )
                .build(),
        )
    }

    /// `try_acquire` by the run holding `tok-me`, against a condition that fails and an item
    /// that then reads as `holder` (a name, a token, a command) at `version`.
    async fn try_against(
        holder: (&'static str, &'static str, &'static str),
        version: i64,
    ) -> (Result<i64, Option<Holder>>, usize) {
        let update = mock!(aws_sdk_dynamodb::Client::update_item).then_error(condition_failed);
        let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
            let s = |v: &str| AttributeValue::S(v.into());
            let n = |v: i64| AttributeValue::N(v.to_string());
            GetItemOutput::builder()
                .set_item(Some(HashMap::from([
                    ("id".to_string(), s("deploy")),
                    ("holder".to_string(), s(holder.0)),
                    ("token".to_string(), s(holder.1)),
                    ("command".to_string(), s(holder.2)),
                    ("started_at".to_string(), n(100)),
                    ("expires_at".to_string(), n(220)),
                    ("version".to_string(), n(version)),
                ])))
                .build()
        });
        let mut c = clients();
        c.dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&update, &get]);
        let me = Holder {
            holder: "me".into(),
            token: "tok-me".into(),
            command: "deploy".into(),
            started_at: 150,
            expires_at: 270,
        };
        let got = lock::try_acquire(&c, "s", &me, 150).await.unwrap();
        (got, update.num_calls())
    }

    #[tokio::test]
    async fn a_failed_condition_names_the_holder_and_takes_nothing() {
        let (got, writes) = try_against(("ci@other pid 1", "tok-other", "teardown"), 3).await;
        let held = got
            .expect_err("the lock is someone else's")
            .expect("the read names the holder");
        assert_eq!(held.holder, "ci@other pid 1");
        assert_eq!(held.command, "teardown");
        assert_eq!(writes, 1);
    }

    /// The SDK retried a write that took the lock but whose answer was lost: the retry's
    /// condition fails against this run's own holding, which counts as taken.
    #[tokio::test]
    async fn regression_a_retry_of_its_own_taking_write_is_taken_not_locked_against_itself() {
        let (got, _) = try_against(("me", "tok-me", "deploy"), 7).await;
        assert_eq!(got, Ok(7));
    }

    /// The lock table is deleted without a look first; one a user protected is refused by
    /// DynamoDB with a ValidationException, and then unprotected and deleted.
    #[tokio::test]
    async fn a_protected_lock_table_is_unprotected_then_deleted() {
        use aws_sdk_dynamodb::operation::delete_table::{DeleteTableError, DeleteTableOutput};
        use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
        use aws_sdk_dynamodb::operation::update_table::UpdateTableOutput;
        use aws_sdk_dynamodb::types::{TableDescription, TableStatus};
        let refused = mock!(aws_sdk_dynamodb::Client::delete_table)
            .match_requests(|_| true)
            .sequence()
            .error(|| {
                DeleteTableError::generic(
                    ErrorMetadata::builder()
                        .code("ValidationException")
                        .message("Resource cannot be deleted as it is currently protected against deletion")
                        .build(),
                )
            })
            .output(|| DeleteTableOutput::builder().build())
            .build();
        let described = mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
            DescribeTableOutput::builder()
                .table(
                    TableDescription::builder()
                        .table_status(TableStatus::Active)
                        .deletion_protection_enabled(true)
                        .build(),
                )
                .build()
        });
        let unprotect = mock!(aws_sdk_dynamodb::Client::update_table)
            .match_requests(|r| r.deletion_protection_enabled() == Some(false))
            .then_output(|| UpdateTableOutput::builder().build());
        let mut c = clients();
        c.dynamodb = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&refused, &described, &unprotect]
        );
        lock::delete_table(&c, "s").await.unwrap();
        assert_eq!(refused.num_calls(), 2, "refused, then deleted");
        assert_eq!(unprotect.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_renewal_after_the_lease_was_taken_over_says_it_is_lost() {
        let update = mock!(aws_sdk_dynamodb::Client::update_item).then_error(condition_failed);
        let mut c = clients();
        c.dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&update]);
        assert!(!lock::renew(&c, "s", "me", 400).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_timeout_that_is_not_a_duration_is_a_usage_error() {
    let s = TestStack::new("lockd").await;
    let run = s.deploy_with(&["--lock-timeout", "soon"]).await;
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("invalid value 'soon' for '--lock-timeout"),
        "{}",
        run.stderr
    );
    assert_eq!(s.log.count(), 0);
}

/// A field of the lock item (`holder`, and what the stack left: `api_id`, `deployed_mode`),
/// read with the SDK.
async fn recorded(s: &TestStack, field: &str) -> Option<String> {
    let item = aws_sdk_dynamodb::Client::new(&s.sdk().await)
        .get_item()
        .table_name(lock_table(s))
        .key("id", AttributeValue::S("deploy".into()))
        .send()
        .await
        .unwrap();
    item.item()
        .and_then(|i| i.get(field))
        .and_then(|v| v.as_s().ok())
        .cloned()
}

/// On a deployed stack, what the manifest names is read by name alongside the lists. With the
/// function and API lists held unanswered, every function, its permission and everything under
/// the API are read all the same: the reads do not wait for the lists (one round after the
/// lock's version instead of two).
#[tokio::test(flavor = "multi_thread")]
async fn on_a_deployed_stack_the_named_resources_are_read_without_waiting_for_the_lists() {
    let s = TestStack::new("ahead").await;
    s.deploy().await.expect_code(0);
    let id = s.api_id().await;
    assert_eq!(recorded(&s, "api_id").await.as_deref(), Some(id.as_str()));
    assert_eq!(recorded(&s, "deployed_mode").await.as_deref(), Some("mock"));

    s.log.take();
    s.log.hold_next("GET /2015-03-31/functions");
    s.log.hold_next("GET /restapis");
    let artifact = s.artifact.to_str().unwrap().to_string();
    let mut child = s.spawn(&["deploy", "--yes", "--artifact", &artifact]);
    let function_reads = || {
        s.log
            .snapshot()
            .iter()
            .filter(|r| {
                r.operation
                    .starts_with(&format!("GET /2015-03-31/functions/{}-", s.name))
            })
            .count()
    };
    let under_api = format!("GET /restapis/{id}/resources");
    // Nine functions, each read with its permission.
    sent_while_held(&s, || function_reads() >= 18 && s.log.seen(&under_api) >= 1).await;
    child.kill().await.unwrap();
}

/// Waits until `sent` holds of the log while the held lists stay unanswered; fails, showing
/// the log, if that takes a minute (the reads waited for the lists).
async fn sent_while_held(s: &TestStack, sent: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !sent() {
        assert!(
            std::time::Instant::now() < deadline,
            "the reads waited for the held lists: {:?}",
            s.log.snapshot()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The recorded id is only a hint: one that names no API (an API made again by hand) changes
/// nothing; the list finds the real one and the deploy is still a no-op.
#[tokio::test(flavor = "multi_thread")]
async fn regression_a_stale_api_id_in_the_lock_changes_nothing() {
    let s = TestStack::new("stale").await;
    s.deploy().await.expect_code(0);
    aws_sdk_dynamodb::Client::new(&sdk().await)
        .update_item()
        .table_name(lock_table(&s))
        .key("id", AttributeValue::S("deploy".into()))
        .update_expression("SET api_id = :id")
        .expression_attribute_values(":id", AttributeValue::S("0stale0api".into()))
        .send()
        .await
        .unwrap();
    s.log.take();
    let again = s.deploy().await;
    again.expect_code(0);
    assert!(again.stdout.contains("Nothing to do"), "{}", again.stdout);
    assert_eq!(s.log.writes(), Vec::<String>::new());
}

/// A teardown that keeps the tables leaves only them, and the next deploy reads nothing ahead
/// (it would find nothing): the lock goes with the rest, and a run that released it without
/// finishing records no mode.
#[tokio::test(flavor = "multi_thread")]
async fn after_a_teardown_keeping_the_data_the_next_deploy_reads_nothing_ahead() {
    let s = TestStack::new("keepa").await;
    s.deploy().await.expect_code(0);
    s.baken(&["teardown", "--yes", "--keep-data"])
        .await
        .expect_code(0);
    s.log.take();
    s.deploy().await.expect_code(0);
    // Read ahead, each function's policy would be asked for before the function was made.
    let policy_reads = s
        .log
        .take()
        .iter()
        .filter(|r| r.method == "GET" && r.operation.ends_with("/policy"))
        .count();
    assert_eq!(policy_reads, 0);
}

/// Sets fields of the lock item with the SDK, as a stale record would have them.
async fn record(s: &TestStack, fields: &[(&str, &str)]) {
    let mut call = aws_sdk_dynamodb::Client::new(&sdk().await)
        .update_item()
        .table_name(lock_table(s))
        .key("id", AttributeValue::S("deploy".into()));
    let mut sets = Vec::new();
    for (i, (field, value)) in fields.iter().enumerate() {
        sets.push(format!("{field} = :v{i}"));
        call = call
            .expression_attribute_values(format!(":v{i}"), AttributeValue::S(value.to_string()));
    }
    call.update_expression(format!("SET {}", sets.join(", ")))
        .send()
        .await
        .unwrap();
}

/// The ids of the stack's VPC and running gateway instance, read with the SDK.
async fn ec2_ids(s: &TestStack) -> (String, String) {
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let vpcs = ec2
        .describe_vpcs()
        .filters(crate::jravan::by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    let instances = crate::jravan::running_instances(&ec2, &s.name).await;
    (vpc, instances[0].instance_id().unwrap().to_string())
}

/// In jravan mode the lock item also records the VPC's and the instance's ids, and what EC2
/// keeps apart from the lists (the VPC's DNS flags; the instance's termination protection,
/// volumes and status checks) is read by those ids while the lists are held unanswered; the
/// gateway document's tags are asked for while the document is. A no-op jravan deploy reads
/// in one round after the lock's version.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_deployed_jravan_stack_the_vpc_and_instance_are_read_without_waiting_for_the_lists() {
    let s = TestStack::with_manifest("ahead-j", crate::jravan::JRAVAN).await;
    crate::jravan::deploy_jravan(&s, &[]).await.expect_code(0);
    let (vpc, instance) = ec2_ids(&s).await;
    assert_eq!(recorded(&s, "vpc_id").await.as_deref(), Some(vpc.as_str()));
    assert_eq!(
        recorded(&s, "instance_id").await.as_deref(),
        Some(instance.as_str())
    );

    s.log.take();
    s.log.hold_next("DescribeVpcs");
    s.log.hold_next("DescribeInstances");
    s.log.hold_next("GetDocument");
    let artifact = s.artifact.to_str().unwrap().to_string();
    let mut child = s.spawn(&[
        "deploy",
        "--yes",
        "--mode",
        "jravan",
        "--artifact",
        &artifact,
    ]);
    let early = [
        ("DescribeVpcAttribute", 2),
        ("DescribeInstanceAttribute", 1),
        ("DescribeVolumes", 1),
        ("DescribeInstanceStatus", 1),
        ("ListTagsForResource", 1),
    ];
    sent_while_held(&s, || early.iter().all(|(op, n)| s.log.seen(op) >= *n)).await;
    child.kill().await.unwrap();
}

/// Recorded ids that name nothing (the VPC and instance made again by hand) change nothing: the
/// reads by id fail and are dropped, the listed ones are read after the lists, and the deploy
/// is still a no-op.
#[tokio::test(flavor = "multi_thread")]
async fn regression_stale_vpc_and_instance_ids_in_the_lock_change_nothing() {
    let s = TestStack::with_manifest("stale-j", crate::jravan::JRAVAN).await;
    crate::jravan::deploy_jravan(&s, &[]).await.expect_code(0);
    record(
        &s,
        &[("vpc_id", "vpc-0000stale"), ("instance_id", "i-0000stale")],
    )
    .await;
    s.log.take();
    let again = crate::jravan::deploy_jravan(&s, &[]).await;
    again.expect_code(0);
    let steps = again.json()["plan"]["steps"].as_array().map(Vec::len);
    assert_eq!(steps, Some(0), "{}", again.stdout);
    assert_eq!(s.log.writes(), Vec::<String>::new());
    // Both flags asked of the stale id and again of the listed VPC.
    assert_eq!(s.log.seen("DescribeVpcAttribute"), 4);
}
