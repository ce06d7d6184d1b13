//! The gateway's running hours (`jravan.instance.schedule`): two EventBridge Scheduler
//! schedules in a group of the stack's own, whose universal targets call EC2's StartInstances
//! and StopInstances on the gateway instance, with a role that may start and stop that instance
//! only; with alerts, two more that turn the heartbeat alarm's actions off and on with it.

use std::collections::BTreeMap;

use serde_json::json;

use super::functions::{assume_role_policy, role_arn};
use super::{ownership_tags, Account, Desired, Replace, RoleSpec, Spec, Wanted};
use crate::model::names::{gateway_instance_name, role_name, role_path, TAG_STACK};
use crate::model::Stack;
use crate::resource::refs::id_ref;
use crate::resource::{Attrs, Kind, ResourceId};

pub fn group_name(stack: &str) -> String {
    format!("{stack}-gateway")
}

/// The schedules' names: the gateway's start and stop, and (with alerts) the heartbeat alarm's
/// actions on and off.
pub fn schedule_names(stack: &str) -> [String; 4] {
    [
        format!("{stack}-gateway-start"),
        format!("{stack}-gateway-stop"),
        format!("{stack}-heartbeat-on"),
        format!("{stack}-heartbeat-off"),
    ]
}

#[derive(Debug, Clone)]
pub struct ScheduleGroupSpec {
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

impl Wanted for ScheduleGroupSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::Schedule];
    fn attrs(&self) -> Attrs {
        Attrs::new()
    }
}

#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    pub name: String,
    pub group: String,
    pub expression: String,
    pub time_zone: String,
    /// The universal target: `arn:aws:scheduler:::aws-sdk:ec2:startInstances`, `…:stopInstances`,
    /// `…:cloudwatch:enableAlarmActions` or `…:disableAlarmActions`.
    pub target: String,
    pub role_arn: String,
    /// The target's request (an instance is named by reference until its id is known).
    pub input: String,
}

crate::attribute_keys! {
    pub enum ScheduleAttr {
        Group = "group",
        Expression = "expression",
        TimeZone = "time_zone",
        Target = "target",
        Role = "role",
        Input = "input",
        State = "state",
    }
}

impl Wanted for ScheduleSpec {
    // The role must outlive what uses it.
    const DELETED_BEFORE: &'static [Kind] = &[Kind::Role];
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        ScheduleAttr::Group.name(),
        "a schedule cannot move to another group",
    )];
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (ScheduleAttr::Group.key(), self.group.clone()),
            (ScheduleAttr::Expression.key(), self.expression.clone()),
            (ScheduleAttr::TimeZone.key(), self.time_zone.clone()),
            (ScheduleAttr::Target.key(), self.target.clone()),
            (ScheduleAttr::Role.key(), self.role_arn.clone()),
            (ScheduleAttr::Input.key(), self.input.clone()),
            (ScheduleAttr::State.key(), "ENABLED".into()),
        ])
    }
}

/// The group, the role and the two schedules, when the manifest has a schedule.
pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack, account: &Account) {
    let Some(schedule) = &stack.jravan.schedule else {
        return;
    };
    let tags = ownership_tags(&stack.name);
    let group = group_name(&stack.name);
    let group_id = ResourceId::new(Kind::ScheduleGroup, &group);
    out.push(Desired {
        id: group_id.clone(),
        spec: Spec::ScheduleGroup(ScheduleGroupSpec {
            name: group.clone(),
            tags: tags.clone(),
        }),
        depends_on: vec![],
    });
    let role = role_name(&stack.name, "scheduler");
    let instance = gateway_instance_name(&stack.name);
    // StartInstances and StopInstances take an instance ARN; the instance's id is not known
    // before it exists, so the role names it by its tags (the gateway's Name and the stack).
    let mut policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TheGatewayOnly",
            "Effect": "Allow",
            "Action": ["ec2:StartInstances", "ec2:StopInstances"],
            "Resource": [format!("arn:aws:ec2:{}:{}:instance/*", account.region, account.id)],
            "Condition": {"StringEquals": {
                format!("aws:ResourceTag/{TAG_STACK}"): stack.name,
                "aws:ResourceTag/Name": instance,
            }}
        }]
    });
    // With alerts, the heartbeat alarm would go off every time the schedule stops the gateway:
    // its actions are off while the gateway is, and on again as it starts.
    let heartbeat = format!(
        "{}gateway-heartbeat",
        super::alerts::alarm_prefix(&stack.name)
    );
    if stack.alerts.is_some() {
        if let Some(s) = policy["Statement"].as_array_mut() {
            s.push(json!({
                "Sid": "TheHeartbeatAlarmOnly",
                "Effect": "Allow",
                "Action": ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"],
                "Resource": [account.alarm_arn(&heartbeat)]
            }));
        }
    }
    let role_id = ResourceId::new(Kind::Role, &role);
    out.push(Desired {
        id: role_id.clone(),
        spec: Spec::Role(RoleSpec {
            name: role.clone(),
            path: role_path(&stack.name),
            assume_role_policy: assume_role_policy("scheduler.amazonaws.com"),
            policy_name: super::ROLE_POLICY_NAME.into(),
            policy,
            managed_policies: vec![],
            description:
                "EventBridge Scheduler role that starts and stops the gateway, managed by baken",
            tags,
            vpc_access: false,
        }),
        depends_on: vec![],
    });
    let role_arn = role_arn(account, &stack.name, "scheduler");
    let instance_input = json!({"InstanceIds": [id_ref(Kind::Instance, &instance)]}).to_string();
    let alarm_input = json!({"AlarmNames": [heartbeat]}).to_string();
    let [start, stop, on, off] = schedule_names(&stack.name);
    let mut schedules = vec![
        (
            start,
            &schedule.start,
            "ec2:startInstances",
            &instance_input,
        ),
        (stop, &schedule.stop, "ec2:stopInstances", &instance_input),
    ];
    if stack.alerts.is_some() {
        schedules.push((
            on,
            &schedule.start,
            "cloudwatch:enableAlarmActions",
            &alarm_input,
        ));
        schedules.push((
            off,
            &schedule.stop,
            "cloudwatch:disableAlarmActions",
            &alarm_input,
        ));
    }
    for (name, expression, action, input) in schedules {
        out.push(Desired {
            id: ResourceId::new(Kind::Schedule, &name),
            spec: Spec::Schedule(ScheduleSpec {
                name: name.clone(),
                group: group.clone(),
                expression: expression.clone(),
                time_zone: schedule.time_zone.clone(),
                target: format!("arn:aws:scheduler:::aws-sdk:{action}"),
                role_arn: role_arn.clone(),
                input: input.clone(),
            }),
            depends_on: vec![
                group_id.clone(),
                role_id.clone(),
                ResourceId::new(Kind::Instance, &instance),
            ],
        });
    }
}
