//! `baken adopt` where CloudFormation behaves as AWS does and moto cannot (it has no termination
//! protection to turn on, no ListImports of its own, no stack held in progress, and it neither
//! proposes replacements nor reports DELETE_SKIPPED): aws-smithy-mocks sequences through the
//! same code the command runs.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_imports::{ListImportsError, ListImportsOutput};
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::operation::update_stack::UpdateStackOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, Output, Replacement, ResourceChange, ResourceStatus,
    Stack, StackResourceSummary, StackStatus,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::DateTime;
use baken::adopt::receipt::{Keeper, Receipt, Step, FORMAT};
use baken::adopt::steps::{self, StepError};
use baken::adopt::{self, Wanted};
use baken::aws::cloudformation::{StackFacts, StackResource};
use baken::model::Mode;

use crate::retries::clients;

const TEMPLATE: &str = r#"{"Resources": {"CartTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "bk-cart"}, "DeletionPolicy": "Delete"}}}"#;

fn stack(name: &str, status: StackStatus, protected: bool, export: Option<&str>) -> Stack {
    let mut b = Stack::builder()
        .stack_name(name)
        .stack_id(format!(
            "arn:aws:cloudformation:ap-northeast-1:123456789012:stack/{name}/1"
        ))
        .stack_status(status)
        .creation_time(DateTime::from_secs(1_700_000_000))
        .enable_termination_protection(protected);
    if let Some(e) = export {
        b = b.outputs(Output::builder().output_key("Out").export_name(e).build());
    }
    b.build()
}

fn table_summary(status: ResourceStatus) -> StackResourceSummary {
    StackResourceSummary::builder()
        .logical_resource_id("CartTable")
        .physical_resource_id("bk-cart")
        .resource_type("AWS::DynamoDB::Table")
        .resource_status(status)
        .last_updated_timestamp(DateTime::from_secs(1_700_000_000))
        .build()
}

/// ListStackResources: the one table, settled.
fn listed_table() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_cloudformation::Client::list_stack_resources).then_output(|| {
        ListStackResourcesOutput::builder()
            .stack_resource_summaries(table_summary(ResourceStatus::UpdateComplete))
            .build()
    })
}

/// GetTemplate: `body`.
fn template_of(body: &str) -> aws_smithy_mocks::Rule {
    let body = body.to_string();
    mock!(aws_sdk_cloudformation::Client::get_template).then_output(move || {
        GetTemplateOutput::builder()
            .template_body(body.clone())
            .build()
    })
}

fn wanted() -> Wanted {
    Wanted {
        stack: "bk".into(),
        tables: [("bk-cart".to_string(), "cart_id".to_string())].into(),
        ..Wanted::default()
    }
}

#[tokio::test]
async fn a_stack_in_progress_a_protected_one_and_an_export_still_imported_are_refused_before_any_change(
) {
    let describe = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(stack(
                "Busy",
                StackStatus::UpdateInProgress,
                true,
                Some("busy-vpc"),
            ))
            .build()
    });
    let resources = listed_table();
    let template = template_of(TEMPLATE);
    let imports = mock!(aws_sdk_cloudformation::Client::list_imports)
        .match_requests(|r| r.export_name() == Some("busy-vpc"))
        .then_output(|| {
            ListImportsOutput::builder()
                .imports("SomeoneElsesStack")
                .build()
        });
    let mut c = clients();
    c.cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&describe, &resources, &template, &imports]
    );
    let read = steps::read(&c, &["Busy".to_string()]).await.unwrap();
    let plan = adopt::plan(read, &wanted());
    let problems: Vec<&str> = plan.refusals.iter().map(|r| r.problem.as_str()).collect();
    assert_eq!(plan.refusals.len(), 3, "{problems:?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("termination protection is on")));
    assert!(problems.iter().any(|p| p.contains("UPDATE_IN_PROGRESS")));
    assert!(problems
        .iter()
        .any(|p| p.contains("export busy-vpc is imported by stack SomeoneElsesStack")));
    // Reads only: nothing but Describe, List and Get went out (the stack's three, and the CDK
    // bootstrap stack's DescribeStacks for its bucket).
    assert_eq!(
        describe.num_calls() + resources.num_calls() + template.num_calls(),
        4
    );
}

#[tokio::test]
async fn an_export_no_stack_imports_is_an_empty_list_not_an_error() {
    // AWS answers ListImports for an unused export with a ValidationError.
    let imports = mock!(aws_sdk_cloudformation::Client::list_imports).then_error(|| {
        ListImportsError::generic(
            ErrorMetadata::builder()
                .code("ValidationError")
                .message("Export 'x' is not imported by any stack.")
                .build(),
        )
    });
    let mut c = clients();
    c.cloudformation = mock_client!(aws_sdk_cloudformation, [&imports]);
    let users = baken::aws::cloudformation::importers(&c, "x")
        .await
        .unwrap();
    assert!(users.is_empty());
}

fn facts() -> StackFacts {
    StackFacts {
        name: "Api".into(),
        id: "arn:aws:cloudformation:ap-northeast-1:123456789012:stack/Api/1".into(),
        status: "UPDATE_COMPLETE".into(),
        termination_protection: false,
        parameters: Vec::new(),
        exports: Vec::new(),
        resources: vec![StackResource {
            logical_id: "CartTable".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            physical_id: Some("bk-cart".into()),
            status: "UPDATE_COMPLETE".into(),
        }],
        template: TEMPLATE.into(),
    }
}

fn receipt(dir: &std::path::Path) -> (Receipt, std::path::PathBuf) {
    let path = dir.join("receipt.json");
    let r = Receipt {
        format: FORMAT,
        baken_stack: "bk".into(),
        account: "123456789012".into(),
        region: "ap-northeast-1".into(),
        mode: Mode::Mock,
        stacks: vec![facts()],
        resources: Vec::new(),
        backups: BTreeMap::new(),
        done: vec![Step::BackedUp],
        template_bucket: None,
        uploads: BTreeMap::new(),
    };
    r.save(&path).unwrap();
    (r, path)
}

/// What the retain step did against CloudFormation whose DescribeChangeSet is `describe`.
struct RetainRun {
    result: Result<(), StepError>,
    deleted: usize,
    executed: usize,
}

async fn retain_step(
    r: &mut Receipt,
    path: &std::path::Path,
    describe: aws_smithy_mocks::Rule,
    more: &[&aws_smithy_mocks::Rule],
) -> RetainRun {
    let create = mock!(aws_sdk_cloudformation::Client::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().id("cs-1").build());
    let delete = mock!(aws_sdk_cloudformation::Client::delete_change_set)
        .then_output(|| DeleteChangeSetOutput::builder().build());
    let execute = mock!(aws_sdk_cloudformation::Client::execute_change_set)
        .then_output(|| ExecuteChangeSetOutput::builder().build());
    let mut c = clients();
    let mut rules = vec![&create, &describe, &delete, &execute];
    rules.extend_from_slice(more);
    c.cloudformation = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, rules);
    keep_in_the_account(&mut c);
    let keep = Keeper {
        path,
        clients: &c,
        stack: "bk",
    };
    let result = steps::retain(&c, r, &keep, &facts()).await;
    RetainRun {
        result,
        deleted: delete.num_calls(),
        executed: execute.num_calls(),
    }
}

fn change(action: ChangeAction, replacement: Option<Replacement>) -> Change {
    let mut rc = ResourceChange::builder()
        .logical_resource_id("CartTable")
        .resource_type("AWS::DynamoDB::Table")
        .action(action);
    if let Some(r) = replacement {
        rc = rc.replacement(r);
    }
    Change::builder().resource_change(rc.build()).build()
}

#[tokio::test]
async fn a_change_set_that_would_replace_a_table_is_deleted_unexecuted_and_the_receipt_says_not_retained(
) {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, path) = receipt(dir.path());
    // Pending first, as AWS takes a moment to work the change set out.
    let describe = mock!(aws_sdk_cloudformation::Client::describe_change_set)
        .sequence()
        .output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreatePending)
                .build()
        })
        .output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreateComplete)
                .changes(change(ChangeAction::Modify, Some(Replacement::True)))
                .build()
        })
        .repeatedly()
        .build();
    let run = retain_step(&mut r, &path, describe, &[]).await;
    let e = run.result.unwrap_err();
    assert!(matches!(e, StepError::WouldChange { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("Modify CartTable (replacement True)"),
        "{e}"
    );
    assert_eq!(run.executed, 0, "never executed");
    assert_eq!(run.deleted, 2, "the left-over one before, this one after");
    let saved = Receipt::load(&path).unwrap().unwrap();
    assert!(!saved.is_done(&Step::Retained("Api".into())));
}

/// The retain step when AWS finds the change set empty and the live template is `live`: how
/// many UpdateStack calls went out (each must carry Retain).
async fn after_an_empty_change_set(live: &str) -> (RetainRun, usize, Receipt) {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, path) = receipt(dir.path());
    let describe_stack = settled("Api");
    let template = template_of(live);
    let update = mock!(aws_sdk_cloudformation::Client::update_stack)
        .match_requests(|u| {
            u.template_body()
                .is_some_and(|b| b.contains(r#""DeletionPolicy":"Retain""#))
        })
        .then_output(|| UpdateStackOutput::builder().build());
    let run = retain_step(
        &mut r,
        &path,
        empty_change_set(),
        &[&describe_stack, &template, &update],
    )
    .await;
    let saved = Receipt::load(&path).unwrap().unwrap();
    (run, update.num_calls(), saved)
}

#[tokio::test]
async fn a_change_set_with_nothing_to_change_is_a_retain_update_already_done() {
    let (run, updates, saved) = after_an_empty_change_set(&retained_template()).await;
    run.result.unwrap();
    assert_eq!((run.executed, updates), (0, 0));
    assert!(saved.is_done(&Step::Retained("Api".into())));
}

#[tokio::test]
async fn policies_a_change_set_does_not_count_go_as_a_plain_stack_update() {
    // The live template still deletes the table: the empty change set did not retain it.
    let (run, updates, saved) = after_an_empty_change_set(TEMPLATE).await;
    run.result.unwrap();
    assert_eq!((run.executed, updates), (0, 1));
    assert!(saved.is_done(&Step::Retained("Api".into())));
}

/// A change set AWS found nothing to change in.
fn empty_change_set() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_cloudformation::Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::Failed)
            .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
            .build()
    })
}

/// DescribeStacks: `name`, settled.
fn settled(name: &'static str) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(move || {
        DescribeStacksOutput::builder()
            .stacks(stack(name, StackStatus::UpdateComplete, false, None))
            .build()
    })
}

fn retained_template() -> String {
    TEMPLATE.replace(
        r#""DeletionPolicy": "Delete""#,
        r#""DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain""#,
    )
}

/// The delete step against CloudFormation mocked by `rules`.
async fn delete_step(
    r: &mut Receipt,
    path: &std::path::Path,
    rules: &[&aws_smithy_mocks::Rule],
) -> Result<(), StepError> {
    let mut c = clients();
    c.cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        rules.iter().copied()
    );
    keep_in_the_account(&mut c);
    let keep = Keeper {
        path,
        clients: &c,
        stack: "bk",
    };
    steps::delete(&c, r, &keep, &facts()).await
}

/// The lock table takes every save of the receipt (`Keeper` writes it to the account first).
fn keep_in_the_account(c: &mut baken::aws::Clients) {
    let update = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|u| {
            u.key()
                .and_then(|k| k.get("id"))
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("adopt-receipt")
        })
        .then_output(|| {
            aws_sdk_dynamodb::operation::update_item::UpdateItemOutput::builder().build()
        });
    c.dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&update]);
}

#[tokio::test]
async fn a_stack_whose_live_template_still_deletes_a_table_is_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, path) = receipt(dir.path());
    let describe = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(stack("Api", StackStatus::UpdateComplete, false, None))
            .build()
    });
    // Someone updated the stack after the retain update: DeletionPolicy Delete again.
    let template = template_of(TEMPLATE);
    let delete = mock!(aws_sdk_cloudformation::Client::delete_stack)
        .then_output(|| DeleteStackOutput::builder().build());
    let e = delete_step(&mut r, &path, &[&describe, &template, &delete])
        .await
        .unwrap_err();
    assert!(matches!(e, StepError::NotRetained { .. }), "{e}");
    assert!(e.to_string().contains("CartTable"), "{e}");
    assert_eq!(delete.num_calls(), 0);
}

#[tokio::test]
async fn a_resource_cloudformation_deleted_instead_of_skipping_is_reported_with_the_backups_to_restore(
) {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, path) = receipt(dir.path());
    let retained = retained_template();
    let describe = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .sequence()
        .output(|| {
            DescribeStacksOutput::builder()
                .stacks(stack("Api", StackStatus::UpdateComplete, false, None))
                .build()
        })
        .output(|| {
            DescribeStacksOutput::builder()
                .stacks(stack("Api", StackStatus::DeleteComplete, false, None))
                .build()
        })
        .repeatedly()
        .build();
    // Listed once, after the deletion: the table went with the stack.
    let resources = mock!(aws_sdk_cloudformation::Client::list_stack_resources).then_output(|| {
        ListStackResourcesOutput::builder()
            .stack_resource_summaries(table_summary(ResourceStatus::DeleteComplete))
            .build()
    });
    let template = template_of(&retained);
    let delete = mock!(aws_sdk_cloudformation::Client::delete_stack)
        .then_output(|| DeleteStackOutput::builder().build());
    let e = delete_step(&mut r, &path, &[&describe, &resources, &template, &delete])
        .await
        .unwrap_err();
    assert!(matches!(e, StepError::Deleted { .. }), "{e}");
    assert!(e.to_string().contains("restore-table-from-backup"), "{e}");
    assert_eq!(delete.num_calls(), 1);
    assert!(!Receipt::load(&path)
        .unwrap()
        .unwrap()
        .is_done(&Step::Deleted("Api".into())));
}
