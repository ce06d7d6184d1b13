//! `alerts.email`: an SNS topic with an email subscription per address and CloudWatch alarms on
//! the API's 5XX rate, each function's errors and throttles and the tables' throttled requests
//! (and in jravan mode the gateway's heartbeat), read back with the SDK; a subscription awaiting
//! confirmation and an alarm going off are in status; drift is named and repaired; teardown
//! leaves none of it.

use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};

use crate::harness::{sdk, TestStack};
use crate::jravan::{deploy_jravan, JRAVAN};

const ALERTS: &str = "alerts:\n  email:\n    - ops@example.com\n    - oncall@example.com\n";

async fn alarms(cw: &aws_sdk_cloudwatch::Client, stack: &str) -> Vec<MetricAlarm> {
    cw.describe_alarms()
        .alarm_name_prefix(format!("{stack}/"))
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .to_vec()
}

fn topic_arn(stack: &str) -> String {
    format!("arn:aws:sns:ap-northeast-1:123456789012:{stack}-alerts")
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_mail_a_topic_from_alarms_on_what_breaks_and_status_says_what_is_wrong() {
    let s = TestStack::with_manifest("alert", ALERTS).await;
    s.deploy().await.expect_code(0);
    let config = sdk().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let topic = topic_arn(&s.name);

    // The topic, tagged for the stack, and a subscription per address, both awaiting the
    // recipient's confirmation.
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&topic)
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "baken:stack" && t.value() == s.name));
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let mut emails: Vec<_> = subs
        .subscriptions()
        .iter()
        .map(|s| {
            (
                s.endpoint().unwrap(),
                s.protocol().unwrap(),
                s.subscription_arn().unwrap(),
            )
        })
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        vec![
            ("oncall@example.com", "email", "PendingConfirmation"),
            ("ops@example.com", "email", "PendingConfirmation"),
        ]
    );

    // 1 API alarm, 9 functions × errors and throttles, 2 tables × reads and writes; mock mode has
    // no gateway heartbeat. Each mails the topic when it goes off and when it clears.
    let all = alarms(&cw, &s.name).await;
    assert_eq!(
        all.len(),
        1 + 18 + 4,
        "{:?}",
        all.iter().map(|a| a.alarm_name()).collect::<Vec<_>>()
    );
    for a in &all {
        assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic), "{a:?}");
        assert_eq!(a.ok_actions(), std::slice::from_ref(&topic), "{a:?}");
    }
    let api = all
        .iter()
        .find(|a| a.alarm_name() == Some(&format!("{}/api-5xx", s.name)))
        .unwrap();
    assert_eq!(api.namespace(), Some("AWS/ApiGateway"));
    assert_eq!(api.metric_name(), Some("5XXError"));
    assert_eq!(api.threshold(), Some(0.05));
    let dims: Vec<_> = api
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap(), d.value().unwrap()))
        .collect();
    assert!(
        dims.contains(&("ApiName", &format!("{}-api", s.name))),
        "{dims:?}"
    );
    let errors = format!("{}/get-races-errors", s.name);
    let f = all
        .iter()
        .find(|a| a.alarm_name() == Some(&errors))
        .unwrap();
    assert_eq!(f.namespace(), Some("AWS/Lambda"));
    assert_eq!(
        f.dimensions()[0].value(),
        Some(s.function("get-races").as_str())
    );
    assert!(all
        .iter()
        .any(|a| a.metric_name() == Some("WriteThrottleEvents")
            && a.dimensions()[0].value() == Some(s.table("cart").as_str())));

    // The outputs name them.
    let out = s.baken(&["output", "--json"]).await;
    out.expect_code(0);
    let out = out.json();
    assert_eq!(
        out["outputs"]["alert_topic"],
        format!("{}-alerts", s.name),
        "{out}"
    );
    assert_eq!(
        out["outputs"]["alert_subscriptions"],
        serde_json::json!(["oncall@example.com", "ops@example.com"])
    );
    assert_eq!(out["outputs"]["alarms"].as_array().unwrap().len(), 23);

    // Status: the unconfirmed addresses, then an alarm going off, with AWS's reason.
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains("pending confirmation") && status.stdout.contains("ops@example.com"),
        "{}",
        status.stdout
    );
    cw.set_alarm_state()
        .alarm_name(&errors)
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 1 datapoint [4.0] was greater than the threshold (0.0)")
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains(&errors)
            && status.stdout.contains("in ALARM since")
            && status
                .stdout
                .contains("Threshold Crossed: 1 datapoint [4.0]"),
        "{}",
        status.stdout
    );

    // By hand: the API alarm's threshold raised. Status names it; deploy puts it back with one
    // PutMetricAlarm and nothing else.
    cw.put_metric_alarm()
        .alarm_name(format!("{}/api-5xx", s.name))
        .namespace("AWS/ApiGateway")
        .metric_name("5XXError")
        .set_dimensions(Some(api.dimensions().to_vec()))
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(300)
        .evaluation_periods(1)
        .threshold(0.5)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .treat_missing_data("notBreaching")
        .alarm_description(api.alarm_description().unwrap())
        .alarm_actions(&topic)
        .ok_actions(&topic)
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    assert!(
        status.stdout.contains("api-5xx") && status.stdout.contains("threshold"),
        "{}",
        status.stdout
    );
    s.log.take();
    s.deploy().await.expect_code(0);
    let writes = s.log.writes_besides_lock();
    assert_eq!(writes, vec!["PutMetricAlarm".to_string()]);
    let api = alarms(&cw, &s.name)
        .await
        .into_iter()
        .find(|a| a.alarm_name() == Some(&format!("{}/api-5xx", s.name)))
        .unwrap();
    assert_eq!(api.threshold(), Some(0.05));

    // By hand: the topic deleted (its subscriptions go with it). Status names both missing;
    // deploy makes them again.
    sns.delete_topic().topic_arn(&topic).send().await.unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains("alert-topic") && status.stdout.contains("alert-subscription"),
        "{}",
        status.stdout
    );
    s.log.take();
    s.deploy().await.expect_code(0);
    let mut writes = s.log.writes_besides_lock();
    writes.sort();
    assert_eq!(writes, ["CreateTopic", "Subscribe", "Subscribe"]);

    // Without `alerts`, the alarms and the topic go (and the pending subscriptions with it).
    s.set_manifest("");
    s.deploy().await.expect_code(0);
    assert!(alarms(&cw, &s.name).await.is_empty());
    assert!(sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .is_err());
    s.baken(&["status"]).await.expect_code(0);
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn in_jravan_mode_the_gateway_heartbeat_alarms_when_it_stops_and_only_it_may_feed_it() {
    // A schedule that has the gateway stopped now (until 2098).
    let schedule = "  instance:\n    schedule:\n      start: cron(0 6 1 1 ? 2098)\n      stop: cron(0 20 1 1 ? 2099)\n";
    let s = TestStack::with_manifest("jalert", &format!("{JRAVAN}{schedule}{ALERTS}")).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let config = sdk().await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let beat = alarms(&cw, &s.name)
        .await
        .into_iter()
        .find(|a| a.alarm_name() == Some(&format!("{}/gateway-heartbeat", s.name)))
        .expect("the heartbeat alarm");
    assert_eq!(beat.namespace(), Some(format!("Baken/{}", s.name).as_str()));
    assert_eq!(beat.metric_name(), Some("GatewaySynced"));
    // No data is a dead gateway.
    assert_eq!(beat.treat_missing_data(), Some("breaching"));
    assert_eq!(
        beat.comparison_operator(),
        Some(&aws_sdk_cloudwatch::types::ComparisonOperator::LessThanThreshold)
    );

    // With the schedule, the heartbeat alarm's actions go off when the gateway stops and on
    // when it starts; while it is stopped on schedule, its ALARM is no fault in status.
    let sch = aws_sdk_scheduler::Client::new(&config);
    for (which, action, expression) in [
        ("off", "disableAlarmActions", "cron(0 20 1 1 ? 2099)"),
        ("on", "enableAlarmActions", "cron(0 6 1 1 ? 2098)"),
    ] {
        let got = sch
            .get_schedule()
            .group_name(format!("{}-gateway", s.name))
            .name(format!("{}-heartbeat-{which}", s.name))
            .send()
            .await
            .unwrap();
        assert_eq!(got.schedule_expression(), Some(expression));
        let t = got.target().unwrap();
        assert_eq!(
            t.arn(),
            format!("arn:aws:scheduler:::aws-sdk:cloudwatch:{action}")
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(t.input().unwrap()).unwrap(),
            serde_json::json!({"AlarmNames": [format!("{}/gateway-heartbeat", s.name)]})
        );
    }
    cw.set_alarm_state()
        .alarm_name(format!("{}/gateway-heartbeat", s.name))
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: no datapoints were received for 1 period")
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    assert!(
        !status.stdout.contains("in ALARM since"),
        "stopped on schedule, the heartbeat's ALARM is expected:\n{}",
        status.stdout
    );

    // The gateway's role may put data in its stack's namespace only.
    let iam = aws_sdk_iam::Client::new(&config);
    let doc = iam
        .get_role_policy()
        .role_name(format!("{}-gateway", s.name))
        .policy_name("baken-gateway-access")
        .send()
        .await;
    let doc = match doc {
        Ok(d) => d.policy_document().to_string(),
        Err(_) => {
            let names = iam
                .list_role_policies()
                .role_name(format!("{}-gateway", s.name))
                .send()
                .await
                .unwrap();
            iam.get_role_policy()
                .role_name(format!("{}-gateway", s.name))
                .policy_name(&names.policy_names()[0])
                .send()
                .await
                .unwrap()
                .policy_document()
                .to_string()
        }
    };
    let doc: serde_json::Value =
        serde_json::from_str(&baken::resource::json::decode_policy_document(&doc)).unwrap();
    let put: Vec<_> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["Action"].to_string().contains("cloudwatch:"))
        .collect();
    assert_eq!(put.len(), 1, "{doc}");
    assert_eq!(
        put[0]["Action"],
        serde_json::json!(["cloudwatch:PutMetricData"])
    );
    assert_eq!(
        put[0]["Condition"]["StringEquals"]["cloudwatch:namespace"],
        format!("Baken/{}", s.name)
    );

    // The gateway is told where to put it.
    let ssm = aws_sdk_ssm::Client::new(&config);
    let document = ssm
        .get_document()
        .name(format!("{}-gateway-install", s.name))
        .send()
        .await
        .unwrap();
    assert!(document
        .content()
        .unwrap()
        .contains(&format!("BAKEN_HEARTBEAT_NAMESPACE=Baken/{}", s.name)));

    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert!(alarms(&cw, &s.name).await.is_empty());
}
