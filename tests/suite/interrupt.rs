//! Interrupting a run with a real signal to a real `baken` process, while one of its requests is
//! held unanswered at the test proxy: the first SIGTERM starts no new step, gives the steps in
//! flight their grace (`BAKEN_INTERRUPT_GRACE`, 2 s here), releases the lock and says what was
//! done; a re-run finishes the rest. So for `deploy`, `teardown` and `adopt --yes`. A signal
//! before anything is applied exits at once with 128 + the signal, having written nothing.

use std::time::{Duration, Instant};

use crate::cdk_app::{self, Synth, APP};
use crate::harness::{Account, TestStack};
use crate::lock::holder;

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn signal(child: &tokio::process::Child, signal: i32) {
    let pid = child.id().expect("running") as i32;
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

async fn finished(child: tokio::process::Child) -> (i32, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("baken exits within 60 s of the signal")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigterm_while_a_request_is_held_ends_cleanly_and_a_rerun_finishes_the_rest() {
    let s = TestStack::new("intr").await;
    // CreateRestApi never answers: the step stays in flight until the grace is over.
    s.log.hold_next("POST /restapis");
    let artifact = s.artifact.to_str().unwrap().to_string();
    let child = s.spawn_env(
        &["deploy", "--yes", "--artifact", &artifact],
        &[("BAKEN_INTERRUPT_GRACE", "2")],
    );
    wait_for("CreateRestApi sent", || s.log.seen("POST /restapis") >= 1).await;
    signal(&child, libc::SIGTERM);
    let (code, stderr) = finished(child).await;
    assert_eq!(code, 3, "partly applied:\n{stderr}");
    assert!(
        stderr.contains("SIGTERM: starting no new step")
            && stderr.contains("Interrupted (SIGTERM)")
            && stderr.contains("Abandoned in flight:")
            && stderr.contains(&format!("\n  rest-api {}-api", s.name)),
        "{stderr}"
    );
    assert_eq!(holder(&s).await, None, "the lock is free: {stderr}");

    // A re-run finishes the rest at once (no lease to wait out).
    s.deploy().await.expect_code(0);
    s.baken(&["status"]).await.expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigint_before_anything_is_applied_exits_130_having_written_nothing() {
    let s = TestStack::new("intr0").await;
    // The read of the REST APIs never answers: the run is still planning.
    s.log.hold_next("GET /restapis");
    let artifact = s.artifact.to_str().unwrap().to_string();
    let child = s.spawn(&["deploy", "--yes", "--artifact", &artifact]);
    wait_for("GetRestApis sent", || s.log.seen("GET /restapis") >= 1).await;
    signal(&child, libc::SIGINT);
    let (code, stderr) = finished(child).await;
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigterm_during_a_teardown_releases_the_lock_and_a_rerun_removes_the_rest() {
    let s = TestStack::new("intrt").await;
    s.deploy().await.expect_code(0);
    s.log.hold_next("DeleteTable");
    let child = s.spawn_env(
        &["teardown", "--yes", "--allow-data-loss"],
        &[("BAKEN_INTERRUPT_GRACE", "2")],
    );
    wait_for("DeleteTable sent", || s.log.seen("DeleteTable") >= 1).await;
    signal(&child, libc::SIGTERM);
    let (code, stderr) = finished(child).await;
    assert_eq!(code, 3, "partly removed:\n{stderr}");
    let abandoned = stderr.split_once("Abandoned in flight:").map(|(_, a)| a);
    assert!(
        abandoned.is_some_and(|a| a.contains("\n  table ")),
        "{stderr}"
    );
    assert_eq!(holder(&s).await, None, "the lock is free: {stderr}");
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigterm_during_an_adoption_stops_between_its_steps_and_a_rerun_finishes_it() {
    let account = Account::new("210000000003").await;
    cdk_app::deploy(&account, Synth::Mock).await;
    let s = TestStack::in_account(APP, "", account).await;
    s.log.hold_next("DeleteStack");
    let artifact = s.artifact.to_str().unwrap().to_string();
    let args = ["adopt", "--from-cdk-app", "--yes", "--artifact", &artifact];
    let child = s.spawn_env(&args, &[("BAKEN_INTERRUPT_GRACE", "2")]);
    wait_for("DeleteStack sent", || s.log.seen("DeleteStack") >= 1).await;
    signal(&child, libc::SIGTERM);
    let (code, stderr) = finished(child).await;
    assert_eq!(
        code, 3,
        "the backups and the retain update were done:\n{stderr}"
    );
    assert!(
        stderr.contains("interrupted by SIGTERM (signal 15)"),
        "{stderr}"
    );
    assert_eq!(holder(&s).await, None, "the lock is free: {stderr}");
    let rerun = s.baken(&args).await;
    rerun.expect_code(0);
    assert!(rerun.stderr.contains("Adopted"), "{}", rerun.stderr);
}
