//! `baken adopt` against the CDK app's stacks on moto (tests/suite/cdk_app.rs): "in the way"
//! names the stack, the plan changes nothing, the take-over keeps every item and the REST API's
//! id, a crash midway continues from the receipt, jravan mode keeps the CDK gateway until
//! baken's reports healthy, and `--cleanup` removes what baken replaced. Everything is read back
//! with the SDK, straight from moto. moto is patched where it is not AWS (tests/moto/patch_*.py).

use aws_sdk_cloudformation::types::Capability;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_ssm::types::ParameterType;
use serde_json::{json, Value};

use crate::cdk_app::{api_stack, jravan_stack, API_STACK, JRAVAN_STACK};
use crate::gateway_health::{health, now_minus, put};
use crate::harness::{put_parameter, sdk, TestStack};
use crate::jravan::JRAVAN;

async fn cloudformation() -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(&sdk().await)
}

/// Creates a stack the way `cdk deploy` does, and waits for it.
async fn create_stack(name: &str, template: &Value) {
    // What CDK's bootstrap stack publishes and the bootstrap-version parameter reads.
    put_parameter(
        "/cdk-bootstrap/hnb659fds/version",
        "21",
        ParameterType::String,
    )
    .await;
    let body = template.to_string();
    assert!(body.len() <= 51_200, "the fixture is {} bytes", body.len());
    let cf = cloudformation().await;
    cf.create_stack()
        .stack_name(name)
        .template_body(body)
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .unwrap();
    let status = cf
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .unwrap()
        .stacks()[0]
        .stack_status()
        .unwrap()
        .as_str()
        .to_string();
    assert_eq!(status, "CREATE_COMPLETE");
}

async fn stack_exists(name: &str) -> bool {
    cloudformation()
        .await
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .is_ok()
}

async fn put_item(table: &str, key: &str, id: &str) {
    aws_sdk_dynamodb::Client::new(&sdk().await)
        .put_item()
        .table_name(table)
        .item(key, AttributeValue::S(id.into()))
        .item("user_id", AttributeValue::S("u1".into()))
        .send()
        .await
        .unwrap();
}

async fn item_ids(table: &str, key: &str) -> Vec<String> {
    let out = aws_sdk_dynamodb::Client::new(&sdk().await)
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = out
        .items()
        .iter()
        .map(|i| i[key].as_s().unwrap().clone())
        .collect();
    ids.sort();
    ids
}

async fn api_ids(name: &str) -> Vec<String> {
    let out = aws_sdk_apigateway::Client::new(&sdk().await)
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .map(|a| a.id().unwrap().to_string())
        .collect()
}

/// The CDK app's items in both tables: what a user has in carts and consultations.
async fn seed_items(s: &TestStack) {
    for id in ["cart-1", "cart-2"] {
        put_item(&s.table("cart"), "cart_id", id).await;
    }
    put_item(&s.table("consultation-session"), "session_id", "session-1").await;
}

async fn assert_items_kept(s: &TestStack) {
    assert_eq!(
        item_ids(&s.table("cart"), "cart_id").await,
        ["cart-1", "cart-2"]
    );
    assert_eq!(
        item_ids(&s.table("consultation-session"), "session_id").await,
        ["session-1"]
    );
}

async fn role_exists(name: &str) -> bool {
    aws_sdk_iam::Client::new(&sdk().await)
        .get_role()
        .role_name(name)
        .send()
        .await
        .is_ok()
}

fn physical(receipt: &Value, logical: &str) -> String {
    receipt["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["logical_id"] == logical)
        .and_then(|r| r["physical_id"].as_str())
        .unwrap_or_else(|| panic!("{logical} in the receipt"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cdk_api_stack_is_taken_over_with_every_item_and_the_same_rest_api_id() {
    let s = TestStack::new("adopt").await;
    let cfn = format!("{}-{API_STACK}", s.name);
    create_stack(&cfn, &api_stack(&s.name, false)).await;
    seed_items(&s).await;
    let api_before = api_ids(&format!("{}-api", s.name)).await;
    assert_eq!(api_before.len(), 1);
    // A log group Lambda made at a function's first run (the CDK app declares none).
    aws_sdk_cloudwatchlogs::Client::new(&sdk().await)
        .create_log_group()
        .log_group_name(format!("/aws/lambda/{}", s.function("get-races")))
        .send()
        .await
        .unwrap();

    // What a user of the CDK account meets first: deploy names the stack and the way over.
    let refused = s.deploy().await;
    refused.expect_code(1);
    assert!(
        refused
            .stderr
            .contains(&format!("part of CloudFormation stack {cfn} as CartTable"))
            && refused
                .stderr
                .contains(&format!("baken adopt --from-cloudformation {cfn}")),
        "{}",
        refused.stderr
    );
    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    let documented = crate::json_shape::Documented::load();
    documented.check("baken status --json", &status.json());
    let table = status.json()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"]["name"] == s.table("cart"))
        .cloned()
        .unwrap();
    assert_eq!(table["status"], "in-the-way");
    assert_eq!(table["owner"], "cloudformation");
    assert_eq!(table["stack"], cfn.as_str());
    assert_eq!(table["logical_id"], "CartTable");

    // The plan only: every resource's fate, and not one write.
    s.log.take();
    let plan = s.baken(&["adopt", "--from-cloudformation", &cfn]).await;
    plan.expect_code(2);
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
    for line in [
        format!("= keep    table {} [CartTable]", s.table("cart")),
        format!("= keep    rest-api {}-api [Api]", s.name),
        format!(
            "= keep    function {} [GetCartFunction]",
            s.function("get-cart")
        ),
        "~ replace AWS::IAM::Role".to_string(),
        ". leave   AWS::CDK::Metadata".to_string(),
        "CDK's CheckBootstrapVersion rule is dropped".to_string(),
        format!(
            "= keep    log-group /aws/lambda/{}: made by Lambda",
            s.function("get-races")
        ),
    ] {
        assert!(plan.stdout.contains(&line), "{line}\n{}", plan.stdout);
    }
    let json = s
        .baken(&["adopt", "--from-cloudformation", &cfn, "--json"])
        .await;
    json.expect_code(2);
    let doc = json.json();
    documented.check("baken adopt --json", &doc);
    assert_eq!(doc["adoption"]["backups"].as_array().unwrap().len(), 2);
    assert!(doc["adoption"]["refusals"].as_array().unwrap().is_empty());

    let adopt_yes = [
        "adopt",
        "--from-cloudformation",
        &cfn,
        "--yes",
        "--artifact",
        s.artifact.to_str().unwrap(),
    ];
    let run = s.baken(&adopt_yes).await;
    run.expect_code(0);
    assert!(run.stderr.contains("Adopted"), "{}", run.stderr);

    assert_items_kept(&s).await;
    assert_eq!(api_ids(&format!("{}-api", s.name)).await, api_before);
    assert!(
        !stack_exists(&cfn).await,
        "the CloudFormation stack is gone"
    );
    let backups = aws_sdk_dynamodb::Client::new(&sdk().await)
        .list_backups()
        .table_name(s.table("cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(backups.backup_summaries().len(), 1);
    let api = aws_sdk_apigateway::Client::new(&sdk().await)
        .get_rest_api()
        .rest_api_id(&api_before[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.endpoint_configuration().unwrap().types()[0].as_str(),
        "REGIONAL",
        "the edge-optimised API became regional in place"
    );
    let status = s.baken(&["status"]).await;
    status.expect_code(0);

    // Running it again is harmless; the cleanup removes the CDK app's roles from the receipt.
    let receipt_path = s.dir.path().join(format!("{}.adopt-receipt.json", s.name));
    let receipt: Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt_path).unwrap()).unwrap();
    let role = physical(&receipt, "GetCartFunctionServiceRole");
    assert!(role_exists(&role).await);
    // Kept for the permissions check at the end.
    let mut requests = s.log.take();
    let again = s.baken(&adopt_yes).await;
    again.expect_code(0);
    assert!(again.stderr.contains("Adopted"), "{}", again.stderr);
    assert!(
        s.log.writes().is_empty(),
        "an adoption through writes nothing: {:?}",
        s.log.writes()
    );
    let cleanup = s.baken(&["adopt", "--cleanup", "--yes", "--json"]).await;
    cleanup.expect_code(0);
    documented.check("baken adopt --cleanup --json", &cleanup.json());
    assert!(!role_exists(&role).await, "{}", cleanup.stderr);
    let policy = aws_sdk_lambda::Client::new(&sdk().await)
        .get_policy()
        .function_name(s.function("get-cart"))
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|st| st["Sid"].as_str())
        .collect();
    assert_eq!(sids.len(), 1, "only baken's grant is left: {sids:?}");
    assert!(!sids[0].contains("ApiPermission"), "{sids:?}");
    s.baken(&["status"]).await.expect_code(0);
    assert_items_kept(&s).await;

    // Every request of these runs is allowed by `baken iam-policy --adopt`.
    requests.extend(s.log.take());
    let policy = crate::iam_policy::policy_with(&s, &["--adopt", &cfn]).await;
    crate::iam_policy::check(&requests, &policy, "adopt (mock)");
}

#[tokio::test(flavor = "multi_thread")]
async fn from_cdk_app_names_the_cdk_apps_stacks_and_refuses_when_none_exists() {
    // No test makes stacks with the CDK app's own names, so in this account there are none.
    let s = TestStack::new("adoptcdk").await;
    let run = s.baken(&["adopt", "--from-cdk-app"]).await;
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("! refused: stack BakenKaigiApiStack: there is no such stack")
            && run.stdout.contains("BakenKaigiJraVanStack"),
        "{}",
        run.stdout
    );
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_jravan_app_keeps_its_gateway_until_bakens_is_healthy_and_a_crash_midway_is_finished_by_a_rerun(
) {
    let s = TestStack::with_manifest("adoptj", JRAVAN).await;
    let api = format!("{}-{API_STACK}", s.name);
    let server = format!("{}-{JRAVAN_STACK}", s.name);
    create_stack(&server, &jravan_stack(&s.name)).await;
    create_stack(&api, &api_stack(&s.name, true)).await;
    seed_items(&s).await;
    let api_before = api_ids(&format!("{}-api", s.name)).await;
    let artifact = s.artifact.to_str().unwrap().to_string();
    let adopt = |extra: &'static [&'static str]| {
        let mut a = vec![
            "adopt",
            "--from-cloudformation",
            server.as_str(),
            api.as_str(),
            "--mode",
            "jravan",
            "--artifact",
            artifact.as_str(),
        ];
        a.extend_from_slice(extra);
        a.iter().map(|x| x.to_string()).collect::<Vec<String>>()
    };

    // The importing stack goes first; the second DeleteStack never answers and baken is killed
    // while it waits: a crash between the two deletions.
    s.log.hold_next("DeleteStack");
    s.log.hold_next("DeleteStack");
    let args = adopt(&["--yes"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = s.spawn(&args);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.log.seen("DeleteStack") < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "no DeleteStack was sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    assert!(
        stack_exists(&api).await && stack_exists(&server).await,
        "the held deletion never reached CloudFormation"
    );
    let receipt_path = s.dir.path().join(format!("{}.adopt-receipt.json", s.name));
    let receipt: Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt_path).unwrap()).unwrap();
    let done = receipt["done"].to_string();
    assert!(
        done.contains("retained") && !done.contains("deleted"),
        "{done}"
    );

    // The killed run's lock outlives it (until its lease ends): cleared as its error says.
    s.baken(&["unlock", "--yes"]).await.expect_code(0);
    // The re-run continues: both stacks go, importer first, and baken's network and gateway are
    // built while the functions stay on the CDK gateway (baken's is not healthy yet).
    let rerun = s.baken(&args).await;
    rerun.expect_code(2);
    assert!(
        rerun.stderr.contains("Continuing the adoption"),
        "{}",
        rerun.stderr
    );
    assert!(
        rerun.stderr.contains("keep using the CDK app's gateway"),
        "{}",
        rerun.stderr
    );
    assert!(!stack_exists(&api).await && !stack_exists(&server).await);
    let receipt: Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt_path).unwrap()).unwrap();
    let cdk_subnet = physical(&receipt, "PrivateSubnet1");
    let cdk_instance = physical(&receipt, "Server");
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let config = |f: String| {
        let lambda = lambda.clone();
        async move {
            lambda
                .get_function_configuration()
                .function_name(f)
                .send()
                .await
                .unwrap()
        }
    };
    let held = config(s.function("get-races")).await;
    assert!(
        held.vpc_config()
            .unwrap()
            .subnet_ids()
            .contains(&cdk_subnet),
        "{:?}",
        held.vpc_config()
    );
    assert_eq!(
        held.runtime().unwrap().as_str(),
        "provided.al2023",
        "the code is baken's already"
    );

    // baken's gateway reports healthy: the functions move to baken's network in one update.
    put(
        &s.name,
        "gateway-bootstrap",
        json!({"state": "complete", "step": "done", "at": now_minus(5)}),
    )
    .await;
    put(
        &s.name,
        "gateway-health",
        health(&now_minus(1), "ready", true, None),
    )
    .await;
    let cut = s.baken(&args).await;
    cut.expect_code(0);
    let moved = config(s.function("get-races")).await;
    let subnets = moved.vpc_config().unwrap().subnet_ids().to_vec();
    assert!(
        !subnets.contains(&cdk_subnet) && !subnets.is_empty(),
        "{subnets:?}"
    );
    s.baken(&["status"]).await.expect_code(0);
    assert_items_kept(&s).await;
    assert_eq!(api_ids(&format!("{}-api", s.name)).await, api_before);

    // The cleanup removes the CDK instance and network, by the receipt's ids (in the mode the
    // receipt records: no --mode needed).
    let cleanup = s.baken(&["adopt", "--cleanup", "--yes"]).await;
    cleanup.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let state = ec2
        .describe_instances()
        .instance_ids(&cdk_instance)
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .state()
        .unwrap()
        .name()
        .unwrap()
        .as_str()
        .to_string();
    assert_eq!(state, "terminated");
    assert!(
        ec2.describe_subnets()
            .subnet_ids(&cdk_subnet)
            .send()
            .await
            .is_err(),
        "the CDK subnet is gone"
    );
    s.baken(&["status"]).await.expect_code(0);

    let requests = s.log.take();
    let policy =
        crate::iam_policy::policy_with(&s, &["--mode", "jravan", "--adopt", &server, &api]).await;
    crate::iam_policy::check(&requests, &policy, "adopt (jravan)");
}
