//! jravan mode as a new user meets it: the service-key parameter found missing before anything
//! changes, and the gateway's two reports (bootstrap progress, scheduled health) in `baken status`.
//! The reports are written straight to moto, as the instance would write them.

use aws_sdk_ssm::types::ParameterType;
use serde_json::{json, Value};

use crate::harness::{put_parameter, sdk, service_key_parameter, TestStack};
use crate::jravan::{deploy_jravan, JRAVAN};

pub async fn put(stack: &str, which: &str, value: Value) {
    let name = format!("/baken/{stack}/{which}");
    put_parameter(&name, &value.to_string(), ParameterType::String).await;
}

pub fn now_minus(minutes: u64) -> String {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(minutes * 60);
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap()
}

pub fn health(at: &str, jvlink: &str, installed: bool, sync_error: Option<&str>) -> Value {
    json!({"at": at, "jvlink": jvlink, "jvlink_installed": installed, "syncing": false,
        "last_sync": "2026-12-01T09:00:00Z", "last_file_timestamp": "20261201090000",
        "counts": {"RA": 36, "SE": 480, "O1": 36, "HR": 24}, "last_rc": if sync_error.is_some() { -502 } else { 0 },
        "sync_error": sync_error, "last_error": sync_error})
}

fn instance(out: &Value) -> Value {
    out["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"]["kind"] == "instance")
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_service_key_parameter_is_found_before_anything_changes() {
    let s = TestStack::with_manifest("jkey", JRAVAN).await;
    let parameter = service_key_parameter(&s.name);
    aws_sdk_ssm::Client::new(&sdk().await)
        .delete_parameter()
        .name(&parameter)
        .send()
        .await
        .unwrap();
    let artifact = s.artifact.to_str().unwrap();

    let plan = s
        .baken(&["plan", "--mode", "jravan", "--artifact", artifact])
        .await;
    plan.expect_code(2);
    assert!(
        plan.stdout.contains(&format!(
            "missing: the JRA-VAN service key parameter {parameter} does not exist"
        )) && plan.stdout.contains(&format!(
            "aws ssm put-parameter --region ap-northeast-1 --type SecureString --name {parameter}"
        )),
        "{}",
        plan.stdout
    );
    let json = s
        .baken(&["plan", "--json", "--mode", "jravan", "--artifact", artifact])
        .await;
    assert_eq!(
        json.json()["plan"]["missing"][0]["name"],
        parameter.as_str()
    );
    crate::json_shape::Documented::load().check("baken plan --json", &json.json());

    s.log.take();
    let refused = deploy_jravan(&s, &[]).await;
    refused.expect_code(1);
    assert_eq!(refused.json()["error"]["code"], "refused");
    assert!(refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&parameter));
    assert_eq!(s.log.writes(), Vec::<String>::new(), "nothing was changed");
    // The parameter's metadata is what was read (its value would need decryption).
    let reads = s.log.take();
    assert!(reads.iter().any(|r| r.operation == "DescribeParameters"));

    crate::harness::put_service_key(&s.name).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_gateways_reports_and_an_instance_that_cannot_serve_is_unhealthy() {
    let s = TestStack::with_manifest("jhealth", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);

    // Launched, silent: the first report is awaited since the launch EC2 records, and within
    // 30 minutes that is no fault (past them the instance is unhealthy: gateway.rs's unit test).
    let status = s.baken(&["status"]).await;
    status.expect_code(0);
    assert!(
        status
            .stdout
            .contains("Gateway: first report awaited since the instance launched at"),
        "{}",
        status.stdout
    );
    let out = s.baken(&["status", "--json"]).await.json();
    crate::json_shape::Documented::load().check("baken status --json", &out);
    let awaited = &out["gateway_first_report_awaited"];
    assert_eq!(awaited["overdue"], false, "{out}");
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let launched = ec2
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(out["outputs"]["gateway_instance_id"].as_str().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .launch_time()
        .unwrap()
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    assert_eq!(awaited["since"], launched.as_str(), "{out}");

    // Booted, JV-Link not yet installed: the manual step stays in view and the gateway, which
    // reports JV-Link missing, cannot serve.
    let manual = "bootstrap finished; JV-Link is not installed. Connect with Systems Manager Session Manager";
    put(
        &s.name,
        "gateway-bootstrap",
        json!({"state": "manual-step", "step": manual, "at": now_minus(30)}),
    )
    .await;
    put(
        &s.name,
        "gateway-health",
        health(&now_minus(1), "error", false, None),
    )
    .await;
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains("Gateway bootstrap (manual-step"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("JV-Link is not installed on the gateway"),
        "{}",
        status.stdout
    );

    // JV-Link installed by hand and syncing: healthy, the manual step reported done, the figures shown.
    put(
        &s.name,
        "gateway-health",
        health(&now_minus(1), "ready", true, None),
    )
    .await;
    let status = s.baken(&["status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("JV-Link has since been installed"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("JV-Link ready (last return code 0), last sync 2026-12-01T09:00:00Z; records RA 36, SE 480, O1 36, HR 24"),
        "{}",
        status.stdout
    );
    let out = s.baken(&["status", "--json"]).await.json();
    crate::json_shape::Documented::load().check("baken status --json", &out);
    assert_eq!(out["gateway_health"]["counts"]["SE"], 480);
    assert_eq!(out["gateway_health"]["stale"], false);
    assert_eq!(out["gateway_health"]["problem"], Value::Null);

    // A failing sync, then a report that stopped coming: unhealthy, with the reason.
    put(
        &s.name,
        "gateway-health",
        health(
            &now_minus(1),
            "ready",
            true,
            Some("JVOpen failed: -502 (download failed)"),
        ),
    )
    .await;
    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    let i = instance(&status.json());
    assert_eq!(i["status"], "unhealthy");
    assert!(i["reason"].as_str().unwrap().contains("-502"), "{i}");

    put(
        &s.name,
        "gateway-health",
        health(&now_minus(40), "ready", true, None),
    )
    .await;
    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    assert!(instance(&status.json())["reason"]
        .as_str()
        .unwrap()
        .contains("stale"));
    assert_eq!(status.json()["gateway_health"]["stale"], true);

    // A failed bootstrap says which step.
    put(&s.name, "gateway-bootstrap", json!({"state": "failed", "step": "install 32-bit CPython 3.12.10 : no valid Authenticode signature", "at": now_minus(1)})).await;
    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    assert!(instance(&status.json())["reason"]
        .as_str()
        .unwrap()
        .contains("Authenticode"));
    assert_eq!(status.json()["gateway_bootstrap"]["state"], "failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_role_may_write_only_its_own_two_reports() {
    let s = TestStack::with_manifest("jrole", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let iam = aws_sdk_iam::Client::new(&sdk().await);
    let role = format!("{}-gateway", s.name);
    let names = iam
        .list_role_policies()
        .role_name(&role)
        .send()
        .await
        .unwrap();
    let doc = iam
        .get_role_policy()
        .role_name(&role)
        .policy_name(names.policy_names()[0].clone())
        .send()
        .await
        .unwrap();
    let text = baken::resource::json::decode_policy_document(doc.policy_document());
    let policy: Value = serde_json::from_str(&text).unwrap();
    let mut writable: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["Action"].to_string().contains("ssm:PutParameter"))
        .flat_map(|st| {
            st["Resource"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
        })
        .collect();
    writable.sort();
    let param = |n: &str| {
        format!(
            "arn:aws:ssm:ap-northeast-1:123456789012:parameter/baken/{}/{n}",
            s.name
        )
    };
    assert_eq!(
        writable,
        vec![param("gateway-bootstrap"), param("gateway-health")]
    );
}
