//! EventBridge Scheduler: the gateway's schedule group and its start and stop schedules
//! (`desired/schedule.rs`). Schedules carry no tags; the group does, and what is in the stack's
//! group is the stack's.

use aws_sdk_scheduler::types::{
    FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Tag, Target,
};

use super::client::error::{absent_if, on};
use super::permissions::{allow, Scope, Statement};
use super::read::{ReadContext, Reader};
use super::seam::{Seam, StepContext};
use super::AwsError;
use crate::desired::schedule::{group_name, schedule_names, ScheduleAttr};
use crate::desired::{ScheduleGroupSpec, ScheduleSpec};
use crate::live::{LiveResource, LiveState, Owner};
use crate::model::names::role_name;
use crate::resource::json::canonical_json;
use crate::resource::refs::id_key;
use crate::resource::{Attrs, Kind, ResourceId};

const GONE: &[&str] = &["ResourceNotFoundException"];

/// The group (one request when there is none), then its tags and schedules.
pub const READER: Reader = Reader {
    name: "scheduler",
    read: |cx| Box::pin(read(cx)),
};

async fn read(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let mut live = LiveState::default();
    let sch = &cx.clients.scheduler;
    let group = group_name(&cx.stack.name);
    let what = format!("schedule group {group}");
    let found = absent_if(
        sch.get_schedule_group()
            .name(&group)
            .send()
            .await
            .map_err(on("GetScheduleGroup", &what)),
        GONE,
    )?;
    let Some(arn) = found.and_then(|g| g.arn) else {
        return Ok(live);
    };
    let group_ref = &group;
    let get = |name: String| async move {
        absent_if(
            sch.get_schedule()
                .group_name(group_ref)
                .name(&name)
                .send()
                .await
                .map_err(on("GetSchedule", format!("schedule {name}"))),
            GONE,
        )
    };
    let (tags, schedules) = futures::try_join!(
        async {
            sch.list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(on("ListTagsForResource", &what))
        },
        futures::future::try_join_all(schedule_names(&cx.stack.name).map(get)),
    )?;
    let owner = Owner::from_tags(
        &cx.stack.name,
        tags.tags().iter().map(|t| (t.key(), t.value())),
    );
    live.refs
        .insert(id_key(Kind::ScheduleGroup, &group), arn.clone());
    live.insert(
        LiveResource::new(
            ResourceId::new(Kind::ScheduleGroup, &group),
            Attrs::new(),
            owner.clone(),
        )
        .with_aws_id(&arn),
    );
    for s in schedules.into_iter().flatten() {
        let name = s.name().unwrap_or_default().to_string();
        live.refs.insert(
            id_key(Kind::Schedule, &name),
            format!("{}/{name}", s.group_name().unwrap_or_default()),
        );
        let target = s.target();
        let input = target
            .and_then(|t| t.input())
            .and_then(|i| serde_json::from_str::<serde_json::Value>(i).ok())
            .map(|v| canonical_json(&v))
            .unwrap_or_default();
        let attrs = Attrs::from([
            (
                ScheduleAttr::Group.key(),
                s.group_name().unwrap_or_default().to_string(),
            ),
            (
                ScheduleAttr::Expression.key(),
                s.schedule_expression().unwrap_or_default().to_string(),
            ),
            (
                ScheduleAttr::TimeZone.key(),
                s.schedule_expression_timezone()
                    .unwrap_or("UTC")
                    .to_string(),
            ),
            (
                ScheduleAttr::Target.key(),
                target.map(|t| t.arn().to_string()).unwrap_or_default(),
            ),
            (
                ScheduleAttr::Role.key(),
                target.map(|t| t.role_arn().to_string()).unwrap_or_default(),
            ),
            (ScheduleAttr::Input.key(), input),
            (
                ScheduleAttr::State.key(),
                s.state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            ),
        ]);
        live.insert(LiveResource::new(
            ResourceId::new(Kind::Schedule, &name),
            attrs,
            owner.clone(),
        ));
    }
    Ok(live)
}

impl Seam for ScheduleGroupSpec {
    const READ_BY: Reader = READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let out = cx
            .clients
            .scheduler
            .create_schedule_group()
            .name(&self.name)
            .set_tags(Some(
                self.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect::<Result<_, _>>()
                    .map_err(|e| AwsError::new("CreateScheduleGroup", &self.name, e.to_string()))?,
            ))
            .send()
            .await
            .map_err(on(
                "CreateScheduleGroup",
                format!("schedule group {}", self.name),
            ))?;
        cx.learn_own_id(out.schedule_group_arn);
        Ok(())
    }
    /// A group has no compared attribute.
    async fn update(&self, _cx: &StepContext<'_>) -> Result<(), AwsError> {
        Ok(())
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        // AWS deletes a group's schedules with it, after it answers (the group is DELETING).
        absent_if(
            cx.clients
                .scheduler
                .delete_schedule_group()
                .name(cx.name())
                .send()
                .await
                .map_err(on(
                    "DeleteScheduleGroup",
                    format!("schedule group {}", cx.name()),
                )),
            GONE,
        )?;
        Ok(())
    }
}

/// CreateSchedule and UpdateSchedule take the same whole definition (an update replaces every
/// setting): one mapping for both.
macro_rules! definition {
    ($call:expr, $spec:expr, $cx:expr) => {{
        let spec: &ScheduleSpec = $spec;
        let target = Target::builder()
            .arn(&spec.target)
            .role_arn(&spec.role_arn)
            .input($cx.fill(&spec.input)?)
            .build()
            .map_err(|e| AwsError::new("CreateSchedule", &spec.name, e.to_string()))?;
        $call
            .name(&spec.name)
            .group_name(&spec.group)
            .schedule_expression(&spec.expression)
            .schedule_expression_timezone(&spec.time_zone)
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(|e| AwsError::new("CreateSchedule", &spec.name, e.to_string()))?,
            )
            .state(ScheduleState::Enabled)
            .target(target)
    }};
}

impl Seam for ScheduleSpec {
    const READ_BY: Reader = READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let call = cx.clients.scheduler.create_schedule();
        definition!(call, self, cx)
            .send()
            .await
            .map_err(on("CreateSchedule", format!("schedule {}", self.name)))?;
        cx.learn_own_id(format!("{}/{}", self.group, self.name));
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let call = cx.clients.scheduler.update_schedule();
        definition!(call, self, cx)
            .send()
            .await
            .map_err(on("UpdateSchedule", format!("schedule {}", self.name)))?;
        Ok(())
    }
    /// Its id is `group/name` (a schedule's name is unique within its group only).
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move {
            let (group, name) = id.split_once('/').unwrap_or(("default", id.as_str()));
            absent_if(
                cx.clients
                    .scheduler
                    .delete_schedule()
                    .group_name(group)
                    .name(name)
                    .send()
                    .await
                    .map_err(on("DeleteSchedule", format!("schedule {name}"))),
                GONE,
            )?;
            Ok(())
        })
        .await
    }
}

/// Every command reads the group; the writes are on the stack's group and its schedules, and
/// passing the scheduler role to EventBridge Scheduler only.
pub fn permissions(scope: &Scope) -> Vec<Statement> {
    let stack = &scope.stack.name;
    let group = group_name(stack);
    let group_arn = scope.arn("scheduler", &format!("schedule-group/{group}"));
    let schedules = scope.arn("scheduler", &format!("schedule/{group}/*"));
    let mut out = vec![allow(
        "SchedulerRead",
        "scheduler",
        &["GetScheduleGroup", "ListTagsForResource", "GetSchedule"],
        vec![group_arn.clone(), schedules.clone()],
    )];
    if scope.jravan() {
        out.push(allow(
            "SchedulerWrite",
            "scheduler",
            &[
                "CreateScheduleGroup",
                "DeleteScheduleGroup",
                "TagResource",
                "CreateSchedule",
                "UpdateSchedule",
                "DeleteSchedule",
            ],
            vec![group_arn, schedules],
        ));
        let role = format!(
            "arn:aws:iam::{}:role{}{}",
            scope.account,
            crate::model::names::role_path(stack),
            role_name(stack, "scheduler")
        );
        out.push(
            allow("IamPassSchedulerRole", "iam", &["PassRole"], vec![role]).when(
                serde_json::json!({"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}),
            ),
        );
    }
    out
}
