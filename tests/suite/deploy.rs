//! A fresh deploy creates exactly what docs/design.md specifies (checked by reading AWS directly, not
//! through baken), and a second deploy sends no write request at all.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::{sdk, TestStack, ACCOUNT, REGION};

const ROUTES: [(&str, &str, &str); 9] = [
    ("get-races", "GET", "/races"),
    ("get-race-detail", "GET", "/races/{race_id}"),
    ("add-to-cart", "POST", "/cart/items"),
    ("get-cart", "GET", "/cart/{cart_id}"),
    (
        "remove-from-cart",
        "DELETE",
        "/cart/{cart_id}/items/{item_id}",
    ),
    ("clear-cart", "DELETE", "/cart/{cart_id}"),
    ("start-consultation", "POST", "/consultations"),
    (
        "send-message",
        "POST",
        "/consultations/{session_id}/messages",
    ),
    ("get-consultation", "GET", "/consultations/{session_id}"),
];

/// Which DynamoDB actions a function's policy allows on a table (empty: no statement).
fn table_actions(policy: &Value, table_arn: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in policy["Statement"].as_array().unwrap() {
        let resources: Vec<&str> = s["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r.as_str())
            .collect();
        if resources.contains(&table_arn) {
            assert!(
                resources.contains(&format!("{table_arn}/index/*").as_str()),
                "index ARN beside {table_arn}"
            );
            out.extend(
                s["Action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string()),
            );
        }
    }
    out.sort();
    out
}

/// IAM answers policy documents URL-encoded; baken's own decoder undoes that.
fn decode(doc: &str) -> Value {
    serde_json::from_str(&baken::resource::json::decode_policy_document(doc)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_deploy_creates_the_specified_stack_and_a_second_deploy_writes_nothing() {
    let s = TestStack::new("fresh").await;
    let run = s
        .baken(&[
            "deploy",
            "--yes",
            "--json",
            "--artifact",
            s.artifact.to_str().unwrap(),
        ])
        .await;
    run.expect_code(0);
    let out = run.json();
    assert_eq!(
        out["plan"]["steps"].as_array().unwrap().len(),
        52,
        "2 tables, 9 roles, 9 log groups, 9 functions, API (1+10+2+1), 9 permissions"
    );
    let api_url = out["outputs"]["api_url"]
        .as_str()
        .expect("the invoke URL is printed")
        .to_string();
    let cfg = sdk().await;
    let stack_tag = |tags: &BTreeMap<String, String>| tags.get("baken:stack").cloned();

    // Tables: key, index, on-demand, KMS encryption, TTL on `ttl`, ownership tags.
    let ddb = aws_sdk_dynamodb::Client::new(&cfg);
    for (table, key) in [("cart", "cart_id"), ("consultation-session", "session_id")] {
        let name = s.table(table);
        let t = ddb
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        assert_eq!(t.key_schema()[0].attribute_name(), key);
        let gsi = &t.global_secondary_indexes()[0];
        assert_eq!(gsi.index_name(), Some("user_id-index"));
        assert_eq!(gsi.key_schema()[0].attribute_name(), "user_id");
        assert_eq!(
            gsi.projection()
                .unwrap()
                .projection_type()
                .unwrap()
                .as_str(),
            "ALL"
        );
        assert_eq!(
            t.billing_mode_summary()
                .unwrap()
                .billing_mode()
                .unwrap()
                .as_str(),
            "PAY_PER_REQUEST"
        );
        assert_eq!(
            t.sse_description().unwrap().sse_type().unwrap().as_str(),
            "KMS"
        );
        let ttl = ddb
            .describe_time_to_live()
            .table_name(&name)
            .send()
            .await
            .unwrap();
        let ttl = ttl.time_to_live_description().unwrap();
        assert_eq!(
            (
                ttl.time_to_live_status().unwrap().as_str(),
                ttl.attribute_name()
            ),
            ("ENABLED", Some("ttl"))
        );
        let tags = ddb
            .list_tags_of_resource()
            .resource_arn(t.table_arn().unwrap())
            .send()
            .await
            .unwrap();
        let tags: BTreeMap<_, _> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        assert_eq!(stack_tag(&tags), Some(s.name.clone()));
    }

    // Roles: one per function under the stack's path, each with only its row's table access.
    let iam = aws_sdk_iam::Client::new(&cfg);
    let lambda = aws_sdk_lambda::Client::new(&cfg);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let cart_arn = format!(
        "arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}",
        s.table("cart")
    );
    let session_arn = format!(
        "arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}",
        s.table("consultation-session")
    );
    let read = [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
    ];
    let mut read_write: Vec<&str> = read
        .iter()
        .copied()
        .chain([
            "dynamodb:BatchWriteItem",
            "dynamodb:DeleteItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ])
        .collect();
    read_write.sort();
    for (suffix, _, _) in ROUTES {
        let name = s.function(suffix);
        let role = iam
            .get_role()
            .role_name(&name)
            .send()
            .await
            .unwrap()
            .role
            .unwrap();
        assert_eq!(role.path(), format!("/baken/{}/", s.name));
        let policy = iam
            .get_role_policy()
            .role_name(&name)
            .policy_name("baken-function-access")
            .send()
            .await
            .unwrap();
        let policy = decode(policy.policy_document());
        let (cart, session) = (
            table_actions(&policy, &cart_arn),
            table_actions(&policy, &session_arn),
        );
        let expect = |access: &str| -> Vec<String> {
            match access {
                "rw" => read_write.iter().map(|s| s.to_string()).collect(),
                "r" => read.iter().map(|s| s.to_string()).collect(),
                _ => vec![],
            }
        };
        let (want_cart, want_session) = match suffix {
            "add-to-cart" | "remove-from-cart" | "clear-cart" => ("rw", ""),
            "get-cart" => ("r", ""),
            "start-consultation" => ("r", "rw"),
            "send-message" => ("", "rw"),
            "get-consultation" => ("", "r"),
            _ => ("", ""),
        };
        assert_eq!(cart, expect(want_cart), "{suffix} cart access");
        assert_eq!(session, expect(want_session), "{suffix} session access");
        let log_stmt = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["Sid"] == "OwnLogs")
            .unwrap();
        assert_eq!(
            log_stmt["Resource"][0],
            format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{name}:*")
        );

        // Function: runtime, handler, memory, timeout, environment, role, tags.
        let f = lambda
            .get_function()
            .function_name(&name)
            .send()
            .await
            .unwrap();
        let c = f.configuration().unwrap();
        assert_eq!(c.runtime().unwrap().as_str(), "provided.al2023");
        assert_eq!(c.handler(), Some("bootstrap"));
        assert_eq!((c.memory_size(), c.timeout()), (Some(128), Some(30)));
        assert_eq!(c.role(), Some(role.arn()));
        assert_eq!(c.architectures()[0].as_str(), "x86_64");
        let env = c.environment().unwrap().variables().unwrap();
        assert_eq!(env["RACE_DATA_PROVIDER"], "mock");
        assert_eq!(env["CART_TABLE_NAME"], s.table("cart"));
        assert_eq!(env["SESSION_TABLE_NAME"], s.table("consultation-session"));
        assert!(!env.contains_key("JRAVAN_API_URL"));
        assert_eq!(f.tags().unwrap()["baken:stack"], s.name);

        // Log group with retention.
        let groups = logs
            .describe_log_groups()
            .log_group_name_prefix(format!("/aws/lambda/{name}"))
            .send()
            .await
            .unwrap();
        let g = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(&format!("/aws/lambda/{name}")))
            .unwrap();
        assert_eq!(g.retention_in_days(), Some(14));
    }

    // REST API: the resource tree, proxy integrations, CORS preflights, gateway responses, stage.
    let gw = aws_sdk_apigateway::Client::new(&cfg);
    let apis = gw.get_rest_apis().limit(500).send().await.unwrap();
    let api = apis
        .items()
        .iter()
        .find(|a| a.name() == Some(&format!("{}-api", s.name)))
        .unwrap();
    let api_id = api.id().unwrap();
    assert!(
        api_url.contains(api_id) && api_url.ends_with("/prod"),
        "{api_url}"
    );
    let resources = s.api_resources(api_id).await;
    let mut paths: Vec<&str> = resources.iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/",
            "/cart",
            "/cart/items",
            "/cart/{cart_id}",
            "/cart/{cart_id}/items",
            "/cart/{cart_id}/items/{item_id}",
            "/consultations",
            "/consultations/{session_id}",
            "/consultations/{session_id}/messages",
            "/races",
            "/races/{race_id}"
        ]
    );
    for r in resources.iter().filter(|r| r.path() != Some("/")) {
        let methods = r.resource_methods().unwrap();
        let options = methods["OPTIONS"].method_integration().unwrap();
        assert_eq!(options.r#type().unwrap().as_str(), "MOCK");
        let headers = options.integration_responses().unwrap()["200"]
            .response_parameters()
            .unwrap();
        assert_eq!(
            headers["method.response.header.Access-Control-Allow-Origin"],
            "'*'"
        );
        assert_eq!(
            headers["method.response.header.Access-Control-Allow-Headers"],
            "'Content-Type,Authorization'"
        );
        assert_eq!(
            headers["method.response.header.Access-Control-Allow-Methods"],
            "'GET,POST,PUT,DELETE,OPTIONS'"
        );
    }
    for (suffix, method, path) in ROUTES {
        let r = resources.iter().find(|r| r.path() == Some(path)).unwrap();
        let m = &r.resource_methods().unwrap()[method];
        let i = m.method_integration().unwrap();
        assert_eq!(i.r#type().unwrap().as_str(), "AWS_PROXY");
        assert_eq!(
            i.uri().unwrap(),
            format!("arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}/invocations", s.function(suffix))
        );
        // Invoke permission scoped to this method and path.
        let policy = lambda
            .get_policy()
            .function_name(s.function(suffix))
            .send()
            .await
            .unwrap();
        let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        let arn_path: String = path
            .split('/')
            .map(|p| if p.starts_with('{') { "*" } else { p })
            .collect::<Vec<_>>()
            .join("/");
        assert_eq!(
            policy["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"],
            format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/{method}{arn_path}")
        );
    }
    let responses = gw
        .get_gateway_responses()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    for t in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let r = responses
            .items()
            .iter()
            .find(|r| r.response_type().map(|x| x.as_str()) == Some(t))
            .unwrap();
        assert_eq!(
            r.response_parameters().unwrap()["gatewayresponse.header.Access-Control-Allow-Origin"],
            "'*'"
        );
    }
    let stage = gw
        .get_stage()
        .rest_api_id(api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let all = &stage.method_settings().unwrap()["*/*"];
    assert_eq!(
        (all.throttling_rate_limit(), all.throttling_burst_limit()),
        (50.0, 100)
    );

    // Second deploy: nothing to do, and no write request reaches the emulator.
    s.log.take();
    let again = s.deploy().await;
    again.expect_code(0);
    assert!(
        again
            .stdout
            .contains("Nothing to do; no write request was sent."),
        "{}",
        again.stdout
    );
    assert_eq!(s.log.writes(), Vec::<String>::new(), "a no-op deploy wrote");
    assert!(
        s.log.count() > 0,
        "the second deploy did read through the proxy"
    );
    let plan = s
        .baken(&["plan", "--artifact", s.artifact.to_str().unwrap()])
        .await;
    plan.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_exits_2_with_changes_and_prints_json() {
    let s = TestStack::new("plan").await;
    let run = s
        .baken(&["plan", "--json", "--artifact", s.artifact.to_str().unwrap()])
        .await;
    run.expect_code(2);
    let out = run.json();
    let steps = out["plan"]["steps"].as_array().unwrap();
    assert!(steps.iter().all(|st| st["action"] == "create"));
    // Dependencies come first: a function after its role and log group, the stage after the tree.
    let pos = |kind: &str, name: &str| {
        steps
            .iter()
            .position(|st| st["resource"]["kind"] == kind && st["resource"]["name"] == name)
            .unwrap()
    };
    let f = s.function("get-races");
    assert!(pos("role", &f) < pos("function", &f));
    assert!(pos("log-group", &format!("/aws/lambda/{f}")) < pos("function", &f));
    assert!(pos("api-resource", "/cart/{cart_id}") < pos("api-resource", "/cart/{cart_id}/items"));
    assert!(pos("api-resource", "/cart/{cart_id}/items/{item_id}") < pos("stage", "prod"));
    assert_eq!(s.log.writes(), Vec::<String>::new(), "plan wrote");
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_without_a_terminal_or_yes_refuses_and_changes_nothing() {
    let s = TestStack::new("noyes").await;
    let run = s
        .baken(&["deploy", "--artifact", s.artifact.to_str().unwrap()])
        .await;
    run.expect_code(1);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(s.log.writes(), Vec::<String>::new());
}

/// Regression: prebuilt binaries were packed into one shared `bootstrap.zip`, so two deploys at
/// once could hash one package and upload the other's.
#[tokio::test(flavor = "multi_thread")]
async fn regression_concurrent_deploys_never_upload_each_others_package() {
    let a = TestStack::new("pkg-a").await;
    let b = TestStack::new("pkg-b").await;
    let art_b = crate::harness::write_artifact(b.dir.path(), "echo b");
    let args_a = [
        "deploy",
        "--yes",
        "--json",
        "--artifact",
        a.artifact.to_str().unwrap(),
    ];
    let args_b = [
        "deploy",
        "--yes",
        "--json",
        "--artifact",
        art_b.to_str().unwrap(),
    ];
    let (ra, rb) = tokio::join!(a.baken(&args_a), b.baken(&args_b));
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let mut shas = Vec::new();
    for (s, run) in [(&a, ra), (&b, rb)] {
        run.expect_code(0);
        let sha = run.json()["package"]["sha256_base64"]
            .as_str()
            .unwrap()
            .to_string();
        for suffix in ["get-races", "send-message"] {
            let c = lambda
                .get_function_configuration()
                .function_name(s.function(suffix))
                .send()
                .await
                .unwrap();
            assert_eq!(
                c.code_sha256(),
                Some(sha.as_str()),
                "{} holds another run's package",
                s.function(suffix)
            );
        }
        shas.push(sha);
    }
    assert_ne!(shas[0], shas[1]);
}
