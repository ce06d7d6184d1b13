//! Stacks side by side, teardown (twice, and keeping the data), and names taken by others.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::harness::{sdk, TestStack};

async fn function_exists(cfg: &aws_config::SdkConfig, name: &str) -> bool {
    aws_sdk_lambda::Client::new(cfg)
        .get_function()
        .function_name(name)
        .send()
        .await
        .is_ok()
}

async fn table_exists(cfg: &aws_config::SdkConfig, name: &str) -> bool {
    aws_sdk_dynamodb::Client::new(cfg)
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn tearing_one_stack_down_leaves_the_other_whole_and_a_second_teardown_is_a_no_op() {
    let a = TestStack::new("side-a").await;
    let b = TestStack::new("side-b").await;
    a.deploy().await.expect_code(0);
    b.deploy().await.expect_code(0);

    let down = a.baken(&["teardown", "--yes", "--allow-data-loss"]).await;
    down.expect_code(0);
    let cfg = sdk().await;
    assert!(!function_exists(&cfg, &a.function("get-races")).await);
    assert!(!table_exists(&cfg, &a.table("cart")).await);
    let roles = aws_sdk_iam::Client::new(&cfg)
        .list_roles()
        .path_prefix(format!("/baken/{}/", a.name))
        .send()
        .await
        .unwrap();
    assert!(roles.roles().is_empty(), "roles left: {:?}", roles.roles());
    let apis = aws_sdk_apigateway::Client::new(&cfg)
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    assert!(!apis
        .items()
        .iter()
        .any(|x| x.name() == Some(&format!("{}-api", a.name))));
    let groups = aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{}-", a.name))
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());

    // The other stack is untouched.
    b.baken(&["status"]).await.expect_code(0);

    a.log.take();
    let again = a.baken(&["teardown", "--yes", "--allow-data-loss"]).await;
    again.expect_code(0);
    assert_eq!(a.log.writes(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn teardown_with_keep_data_keeps_the_tables_and_their_items() {
    let s = TestStack::new("keep").await;
    s.deploy().await.expect_code(0);
    let cfg = sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&cfg);
    ddb.put_item()
        .table_name(s.table("cart"))
        .item("cart_id", AttributeValue::S("kept-cart".into()))
        .send()
        .await
        .unwrap();

    // Without a terminal and without --yes, teardown refuses and removes nothing.
    s.baken(&["teardown", "--keep-data"]).await.expect_code(1);
    assert!(function_exists(&cfg, &s.function("get-races")).await);

    s.baken(&["teardown", "--yes", "--keep-data"])
        .await
        .expect_code(0);
    assert!(!function_exists(&cfg, &s.function("get-races")).await);
    let item = ddb
        .get_item()
        .table_name(s.table("cart"))
        .key("cart_id", AttributeValue::S("kept-cart".into()))
        .send()
        .await
        .unwrap();
    assert!(item.item().is_some(), "the item survived");
    assert!(table_exists(&cfg, &s.table("consultation-session")).await);

    // A later deploy adopts the kept tables again, data intact.
    s.deploy().await.expect_code(0);
    s.baken(&["status"]).await.expect_code(0);
    let item = ddb
        .get_item()
        .table_name(s.table("cart"))
        .key("cart_id", AttributeValue::S("kept-cart".into()))
        .send()
        .await
        .unwrap();
    assert!(item.item().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_taken_by_something_not_ours_is_in_the_way_and_deploy_refuses() {
    let s = TestStack::new("taken").await;
    let cfg = sdk().await;
    // Someone else's table with the name this stack wants.
    aws_sdk_dynamodb::Client::new(&cfg)
        .create_table()
        .table_name(s.table("cart"))
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type("S".into())
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type("HASH".into())
                .build()
                .unwrap(),
        )
        .billing_mode("PAY_PER_REQUEST".into())
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains(&format!(
            "in the way  table {} (not managed by baken)",
            s.table("cart")
        )),
        "{}",
        status.stdout
    );
    let deploy = s.deploy().await;
    deploy.expect_code(1);
    assert!(
        deploy.stderr.contains("names are taken"),
        "{}",
        deploy.stderr
    );
    assert_eq!(s.log.writes(), Vec::<String>::new(), "nothing was written");
    // Teardown never touches what is not ours.
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert!(table_exists(&cfg, &s.table("cart")).await);
}
