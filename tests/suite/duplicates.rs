//! Two live resources for one wanted resource (what an SDK retry of a create that had in fact
//! succeeded leaves, or a hand-made copy): plan and status show both ids, deploy keeps the one in
//! use and deletes the extra, teardown removes all. The copies are made here with the SDK, with
//! the stack's tags, and the outcome is read back with the SDK.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::harness::{sdk, TestStack};
use crate::jravan::{assert_no_jravan_resources, by_tag, deploy_jravan, JRAVAN};

fn tagged(kind: ResourceType, stack: &str, name: &str) -> TagSpecification {
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    TagSpecification::builder()
        .resource_type(kind)
        .tags(tag("Name", name))
        .tags(tag("baken:stack", stack))
        .tags(tag("baken:managed-by", "baken"))
        .build()
}

pub async fn vpc_ids(ec2: &aws_sdk_ec2::Client, stack: &str) -> Vec<String> {
    let out = ec2
        .describe_vpcs()
        .filters(by_tag(stack))
        .send()
        .await
        .unwrap();
    out.vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect()
}

/// A VPC (tagged when `tags` is given) and its id.
async fn create_vpc(
    ec2: &aws_sdk_ec2::Client,
    cidr: &str,
    tags: Option<TagSpecification>,
) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .set_tag_specifications(tags.map(|t| vec![t]))
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string()
}

async fn create_subnet(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    cidr: &str,
    tags: Option<TagSpecification>,
) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .set_tag_specifications(tags.map(|t| vec![t]))
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string()
}

/// A second VPC named like the stack's, with a second `private-1` subnet and `lambda-sg` group
/// in it: what retried creates leave behind. Returns (vpc, subnet, group) ids.
async fn make_copies(ec2: &aws_sdk_ec2::Client, stack: &str) -> (String, String, String) {
    let name = |n: &str| format!("{stack}-{n}");
    let vpc = create_vpc(
        ec2,
        "10.0.0.0/16",
        Some(tagged(ResourceType::Vpc, stack, &name("vpc"))),
    )
    .await;
    let subnet = create_subnet(
        ec2,
        &vpc,
        "10.0.11.0/24",
        Some(tagged(ResourceType::Subnet, stack, &name("private-1"))),
    )
    .await;
    let group = ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name(format!("{stack}-lambda-sg"))
        .description("copy")
        .tag_specifications(tagged(
            ResourceType::SecurityGroup,
            stack,
            &format!("{stack}-lambda-sg"),
        ))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    (vpc, subnet, group)
}

fn duplicate<'a>(plan: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    plan["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["resource"]["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind} duplicate in {:#}", plan["duplicates"]))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_vpc_subnet_and_group_are_shown_then_deleted_keeping_the_ones_in_use() {
    let s = TestStack::with_manifest("dupn", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let config = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let original = vpc_ids(&ec2, &s.name).await;
    assert_eq!(original.len(), 1);
    let (vpc, subnet, group) = make_copies(&ec2, &s.name).await;

    let artifact = s.artifact.to_str().unwrap();
    let plan = s
        .baken(&["plan", "--json", "--mode", "jravan", "--artifact", artifact])
        .await;
    plan.expect_code(2);
    let plan = plan.json()["plan"].clone();
    let d = duplicate(&plan, "vpc");
    assert_eq!(
        d["kept"],
        original[0].as_str(),
        "the VPC with the stack's subnets is kept"
    );
    assert_eq!(d["extra"], serde_json::json!([vpc]));
    assert_eq!(
        duplicate(&plan, "subnet")["extra"],
        serde_json::json!([subnet])
    );
    assert_eq!(
        duplicate(&plan, "security-group")["extra"],
        serde_json::json!([group])
    );
    let deletes: Vec<&serde_json::Value> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "delete")
        .collect();
    for id in [&vpc, &subnet, &group] {
        assert!(
            deletes.iter().any(|s| s["resource"]["copy"] == id.as_str()),
            "the copy {id} is deleted: {deletes:#?}"
        );
    }
    // The copy's rules go first: a group other rules refer to cannot be deleted.
    assert!(deletes
        .iter()
        .any(|s| s["resource"]["kind"] == "security-group-rules"
            && s["resource"]["copy"] == group.as_str()));
    assert_eq!(deletes.len(), 4, "nothing but the copies: {deletes:#?}");
    assert_eq!(
        plan["steps"].as_array().unwrap().len(),
        4,
        "and nothing else changes"
    );

    let text = s
        .baken(&["plan", "--mode", "jravan", "--artifact", artifact])
        .await;
    assert!(
        text.stdout
            .contains(&format!("is in use and kept, {vpc} is deleted")),
        "{}",
        text.stdout
    );
    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    let entries = status.json()["resources"].as_array().unwrap().clone();
    let copy = entries
        .iter()
        .find(|e| e["resource"]["copy"] == vpc.as_str())
        .expect("status lists the copy");
    assert_eq!(copy["status"], "duplicate");
    assert_eq!(copy["kept"], original[0].as_str());

    deploy_jravan(&s, &[]).await.expect_code(0);
    assert_eq!(vpc_ids(&ec2, &s.name).await, original);
    let subnets = ec2
        .describe_subnets()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    assert!(subnets
        .subnets()
        .iter()
        .all(|x| x.subnet_id() != Some(&subnet)));
    assert!(subnets
        .subnets()
        .iter()
        .all(|x| x.vpc_id() == Some(original[0].as_str())));
    let now = s.baken(&["status", "--json"]).await;
    now.expect_code(0);

    // Teardown removes every copy too.
    make_copies(&ec2, &s.name).await;
    s.baken(&["teardown", "--yes", "--allow-data-loss", "--json"])
        .await
        .expect_code(0);
    assert_no_jravan_resources(&config, &s.name, &original[0]).await;
}

async fn api_ids(api: &aws_sdk_apigateway::Client, name: &str) -> Vec<String> {
    let out = api.get_rest_apis().limit(500).send().await.unwrap();
    out.items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .filter_map(|a| a.id().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_rest_api_with_the_name_is_deleted_and_the_first_keeps_serving() {
    let s = TestStack::new("dupa").await;
    s.deploy().await.expect_code(0);
    let config = sdk().await;
    let api = aws_sdk_apigateway::Client::new(&config);
    let name = format!("{}-api", s.name);
    let original = api_ids(&api, &name).await;
    assert_eq!(
        original.len(),
        1,
        "the manifest's default API name is <stack>-api"
    );
    let copy = |api: aws_sdk_apigateway::Client, name: String, stack: String| async move {
        api.create_rest_api()
            .name(name)
            .tags("baken:stack", stack)
            .tags("baken:managed-by", "baken")
            .send()
            .await
            .unwrap()
            .id()
            .unwrap()
            .to_string()
    };
    let extra = copy(api.clone(), name.clone(), s.name.clone()).await;

    let artifact = s.artifact.to_str().unwrap();
    let plan = s.baken(&["plan", "--json", "--artifact", artifact]).await;
    plan.expect_code(2);
    let plan = plan.json()["plan"].clone();
    let d = duplicate(&plan, "rest-api");
    assert_eq!(
        d["kept"],
        original[0].as_str(),
        "the older API is the one in use"
    );
    assert_eq!(d["extra"], serde_json::json!([extra]));
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:#?}");
    assert_eq!(steps[0]["resource"]["copy"], extra.as_str());

    s.deploy().await.expect_code(0);
    assert_eq!(api_ids(&api, &name).await, original);
    s.baken(&["status"]).await.expect_code(0);

    copy(api.clone(), name.clone(), s.name.clone()).await;
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert!(api_ids(&api, &name).await.is_empty());
}

/// Regression: teardown sat on DeleteVpc "waiting for AWS to stop answering DependencyViolation"
/// without saying that a subnet it did not know about was the blocker.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_vpc_delete_names_what_still_uses_the_vpc() {
    let config = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = create_vpc(&ec2, "10.9.0.0/16", None).await;
    let subnet = create_subnet(&ec2, &vpc, "10.9.1.0/24", None).await;
    let mut timing = baken::aws::Timing::fast();
    timing.eni_release = std::time::Duration::from_millis(200);
    let clients = baken::aws::Clients::from_config(&config, timing);
    let e = baken::aws::ec2::delete_vpc(&clients, &vpc, "t-vpc")
        .await
        .expect_err("moto refuses to delete a VPC with a subnet");
    assert_eq!(e.code.as_deref(), Some("DependencyViolation"));
    assert!(
        e.message.contains(&format!("subnet {subnet} (untagged)")),
        "{}",
        e.message
    );
}
