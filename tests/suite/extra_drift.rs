//! Drift misses nothing the stack owns: an inline policy or a managed policy added by hand to a
//! baken role, a statement added to a function's resource policy, an extra method and an extra
//! resource in the REST API are each named by `status` and removed by `deploy`; policy changes
//! show statement by statement, in full. And a function set to another data provider by hand
//! does not make the stack that mode. Edits and checks go through the SDK.

use aws_sdk_lambda::types::Environment;

use crate::harness::{sdk, TestStack};

const EVERYTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn extra_policies_statements_methods_and_resources_are_drift_that_deploy_removes() {
    let s = TestStack::new("extra").await;
    s.deploy().await.expect_code(0);
    let cfg = sdk().await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let lambda = aws_sdk_lambda::Client::new(&cfg);
    let gw = aws_sdk_apigateway::Client::new(&cfg);
    let role = s.function("get-races");

    iam.put_role_policy()
        .role_name(&role)
        .policy_name("handmade")
        .policy_document(EVERYTHING)
        .send()
        .await
        .unwrap();
    let managed = iam
        .create_policy()
        .policy_name(format!("{}-extra", s.name))
        .policy_document(EVERYTHING)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&managed)
        .send()
        .await
        .unwrap();
    lambda
        .add_permission()
        .function_name(s.function("get-cart"))
        .statement_id("handmade")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await
        .unwrap();
    let api = s.api_id().await;
    let resources = s.api_resources(&api).await;
    let id_of = |path: &str| {
        resources
            .iter()
            .find(|r| r.path() == Some(path))
            .unwrap()
            .id()
            .unwrap()
            .to_string()
    };
    gw.put_method()
        .rest_api_id(&api)
        .resource_id(id_of("/races"))
        .http_method("PATCH")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    gw.create_resource()
        .rest_api_id(&api)
        .parent_id(id_of("/"))
        .path_part("extra")
        .send()
        .await
        .unwrap();

    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    for named in [
        "policy.handmade: removed".to_string(),
        "- statement #1: Allow * on *".to_string(),
        format!("managed_policy {managed}: present → (absent)"),
        "statement handmade:".to_string(),
        "unwanted    api-resource /extra".to_string(),
        "PATCH authorization: NONE → (absent)".to_string(),
    ] {
        assert!(
            status.stdout.contains(&named),
            "`{named}` in:\n{}",
            status.stdout
        );
    }

    s.deploy().await.expect_code(0);
    let inline = iam
        .list_role_policies()
        .role_name(&role)
        .send()
        .await
        .unwrap();
    assert_eq!(inline.policy_names(), ["baken-function-access".to_string()]);
    let attached = iam
        .list_attached_role_policies()
        .role_name(&role)
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    let policy = lambda
        .get_policy()
        .function_name(s.function("get-cart"))
        .send()
        .await
        .unwrap();
    assert!(!policy.policy().unwrap().contains("handmade"));
    let after = s.api_resources(&api).await;
    assert!(after.iter().all(|r| r.path() != Some("/extra")));
    let races = after.iter().find(|r| r.path() == Some("/races")).unwrap();
    assert!(!races
        .resource_methods()
        .is_some_and(|m| m.contains_key("PATCH")));
    s.baken(&["status"]).await.expect_code(0);
}

/// Regression: one function set to `RACE_DATA_PROVIDER=jravan` by hand made `status` take the
/// whole stack for jravan mode (the first function read decided) and plan a VPC and an instance.
#[tokio::test(flavor = "multi_thread")]
async fn one_function_set_to_jravan_by_hand_is_contradictory_evidence_not_jravan_mode() {
    let s = TestStack::new("mixed").await;
    s.deploy().await.expect_code(0);
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let name = s.function("get-races");
    let env = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let mut vars = env.environment().unwrap().variables().unwrap().clone();
    vars.insert("RACE_DATA_PROVIDER".into(), "jravan".into());
    lambda
        .update_function_configuration()
        .function_name(&name)
        .environment(Environment::builder().set_variables(Some(vars)).build())
        .send()
        .await
        .unwrap();

    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    let out = status.json();
    assert_eq!(out["mode"], "mock");
    let conflict = out["mode_conflict"].as_str().unwrap();
    assert!(
        conflict.contains(&format!("1 in jravan mode ({name})"))
            && conflict.contains("there is no jravan network"),
        "{conflict}"
    );
    assert!(
        out["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["resource"]["kind"] != "vpc"),
        "no network is planned"
    );

    let refused = s.deploy_with(&["--json"]).await;
    refused.expect_code(1);
    assert_eq!(refused.json()["error"]["code"], "mode-unclear");
    s.deploy_with(&["--mode", "mock"]).await.expect_code(0);
    let fixed = s.baken(&["status", "--json"]).await;
    fixed.expect_code(0);
    assert_eq!(fixed.json()["mode_conflict"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_route_added_by_hand_is_drift_that_deploy_removes() {
    use crate::jravan::{by_tag, deploy_jravan, JRAVAN};
    let s = TestStack::with_manifest("xroute", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let tables = ec2
        .describe_route_tables()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let public = tables
        .route_tables()
        .iter()
        .find(|t| {
            t.routes()
                .iter()
                .any(|r| r.gateway_id().is_some_and(|g| g.starts_with("igw-")))
        })
        .unwrap();
    let igw = public
        .routes()
        .iter()
        .find_map(|r| r.gateway_id().filter(|g| g.starts_with("igw-")))
        .unwrap()
        .to_string();
    ec2.create_route()
        .route_table_id(public.route_table_id().unwrap())
        .destination_cidr_block("192.168.0.0/16")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status
            .stdout
            .contains(&format!("route 192.168.0.0/16: {igw} → (absent)")),
        "{}",
        status.stdout
    );
    deploy_jravan(&s, &[]).await.expect_code(0);
    let after = ec2
        .describe_route_tables()
        .route_table_ids(public.route_table_id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(after.route_tables()[0]
        .routes()
        .iter()
        .all(|r| r.destination_cidr_block() != Some("192.168.0.0/16")));
    s.baken(&["status"]).await.expect_code(0);
}
