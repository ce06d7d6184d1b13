//! SNS: the stack's alert topic and its email subscriptions (`desired/alerts.rs`).
//!
//! The topic's ARN follows from the account, region and name, so the read asks for it directly
//! rather than listing every topic of the region (ListTopics has no filter).

use aws_sdk_sns::types::Tag;

use super::client::error::{absent_if, on};
use super::permissions::{allow, Scope, Statement};
use super::read::{ReadContext, Reader};
use super::seam::{Seam, StepContext};
use super::AwsError;
use crate::desired::alerts::{topic_name, SubscriptionAttr};
use crate::desired::{Account, SubscriptionSpec, TopicSpec};
use crate::live::{Health, LiveResource, LiveState, Owner};
use crate::resource::refs::id_key;
use crate::resource::{Attrs, Kind, ResourceId};

const GONE: &[&str] = &["NotFound", "NotFoundException"];

/// What ListSubscriptionsByTopic gives as the ARN of a subscription not yet confirmed: AWS
/// has no ARN for it, and no call removes it (it lapses when its confirmation expires, and goes
/// with the topic).
const PENDING: &str = "PendingConfirmation";

/// The topic (by its ARN) and its subscriptions.
pub const READER: Reader = Reader {
    name: "sns",
    read: |cx| Box::pin(read(cx)),
};

async fn read(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let mut live = LiveState::default();
    let account = Account {
        id: cx.account.get().await?,
        region: cx.stack.region.clone(),
    };
    let name = topic_name(&cx.stack.name);
    let arn = account.topic_arn(&name);
    let what = format!("topic {name}");
    let sns = &cx.clients.sns;
    // Whether the topic exists is the first question unless it is wanted or was left by the
    // last run: then its tags and subscriptions are asked for at once.
    let expected =
        !cx.wanted(Kind::AlertTopic).is_empty() || !cx.ahead(Kind::AlertTopic).is_empty();
    let exists = || async {
        absent_if(
            sns.get_topic_attributes()
                .topic_arn(&arn)
                .send()
                .await
                .map_err(on("GetTopicAttributes", &what)),
            GONE,
        )
    };
    let tags = || async {
        absent_if(
            sns.list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(on("ListTagsForResource", &what)),
            &["ResourceNotFound", "NotFound", "NotFoundException"],
        )
    };
    let subscriptions = || async {
        let mut out = Vec::new();
        let mut pages = sns
            .list_subscriptions_by_topic()
            .topic_arn(&arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match absent_if(page.map_err(on("ListSubscriptionsByTopic", &what)), GONE)? {
                Some(page) => out.extend(page.subscriptions.unwrap_or_default()),
                None => break,
            }
        }
        Ok::<_, AwsError>(out)
    };
    let (found, tags, subs) = if expected {
        futures::try_join!(exists(), tags(), subscriptions())?
    } else {
        match exists().await? {
            None => return Ok(live),
            Some(found) => {
                let (tags, subs) = futures::try_join!(tags(), subscriptions())?;
                (Some(found), tags, subs)
            }
        }
    };
    if found.is_none() {
        return Ok(live);
    }
    let owner = Owner::from_tags(
        &cx.stack.name,
        tags.iter()
            .flat_map(|t| t.tags())
            .map(|t| (t.key(), t.value())),
    );
    live.refs
        .insert(id_key(Kind::AlertTopic, &name), arn.clone());
    live.insert(
        LiveResource::new(
            ResourceId::new(Kind::AlertTopic, &name),
            Attrs::new(),
            owner.clone(),
        )
        .with_aws_id(&arn),
    );
    let wanted = cx.wanted(Kind::AlertSubscription);
    for s in subs.iter().filter(|s| s.protocol() == Some("email")) {
        let email = s.endpoint().unwrap_or_default().to_string();
        let pending = s.subscription_arn() == Some(PENDING);
        // An unwanted pending subscription cannot be removed: it is left to lapse.
        if pending && !wanted.contains(&email) {
            continue;
        }
        let attrs = Attrs::from([
            (SubscriptionAttr::Topic.key(), arn.clone()),
            (SubscriptionAttr::Protocol.key(), "email".into()),
        ]);
        let mut r = LiveResource::new(
            ResourceId::new(Kind::AlertSubscription, &email),
            attrs,
            owner.clone(),
        );
        if pending {
            r.health = Health::Unhealthy(format!(
                "pending confirmation: {email} has not followed the link in AWS's \"Subscription Confirmation\" mail, so alarms do not reach it"
            ));
        } else if let Some(sub_arn) = s.subscription_arn() {
            live.refs
                .insert(id_key(Kind::AlertSubscription, &email), sub_arn.to_string());
            r = r.with_aws_id(sub_arn);
        }
        live.insert(r);
    }
    Ok(live)
}

impl Seam for TopicSpec {
    const READ_BY: Reader = READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        // CreateTopic returns the existing topic's ARN when the name exists with the same
        // attributes and tags, so a retried create makes no second topic.
        let out = cx
            .clients
            .sns
            .create_topic()
            .name(&self.name)
            .set_tags(Some(
                self.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect::<Result<_, _>>()
                    .map_err(|e| AwsError::new("CreateTopic", &self.name, e.to_string()))?,
            ))
            .send()
            .await
            .map_err(on("CreateTopic", format!("topic {}", self.name)))?;
        cx.learn_own_id(out.topic_arn.unwrap_or_default());
        Ok(())
    }
    /// A topic has no compared attribute.
    async fn update(&self, _cx: &StepContext<'_>) -> Result<(), AwsError> {
        Ok(())
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|arn| async move {
            // DeleteTopic of a topic that is gone succeeds: AWS documents it as idempotent.
            cx.clients
                .sns
                .delete_topic()
                .topic_arn(&arn)
                .send()
                .await
                .map_err(on("DeleteTopic", format!("topic {}", cx.name())))?;
            Ok(())
        })
        .await
    }
}

impl Seam for SubscriptionSpec {
    const READ_BY: Reader = READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        // AWS mails the address a confirmation link; until it is followed the subscription is
        // pending (status says so). Subscribing an address again returns the same subscription.
        let out = cx
            .clients
            .sns
            .subscribe()
            .topic_arn(&self.topic_arn)
            .protocol("email")
            .endpoint(&self.email)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(on("Subscribe", format!("subscription {}", self.email)))?;
        if let Some(arn) = out.subscription_arn {
            cx.learn_own_id(arn);
        }
        Ok(())
    }
    /// Its attributes can only change by replacement.
    async fn update(&self, _cx: &StepContext<'_>) -> Result<(), AwsError> {
        Ok(())
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|arn| async move {
            absent_if(
                cx.clients
                    .sns
                    .unsubscribe()
                    .subscription_arn(&arn)
                    .send()
                    .await
                    .map_err(on("Unsubscribe", format!("subscription {}", cx.name()))),
                GONE,
            )?;
            Ok(())
        })
        .await
    }
}

/// Reads on the stack's topic for every command; writes on it too (a teardown after `alerts`
/// left the manifest still removes it). Unsubscribe has no resource type in IAM: any.
pub fn permissions(scope: &Scope) -> Vec<Statement> {
    let topic = scope.arn("sns", &topic_name(&scope.stack.name));
    vec![
        allow(
            "SnsTopic",
            "sns",
            &[
                "GetTopicAttributes",
                "ListTagsForResource",
                "ListSubscriptionsByTopic",
                "CreateTopic",
                "TagResource",
                "DeleteTopic",
                "Subscribe",
            ],
            vec![topic],
        ),
        allow("SnsUnsubscribe", "sns", &["Unsubscribe"], vec!["*".into()]),
    ]
}
