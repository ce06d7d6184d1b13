//! `baken logs`: events written with the SDK into the functions' log groups, read back through
//! baken interleaved by time, filtered, followed, and the gateway's report beside them.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::TestStack;
use crate::json_output::{now_ms, put_events};

#[tokio::test(flavor = "multi_thread")]
async fn logs_interleave_functions_by_time_and_filter_server_side() {
    let s = TestStack::new("logs").await;
    s.deploy().await.expect_code(0);
    let t = now_ms() - 60_000;
    let group = |f: &str| format!("/aws/lambda/{}", s.function(f));
    put_events(
        &group("get-races"),
        "s1",
        &[(t, "races one"), (t + 20, "races ERROR three")],
    )
    .await;
    put_events(&group("add-to-cart"), "s2", &[(t + 10, "cart two")]).await;
    // Older than --since: not shown.
    put_events(&group("get-cart"), "s3", &[(t - 3_600_000, "too old")]).await;

    let run = s.baken(&["logs", "--since", "10m"]).await;
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    let order: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            let mut w = l.split_whitespace();
            let _time = w.next();
            (w.next().unwrap(), w.next().unwrap())
        })
        .collect();
    assert_eq!(
        order,
        [
            ("get-races", "races"),
            ("add-to-cart", "cart"),
            ("get-races", "races")
        ],
        "{}",
        run.stdout
    );
    assert!(
        lines[0].starts_with(
            &aws_smithy_types::DateTime::from_millis(t)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap()
        ),
        "{}",
        lines[0]
    );

    // One function by route name, another by full name; a filter pattern.
    let two = s
        .baken(&[
            "logs",
            "get-races",
            &s.function("add-to-cart"),
            "--since",
            "10m",
            "--filter",
            "ERROR",
        ])
        .await;
    two.expect_code(0);
    assert_eq!(two.stdout.lines().count(), 1, "{}", two.stdout);
    assert!(two.stdout.contains("races ERROR three"), "{}", two.stdout);

    // --limit bounds a read and says so.
    let cut = s
        .baken(&["logs", "get-races", "--since", "10m", "--limit", "1"])
        .await;
    cut.expect_code(0);
    assert_eq!(cut.stdout.lines().count(), 1, "{}", cut.stdout);
    assert!(cut.stderr.contains("more than 1 events"), "{}", cut.stderr);

    // Reading logs is a read: no write request.
    s.log.take();
    s.baken(&["logs"]).await.expect_code(0);
    assert_eq!(s.log.writes(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_refuses_unknown_functions_and_bad_durations_before_any_request() {
    let s = TestStack::new("logsbad").await;
    s.log.take();
    let run = s.baken(&["logs", "get-race"]).await;
    run.expect_code(1);
    assert!(
        run.stderr.contains("`get-race` is not a function of stack"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("get-race-detail"), "{}", run.stderr);
    let run = s.baken(&["logs", "--since", "ten minutes"]).await;
    run.expect_code(1);
    assert!(run.stderr.contains("is not a duration"), "{}", run.stderr);
    assert_eq!(s.log.count(), 0, "no AWS request for bad input");
    // A stack that is not deployed has nothing to read: an error that says so.
    let run = s.baken(&["logs"]).await;
    run.expect_code(1);
    assert!(
        run.stderr.contains("has nothing to read for"),
        "{}",
        run.stderr
    );
}

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

async fn next(lines: &mut Lines) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a line within 30 s")
        .unwrap()
        .expect("baken logs --follow still running")
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_follow_prints_new_events_once_as_they_arrive() {
    let s = TestStack::new("logsf").await;
    s.deploy().await.expect_code(0);
    let group = format!("/aws/lambda/{}", s.function("get-cart"));
    put_events(&group, "s", &[(now_ms() - 1000, "before follow")]).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"))
        .args(["logs", "get-cart", "--follow", "--manifest"])
        .arg(&s.manifest)
        .args(["--endpoint-url", &s.endpoint])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(next(&mut lines).await.contains("before follow"));
    put_events(&group, "s", &[(now_ms(), "while following")]).await;
    let line = next(&mut lines).await;
    assert!(
        line.contains("get-cart") && line.contains("while following"),
        "{line}"
    );
    put_events(&group, "s", &[(now_ms(), "and once more")]).await;
    let line = next(&mut lines).await;
    // Not the earlier events again: the cursor moved past them.
    assert!(line.contains("and once more"), "{line}");
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_gateway_shows_the_bootstrap_report_and_where_the_full_log_is() {
    let s = TestStack::new("logsg").await;
    crate::harness::put_parameter(
        &format!("/baken/{}/gateway-bootstrap", s.name),
        r#"{"state":"manual-step","step":"install JV-Link by hand","at":"2026-12-01T10:00:00Z"}"#,
        aws_sdk_ssm::types::ParameterType::String,
    )
    .await;
    let run = s.baken(&["logs", "gateway", "--since", "1h"]).await;
    run.expect_code(0);
    assert!(
        run.stdout.contains("gateway")
            && run
                .stdout
                .contains("bootstrap manual-step: install JV-Link by hand")
            && run.stdout.contains(r"C:\baken\bootstrap.log"),
        "{}",
        run.stdout
    );
}
