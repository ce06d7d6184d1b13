//! Data and the gateway are protected: tables carry DynamoDB deletion protection and the instance
//! EC2 termination protection (read back with the SDK, repaired as drift), and a plan that deletes
//! either lists it as destructive and needs `--allow-data-loss` beyond `--yes`.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::harness::{sdk, TestStack};
use crate::jravan::{deploy_jravan, running_instances, JRAVAN};

#[tokio::test(flavor = "multi_thread")]
async fn tables_are_deletion_protected_and_teardown_needs_allow_data_loss_beyond_yes() {
    let s = TestStack::new("prot").await;
    s.deploy().await.expect_code(0);
    let ddb = aws_sdk_dynamodb::Client::new(&sdk().await);
    let cart = s.table("cart");
    let protected = |t: String| {
        let ddb = ddb.clone();
        async move {
            ddb.describe_table()
                .table_name(t)
                .send()
                .await
                .unwrap()
                .table()
                .unwrap()
                .deletion_protection_enabled()
        }
    };
    assert_eq!(protected(cart.clone()).await, Some(true));
    ddb.put_item()
        .table_name(&cart)
        .item("cart_id", AttributeValue::S("kept".into()))
        .send()
        .await
        .unwrap();

    // Turned off by hand: drift, and deploy turns it on again.
    ddb.update_table()
        .table_name(&cart)
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    let json = s.baken(&["status", "--json"]).await.json();
    let tables = json["protection"]["tables"].as_array().unwrap();
    let protected_in_status = |name: &str| {
        tables
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["deletion_protection"].clone())
    };
    assert_eq!(protected_in_status(&cart), Some(false.into()));
    assert_eq!(
        protected_in_status(&s.table("consultation-session")),
        Some(true.into())
    );
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status
            .stdout
            .contains(&format!("table {cart} NOT deletion-protected")),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("deletion_protection: disabled → enabled"),
        "{}",
        status.stdout
    );
    s.deploy().await.expect_code(0);
    assert_eq!(protected(cart.clone()).await, Some(true));

    let plan = s.baken(&["teardown", "--yes", "--json"]).await;
    plan.expect_code(1);
    let out = plan.json();
    assert_eq!(out["error"]["code"], "refused", "{}", plan.stdout);
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("table {cart} (about 1 items)")),
        "{}",
        plan.stdout
    );
    assert!(out["error"]["hint"]
        .as_str()
        .unwrap()
        .contains("--allow-data-loss"));
    assert_eq!(
        protected(cart.clone()).await,
        Some(true),
        "nothing was changed"
    );

    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert!(ddb.describe_table().table_name(&cart).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_is_termination_protected_and_leaving_jravan_needs_allow_data_loss() {
    let s = TestStack::with_manifest("protj", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let id = running_instances(&ec2, &s.name).await[0]
        .instance_id()
        .unwrap()
        .to_string();
    let attr = ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr.disable_api_termination().and_then(|v| v.value()),
        Some(true)
    );
    let status = s.baken(&["status", "--json"]).await.json();
    assert_eq!(status["protection"]["gateway"], true);
    let artifact = s.artifact.to_str().unwrap();
    let plan = s
        .baken(&["plan", "--mode", "mock", "--artifact", artifact])
        .await;
    assert!(
        plan.stdout.contains(&format!(
            "! destroys: instance {}-gateway: the gateway instance and the JV-Link data downloaded to it is lost",
            s.name
        )),
        "{}",
        plan.stdout
    );
    let refused = s
        .baken(&["deploy", "--yes", "--mode", "mock", "--artifact", artifact])
        .await;
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("--allow-data-loss"),
        "{}",
        refused.stderr
    );
    assert_eq!(running_instances(&ec2, &s.name).await.len(), 1);
    s.baken(&[
        "deploy",
        "--yes",
        "--allow-data-loss",
        "--mode",
        "mock",
        "--artifact",
        artifact,
    ])
    .await
    .expect_code(0);
    assert!(running_instances(&ec2, &s.name).await.is_empty());
}
