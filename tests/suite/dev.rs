//! `baken dev` as a person runs it: a request log, only the flags it uses, and a DynamoDB
//! endpoint that works without a region or says what is missing.

use std::process::Stdio;

use serde_json::json;

use crate::harness::{sdk, unique};
use crate::http::Dev;
use crate::moto;
use crate::store::create_table;

async fn dev_once(args: &[&str], env: &[(&str, &str)]) -> crate::harness::Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"));
    cmd.arg("dev").args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("baken dev exits on bad input")
        .unwrap();
    crate::harness::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_logs_one_line_per_request_with_status_and_time() {
    let dev = Dev::start(&[], &[]).await;
    assert_eq!(dev.get("/races?date=2031-03-01").await.status, 200);
    assert_eq!(dev.get("/no-such-route").await.status, 404);
    // The log line is written after the response; give the reader a moment.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = dev.stderr.lock().unwrap().clone();
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let races = lines
        .iter()
        .find(|l| l.starts_with("GET /races?date=2031-03-01 200 "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(races.ends_with(" ms"), "{races}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("GET /no-such-route 404 ")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_refuses_the_flags_of_the_aws_commands() {
    for flag in [["--region", "us-east-1"], ["--manifest", "m.yaml"]] {
        let run = dev_once(&flag, &[]).await;
        run.expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("unexpected argument '{}'", flag[0])),
            "{}",
            run.stderr
        );
    }
    // --json asks for JSON, so the usage error comes as JSON.
    let run = dev_once(&["--json"], &[]).await;
    run.expect_code(1);
    assert_eq!(run.json()["error"]["code"], "usage", "{}", run.stdout);
    assert!(
        run.stdout.contains("unexpected argument '--json'"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_with_a_dynamodb_endpoint_needs_no_region_and_names_a_missing_table() {
    let (cart, session) = (unique("devcart"), unique("devsession"));
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", ""),
        ("AWS_DEFAULT_REGION", ""),
        ("CART_TABLE_NAME", cart.as_str()),
        ("SESSION_TABLE_NAME", session.as_str()),
    ];
    let missing = dev_once(&["--port", "0", "--dynamodb-endpoint", moto::url()], &env).await;
    missing.expect_code(1);
    assert!(
        missing.stderr.contains("ResourceNotFoundException") && missing.stderr.contains(&cart),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("region ap-northeast-1"),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("hint: create it there first"),
        "{}",
        missing.stderr
    );

    // The tables, made in the manifest's default region: dev finds them with no region set.
    let ddb = aws_sdk_dynamodb::Client::new(&sdk().await);
    create_table(&ddb, &cart, "cart_id").await;
    create_table(&ddb, &session, "session_id").await;
    let dev = Dev::start(&["--dynamodb-endpoint", moto::url()], &env).await;
    let race = &dev.get("/races?date=2031-03-01").await.body["races"][0];
    let race_id = race["race_id"].as_str().unwrap().to_string();
    let added = dev
        .post(
            "/cart/items",
            &json!({"race_id": race_id, "bet_type": "win", "horse_numbers": [1], "amount": 100})
                .to_string(),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let cart_id = added.body["cart_id"].as_str().unwrap();
    let item = ddb
        .get_item()
        .table_name(&cart)
        .key(
            "cart_id",
            aws_sdk_dynamodb::types::AttributeValue::S(cart_id.into()),
        )
        .send()
        .await
        .unwrap();
    assert!(item.item().is_some(), "the cart is in the table");
}
