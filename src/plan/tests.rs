//! Plan computation against hand-built live states: drift, replacement, conflicts, health,
//! and the orders of teardown and of leaving jravan mode.
use super::status::{report, State};
use super::*;
use crate::desired::{desired_state, Account, Code};
use crate::live::{LiveResource, LiveState};
use crate::manifest;

pub(crate) fn desired() -> Vec<Desired> {
    let stack = manifest::parse(std::path::Path::new("t.yaml"), "stack: t\n").unwrap();
    let account = Account {
        id: "123456789012".into(),
        region: stack.region.clone(),
    };
    desired_state(
        &stack,
        crate::desired::Target::Mock,
        &account,
        &Code::Unknown,
    )
}

/// The live state of a stack deployed exactly as desired.
pub(crate) fn deployed(desired: &[Desired]) -> LiveState {
    let mut live = LiveState::default();
    live.api_id = Some("abc".into());
    for d in desired {
        live.insert(LiveResource::new(
            d.id.clone(),
            wanted_attrs(d, Some("abc"), &Refs::new()),
            Owner::Ours,
        ));
    }
    live
}

#[test]
fn nothing_to_do_when_live_matches() {
    let d = desired();
    let plan = compute("t", Mode::Mock, &d, &deployed(&d));
    assert!(plan.is_empty());
    assert_eq!(plan.in_sync.len(), d.len());
    assert!(report(&plan).in_sync());
}

#[test]
fn a_drifted_attribute_is_an_update_naming_live_and_wanted() {
    let d = desired();
    let mut live = deployed(&d);
    let id = ResourceId::new(Kind::Function, "t-get-races");
    live.resources
        .get_mut(&id)
        .unwrap()
        .attrs
        .insert("memory".into(), "512".into());
    let plan = compute("t", Mode::Mock, &d, &live);
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(
        plan.steps[0].action,
        Action::Update {
            changes: vec![Change {
                attribute: "memory".into(),
                live: Some("512".into()),
                wanted: Some("128".into())
            }]
        }
    );
}

#[test]
fn a_role_path_change_is_a_replace_with_its_reason() {
    let d = desired();
    let mut live = deployed(&d);
    let id = ResourceId::new(Kind::Role, "t-get-races");
    live.resources
        .get_mut(&id)
        .unwrap()
        .attrs
        .insert("path".into(), "/".into());
    let plan = compute("t", Mode::Mock, &d, &live);
    assert!(
        matches!(&plan.steps[0].action, Action::Replace { reason, .. } if reason == "path cannot change in place: IAM cannot move a role to another path")
    );
}

#[test]
fn a_failed_function_is_unhealthy_in_status_and_redeployed() {
    let d = desired();
    let mut live = deployed(&d);
    let id = ResourceId::new(Kind::Function, "t-add-to-cart");
    live.resources.get_mut(&id).unwrap().health =
        Health::Unhealthy("state Failed: bad image".into());
    let plan = compute("t", Mode::Mock, &d, &live);
    assert_eq!(plan.steps.len(), 1, "the code is uploaded again");
    let status = report(&plan);
    let entry = status.entries.iter().find(|e| e.resource == id).unwrap();
    assert!(matches!(&entry.state, State::Unhealthy { reason } if reason.contains("bad image")));
    assert!(!status.in_sync());
}

#[test]
fn foreign_resources_are_conflicts_and_never_deleted() {
    let d = desired();
    let mut live = deployed(&d);
    let table = ResourceId::new(Kind::Table, "t-cart");
    live.resources.get_mut(&table).unwrap().owner = Owner::OtherStack("u".into());
    // Something of another stack that this stack does not want: left alone.
    let other = ResourceId::new(Kind::Function, "t-extra");
    live.insert(LiveResource::new(
        other.clone(),
        Attrs::new(),
        Owner::OtherStack("u".into()),
    ));
    let plan = compute("t", Mode::Mock, &d, &live);
    assert_eq!(plan.conflicts.len(), 1);
    assert!(plan.steps.is_empty());
}

pub(crate) fn jravan_desired() -> Vec<Desired> {
    jravan_desired_of("stack: t\n")
}

fn jravan_desired_of(manifest: &str) -> Vec<Desired> {
    let stack = manifest::parse(std::path::Path::new("t.yaml"), manifest).unwrap();
    let account = Account {
        id: "123456789012".into(),
        region: stack.region.clone(),
    };
    let facts = crate::desired::JravanFacts {
        availability_zones: vec!["ap-northeast-1a".into(), "ap-northeast-1c".into()],
        dynamodb_prefix_list: "pl-1".into(),
        ami: "ami-1".into(),
        software: None,
    };
    desired_state(
        &stack,
        crate::desired::Target::Jravan(&facts),
        &account,
        &Code::Unknown,
    )
}

/// `jravan::jravan_deploy_…_a_second_deploy_writes_nothing` proves each kind is read back
/// (a kind nobody reads is created again by every deploy) only if jravan mode has every kind;
/// the bedrock advisor's endpoint, the alerts and the schedule are read back by
/// `bedrock_endpoint.rs`, `alerts.rs` and `gateway_schedule.rs` (deploys that write nothing but
/// the repair). A new kind in neither fails here.
#[test]
fn the_jravan_desired_state_has_every_kind_so_the_no_op_test_covers_every_reader() {
    let bedrock = "stack: t\nhandlers:\n  advisor: bedrock\n  bedrock_model_id: m\nalerts:\n  email: a@example.com\njravan:\n  instance:\n    schedule: race-days\n";
    let kinds: BTreeSet<Kind> = jravan_desired()
        .iter()
        .chain(&jravan_desired_of(bedrock))
        .map(|d| d.id.kind)
        .collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), Kind::ALL.to_vec());
}

fn waits_for(plan: &Plan, step: (Kind, &str), other: (Kind, &str)) -> bool {
    let s = plan
        .steps
        .iter()
        .find(|s| s.resource == ResourceId::new(step.0, step.1))
        .unwrap_or_else(|| panic!("{step:?} in the plan"));
    s.after.contains(&ResourceId::new(other.0, other.1))
}

#[test]
fn a_jravan_teardown_removes_users_before_what_they_use_and_roles_last() {
    let d = jravan_desired();
    let plan = compute("t", Mode::Jravan, &[], &deployed(&d));
    for (step, other) in [
        (
            (Kind::SecurityGroup, "t-lambda-sg"),
            (Kind::Function, "t-get-races"),
        ),
        (
            (Kind::SecurityGroup, "t-gateway-sg"),
            (Kind::Instance, "t-gateway"),
        ),
        (
            (Kind::SecurityGroup, "t-lambda-sg"),
            (Kind::SecurityGroupRules, "t-gateway-sg"),
        ),
        (
            (Kind::Instance, "t-gateway"),
            (Kind::ElasticIp, "t-gateway-eip"),
        ),
        (
            (Kind::Subnet, "t-private-1"),
            (Kind::SecurityGroup, "t-lambda-sg"),
        ),
        (
            (Kind::RouteTable, "t-private-rt"),
            (Kind::VpcEndpoint, "t-dynamodb-endpoint"),
        ),
        (
            (Kind::InternetGateway, "t-igw"),
            (Kind::ElasticIp, "t-gateway-eip"),
        ),
        ((Kind::Vpc, "t-vpc"), (Kind::Subnet, "t-public-1")),
        (
            (Kind::InstanceProfile, "t-gateway"),
            (Kind::Instance, "t-gateway"),
        ),
        ((Kind::Role, "t-get-races"), (Kind::Vpc, "t-vpc")),
        (
            (Kind::Role, "t-gateway"),
            (Kind::InstanceProfile, "t-gateway"),
        ),
    ] {
        assert!(
            waits_for(&plan, step, other),
            "{step:?} waits for {other:?}"
        );
    }
}

/// Its interfaces hold the subnets and its group (EC2 refuses those deletes while they exist):
/// the endpoint states that in its own file (`DELETED_BEFORE`), and the teardown honours it.
#[test]
fn the_bedrock_endpoint_goes_before_its_subnets_groups_and_vpc_after_the_functions() {
    let d = jravan_desired_of("stack: t\nhandlers:\n  advisor: bedrock\n  bedrock_model_id: m\n");
    let plan = compute("t", Mode::Jravan, &[], &deployed(&d));
    let endpoint = (Kind::InterfaceEndpoint, "t-bedrock-endpoint");
    for user in [
        (Kind::Subnet, "t-private-1"),
        (Kind::Subnet, "t-private-2"),
        (Kind::SecurityGroup, "t-bedrock-sg"),
        (Kind::Vpc, "t-vpc"),
    ] {
        assert!(waits_for(&plan, user, endpoint), "{user:?} waits for it");
    }
    assert!(waits_for(&plan, endpoint, (Kind::Function, "t-get-races")));
    // And on a deploy, it is made after them.
    let fresh = compute("t", Mode::Jravan, &d, &LiveState::default());
    for needed in [
        (Kind::Subnet, "t-private-2"),
        (Kind::SecurityGroup, "t-bedrock-sg"),
    ] {
        assert!(waits_for(&fresh, endpoint, needed), "after {needed:?}");
    }
}

#[test]
fn leaving_jravan_detaches_functions_first_and_revokes_vpc_permissions_last() {
    let live = deployed(&jravan_desired());
    let plan = compute("t", Mode::Mock, &desired(), &live);
    // Functions leave the VPC before anything of the network goes.
    assert!(waits_for(
        &plan,
        (Kind::SecurityGroup, "t-lambda-sg"),
        (Kind::Function, "t-get-races")
    ));
    assert!(waits_for(
        &plan,
        (Kind::Subnet, "t-private-1"),
        (Kind::Function, "t-get-races")
    ));
    // The roles lose their network-interface permissions only once the interfaces are gone.
    assert!(waits_for(
        &plan,
        (Kind::Role, "t-get-races"),
        (Kind::SecurityGroup, "t-lambda-sg")
    ));
    assert!(waits_for(
        &plan,
        (Kind::Role, "t-get-races"),
        (Kind::Subnet, "t-private-2")
    ));
    assert!(!waits_for(
        &plan,
        (Kind::Function, "t-get-races"),
        (Kind::Role, "t-get-races")
    ));
    let last = plan.steps.last().unwrap();
    assert_eq!(last.resource.kind, Kind::Role);
}

/// Regression: the ordering was found by searching the live policy's JSON for the statement
/// id `VpcNetworkInterfaces`; a role whose statement is named otherwise lost its permissions
/// before Lambda had released the interfaces.
#[test]
fn vpc_permissions_are_revoked_last_whatever_the_live_statement_is_called() {
    let mut live = deployed(&jravan_desired());
    for r in live
        .resources
        .values_mut()
        .filter(|r| r.id.kind == Kind::Role)
    {
        for v in r.attrs.values_mut() {
            *v = v.replace("VpcNetworkInterfaces", "LambdaEni");
        }
    }
    let plan = compute("t", Mode::Mock, &desired(), &live);
    assert!(waits_for(
        &plan,
        (Kind::Role, "t-get-races"),
        (Kind::SecurityGroup, "t-lambda-sg")
    ));
    assert_eq!(plan.steps.last().unwrap().resource.kind, Kind::Role);
}

#[test]
fn teardown_deletes_dependents_first_and_leaves_api_children_to_the_api() {
    let d = desired();
    let plan = compute("t", Mode::Mock, &[], &deployed(&d));
    let kinds: Vec<Kind> = plan.steps.iter().map(|s| s.resource.kind).collect();
    assert!(
        !kinds.contains(&Kind::ApiResource) && !kinds.contains(&Kind::Stage),
        "they go with the REST API"
    );
    assert!(
        !kinds.contains(&Kind::Permission),
        "a function's permission goes with the function"
    );
    let pos = |k: Kind| kinds.iter().position(|x| *x == k).unwrap();
    assert!(pos(Kind::RestApi) < pos(Kind::Function));
    assert!(pos(Kind::Function) < pos(Kind::Role));
    assert!(pos(Kind::Function) < pos(Kind::LogGroup));
    let role_step = plan
        .steps
        .iter()
        .find(|s| s.resource.kind == Kind::Role)
        .unwrap();
    assert!(
        role_step.after.iter().any(|a| a.kind == Kind::Function),
        "roles wait for the functions"
    );
    assert!(plan
        .steps
        .iter()
        .filter(|s| s.resource.kind == Kind::Table)
        .all(|s| s.action == Action::Delete { holds_data: true }));
}

/// Teardown used to delete kind by kind, the tables last, after every role: each kind waited for
/// all later kinds. Now a deletion waits only for what may use it.
#[test]
fn regression_teardown_tables_wait_for_the_api_not_for_the_roles() {
    let d = desired();
    let plan = compute("t", Mode::Mock, &[], &deployed(&d));
    let table = plan
        .steps
        .iter()
        .find(|s| s.resource.kind == Kind::Table)
        .unwrap();
    let kinds: BTreeSet<Kind> = table.after.iter().map(|a| a.kind).collect();
    assert!(kinds.contains(&Kind::RestApi), "{kinds:?}");
    assert!(
        !kinds.contains(&Kind::Role) && !kinds.contains(&Kind::LogGroup),
        "{kinds:?}"
    );
}
