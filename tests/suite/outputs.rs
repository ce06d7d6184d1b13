//! `baken output`, `deploy --outputs-file` and the outputs under `status`: values read from the
//! account, checked against what the SDK itself reads.

use crate::harness::TestStack;

#[tokio::test(flavor = "multi_thread")]
async fn outputs_come_from_the_account_and_match_what_aws_holds() {
    let s = TestStack::new("outs").await;
    // Not deployed: no outputs, and asking for one is an error.
    let none = s.baken(&["output"]).await;
    none.expect_code(0);
    assert!(
        none.stdout.contains("has no outputs: it is not deployed"),
        "{}",
        none.stdout
    );
    let one = s.baken(&["output", "api_url", "--raw"]).await;
    one.expect_code(1);
    assert!(
        one.stderr.contains("output api_url of stack"),
        "{}",
        one.stderr
    );

    let file = s.dir.path().join("out.json");
    let deploy = s
        .deploy_with(&["--outputs-file", file.to_str().unwrap()])
        .await;
    deploy.expect_code(0);
    assert!(deploy.stdout.contains("Outputs:"), "{}", deploy.stdout);

    // The REST API's id as API Gateway itself lists it.
    let api_id = s.api_id().await;
    let url = format!("https://{api_id}.execute-api.ap-northeast-1.amazonaws.com/prod");

    let raw = s.baken(&["output", "api_url", "--raw"]).await;
    raw.expect_code(0);
    assert_eq!(raw.stdout, format!("{url}\n"));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["outputs"]["api_url"], url.as_str());
    assert_eq!(written["outputs"]["cart_table"], s.table("cart").as_str());
    assert_eq!(written["outputs"]["functions"].as_array().unwrap().len(), 9);
    let functions = s.baken(&["output", "functions", "--raw"]).await;
    assert_eq!(functions.stdout.lines().count(), 9, "{}", functions.stdout);
    assert!(functions.stdout.lines().all(|l| l.starts_with(&s.name)));

    let status = s.baken(&["status"]).await;
    status.expect_code(0);
    let after = status.stdout.split("Outputs:").nth(1).unwrap_or_default();
    assert!(after.contains(&url), "{}", status.stdout);
    assert!(
        after.contains(&s.table("consultation-session")),
        "{}",
        status.stdout
    );

    // One output without --raw: its line.
    let stage = s.baken(&["output", "stage"]).await;
    assert_eq!(
        stage.stdout.split_whitespace().collect::<Vec<_>>(),
        ["stage", "prod"]
    );
    // A name that is not an output is a usage error listing the names.
    let bad = s.baken(&["output", "url"]).await;
    bad.expect_code(1);
    assert!(bad.stderr.contains("api_url"), "{}", bad.stderr);
    // --raw needs a name.
    s.baken(&["output", "--raw"]).await.expect_code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outputs_file_that_cannot_be_written_is_refused_before_any_change() {
    let s = TestStack::new("outsbad").await;
    let file = s.dir.path().join("no-such-dir/out.json");
    s.log.take();
    let run = s
        .deploy_with(&["--outputs-file", file.to_str().unwrap()])
        .await;
    run.expect_code(1);
    assert!(
        run.stderr.contains("its directory does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(s.log.count(), 0, "refused before any AWS request");
}
