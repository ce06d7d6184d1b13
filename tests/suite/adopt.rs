//! `baken adopt` against the real CDK app (tests/suite/cdk_app.rs: the templates `cdk synth`
//! wrote, deployed on moto as the CDK CLI does, each test in an account of its own): "in the way"
//! names the stack, the plan changes nothing, the retain templates (over CloudFormation's inline
//! limit) go through the CDK bootstrap bucket, the take-over keeps every item and the REST API's
//! id, a crash midway continues from the receipt, jravan mode keeps the CDK gateway until
//! baken's reports healthy, and `--cleanup` removes what baken replaced and nothing else.
//! Everything is read back with the SDK, straight from moto. moto is patched where it is not AWS
//! (tests/moto/patch_*.py).

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_ssm::types::ParameterType;
use serde_json::{json, Value};

use crate::cdk_app::{self, Synth, API_STACK, APP, SERVER_STACK};
use crate::gateway_health::{health, now_minus};
use crate::harness::{put_parameter_with, Account, TestStack};
use crate::jravan::JRAVAN;

async fn stack_exists(s: &TestStack, name: &str) -> bool {
    aws_sdk_cloudformation::Client::new(&s.sdk().await)
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .is_ok()
}

async fn put_item(s: &TestStack, table: &str, key: &str, id: &str) {
    aws_sdk_dynamodb::Client::new(&s.sdk().await)
        .put_item()
        .table_name(table)
        .item(key, AttributeValue::S(id.into()))
        .item("user_id", AttributeValue::S("u1".into()))
        .send()
        .await
        .unwrap();
}

async fn item_ids(s: &TestStack, table: &str, key: &str) -> Vec<String> {
    let out = aws_sdk_dynamodb::Client::new(&s.sdk().await)
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

async fn api_ids(s: &TestStack) -> Vec<String> {
    let out = aws_sdk_apigateway::Client::new(&s.sdk().await)
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .filter(|a| a.name() == Some("baken-kaigi-api"))
        .map(|a| a.id().unwrap().to_string())
        .collect()
}

/// The CDK app's items in both tables: what users have in carts and consultations.
async fn seed_items(s: &TestStack) {
    for id in ["cart-1", "cart-2"] {
        put_item(s, &s.table("cart"), "cart_id", id).await;
    }
    put_item(
        s,
        &s.table("consultation-session"),
        "session_id",
        "session-1",
    )
    .await;
}

async fn assert_items_kept(s: &TestStack) {
    assert_eq!(
        item_ids(s, &s.table("cart"), "cart_id").await,
        ["cart-1", "cart-2"]
    );
    assert_eq!(
        item_ids(s, &s.table("consultation-session"), "session_id").await,
        ["session-1"]
    );
}

async fn role_exists(s: &TestStack, name: &str) -> bool {
    aws_sdk_iam::Client::new(&s.sdk().await)
        .get_role()
        .role_name(name)
        .send()
        .await
        .is_ok()
}

fn receipt_of(s: &TestStack) -> Value {
    let path = s.dir.path().join(format!("{}.adopt-receipt.json", s.name));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The receipt's resources of one type, with their fates.
fn of_type<'a>(receipt: &'a Value, t: &str) -> Vec<&'a Value> {
    receipt["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resource_type"] == t)
        .collect()
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

/// The statement ids of a function's resource policy.
async fn grant_ids(s: &TestStack, function: &str) -> Vec<String> {
    let policy = aws_sdk_lambda::Client::new(&s.sdk().await)
        .get_policy()
        .function_name(function)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|st| st["Sid"].as_str().map(str::to_string))
        .collect()
}

/// What `--cleanup` must leave of the CDK app: the kept resources, and only those of the rest
/// that are left on purpose (the account-wide API Gateway setting's CloudWatch role). Every
/// replaced role, inline policy, layer version and invoke grant is gone.
async fn assert_nothing_replaced_is_left(s: &TestStack, receipt: &Value) {
    for r in of_type(receipt, "AWS::IAM::Role") {
        let name = r["physical_id"].as_str().unwrap();
        let left = r["fate"] == "left";
        assert_eq!(role_exists(s, name).await, left, "role {name}: {r}");
    }
    let lambda = aws_sdk_lambda::Client::new(&s.sdk().await);
    for r in of_type(receipt, "AWS::Lambda::LayerVersion") {
        assert_eq!(r["fate"], "replaced", "{r}");
        let arn = r["physical_id"].as_str().unwrap();
        let got = lambda.get_layer_version_by_arn().arn(arn).send().await;
        assert!(got.is_err(), "layer version {arn} is gone");
    }
    for f in ["get-races", "get-cart", "send-message"] {
        let sids = grant_ids(s, &s.function(f)).await;
        assert_eq!(sids.len(), 1, "only baken's grant is left: {sids:?}");
        assert!(!sids[0].contains("ApiPermission"), "{sids:?}");
    }
    let config = lambda
        .get_function_configuration()
        .function_name(s.function("get-cart"))
        .send()
        .await
        .unwrap();
    assert!(
        config.layers().is_empty(),
        "baken's function names no layer: {:?}",
        config.layers()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_cdk_api_stack_is_taken_over_through_the_bootstrap_bucket_with_every_item_and_its_rest_api_id(
) {
    let account = Account::new("210000000001").await;
    cdk_app::deploy(&account, Synth::Mock).await;
    let s = TestStack::in_account(APP, "", account.clone()).await;
    seed_items(&s).await;
    let api_before = api_ids(&s).await;
    assert_eq!(api_before.len(), 1);
    // A log group Lambda made at a function's first run (the CDK app declares none).
    aws_sdk_cloudwatchlogs::Client::new(&s.sdk().await)
        .create_log_group()
        .log_group_name(format!("/aws/lambda/{}", s.function("get-races")))
        .send()
        .await
        .unwrap();

    // What a user of the CDK account meets first: deploy names the stack and the way over.
    let refused = s.deploy().await;
    refused.expect_code(1);
    assert!(
        refused.stderr.contains(&format!(
            "part of CloudFormation stack {API_STACK} as CartTableD1105F87"
        )) && refused
            .stderr
            .contains(&format!("baken adopt --from-cloudformation {API_STACK}")),
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
    assert_eq!(table["stack"], API_STACK);
    assert_eq!(table["logical_id"], "CartTableD1105F87");

    // The plan only: every resource's fate, the bucket the template goes through, not one write.
    s.log.take();
    let plan = s.baken(&["adopt", "--from-cdk-app"]).await;
    plan.expect_code(2);
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
    // The deploy that follows, read from the kept resources as they are: the tables get what
    // the CDK app did not give them, in place.
    let (_, deploy) = plan
        .stdout
        .split_once("The deploy that follows")
        .unwrap_or_else(|| panic!("{}", plan.stdout));
    for line in [
        format!("~ update table {}", s.table("cart")),
        "deletion_protection".to_string(),
        format!("~ update function {}", s.function("get-cart")),
        "+ create role".to_string(),
    ] {
        assert!(deploy.contains(&line), "{line}\n{deploy}");
    }
    assert!(
        !deploy.contains("create table") && !deploy.contains("replace table"),
        "{deploy}"
    );
    let bucket = cdk_app::bootstrap_bucket(&account.id);
    for line in [
        format!("= keep    table {} [CartTableD1105F87]", s.table("cart")),
        "= keep    rest-api baken-kaigi-api [BakenKaigiApi9254ECE8]".to_string(),
        "= keep    AWS::ApiGateway::Stage".to_string(),
        format!(
            "= keep    function {} [GetCartFunction4ED3A0CF]",
            s.function("get-cart")
        ),
        "~ replace AWS::IAM::Role".to_string(),
        "~ replace AWS::IAM::Policy".to_string(),
        "~ replace AWS::Lambda::LayerVersion".to_string(),
        ". leave   AWS::CDK::Metadata".to_string(),
        ". leave   AWS::ApiGateway::Account".to_string(),
        "CDK's CheckBootstrapVersion rule is dropped".to_string(),
        format!("through s3://{bucket}"),
        format!(
            "= keep    log-group /aws/lambda/{}: made by Lambda",
            s.function("get-races")
        ),
    ] {
        assert!(plan.stdout.contains(&line), "{line}\n{}", plan.stdout);
    }
    let json = s.baken(&["adopt", "--from-cdk-app", "--json"]).await;
    json.expect_code(2);
    let doc = json.json();
    documented.check("baken adopt --json", &doc);
    let adoption = &doc["adoption"];
    assert_eq!(adoption["backups"].as_array().unwrap().len(), 2);
    assert!(
        doc["deploy"]["steps"].as_array().unwrap().len() > 10,
        "{}",
        doc["deploy"]
    );
    assert!(adoption["refusals"].as_array().unwrap().is_empty());
    // Every one of the stack's 82 resources has a fate; CDK's metadata is among them.
    let listed = adoption["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["stack"] == API_STACK)
        .count();
    assert_eq!(listed, 82, "{adoption}");
    assert!(
        adoption["stacks"][0]["retain_template_bytes"]
            .as_u64()
            .unwrap()
            > 51_200,
        "the real template is over the inline limit"
    );

    let adopt_yes = [
        "adopt",
        "--from-cdk-app",
        "--yes",
        "--artifact",
        s.artifact.to_str().unwrap(),
    ];
    let run = s.baken(&adopt_yes).await;
    run.expect_code(0);
    assert!(run.stderr.contains("Adopted"), "{}", run.stderr);

    assert_items_kept(&s).await;
    assert_eq!(api_ids(&s).await, api_before);
    assert!(
        !stack_exists(&s, API_STACK).await,
        "the CloudFormation stack is gone"
    );
    assert_eq!(
        cdk_app::bucket_keys(&account, "baken/").await,
        Vec::<String>::new(),
        "the retain template is removed from the bucket with the stack"
    );
    let backups = aws_sdk_dynamodb::Client::new(&s.sdk().await)
        .list_backups()
        .table_name(s.table("cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(backups.backup_summaries().len(), 1);
    let api = aws_sdk_apigateway::Client::new(&s.sdk().await)
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
    s.baken(&["status"]).await.expect_code(0);
    let outputs = s.baken(&["output", "api_id", "--raw"]).await;
    outputs.expect_code(0);
    assert_eq!(outputs.stdout.trim(), api_before[0]);

    // A deploy after it has nothing to do; running the adoption again is harmless.
    let mut requests = s.log.take();
    s.deploy().await.expect_code(0);
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
    let again = s.baken(&adopt_yes).await;
    again.expect_code(0);
    assert!(again.stderr.contains("Adopted"), "{}", again.stderr);
    assert!(
        s.log.writes().is_empty(),
        "an adoption through writes nothing: {:?}",
        s.log.writes()
    );

    // The cleanup removes what baken replaced, by the receipt's physical ids.
    let receipt = receipt_of(&s);
    let role = physical(&receipt, "GetCartFunctionServiceRoleEF55E282");
    assert!(role_exists(&s, &role).await);
    let cleanup = s.baken(&["adopt", "--cleanup", "--yes", "--json"]).await;
    cleanup.expect_code(0);
    documented.check("baken adopt --cleanup --json", &cleanup.json());
    assert_nothing_replaced_is_left(&s, &receipt).await;
    s.baken(&["status"]).await.expect_code(0);
    assert_items_kept(&s).await;

    // Every request of these runs is allowed by `baken iam-policy --adopt`.
    requests.extend(s.log.take());
    let policy = crate::iam_policy::policy_with(&s, &["--adopt", API_STACK]).await;
    crate::iam_policy::check(&requests, &policy, "adopt (mock)");
}

#[tokio::test(flavor = "multi_thread")]
async fn from_cdk_app_names_the_cdk_apps_stacks_and_refuses_when_none_exists() {
    // No test makes stacks with the CDK app's own names in the shared account.
    let s = TestStack::new("adoptcdk").await;
    let run = s.baken(&["adopt", "--from-cdk-app"]).await;
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("! refused: stack BakenKaigiApiStack: there is no such stack")
            && run.stdout.contains(SERVER_STACK),
        "{}",
        run.stdout
    );
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_jravan_app_keeps_its_gateway_until_bakens_is_healthy_and_a_crash_midway_is_finished_by_a_rerun(
) {
    let account = Account::new("210000000002").await;
    cdk_app::deploy(&account, Synth::Jravan).await;
    let s = TestStack::in_account(APP, JRAVAN, account.clone()).await;
    seed_items(&s).await;
    let api_before = api_ids(&s).await;
    let artifact = s.artifact.to_str().unwrap().to_string();
    // Printed before the adoption, the policy lets the cleanup delete the server's role, which
    // the template names outright (outside the `<stack>-*` names).
    let before = crate::iam_policy::policy_with(
        &s,
        &["--mode", "jravan", "--adopt", SERVER_STACK, API_STACK],
    )
    .await;
    assert!(
        before.to_string().contains(&format!(
            "arn:aws:iam::{}:role/jravan-api-ec2-role",
            account.id
        )),
        "{before}"
    );
    let args = [
        "adopt",
        "--from-cdk-app",
        "--mode",
        "jravan",
        "--artifact",
        artifact.as_str(),
        "--yes",
    ];

    // Both stacks, importer first; the second DeleteStack never answers and baken is killed
    // while it waits: a crash between the two deletions.
    s.log.hold_next("DeleteStack");
    s.log.hold_next("DeleteStack");
    let mut child = s.spawn(&args);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while s.log.seen("DeleteStack") < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "no DeleteStack was sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    assert!(
        stack_exists(&s, API_STACK).await && stack_exists(&s, SERVER_STACK).await,
        "the held deletion never reached CloudFormation"
    );
    let receipt = receipt_of(&s);
    let done = receipt["done"].to_string();
    assert!(
        done.contains("retained") && !done.contains("deleted"),
        "{done}"
    );
    // Every resource of both real templates has a fate: the nine functions' own security
    // groups are replaced, the key pair too.
    let groups = of_type(&receipt, "AWS::EC2::SecurityGroup");
    assert_eq!(groups.len(), 10, "nine per function, one for the server");
    assert!(
        groups.iter().all(|g| g["fate"] == "replaced"),
        "{groups:#?}"
    );
    assert_eq!(
        of_type(&receipt, "AWS::EC2::KeyPair")[0]["fate"],
        "replaced"
    );

    // The killed run's lock outlives it (until its lease ends): cleared as its error says.
    s.baken(&["unlock", "--yes"]).await.expect_code(0);
    // The run goes on from another checkout (a new CI job): the receipt kept in the account is
    // the one read, and the file is written again.
    let receipt_path = s.dir.path().join(format!("{}.adopt-receipt.json", s.name));
    std::fs::remove_file(&receipt_path).unwrap();
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
    assert!(!stack_exists(&s, API_STACK).await && !stack_exists(&s, SERVER_STACK).await);
    assert_eq!(
        cdk_app::bucket_keys(&account, "baken/").await,
        Vec::<String>::new()
    );
    let receipt = receipt_of(&s);
    let cdk_subnet = physical(&receipt, "JraVanVpcPrivateSubnet1Subnet32C1F9F1");
    let cdk_instance = physical(&receipt, "JraVanApiInstance9798C776");
    let function_group = physical(&receipt, "GetRacesFunctionSecurityGroup39FCE80C");
    let lambda = aws_sdk_lambda::Client::new(&s.sdk().await);
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
    let vpc = held.vpc_config().unwrap();
    assert!(
        vpc.subnet_ids().contains(&cdk_subnet)
            && vpc.security_group_ids().contains(&function_group),
        "{vpc:?}"
    );
    assert_eq!(
        held.runtime().unwrap().as_str(),
        "provided.al2023",
        "the code is baken's already"
    );

    // baken's gateway reports healthy: the functions move to baken's network in one update.
    let config_sdk = s.sdk().await;
    for (which, value) in [
        (
            "gateway-bootstrap",
            json!({"state": "complete", "step": "done", "at": now_minus(5)}),
        ),
        ("gateway-health", health(&now_minus(1), "ready", true, None)),
    ] {
        let name = format!("/baken/{}/{which}", s.name);
        put_parameter_with(
            &config_sdk,
            &name,
            &value.to_string(),
            ParameterType::String,
        )
        .await;
    }
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
    assert_eq!(api_ids(&s).await, api_before);

    // The cleanup removes the CDK instance, its network and the functions' own groups, by the
    // receipt's ids (in the mode the receipt records: no --mode needed).
    let cleanup = s.baken(&["adopt", "--cleanup", "--yes"]).await;
    cleanup.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&s.sdk().await);
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
    for g in groups {
        let id = g["physical_id"].as_str().unwrap();
        assert!(
            ec2.describe_security_groups()
                .group_ids(id)
                .send()
                .await
                .is_err(),
            "security group {id} ({}) is gone",
            g["logical_id"]
        );
    }
    let vpc = physical(&receipt, "JraVanVpc9E5807D8");
    assert!(
        ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err(),
        "the CDK VPC is gone"
    );
    let keys = ec2.describe_key_pairs().send().await.unwrap();
    assert!(
        keys.key_pairs()
            .iter()
            .all(|k| k.key_name() != Some("jravan-api-keypair")),
        "the CDK key pair is gone"
    );
    let profile = physical(&receipt, "JraVanApiInstanceInstanceProfile149E2EBE");
    assert!(
        aws_sdk_iam::Client::new(&s.sdk().await)
            .get_instance_profile()
            .instance_profile_name(&profile)
            .send()
            .await
            .is_err(),
        "the CDK instance profile is gone"
    );
    assert_nothing_replaced_is_left(&s, &receipt).await;
    s.baken(&["status"]).await.expect_code(0);

    let requests = s.log.take();
    let policy = crate::iam_policy::policy_with(
        &s,
        &["--mode", "jravan", "--adopt", SERVER_STACK, API_STACK],
    )
    .await;
    crate::iam_policy::check(&requests, &policy, "adopt (jravan)");
}
