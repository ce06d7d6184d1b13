//! Environments and previews from one manifest: each its own stack with its own lock, side by
//! side in one account; one's drift and teardown leave the others alone; `baken stacks` lists
//! them. Read back with the SDK.

use crate::harness::{sdk, unique, TestStack};

async fn table_protected(name: &str) -> Option<bool> {
    aws_sdk_dynamodb::Client::new(&sdk().await)
        .describe_table()
        .table_name(name)
        .send()
        .await
        .ok()
        .and_then(|t| t.table().and_then(|t| t.deletion_protection_enabled()))
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_production_and_a_preview_live_side_by_side_and_apart() {
    let base = unique("envs");
    let overlays = format!(
        "functions:\n  memory: 256\nenvironments:\n  staging:\n    stack: {base}-stg\n    functions:\n      memory: 512\n  prod: {{}}\npreviews:\n  stack: {base}-{{name}}\n"
    );
    // The harness writes `stack: <name>`; the manifest's own `stack` is the production one.
    let s = TestStack::with_manifest("unused", "").await;
    std::fs::write(
        &s.manifest,
        format!("stack: {base}\nregion: ap-northeast-1\n{overlays}"),
    )
    .unwrap();
    let art = s.artifact.to_str().unwrap().to_string();
    let deploy = |env: &'static str| {
        let art = art.clone();
        let s = &s;
        async move {
            s.baken(&[
                "deploy",
                "--env",
                env,
                "--yes",
                "--artifact",
                &art,
                "--json",
            ])
            .await
        }
    };

    // A manifest with environments wants one chosen.
    let unchosen = s.baken(&["plan", "--no-build", "--json"]).await;
    unchosen.expect_code(1);
    let message = unchosen.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("staging, prod") && message.contains("--env"),
        "{message}"
    );

    let staging = deploy("staging").await;
    staging.expect_code(0);
    assert_eq!(staging.json()["stack"], format!("{base}-stg"));
    deploy("prod").await.expect_code(0);
    // A preview: its plan says what it costs; it is unprotected, in mock mode.
    let preview_plan = s
        .baken(&["plan", "--env", "pr-7", "--artifact", &art])
        .await;
    preview_plan.expect_code(2);
    assert!(
        preview_plan
            .stdout
            .contains(&format!("Preview stack {base}-pr-7: about USD")),
        "{}",
        preview_plan.stdout
    );
    let preview = s
        .baken_env(
            &["deploy", "--yes", "--artifact", &art, "--json"],
            &[("BAKEN_ENV", "pr-7")],
        )
        .await;
    preview.expect_code(0);
    assert_eq!(preview.json()["mode"], "mock");

    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let memory = |name: String| {
        let lambda = lambda.clone();
        async move {
            lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .unwrap()
                .memory_size()
        }
    };
    assert_eq!(memory(format!("{base}-stg-get-races")).await, Some(512));
    assert_eq!(memory(format!("{base}-get-races")).await, Some(256));
    assert_eq!(memory(format!("{base}-pr-7-get-races")).await, Some(256));
    assert_eq!(table_protected(&format!("{base}-cart")).await, Some(true));
    assert_eq!(
        table_protected(&format!("{base}-pr-7-cart")).await,
        Some(false)
    );

    // Drift in staging is staging's alone.
    lambda
        .update_function_configuration()
        .function_name(format!("{base}-stg-get-races"))
        .timeout(29)
        .send()
        .await
        .unwrap();
    s.baken(&["status", "--env", "staging"])
        .await
        .expect_code(2);
    s.baken(&["status", "--env", "prod"]).await.expect_code(0);
    s.baken(&["status", "--env", "pr-7"]).await.expect_code(0);

    // `baken stacks` sees all three, with their mode and last run.
    let listed = s.baken(&["stacks", "--env", "prod", "--json"]).await;
    listed.expect_code(0);
    let stacks = listed.json()["stacks"].as_array().unwrap().clone();
    for name in [format!("{base}-stg"), base.clone(), format!("{base}-pr-7")] {
        let entry = stacks
            .iter()
            .find(|e| e["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} not listed: {stacks:?}"));
        assert_eq!(entry["mode"], "mock");
        assert_eq!(entry["last_run"]["command"], "deploy");
        assert_eq!(entry["tables"].as_array().unwrap().len(), 2);
    }

    // The preview goes; staging and production stay whole.
    s.baken(&["teardown", "--env", "pr-7", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert_eq!(table_protected(&format!("{base}-pr-7-cart")).await, None);
    s.baken(&["status", "--env", "prod"]).await.expect_code(0);
    assert_eq!(memory(format!("{base}-stg-get-races")).await, Some(512));
    let listed = s.baken(&["stacks", "--env", "prod", "--json"]).await;
    let names: Vec<String> = listed.json()["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!names.contains(&format!("{base}-pr-7")), "{names:?}");
    assert!(names.contains(&base) && names.contains(&format!("{base}-stg")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_environment_problem_is_placed_in_its_overlay_and_unknown_names_are_refused() {
    let base = unique("envbad");
    let s = TestStack::with_manifest("unused", "").await;
    std::fs::write(
        &s.manifest,
        format!("stack: {base}\nenvironments:\n  staging:\n    region: mars-1\n"),
    )
    .unwrap();
    let bad = s.baken(&["plan", "--no-build", "--env", "staging"]).await;
    bad.expect_code(1);
    assert!(bad.stderr.contains("baken.yaml:4:13"), "{}", bad.stderr);
    let unknown = s.baken(&["plan", "--no-build", "--env", "pr-1"]).await;
    unknown.expect_code(1);
    assert!(
        unknown.stderr.contains("no such environment") && unknown.stderr.contains("staging"),
        "{}",
        unknown.stderr
    );
    assert_eq!(s.log.count(), 0, "refused before any request");
}
