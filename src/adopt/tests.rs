//! The adoption plan from hand-built stack facts: fates, the order stacks go in, the refusals.

use std::collections::BTreeMap;

use super::*;
use crate::aws::cloudformation::{StackFacts, StackResource};

pub(super) fn res(t: &str, logical: &str, physical: &str) -> StackResource {
    StackResource {
        logical_id: logical.into(),
        resource_type: t.into(),
        physical_id: Some(physical.into()),
        status: "CREATE_COMPLETE".into(),
    }
}

fn stack(
    name: &str,
    exports: &[&str],
    resources: Vec<StackResource>,
    template: &str,
) -> StackFacts {
    StackFacts {
        name: name.into(),
        id: format!("arn:aws:cloudformation:ap-northeast-1:123456789012:stack/{name}/1"),
        status: "UPDATE_COMPLETE".into(),
        termination_protection: false,
        parameters: Vec::new(),
        exports: exports.iter().map(|e| e.to_string()).collect(),
        resources,
        template: template.into(),
    }
}

fn wanted() -> Wanted {
    Wanted {
        stack: "bk".into(),
        tables: [("bk-cart".to_string(), "cart_id".to_string())].into(),
        functions: ["bk-get-cart".to_string()].into(),
        log_groups: BTreeSet::new(),
        api: "bk-api".into(),
    }
}

use std::collections::BTreeSet;

const API_TEMPLATE: &str = r#"{"Resources": {
  "Cart": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "bk-cart"}},
  "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "bk-api"}},
  "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}}},
  "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"VpcId": {"Fn::ImportValue": "net-vpc"}}}
}}"#;

fn read_of(stacks: Vec<StackFacts>, importers: &[(&str, &[&str])]) -> Read {
    Read {
        stacks: stacks
            .into_iter()
            .map(|s| (s.name.clone(), Some(s)))
            .collect(),
        importers: importers
            .iter()
            .map(|(e, users)| (e.to_string(), users.iter().map(|u| u.to_string()).collect()))
            .collect(),
        pins: BTreeMap::new(),
        loose_log_groups: Vec::new(),
        template_bucket: None,
    }
}

#[test]
fn the_importing_stack_goes_first_and_the_tables_kept_are_backed_up() {
    let net = stack(
        "Net",
        &["net-vpc"],
        vec![res("AWS::EC2::VPC", "Vpc", "vpc-1")],
        r#"{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}}"#,
    );
    let api = stack(
        "Api",
        &[],
        vec![
            res("AWS::DynamoDB::Table", "Cart", "bk-cart"),
            res("AWS::ApiGateway::RestApi", "Api", "abc"),
            res("AWS::ApiGateway::Stage", "Stage", "prod"),
        ],
        API_TEMPLATE,
    );
    // Asked for in the "wrong" order: the exporter first.
    let a = plan(read_of(vec![net, api], &[("net-vpc", &["Api"])]), &wanted());
    assert!(a.refusals.is_empty(), "{:?}", a.refusals);
    let order: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["Api", "Net"]);
    assert_eq!(a.backups, ["bk-cart"]);
    let fate = |l: &str| a.resources.iter().find(|d| d.logical_id == l).unwrap().fate;
    assert_eq!(
        fate("Stage"),
        Fate::Adopted,
        "the stage follows the adopted API"
    );
    assert_eq!(fate("Vpc"), Fate::Replaced);
}

#[test]
fn refusals_name_the_stack_and_what_to_do() {
    let mut busy = stack("Busy", &["busy-out"], vec![], r#"{"Resources": {}}"#);
    busy.status = "UPDATE_IN_PROGRESS".into();
    let mut protected = stack("Guarded", &[], vec![], r#"{"Resources": {}}"#);
    protected.termination_protection = true;
    let mut failed = stack("Stuck", &[], vec![], r#"{"Resources": {}}"#);
    failed.status = "UPDATE_ROLLBACK_FAILED".into();
    let mut read = read_of(
        vec![busy, protected, failed],
        &[("busy-out", &["Outsider"])],
    );
    read.stacks.push(("Gone".into(), None));
    let a = plan(read, &wanted());
    let of = |s: &str| -> Vec<&Refusal> { a.refusals.iter().filter(|r| r.stack == s).collect() };
    assert_eq!(of("Busy").len(), 2, "{:?}", a.refusals);
    assert!(of("Busy")
        .iter()
        .any(|r| r.problem.contains("UPDATE_IN_PROGRESS") && r.hint.contains("wait")));
    assert!(of("Busy")
        .iter()
        .any(|r| r.problem.contains("imported by stack Outsider")));
    assert!(of("Guarded")[0]
        .hint
        .contains("--no-enable-termination-protection --stack-name Guarded"));
    assert!(of("Stuck")[0].hint.contains("continue-update-rollback"));
    assert!(of("Gone")[0].problem.contains("no such stack"));
}

fn big_stack() -> StackFacts {
    let big = format!(
        r#"{{"Resources": {{"Cart": {{"Type": "AWS::DynamoDB::Table", "Properties": {{"TableName": "bk-cart", "Pad": "{}"}}}}}}}}"#,
        "x".repeat(crate::aws::cloudformation::TEMPLATE_BODY_MAX)
    );
    stack(
        "Big",
        &[],
        vec![res("AWS::DynamoDB::Table", "Cart", "bk-cart")],
        &big,
    )
}

#[test]
fn a_template_over_the_inline_limit_without_a_bootstrap_bucket_is_refused_before_anything_changes()
{
    let a = plan(read_of(vec![big_stack()], &[]), &wanted());
    assert_eq!(a.refusals.len(), 1);
    assert!(
        a.refusals[0].problem.contains("51200") && a.refusals[0].hint.contains("cdk bootstrap"),
        "{:?}",
        a.refusals
    );
}

#[test]
fn a_template_over_the_inline_limit_goes_through_the_bootstrap_bucket() {
    let mut read = read_of(vec![big_stack()], &[]);
    read.template_bucket = Some("cdk-hnb659fds-assets-123456789012-ap-northeast-1".into());
    let a = plan(read, &wanted());
    assert!(a.refusals.is_empty(), "{:?}", a.refusals);
    assert_eq!(
        a.stacks[0].retain_template_via,
        "s3://cdk-hnb659fds-assets-123456789012-ap-northeast-1"
    );
}

#[test]
fn the_adoption_plan_reads_as_a_person_needs_it() {
    let api = stack(
        "Api",
        &[],
        vec![
            res("AWS::DynamoDB::Table", "Cart", "bk-cart"),
            res("AWS::ApiGateway::RestApi", "Api", "abc"),
            res("AWS::ApiGateway::Stage", "Stage", "prod"),
            res("AWS::IAM::Role", "GetCartRole", "Api-GetCartRole-1A2B"),
        ],
        r#"{"Resources": {
          "Cart": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "bk-cart"}},
          "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "bk-api"}},
          "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}}},
          "GetCartRole": {"Type": "AWS::IAM::Role"},
          "CDKMetadata": {"Type": "AWS::CDK::Metadata"}
        }, "Rules": {"CheckBootstrapVersion": {}}}"#,
    );
    let mut busy = stack("Net", &[], vec![], r#"{"Resources": {}}"#);
    busy.status = "UPDATE_ROLLBACK_FAILED".into();
    let a = plan(read_of(vec![api, busy], &[]), &wanted());
    insta::assert_snapshot!(super::render::plan_text(
        &a,
        "bk",
        crate::model::Mode::Mock,
        "account 123456789012, ap-northeast-1",
        "manifests/bk.adopt-receipt.json"
    ));
}

#[test]
fn a_kept_table_keyed_otherwise_than_the_manifest_is_refused_before_anything_changes() {
    let t = r#"{"Resources": {"Cart": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "TableName": "bk-cart", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}}}"#;
    let s = stack(
        "Api",
        &[],
        vec![res("AWS::DynamoDB::Table", "Cart", "bk-cart")],
        t,
    );
    let a = plan(read_of(vec![s], &[]), &wanted());
    assert_eq!(a.refusals.len(), 1, "{:?}", a.refusals);
    assert!(
        a.refusals[0].problem.contains("keyed by id") && a.refusals[0].problem.contains("cart_id"),
        "{:?}",
        a.refusals
    );
    // Keyed as the manifest wants: no refusal.
    let ok = t.replace(r#""AttributeName": "id""#, r#""AttributeName": "cart_id""#);
    let s = stack(
        "Api",
        &[],
        vec![res("AWS::DynamoDB::Table", "Cart", "bk-cart")],
        &ok,
    );
    assert!(plan(read_of(vec![s], &[]), &wanted()).refusals.is_empty());
}
