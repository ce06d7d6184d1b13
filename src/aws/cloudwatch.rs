//! CloudWatch: the stack's metric alarms (`desired/alerts.rs`). Their names start with
//! `<stack>/`, which no other stack's can (stack names have no slash): one DescribeAlarms by that
//! prefix finds them all, with no tag reads.

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricAlarm, StateValue, Statistic, Tag,
};

use super::client::error::on;
use super::permissions::{allow, Scope, Statement};
use super::read::{ReadContext, Reader};
use super::seam::{Seam, StepContext};
use super::AwsError;
use crate::desired::alerts::{alarm_prefix, dimensions_text, AlarmAttr};
use crate::desired::AlarmSpec;
use crate::live::{Health, LiveResource, LiveState, Owner};
use crate::resource::refs::id_key;
use crate::resource::{Attrs, Kind, ResourceId};

/// The stack's alarms, with their state: one in ALARM makes status say why.
pub const READER: Reader = Reader {
    name: "cloudwatch",
    read: |cx| Box::pin(read(cx)),
};

async fn read(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let prefix = alarm_prefix(&cx.stack.name);
    // The heartbeat is missing, so in ALARM, whenever the schedule has the gateway stopped:
    // that is the schedule working, not a fault (its actions are off meanwhile).
    let heartbeat = format!("{prefix}gateway-heartbeat");
    let stopped_on_schedule = cx
        .stack
        .jravan
        .schedule
        .as_ref()
        .is_some_and(|s| !crate::live::gateway::ScheduleView::now(s).running);
    let mut live = LiveState::default();
    let mut pages = cx
        .clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(&prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("DescribeAlarms", format!("alarms {prefix}*")))?;
        for a in page.metric_alarms() {
            let name = a.alarm_name().unwrap_or_default().to_string();
            if let Some(arn) = a.alarm_arn() {
                live.refs
                    .insert(id_key(Kind::Alarm, &name), arn.to_string());
            }
            let mut r = LiveResource::new(
                ResourceId::new(Kind::Alarm, &name),
                alarm_attrs(a),
                Owner::Ours,
            );
            let expected = stopped_on_schedule && name == heartbeat;
            if a.state_value() == Some(&StateValue::Alarm) && !expected {
                r.health = Health::Unhealthy(format!(
                    "in ALARM since {}: {}",
                    a.state_updated_timestamp()
                        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                        .unwrap_or_else(|| "an unknown time".into()),
                    a.state_reason().unwrap_or("no reason given")
                ));
            }
            live.insert(r);
        }
    }
    Ok(live)
}

/// An alarm's live attributes, as `AlarmSpec::attrs` states them.
fn alarm_attrs(a: &MetricAlarm) -> Attrs {
    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
    Attrs::from([
        (AlarmAttr::Description.key(), text(a.alarm_description())),
        (AlarmAttr::Namespace.key(), text(a.namespace())),
        (AlarmAttr::Metric.key(), text(a.metric_name())),
        (
            AlarmAttr::Dimensions.key(),
            dimensions_text(
                a.dimensions()
                    .iter()
                    .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default())),
            ),
        ),
        (
            AlarmAttr::Statistic.key(),
            text(a.statistic().map(|s| s.as_str())),
        ),
        (
            AlarmAttr::Period.key(),
            a.period().unwrap_or_default().to_string(),
        ),
        (
            AlarmAttr::EvaluationPeriods.key(),
            a.evaluation_periods().unwrap_or_default().to_string(),
        ),
        (
            AlarmAttr::Threshold.key(),
            a.threshold().unwrap_or_default().to_string(),
        ),
        (
            AlarmAttr::Comparison.key(),
            text(a.comparison_operator().map(|c| c.as_str())),
        ),
        (
            AlarmAttr::TreatMissingData.key(),
            text(a.treat_missing_data()),
        ),
        (AlarmAttr::AlarmActions.key(), a.alarm_actions().join(",")),
        (AlarmAttr::OkActions.key(), a.ok_actions().join(",")),
    ])
}

/// PutMetricAlarm creates the alarm or replaces every setting of the one with that name: one
/// request from one mapping, for create and update alike. Its tags count on the create only
/// (AWS ignores them on an update), and only the create sends them.
async fn put(spec: &AlarmSpec, cx: &StepContext<'_>, with_tags: bool) -> Result<(), AwsError> {
    let mut call = cx
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&spec.name)
        .alarm_description(&spec.description)
        .namespace(&spec.namespace)
        .metric_name(&spec.metric)
        .set_dimensions(Some(
            spec.dimensions
                .iter()
                .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                .collect(),
        ))
        .statistic(Statistic::from(spec.statistic))
        .period(spec.period_s)
        .evaluation_periods(spec.evaluation_periods)
        .threshold(spec.threshold)
        .comparison_operator(ComparisonOperator::from(spec.comparison))
        .treat_missing_data(spec.treat_missing_data)
        .alarm_actions(&spec.topic_arn)
        .ok_actions(&spec.topic_arn);
    if with_tags {
        for (k, v) in &spec.tags {
            call = call.tags(Tag::builder().key(k).value(v).build());
        }
    }
    call.send()
        .await
        .map_err(on("PutMetricAlarm", format!("alarm {}", spec.name)))?;
    Ok(())
}

impl Seam for AlarmSpec {
    const READ_BY: Reader = READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        put(self, cx, true).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        put(self, cx, false).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        // DeleteAlarms of a name that does not exist succeeds.
        cx.clients
            .cloudwatch
            .delete_alarms()
            .alarm_names(cx.name())
            .send()
            .await
            .map_err(on("DeleteAlarms", format!("alarm {}", cx.name())))?;
        Ok(())
    }
}

/// DescribeAlarms on any alarm (a read of names and states); the writes on the stack's own
/// alarms, by their name prefix.
pub fn permissions(scope: &Scope) -> Vec<Statement> {
    let alarms = scope.arn(
        "cloudwatch",
        &format!("alarm:{}*", alarm_prefix(&scope.stack.name)),
    );
    vec![
        allow(
            "CloudWatchDescribeAlarms",
            "cloudwatch",
            &["DescribeAlarms"],
            vec!["*".into()],
        ),
        allow(
            "CloudWatchStackAlarms",
            "cloudwatch",
            &["PutMetricAlarm", "DeleteAlarms", "TagResource"],
            vec![alarms],
        ),
    ]
}
