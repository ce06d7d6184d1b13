//! The bedrock advisor in jravan mode: a bedrock-runtime interface endpoint in the private
//! subnets, private DNS on, its own security group open on 443 to the functions' group only, and
//! roles that may invoke only the configured model; read back with the SDK, drift repaired,
//! the one-subnet choice, and a teardown that leaves none of it.

use aws_sdk_ec2::types::{Filter, VpcEndpoint};

use crate::harness::{sdk, TestStack};
use crate::jravan::{assert_no_jravan_resources, by_tag, deploy_jravan, JRAVAN};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn manifest(extra: &str) -> String {
    format!("{JRAVAN}{extra}handlers:\n  advisor: bedrock\n  bedrock_model_id: {MODEL}\n")
}

async fn endpoint(ec2: &aws_sdk_ec2::Client, stack: &str) -> VpcEndpoint {
    let out = ec2
        .describe_vpc_endpoints()
        .filters(by_tag(stack))
        .filters(
            Filter::builder()
                .name("vpc-endpoint-type")
                .values("Interface")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let live: Vec<_> = out
        .vpc_endpoints()
        .iter()
        .filter(|e| e.state().map(|s| s.as_str()) != Some("deleted"))
        .cloned()
        .collect();
    assert_eq!(live.len(), 1, "one interface endpoint: {live:?}");
    live[0].clone()
}

async fn group_id(ec2: &aws_sdk_ec2::Client, stack: &str, name: &str) -> String {
    let out = ec2
        .describe_security_groups()
        .filters(by_tag(stack))
        .filters(Filter::builder().name("tag:Name").values(name).build())
        .send()
        .await
        .unwrap();
    out.security_groups()[0].group_id().unwrap().to_string()
}

async fn private_subnets(ec2: &aws_sdk_ec2::Client, stack: &str) -> Vec<String> {
    let out = ec2
        .describe_subnets()
        .filters(by_tag(stack))
        .send()
        .await
        .unwrap();
    let mut ids: Vec<(String, String)> = out
        .subnets()
        .iter()
        .filter_map(|s| {
            let name = s
                .tags()
                .iter()
                .find(|t| t.key() == Some("Name"))?
                .value()?
                .to_string();
            name.contains("private")
                .then(|| (name, s.subnet_id().unwrap().to_string()))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bedrock_advisor_in_jravan_mode_reaches_bedrock_through_its_own_endpoint() {
    let s = TestStack::with_manifest("jbed", &manifest("")).await;
    let plan = s
        .baken(&[
            "plan",
            "--mode",
            "jravan",
            "--artifact",
            s.artifact.to_str().unwrap(),
        ])
        .await;
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("interface-endpoint"),
        "{}",
        plan.stdout
    );
    deploy_jravan(&s, &[]).await.expect_code(0);

    let config = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let e = endpoint(&ec2, &s.name).await;
    assert_eq!(
        e.service_name(),
        Some("com.amazonaws.ap-northeast-1.bedrock-runtime")
    );
    assert_eq!(e.private_dns_enabled(), Some(true));
    let mut subnets = e.subnet_ids().to_vec();
    subnets.sort();
    let private = private_subnets(&ec2, &s.name).await;
    assert_eq!(subnets.len(), 2);
    let mut sorted = private.clone();
    sorted.sort();
    assert_eq!(subnets, sorted, "every private subnet");
    let bedrock_sg = group_id(&ec2, &s.name, &format!("{}-bedrock-sg", s.name)).await;
    let lambda_sg = group_id(&ec2, &s.name, &format!("{}-lambda-sg", s.name)).await;
    let groups: Vec<_> = e.groups().iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(groups, vec![bedrock_sg.as_str()]);
    // The endpoint's group admits 443 from the functions' group and nothing else.
    let g = ec2
        .describe_security_groups()
        .group_ids(&bedrock_sg)
        .send()
        .await
        .unwrap();
    let g = &g.security_groups()[0];
    let ingress: Vec<_> = g
        .ip_permissions()
        .iter()
        .map(|p| {
            (
                p.from_port(),
                p.to_port(),
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(|u| u.group_id())
                    .collect::<Vec<_>>(),
                p.ip_ranges().len(),
            )
        })
        .collect();
    assert_eq!(
        ingress,
        vec![(Some(443), Some(443), vec![lambda_sg.as_str()], 0)]
    );
    assert!(g.ip_permissions_egress().is_empty(), "{g:?}");
    // The functions' group may reach it.
    let l = ec2
        .describe_security_groups()
        .group_ids(&lambda_sg)
        .send()
        .await
        .unwrap();
    assert!(l.security_groups()[0]
        .ip_permissions_egress()
        .iter()
        .any(|p| p.from_port() == Some(443)
            && p.user_id_group_pairs()
                .iter()
                .any(|u| u.group_id() == Some(bedrock_sg.as_str()))));
    // The functions' roles may invoke the configured model only.
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = iam
        .list_roles()
        .path_prefix(format!("/baken/{}/", s.name))
        .send()
        .await
        .unwrap();
    let mut invoke = Vec::new();
    for role in roles.roles() {
        let Ok(doc) = iam
            .get_role_policy()
            .role_name(role.role_name())
            .policy_name("baken-function-access")
            .send()
            .await
        else {
            continue;
        };
        let doc: serde_json::Value = serde_json::from_str(
            &baken::resource::json::decode_policy_document(doc.policy_document()),
        )
        .unwrap();
        for st in doc["Statement"].as_array().unwrap() {
            if st["Action"].to_string().contains("bedrock:") {
                invoke.push(st.clone());
            }
        }
    }
    assert!(!invoke.is_empty());
    for st in &invoke {
        assert_eq!(st["Action"], serde_json::json!(["bedrock:InvokeModel"]));
        assert_eq!(
            st["Resource"],
            serde_json::json!([format!(
                "arn:aws:bedrock:ap-northeast-1::foundation-model/{MODEL}"
            )])
        );
    }
    s.baken(&["status"]).await.expect_code(0);

    // By hand: private DNS off and the functions' group put on the endpoint. Status names both;
    // deploy puts them back with one ModifyVpcEndpoint.
    ec2.modify_vpc_endpoint()
        .vpc_endpoint_id(e.vpc_endpoint_id().unwrap())
        .private_dns_enabled(false)
        .add_security_group_ids(&lambda_sg)
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    for named in ["interface-endpoint", "private_dns", &lambda_sg] {
        assert!(status.stdout.contains(named), "{named}:\n{}", status.stdout);
    }
    s.log.take();
    deploy_jravan(&s, &[]).await.expect_code(0);
    let writes = s.log.writes_besides_lock();
    assert_eq!(writes, vec!["ModifyVpcEndpoint".to_string()]);
    let e = endpoint(&ec2, &s.name).await;
    assert_eq!(e.private_dns_enabled(), Some(true));
    assert_eq!(e.groups().len(), 1);
    s.baken(&["status"]).await.expect_code(0);

    // One subnet: the second private subnet's interface goes, the endpoint stays.
    s.set_manifest(&manifest("  network:\n    bedrock_endpoint: one-subnet\n"));
    deploy_jravan(&s, &[]).await.expect_code(0);
    let after = endpoint(&ec2, &s.name).await;
    assert_eq!(after.vpc_endpoint_id(), e.vpc_endpoint_id(), "not replaced");
    assert_eq!(after.subnet_ids(), &private[..1]);

    let vpc = e.vpc_id().unwrap().to_string();
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert_no_jravan_resources(&config, &s.name, &vpc).await;
}
