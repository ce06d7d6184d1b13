//! Saved plans: `baken plan --out FILE` and `baken deploy --plan FILE` apply exactly what was
//! reviewed, or refuse with `stale-plan` and no write when anything moved since (a hand change,
//! another run, the plan itself applied already). Read back with the SDK.

use crate::harness::{sdk, TestStack};

fn plan_file(s: &TestStack, name: &str) -> String {
    s.dir.path().join(name).display().to_string()
}

async fn apis_named(name: &str) -> usize {
    let apis = aws_sdk_apigateway::Client::new(&sdk().await)
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    apis.items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_deploy_plan_applies_exactly_its_steps_once_and_is_refused_the_second_time() {
    let s = TestStack::new("saved").await;
    let file = plan_file(&s, "plan.json");
    let art = s.artifact.to_str().unwrap().to_string();
    let planned = s
        .baken(&["plan", "--artifact", &art, "--out", &file, "--json"])
        .await;
    planned.expect_code(2);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["format"], "baken-plan");
    assert_eq!(saved["plan"], planned.json()["plan"]);
    // The absence of everything it creates is part of what it was computed from.
    let absent = saved["live"]
        .as_object()
        .unwrap()
        .values()
        .filter(|v| *v == "absent")
        .count();
    assert_eq!(absent, saved["plan"]["steps"].as_array().unwrap().len());

    s.log.take();
    let applied = s
        .baken(&["deploy", "--plan", &file, "--yes", "--json"])
        .await;
    applied.expect_code(0);
    let doc = applied.json();
    assert_eq!(
        doc["plan"], saved["plan"],
        "it applied the saved plan, not another"
    );
    assert_eq!(
        doc["result"]["done"].as_array().unwrap().len(),
        saved["plan"]["steps"].as_array().unwrap().len()
    );
    assert_eq!(apis_named(&format!("{}-api", s.name)).await, 1);

    // Terraform applies a plan made against an empty state twice (hashicorp/terraform#24078).
    // The file given as `terraform apply FILE` takes it: the same refusal.
    s.log.take();
    let again = s.baken(&["deploy", &file, "--yes", "--json"]).await;
    again.expect_code(1);
    let err = again.json();
    assert_eq!(err["error"]["code"], "stale-plan", "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("was created"),
        "{err}"
    );
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
    assert_eq!(
        apis_named(&format!("{}-api", s.name)).await,
        1,
        "no second API"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_after_a_hand_change_is_refused_naming_it_and_a_fresh_one_applies() {
    let s = TestStack::new("saved-hand").await;
    s.deploy().await.expect_code(0);
    s.set_manifest("functions:\n  memory: 256\n");
    let file = plan_file(&s, "plan.json");
    let art = s.artifact.to_str().unwrap().to_string();
    s.baken(&["plan", "--artifact", &art, "--out", &file])
        .await
        .expect_code(2);

    // Someone changes one function by hand after the review.
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    lambda
        .update_function_configuration()
        .function_name(s.function("get-races"))
        .timeout(29)
        .send()
        .await
        .unwrap();
    s.log.take();
    let refused = s
        .baken(&["deploy", "--plan", &file, "--yes", "--json"])
        .await;
    refused.expect_code(1);
    let err = refused.json();
    assert_eq!(err["error"]["code"], "stale-plan");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("function {} changed", s.function("get-races"))),
        "{message}"
    );
    assert!(
        !message.contains("get-race-detail"),
        "only what moved is named: {message}"
    );
    assert!(s.log.writes().is_empty(), "{:?}", s.log.writes());
    let memory = lambda
        .get_function_configuration()
        .function_name(s.function("get-races"))
        .send()
        .await
        .unwrap()
        .memory_size();
    assert_ne!(memory, Some(256), "nothing of the stale plan was applied");

    // The manifest changed since the plan: refused too.
    let fresh = plan_file(&s, "fresh.json");
    s.baken(&["plan", "--artifact", &art, "--out", &fresh])
        .await
        .expect_code(2);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fresh).unwrap()).unwrap();
    s.set_manifest("functions:\n  memory: 384\n");
    let moved = s
        .baken(&["deploy", "--plan", &fresh, "--yes", "--json"])
        .await;
    moved.expect_code(1);
    assert!(moved.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("manifest"));
    s.set_manifest("functions:\n  memory: 256\n");

    // Planned again after the change: applies with exactly its steps.
    let applied = s
        .baken(&["deploy", "--plan", &fresh, "--yes", "--json"])
        .await;
    applied.expect_code(0);
    let doc = applied.json();
    assert_eq!(doc["plan"], saved["plan"]);
    let updated = doc["result"]["done"].as_array().unwrap().len();
    assert_eq!(updated, saved["plan"]["steps"].as_array().unwrap().len());
    assert_eq!(
        lambda
            .get_function_configuration()
            .function_name(s.function("get-races"))
            .send()
            .await
            .unwrap()
            .memory_size(),
        Some(256)
    );
    // Applied once; the second time the lock's version has moved.
    let twice = s
        .baken(&["deploy", "--plan", &fresh, "--yes", "--json"])
        .await;
    twice.expect_code(1);
    assert_eq!(twice.json()["error"]["code"], "stale-plan");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_file_of_another_kind_or_a_changed_package_is_refused_before_any_request() {
    let s = TestStack::new("saved-bad").await;
    let file = plan_file(&s, "not-a-plan.json");
    std::fs::write(&file, "{\"hello\": 1}").unwrap();
    let bad = s
        .baken(&["deploy", "--plan", &file, "--yes", "--json"])
        .await;
    bad.expect_code(1);
    assert_eq!(bad.json()["error"]["code"], "usage");
    assert_eq!(s.log.count(), 0);

    let file = plan_file(&s, "plan.json");
    let art = s.artifact.to_str().unwrap().to_string();
    s.baken(&["plan", "--artifact", &art, "--out", &file])
        .await
        .expect_code(2);
    // Another package than the reviewed one (a zip is taken as it is).
    let other = s.dir.path().join("other.zip");
    std::fs::write(&other, b"PK\x03\x04 another build").unwrap();
    s.log.take();
    let changed = s
        .baken(&[
            "deploy",
            "--plan",
            &file,
            "--artifact",
            other.to_str().unwrap(),
            "--yes",
            "--json",
        ])
        .await;
    changed.expect_code(1);
    let err = changed.json();
    assert_eq!(err["error"]["code"], "stale-plan");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("package"),
        "{err}"
    );
    assert_eq!(s.log.count(), 0, "refused before any request");
}
