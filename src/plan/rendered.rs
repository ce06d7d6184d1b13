//! Snapshot tests of what people read: the plan as text and as Markdown, and the status lines,
//! for one plan with every kind of step and note. A rendering change shows as a changed
//! `snapshots/*.snap` file in review; accept one by running the tests with `INSTA_UPDATE=always`
//! and reading the diff.

use super::status;
use super::tests::{deployed, desired};
use super::*;
use crate::live::LiveResource;

/// Drift, a replacement that needs a flag, a missing and an unwanted resource, a duplicate REST
/// API and a log group another stack owns.
fn eventful_plan() -> Plan {
    let d = desired();
    let mut live = deployed(&d);
    let get = |live: &mut LiveState, kind, name: &str| {
        live.resources
            .get_mut(&ResourceId::new(kind, name))
            .unwrap()
            .attrs
            .clone()
    };
    let mut memory = get(&mut live, Kind::Function, "t-get-races");
    memory.insert("memory".into(), "512".into());
    memory.insert("environment.OLD".into(), "1".into());
    live.resources
        .get_mut(&ResourceId::new(Kind::Function, "t-get-races"))
        .unwrap()
        .attrs = memory;
    live.resources
        .get_mut(&ResourceId::new(Kind::Table, "t-consultation-session"))
        .unwrap()
        .attrs
        .insert("partition_key".into(), "id (S)".into());
    live.resources
        .remove(&ResourceId::new(Kind::Table, "t-cart"));
    live.insert(LiveResource::new(
        ResourceId::new(Kind::Function, "t-old-route"),
        Attrs::new(),
        Owner::Ours,
    ));
    live.resources
        .get_mut(&ResourceId::new(Kind::LogGroup, "/aws/lambda/t-get-cart"))
        .unwrap()
        .owner = Owner::OtherStack("u".into());
    let api = ResourceId::new(Kind::RestApi, "t-api");
    let first = live.resources.remove(&api).unwrap().with_aws_id("abc");
    live.insert(first);
    live.insert(LiveResource::new(api, Attrs::new(), Owner::Ours).with_aws_id("def"));
    live.settle_duplicates();
    compute("t", Mode::Mock, &d, &live)
}

#[test]
fn plan_text() {
    insta::assert_snapshot!(render::text(
        &eventful_plan(),
        "account 123456789012, ap-northeast-1"
    ));
}

#[test]
fn plan_markdown() {
    insta::assert_snapshot!(render::markdown(
        &eventful_plan(),
        "account 123456789012, ap-northeast-1"
    ));
}

#[test]
fn status_text() {
    insta::assert_snapshot!(status::text(&status::report(&eventful_plan())));
}
