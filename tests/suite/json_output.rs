//! Every command's `--json` output, from a real run on moto, checked against docs/json.md.

use crate::harness::{run_offline, sdk, TestStack};
use crate::json_shape::Documented;

/// Writes events into a function's log group with the SDK, as Lambda would.
pub async fn put_events(group: &str, stream: &str, events: &[(i64, &str)]) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk().await);
    let _ = logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await;
    let mut put = logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream);
    for (ts, message) in events {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(*ts)
                .message(*message)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn every_commands_json_matches_its_documented_shape() {
    let doc = Documented::load();
    let s = TestStack::new("json").await;
    let artifact = s.artifact.to_str().unwrap();

    let plan = s.baken(&["plan", "--json", "--no-build"]).await;
    plan.expect_code(2);
    doc.check("baken plan --json", &plan.json());

    let outputs_file = s.dir.path().join("outputs.json");
    let deploy = s
        .baken(&[
            "deploy",
            "--yes",
            "--json",
            "--artifact",
            artifact,
            "--outputs-file",
            outputs_file.to_str().unwrap(),
        ])
        .await;
    deploy.expect_code(0);
    doc.check("baken deploy --json", &deploy.json());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs_file).unwrap()).unwrap();
    doc.check("baken output --json", &written);

    // Drift, so status and plan show changes.
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    lambda
        .update_function_configuration()
        .function_name(s.function("get-races"))
        .memory_size(512)
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status", "--json"]).await;
    status.expect_code(2);
    let st = status.json();
    doc.check("baken status --json", &st);
    assert!(
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "drifted" && r["changes"][0]["attribute"] == "memory"),
        "{st}"
    );
    let plan = s.baken(&["plan", "--json", "--no-build"]).await;
    plan.expect_code(2);
    let p = plan.json();
    doc.check("baken plan --json", &p);
    assert_eq!(p["plan"]["steps"][0]["action"], "update", "{p}");

    let stacks = s.baken(&["stacks", "--json"]).await;
    stacks.expect_code(0);
    let listed = stacks.json();
    doc.check("baken stacks --json", &listed);
    assert!(
        listed["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == s.name.as_str() && e["last_run"]["command"] == "deploy"),
        "{listed}"
    );

    let output = s.baken(&["output", "--json"]).await;
    output.expect_code(0);
    doc.check("baken output --json", &output.json());
    for name in ["api_url", "functions"] {
        let one = s.baken(&["output", name, "--json"]).await;
        one.expect_code(0);
        doc.check("baken output NAME --json", &one.json());
    }

    let t = now_ms();
    put_events(
        &format!("/aws/lambda/{}", s.function("get-races")),
        "2026/12/01/[$LATEST]a",
        &[
            (t - 2000, "START RequestId: 1"),
            (t - 1000, "END RequestId: 1"),
        ],
    )
    .await;
    let logs = s.baken(&["logs", "--json", "--since", "1h"]).await;
    logs.expect_code(0);
    let lines: Vec<&str> = logs.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", logs.stdout);
    for line in lines {
        doc.check("baken logs --json", &serde_json::from_str(line).unwrap());
    }

    for mode in ["mock", "jravan"] {
        let cost = run_offline(&["cost", "--json", "--mode", mode], &s.manifest).await;
        cost.expect_code(0);
        doc.check("baken cost --json", &cost.json());
    }

    let teardown = s
        .baken(&["teardown", "--yes", "--allow-data-loss", "--json"])
        .await;
    teardown.expect_code(0);
    doc.check("baken teardown --json", &teardown.json());

    // Errors: not deployed any more, a usage error, a broken manifest.
    let gone = s.baken(&["output", "api_url", "--json"]).await;
    gone.expect_code(1);
    doc.check("Errors", &gone.json());
    assert_eq!(gone.json()["error"]["code"], "not-found");
    let usage = s.baken(&["plan", "--json", "--mode", "staging"]).await;
    usage.expect_code(1);
    doc.check("Errors", &usage.json());
    assert_eq!(usage.json()["error"]["code"], "usage");
    s.set_manifest("functions:\n  memory: 1\n");
    let bad = s.baken(&["status", "--json"]).await;
    bad.expect_code(1);
    let b = bad.json();
    doc.check("Errors", &b);
    assert_eq!(b["error"]["code"], "manifest");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("functions.memory"),
        "{b}"
    );
    assert!(
        bad.stderr.is_empty() || !bad.stderr.contains("error:"),
        "{}",
        bad.stderr
    );
}

#[tokio::test]
async fn cost_needs_no_account_and_refuses_a_region_it_has_no_prices_for() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("baken.yaml");
    std::fs::write(&manifest, "stack: costly\nmode: jravan\n").unwrap();
    let run = run_offline(&["cost"], &manifest).await;
    run.expect_code(0);
    // The default jravan stack: about USD 41.74 a month before traffic (33.29 + 4.80 + 3.65).
    assert!(
        run.stdout.contains("EC2 t3.small Windows"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Total, everything running all month"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("race days only"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Prices recorded 2026-12-01"),
        "{}",
        run.stdout
    );
    let json = run_offline(&["cost", "--json", "--requests-per-month", "0"], &manifest).await;
    let total = json.json()["total_usd"].as_f64().unwrap();
    assert!((total - 41.738).abs() < 1e-9, "{total}");
    let other = run_offline(&["cost", "--region", "eu-west-1"], &manifest).await;
    other.expect_code(1);
    assert!(
        other.stderr.contains("no prices for region eu-west-1"),
        "{}",
        other.stderr
    );
    let flag = run_offline(&["cost", "--requests-per-month", "lots"], &manifest).await;
    flag.expect_code(1);

    // With a schedule, the total is the scheduled month: 62 h a week of the instance.
    std::fs::write(
        &manifest,
        "stack: costly\nmode: jravan\njravan:\n  instance:\n    schedule: race-days\n",
    )
    .unwrap();
    let run = run_offline(&["cost"], &manifest).await;
    run.expect_code(0);
    assert!(
        run.stdout.contains("on its schedule (race-days)")
            && !run.stdout.contains("race days only"),
        "{}",
        run.stdout
    );
    let json = run_offline(&["cost", "--json", "--requests-per-month", "0"], &manifest).await;
    let doc = json.json();
    crate::json_shape::Documented::load().check("baken cost --json", &doc);
    let scheduled = doc["total_usd"].as_f64().unwrap();
    let saved = (730.0 - 62.0 * 730.0 / 168.0) * 0.0456;
    assert!((total - scheduled - saved).abs() < 1e-9, "{scheduled}");
}
