//! Out-of-band edits show in `status` (exit 2, naming the attribute), `deploy` repairs them, and
//! `status` is back to exit 0.

use aws_sdk_dynamodb::types::TimeToLiveSpecification;
use aws_sdk_lambda::types::Environment;

use crate::harness::{sdk, TestStack};

#[tokio::test(flavor = "multi_thread")]
async fn status_names_each_drifted_attribute_and_deploy_repairs_it() {
    let s = TestStack::new("drift").await;
    s.deploy().await.expect_code(0);
    s.baken(&["status"]).await.expect_code(0);

    let cfg = sdk().await;
    let lambda = aws_sdk_lambda::Client::new(&cfg);
    let ddb = aws_sdk_dynamodb::Client::new(&cfg);
    let gw = aws_sdk_apigateway::Client::new(&cfg);

    lambda
        .update_function_configuration()
        .function_name(s.function("get-races"))
        .memory_size(512)
        .send()
        .await
        .unwrap();
    let env = lambda
        .get_function_configuration()
        .function_name(s.function("get-cart"))
        .send()
        .await
        .unwrap();
    let mut vars = env.environment().unwrap().variables().unwrap().clone();
    vars.insert("CART_TABLE_NAME".into(), "someone-elses-table".into());
    lambda
        .update_function_configuration()
        .function_name(s.function("get-cart"))
        .environment(Environment::builder().set_variables(Some(vars)).build())
        .send()
        .await
        .unwrap();
    ddb.update_time_to_live()
        .table_name(s.table("cart"))
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(false)
                .attribute_name("ttl")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let api_id = s.api_id().await;
    let resources = s.api_resources(&api_id).await;
    let id_of = |p: &str| {
        resources
            .iter()
            .find(|r| r.path() == Some(p))
            .unwrap()
            .id()
            .unwrap()
            .to_string()
    };
    gw.put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(id_of("/races"))
        .http_method("OPTIONS")
        .status_code("200")
        .response_parameters("method.response.header.Access-Control-Allow-Origin", "'*'")
        .response_parameters(
            "method.response.header.Access-Control-Allow-Headers",
            "'X-Other'",
        )
        .response_parameters(
            "method.response.header.Access-Control-Allow-Methods",
            "'GET,POST,PUT,DELETE,OPTIONS'",
        )
        .send()
        .await
        .unwrap();
    gw.delete_method()
        .rest_api_id(&api_id)
        .resource_id(id_of("/cart/items"))
        .http_method("POST")
        .send()
        .await
        .unwrap();

    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    for expected in [
        "memory: 512 → 128",
        "environment.CART_TABLE_NAME: someone-elses-table → ",
        "ttl: disabled → ttl enabled",
        "OPTIONS header Access-Control-Allow-Headers: 'X-Other' → 'Content-Type,Authorization'",
        "POST integration: (absent) → AWS_PROXY",
    ] {
        assert!(
            status.stdout.contains(expected),
            "`{expected}` not in status:\n{}",
            status.stdout
        );
    }
    let json = s.baken(&["status", "--json"]).await;
    json.expect_code(2);
    let drifted: Vec<String> = json.json()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "drifted")
        .map(|r| r["resource"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(drifted.len(), 5, "{drifted:?}");

    s.deploy().await.expect_code(0);
    let after = s.baken(&["status"]).await;
    after.expect_code(0);
    let f = lambda
        .get_function_configuration()
        .function_name(s.function("get-races"))
        .send()
        .await
        .unwrap();
    assert_eq!(f.memory_size(), Some(128));
    let ttl = ddb
        .describe_time_to_live()
        .table_name(s.table("cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .unwrap()
            .time_to_live_status()
            .unwrap()
            .as_str(),
        "ENABLED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_change_is_an_update_with_the_attribute_and_a_new_code_is_uploaded_once() {
    let s = TestStack::new("change").await;
    s.deploy().await.expect_code(0);
    s.set_manifest("functions:\n  overrides:\n    get-races:\n      memory: 256\napi:\n  throttling:\n    rate_limit: 20\n");
    let other = crate::harness::write_artifact(s.dir.path(), "exit 1");
    let plan = s
        .baken(&["plan", "--artifact", other.to_str().unwrap()])
        .await;
    plan.expect_code(2);
    assert!(plan.stdout.contains("memory: 128 → 256"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("throttling.rate_limit: 50 → 20"),
        "{}",
        plan.stdout
    );
    assert_eq!(
        plan.stdout.matches("code_sha256:").count(),
        9,
        "every function gets the new code:\n{}",
        plan.stdout
    );
    s.baken(&["deploy", "--yes", "--artifact", other.to_str().unwrap()])
        .await
        .expect_code(0);
    s.log.take();
    s.baken(&["deploy", "--yes", "--artifact", other.to_str().unwrap()])
        .await
        .expect_code(0);
    assert_eq!(s.log.writes(), Vec::<String>::new());
}
