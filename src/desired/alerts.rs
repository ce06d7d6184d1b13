//! Alarms that reach a person (`alerts.email`): an SNS topic of the stack's own, an email
//! subscription per address, and CloudWatch alarms on what breaks the service: the API's 5XX
//! rate, each function's errors and throttles, the tables' throttled requests and, in jravan
//! mode, the gateway's heartbeat (a metric it puts after each successful JV-Link sync).

use std::collections::BTreeMap;

use super::{ownership_tags, Account, Desired, Replace, Spec, Wanted};
use crate::model::{Mode, Stack};
use crate::resource::{Attrs, Kind, ResourceId};

pub use crate::model::names::{heartbeat_namespace, HEARTBEAT_METRIC};

/// Alarm names start with the stack and a slash: stack names have no slash, so the prefix
/// finds this stack's alarms and no other's, without reading tags.
pub fn alarm_prefix(stack: &str) -> String {
    format!("{stack}/")
}

pub fn topic_name(stack: &str) -> String {
    format!("{stack}-alerts")
}

#[derive(Debug, Clone)]
pub struct TopicSpec {
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

impl Wanted for TopicSpec {
    // Its subscriptions go with it, and the alarms would publish to nothing.
    const DELETED_AFTER: &'static [Kind] = &[Kind::Alarm, Kind::AlertSubscription];
    fn attrs(&self) -> Attrs {
        Attrs::new()
    }
}

/// An email subscription; its name is the address.
#[derive(Debug, Clone)]
pub struct SubscriptionSpec {
    pub email: String,
    pub topic_arn: String,
}

crate::attribute_keys! {
    pub enum SubscriptionAttr {
        Topic = "topic",
        Protocol = "protocol",
    }
}

impl Wanted for SubscriptionSpec {
    const REPLACED_ON: &'static [Replace] = &[
        Replace::new(
            SubscriptionAttr::Topic.name(),
            "a subscription cannot move to another topic",
        ),
        Replace::new(
            SubscriptionAttr::Protocol.name(),
            "a subscription's protocol is fixed",
        ),
    ];
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (SubscriptionAttr::Topic.key(), self.topic_arn.clone()),
            (SubscriptionAttr::Protocol.key(), "email".into()),
        ])
    }
}

/// One CloudWatch metric alarm, mailing the topic when it goes off and when it clears.
#[derive(Debug, Clone)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    pub statistic: &'static str,
    pub period_s: i32,
    pub evaluation_periods: i32,
    pub threshold: f64,
    pub comparison: &'static str,
    pub treat_missing_data: &'static str,
    pub topic_arn: String,
    pub tags: BTreeMap<String, String>,
}

crate::attribute_keys! {
    pub enum AlarmAttr {
        Description = "description",
        Namespace = "namespace",
        Metric = "metric",
        Dimensions = "dimensions",
        Statistic = "statistic",
        Period = "period",
        EvaluationPeriods = "evaluation_periods",
        Threshold = "threshold",
        Comparison = "comparison",
        TreatMissingData = "treat_missing_data",
        AlarmActions = "alarm_actions",
        OkActions = "ok_actions",
    }
}

/// Dimensions as one attribute: `Name=Value` pairs, sorted, comma-separated.
pub fn dimensions_text<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut all: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    all.sort();
    all.join(",")
}

impl Wanted for AlarmSpec {
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (AlarmAttr::Description.key(), self.description.clone()),
            (AlarmAttr::Namespace.key(), self.namespace.clone()),
            (AlarmAttr::Metric.key(), self.metric.clone()),
            (
                AlarmAttr::Dimensions.key(),
                dimensions_text(
                    self.dimensions
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                ),
            ),
            (AlarmAttr::Statistic.key(), self.statistic.into()),
            (AlarmAttr::Period.key(), self.period_s.to_string()),
            (
                AlarmAttr::EvaluationPeriods.key(),
                self.evaluation_periods.to_string(),
            ),
            (AlarmAttr::Threshold.key(), self.threshold.to_string()),
            (AlarmAttr::Comparison.key(), self.comparison.into()),
            (
                AlarmAttr::TreatMissingData.key(),
                self.treat_missing_data.into(),
            ),
            (AlarmAttr::AlarmActions.key(), self.topic_arn.clone()),
            (AlarmAttr::OkActions.key(), self.topic_arn.clone()),
        ])
    }
}

/// Five minutes: the shortest period of AWS's standard-resolution metrics that every one of
/// these metrics has without gaps when there is traffic.
const FIVE_MINUTES: i32 = 300;

/// What each alarm watches, before the stack's names fill it in.
struct Watch {
    what: String,
    description: String,
    namespace: &'static str,
    metric: &'static str,
    dimensions: Vec<(&'static str, String)>,
    statistic: &'static str,
    threshold: f64,
}

fn watches(stack: &Stack) -> Vec<Watch> {
    let mut out = vec![Watch {
        what: "api-5xx".into(),
        description: format!(
            "More than 5% of the API's requests answered 5XX in 5 minutes ({} stage {})",
            stack.api.name, stack.api.stage
        ),
        namespace: "AWS/ApiGateway",
        metric: "5XXError",
        dimensions: vec![
            ("ApiName", stack.api.name.clone()),
            ("Stage", stack.api.stage.clone()),
        ],
        // 5XXError is 1 for each failed request and 0 otherwise: its average is the rate.
        statistic: "Average",
        threshold: 0.05,
    }];
    for f in &stack.functions {
        for (metric, verb) in [("Errors", "failed"), ("Throttles", "was throttled")] {
            out.push(Watch {
                what: format!("{}-{}", f.def.suffix, metric.to_ascii_lowercase()),
                description: format!("{} {verb} at least once in 5 minutes", f.name),
                namespace: "AWS/Lambda",
                metric,
                dimensions: vec![("FunctionName", f.name.clone())],
                statistic: "Sum",
                threshold: 0.0,
            });
        }
    }
    for (which, table) in [
        ("cart", &stack.cart_table),
        ("session", &stack.session_table),
    ] {
        for (metric, what) in [
            ("ReadThrottleEvents", "read"),
            ("WriteThrottleEvents", "write"),
        ] {
            out.push(Watch {
                what: format!("{which}-{what}-throttles"),
                description: format!("DynamoDB throttled {what}s of {table} in 5 minutes"),
                namespace: "AWS/DynamoDB",
                metric,
                dimensions: vec![("TableName", table.clone())],
                statistic: "Sum",
                threshold: 0.0,
            });
        }
    }
    out
}

/// How many alarms `add` makes (what `baken cost` prices), and whether the gateway's heartbeat
/// metric is among what they watch.
pub fn alarm_count(stack: &Stack, mode: Mode) -> (usize, bool) {
    match &stack.alerts {
        None => (0, false),
        Some(_) => {
            let heartbeat = mode == Mode::Jravan;
            (watches(stack).len() + usize::from(heartbeat), heartbeat)
        }
    }
}

pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack, account: &Account, mode: Mode) {
    let Some(alerts) = &stack.alerts else { return };
    let tags = ownership_tags(&stack.name);
    let topic = topic_name(&stack.name);
    let topic_id = ResourceId::new(Kind::AlertTopic, &topic);
    let topic_arn = account.topic_arn(&topic);
    out.push(Desired {
        id: topic_id.clone(),
        spec: Spec::AlertTopic(TopicSpec {
            name: topic.clone(),
            tags: tags.clone(),
        }),
        depends_on: vec![],
    });
    for email in &alerts.emails {
        out.push(Desired {
            id: ResourceId::new(Kind::AlertSubscription, email),
            spec: Spec::AlertSubscription(SubscriptionSpec {
                email: email.clone(),
                topic_arn: topic_arn.clone(),
            }),
            depends_on: vec![topic_id.clone()],
        });
    }
    let alarm = |name: String, description: String, namespace: String, metric: String| AlarmSpec {
        name,
        description,
        namespace,
        metric,
        dimensions: vec![],
        statistic: "Sum",
        period_s: FIVE_MINUTES,
        evaluation_periods: 1,
        threshold: 0.0,
        comparison: "GreaterThanThreshold",
        // No traffic is no failure.
        treat_missing_data: "notBreaching",
        topic_arn: topic_arn.clone(),
        tags: tags.clone(),
    };
    let mut specs: Vec<AlarmSpec> = watches(stack)
        .into_iter()
        .map(|w| AlarmSpec {
            dimensions: w
                .dimensions
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            statistic: w.statistic,
            threshold: w.threshold,
            ..alarm(
                format!("{}{}", alarm_prefix(&stack.name), w.what),
                w.description,
                w.namespace.into(),
                w.metric.into(),
            )
        })
        .collect();
    if mode == Mode::Jravan {
        // The gateway syncs every 30 minutes: an hour without one successful sync is a dead
        // instance, a stopped service or a stuck JV-Link, and no data at all is the same.
        specs.push(AlarmSpec {
            period_s: 3600,
            threshold: 1.0,
            comparison: "LessThanThreshold",
            treat_missing_data: "breaching",
            ..alarm(
                format!("{}gateway-heartbeat", alarm_prefix(&stack.name)),
                "The JV-Link gateway has not synced successfully for an hour".into(),
                heartbeat_namespace(&stack.name),
                HEARTBEAT_METRIC.into(),
            )
        });
    }
    for spec in specs {
        out.push(Desired {
            id: ResourceId::new(Kind::Alarm, &spec.name),
            spec: Spec::Alarm(spec),
            depends_on: vec![topic_id.clone()],
        });
    }
}
