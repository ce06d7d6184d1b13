//! `jravan.instance.schedule`: while the schedule has the gateway stopped, the race routes
//! answer at once with a 503 that says when race data is back (and `Retry-After`), and the
//! routes that need no race data keep working.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::http::Dev;

/// Stopped now and until 2098 (the next start comes before the next stop): the answer does not
/// depend on the day the test runs.
const STOPPED_UNTIL_2098: &str = "cron(0 6 1 1 ? 2098)|cron(0 20 1 1 ? 2099)|Asia/Tokyo";

/// A local address that refuses connections: a port bound, then closed.
fn refusing_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// A gateway that takes connections and counts them: `hold` keeps each open without a word
/// (an address that does not answer, as a stopped instance's does not), else each is closed
/// at once.
fn counting_gateway(hold: bool) -> (String, Arc<AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in l.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            if hold {
                held.push(stream);
            }
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread")]
async fn stopped_on_schedule_the_race_routes_answer_503_at_once_with_when_data_is_back() {
    let paths = ["/races?date=2026-12-12", "/races/2026121206010101"];
    // Refused: the 503 says when race data is back, in the body and as Retry-After.
    let dev = Dev::start(
        &["--jravan-url", &refusing_address()],
        &[("GATEWAY_SCHEDULE", STOPPED_UNTIL_2098)],
    )
    .await;
    for path in paths {
        let r = dev.get(path).await;
        assert_eq!(r.status, 503, "{path}: {:?}", r.body);
        assert_eq!(r.body["error"]["code"], "UPSTREAM_UNAVAILABLE");
        assert_eq!(r.body["error"]["available_at"], "2098-01-01T06:00:00+09:00");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        // 2098-01-01T06:00+09:00 is 2097-12-31T21:00Z: more than 70 years of seconds away.
        assert!(retry > 70 * 365 * 86_400, "{retry}");
    }
    // A route that needs no race data answers as ever.
    let r = dev.get("/cart/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(r.status, 404, "{:?}", r.body);

    // An address that never answers: one short try per request, given up on (not the usual
    // three attempts of 3 s each), then the same 503.
    let (silent, tries) = counting_gateway(true);
    let dev = Dev::start(
        &["--jravan-url", &silent],
        &[("GATEWAY_SCHEDULE", STOPPED_UNTIL_2098)],
    )
    .await;
    for (i, path) in paths.iter().enumerate() {
        let r = dev.get(path).await;
        assert_eq!(r.status, 503, "{path}: {:?}", r.body);
        assert_eq!(r.body["error"]["available_at"], "2098-01-01T06:00:00+09:00");
        assert_eq!(tries.load(Ordering::SeqCst), i + 1, "one try for {path}");
    }

    // Without a schedule a failing gateway gets the usual attempts and a 503 with no time to
    // come back.
    let (closing, tries) = counting_gateway(false);
    let plain = Dev::start(&["--jravan-url", &closing], &[]).await;
    let r = plain.get("/races?date=2026-12-12").await;
    assert_eq!(r.status, 503);
    assert!(r.headers.get("retry-after").is_none());
    assert!(r.body["error"].get("available_at").is_none());
    assert_eq!(tries.load(Ordering::SeqCst), 3, "the usual attempts");
}

/// The manifest's schedule, stopped now (start in 2098, stop in 2099) or running now (the other
/// way round).
fn schedule(start_year: u32, stop_year: u32) -> String {
    format!(
        "{}  instance:\n    schedule:\n      start: cron(0 6 1 1 ? {start_year})\n      stop: cron(0 20 1 1 ? {stop_year})\n      timezone: Asia/Tokyo\n",
        crate::jravan::JRAVAN
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schedule_starts_and_stops_the_gateway_and_status_and_gateway_commands_follow_it() {
    use crate::harness::{sdk, TestStack};
    use crate::jravan::{deploy_jravan, running_instances};

    let s = TestStack::with_manifest("jsched", &schedule(2098, 2099)).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    let config = sdk().await;
    let sch = aws_sdk_scheduler::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let instance = running_instances(&ec2, &s.name).await[0]
        .instance_id()
        .unwrap()
        .to_string();
    let group = format!("{}-gateway", s.name);
    let g = sch.get_schedule_group().name(&group).send().await.unwrap();
    let tags = sch
        .list_tags_for_resource()
        .resource_arn(g.arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "baken:stack" && t.value() == s.name));
    for (which, expression, action) in [
        ("start", "cron(0 6 1 1 ? 2098)", "startInstances"),
        ("stop", "cron(0 20 1 1 ? 2099)", "stopInstances"),
    ] {
        let got = sch
            .get_schedule()
            .group_name(&group)
            .name(format!("{}-gateway-{which}", s.name))
            .send()
            .await
            .unwrap();
        assert_eq!(got.schedule_expression(), Some(expression));
        assert_eq!(got.schedule_expression_timezone(), Some("Asia/Tokyo"));
        let t = got.target().unwrap();
        assert_eq!(t.arn(), format!("arn:aws:scheduler:::aws-sdk:ec2:{action}"));
        assert!(t.role_arn().ends_with(&format!("/{}-scheduler", s.name)));
        let input: serde_json::Value = serde_json::from_str(t.input().unwrap()).unwrap();
        assert_eq!(input, serde_json::json!({"InstanceIds": [instance]}));
    }
    // The scheduler's role may start and stop the gateway only (by its tags).
    let iam = aws_sdk_iam::Client::new(&config);
    let role = format!("{}-scheduler", s.name);
    let trust = iam.get_role().role_name(&role).send().await.unwrap();
    let trust = baken::resource::json::decode_policy_document(
        trust.role().unwrap().assume_role_policy_document().unwrap(),
    );
    assert!(trust.contains("scheduler.amazonaws.com"), "{trust}");
    let policy = iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("baken-function-access")
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(
        &baken::resource::json::decode_policy_document(policy.policy_document()),
    )
    .unwrap();
    let st = &policy["Statement"][0];
    assert_eq!(
        st["Action"],
        serde_json::json!(["ec2:StartInstances", "ec2:StopInstances"])
    );
    assert_eq!(
        st["Condition"]["StringEquals"]["aws:ResourceTag/Name"],
        format!("{}-gateway", s.name)
    );
    // The functions know the schedule.
    let lambda = aws_sdk_lambda::Client::new(&config);
    let f = lambda
        .get_function_configuration()
        .function_name(s.function("get-races"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.environment().unwrap().variables().unwrap()["GATEWAY_SCHEDULE"],
        "cron(0 6 1 1 ? 2098)|cron(0 20 1 1 ? 2099)|Asia/Tokyo"
    );

    // Running though the schedule has it stopped (started by hand): healthy, and said.
    let status = s.baken(&["status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("off-schedule run"),
        "{}",
        status.stdout
    );

    // Stopped by hand: healthy, stopped on schedule, with the next start.
    let stopped = s.baken(&["gateway", "stop", "--yes", "--json"]).await;
    stopped.expect_code(0);
    crate::json_shape::Documented::load().check("baken gateway --json", &stopped.json());
    assert_eq!(stopped.json()["state"], "stopped");
    assert_eq!(
        stopped.json()["schedule"]["next_start"],
        "2098-01-01T06:00:00+09:00"
    );
    assert!(running_instances(&ec2, &s.name).await.is_empty());
    let status = s.baken(&["status"]).await;
    status.expect_code(0);
    assert!(
        status
            .stdout
            .contains("stopped on schedule; next start 2098-01-01T06:00:00+09:00"),
        "{}",
        status.stdout
    );
    let json = s.baken(&["status", "--json"]).await.json();
    crate::json_shape::Documented::load().check("baken status --json", &json);
    assert_eq!(json["gateway_schedule"]["running"], false);

    // Without --yes and a terminal, nothing is switched.
    s.baken(&["gateway", "start"]).await.expect_code(1);
    assert!(running_instances(&ec2, &s.name).await.is_empty());

    // A schedule that has it running now: the stopped instance is unhealthy until started.
    s.set_manifest(&schedule(2099, 2098));
    s.log.take();
    deploy_jravan(&s, &[]).await.expect_code(0);
    let writes = s.log.writes_besides_lock();
    // The two schedules (UpdateSchedule: PUT) and the functions' GATEWAY_SCHEDULE.
    assert_eq!(
        writes
            .iter()
            .filter(|w| w.starts_with("PUT /schedules/"))
            .count(),
        2,
        "{writes:?}"
    );
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status
            .stdout
            .contains("its schedule has it running until 2098-01-01T20:00:00+09:00"),
        "{}",
        status.stdout
    );
    s.baken(&["gateway", "start", "--yes"]).await.expect_code(0);
    assert_eq!(running_instances(&ec2, &s.name).await.len(), 1);
    s.baken(&["status"]).await.expect_code(0);

    // By hand: the stop schedule's expression changed. Status names it; deploy puts it back.
    sch.update_schedule()
        .group_name(&group)
        .name(format!("{}-gateway-stop", s.name))
        .schedule_expression("cron(0 21 ? * SUN *)")
        .schedule_expression_timezone("Asia/Tokyo")
        .flexible_time_window(
            aws_sdk_scheduler::types::FlexibleTimeWindow::builder()
                .mode(aws_sdk_scheduler::types::FlexibleTimeWindowMode::Off)
                .build()
                .unwrap(),
        )
        .target(
            aws_sdk_scheduler::types::Target::builder()
                .arn("arn:aws:scheduler:::aws-sdk:ec2:stopInstances")
                .role_arn(format!(
                    "arn:aws:iam::123456789012:role/baken/{}/{role}",
                    s.name
                ))
                .input(serde_json::json!({"InstanceIds": [instance]}).to_string())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains("gateway-stop") && status.stdout.contains("expression"),
        "{}",
        status.stdout
    );
    s.log.take();
    deploy_jravan(&s, &[]).await.expect_code(0);
    let writes = s.log.writes_besides_lock();
    assert_eq!(
        writes,
        vec![format!("PUT /schedules/{}-gateway-stop", s.name)],
        "UpdateSchedule of the one changed"
    );
    s.baken(&["status"]).await.expect_code(0);

    // By hand: the group deleted (AWS deletes its schedules with it). Status names them
    // missing; deploy makes them again.
    sch.delete_schedule_group()
        .name(&group)
        .send()
        .await
        .unwrap();
    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains("schedule-group") && status.stdout.contains("gateway-start"),
        "{}",
        status.stdout
    );
    deploy_jravan(&s, &[]).await.expect_code(0);
    assert!(sch.get_schedule_group().name(&group).send().await.is_ok());
    s.baken(&["status"]).await.expect_code(0);

    // Teardown leaves no group, schedule or role.
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert!(sch.get_schedule_group().name(&group).send().await.is_err());
    assert!(iam.get_role().role_name(&role).send().await.is_err());
}
