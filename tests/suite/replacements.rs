//! Replacements that would lose data or that AWS would refuse: a network resource still in use is
//! refused at plan time with the reason (never left to a 50-minute DependencyViolation retry), a
//! table replacement needs `--replace-table` and deletes the old table first. Checked with the
//! SDK: nothing changes when deploy refuses.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, Tag,
};

use crate::duplicates::vpc_ids;
use crate::harness::{sdk, TestStack};
use crate::jravan::{deploy_jravan, JRAVAN};

#[tokio::test(flavor = "multi_thread")]
async fn a_new_vpc_cidr_on_a_deployed_stack_is_refused_at_plan_time_with_what_uses_the_vpc() {
    let s = TestStack::with_manifest("rcidr", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let before = vpc_ids(&ec2, &s.name).await;
    s.set_manifest(&format!(
        "{JRAVAN}  network:\n    vpc_cidr: 10.1.0.0/16\n    public_subnets: [10.1.0.0/24, 10.1.1.0/24]\n    private_subnets: [10.1.10.0/24, 10.1.11.0/24]\n"
    ));
    let artifact = s.artifact.to_str().unwrap();
    let plan = s
        .baken(&["plan", "--json", "--mode", "jravan", "--artifact", artifact])
        .await;
    plan.expect_code(2);
    let guarded = plan.json()["plan"]["guarded_replacements"].clone();
    let vpc = guarded
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["resource"]["kind"] == "vpc")
        .unwrap_or_else(|| panic!("the VPC replacement is guarded: {guarded:#}"));
    assert_eq!(vpc["flag"], serde_json::Value::Null, "no flag allows it");
    assert!(
        vpc["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("subnet {}-private-1", s.name)),
        "{vpc}"
    );
    let text = s
        .baken(&["plan", "--mode", "jravan", "--artifact", artifact])
        .await;
    assert!(
        text.stdout
            .contains("cidr cannot change in place: a VPC's primary CIDR block is fixed")
            && text.stdout.contains("deploy refuses this replacement"),
        "{}",
        text.stdout
    );

    s.log.take();
    let refused = deploy_jravan(&s, &["--replace-instance"]).await;
    refused.expect_code(1);
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "refused", "{}", refused.stdout);
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--mode mock"),
        "{}",
        refused.stdout
    );
    assert_eq!(s.log.writes(), Vec::<String>::new(), "nothing was changed");
    assert_eq!(vpc_ids(&ec2, &s.name).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_with_another_key_is_replaced_only_with_replace_table_and_the_plan_says_data_goes()
{
    let s = TestStack::new("rtab").await;
    let config = sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    // The cart table as another tool made it: ours by its tags, keyed on another attribute.
    let table = s.table("cart");
    ddb.create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .tags(
            Tag::builder()
                .key("baken:stack")
                .value(&s.name)
                .build()
                .unwrap(),
        )
        .tags(
            Tag::builder()
                .key("baken:managed-by")
                .value("baken")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ddb.put_item()
        .table_name(&table)
        .item("id", AttributeValue::S("old".into()))
        .send()
        .await
        .unwrap();

    let artifact = s.artifact.to_str().unwrap();
    let text = s.baken(&["plan", "--artifact", artifact]).await;
    assert!(
        text.stdout.contains(&format!("-/+ replace table {table}"))
            && text
                .stdout
                .contains("the table's items are deleted with it; deploy needs --replace-table"),
        "{}",
        text.stdout
    );
    let refused = s.deploy().await;
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("--replace-table"),
        "{}",
        refused.stderr
    );
    let item = ddb
        .get_item()
        .table_name(&table)
        .key("id", AttributeValue::S("old".into()))
        .send()
        .await
        .unwrap();
    assert!(item.item().is_some(), "the refused deploy kept the data");

    s.deploy_with(&["--replace-table"]).await.expect_code(0);
    let described = ddb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let key = described.table().unwrap().key_schema()[0].attribute_name();
    assert_ne!(key, "id", "the table has the manifest's key now");
    let scan = ddb.scan().table_name(&table).send().await.unwrap();
    assert_eq!(scan.count(), 0, "the old items went with the old table");
    s.baken(&["status"]).await.expect_code(0);
}
