//! `jravan.instance.schedule`: while the schedule has the gateway stopped, the race routes
//! answer at once with a 503 that says when race data is back (and `Retry-After`), and the
//! routes that need no race data keep working.

use std::time::{Duration, Instant};

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

#[tokio::test(flavor = "multi_thread")]
async fn stopped_on_schedule_the_race_routes_answer_503_at_once_with_when_data_is_back() {
    let gateway = refusing_address();
    let dev = Dev::start(
        &["--jravan-url", &gateway],
        &[("GATEWAY_SCHEDULE", STOPPED_UNTIL_2098)],
    )
    .await;
    for path in ["/races?date=2026-12-12", "/races/2026121206010101"] {
        let started = Instant::now();
        let r = dev.get(path).await;
        let took = started.elapsed();
        assert_eq!(r.status, 503, "{path}: {:?}", r.body);
        assert_eq!(r.body["error"]["code"], "UPSTREAM_UNAVAILABLE");
        assert_eq!(r.body["error"]["available_at"], "2098-01-01T06:00:00+09:00");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        // 2098-01-01T06:00+09:00 is 2097-12-31T21:00Z: more than 70 years of seconds away.
        assert!(retry > 70 * 365 * 86_400, "{retry}");
        // One short try, not three attempts of 3 s (each refused at once here; a stopped
        // instance's address does not answer at all, which the 300 ms try bounds).
        assert!(took < Duration::from_secs(3), "{path} took {took:?}");
    }
    // A route that needs no race data answers as ever.
    let r = dev.get("/cart/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(r.status, 404, "{:?}", r.body);

    // Without a schedule the same refusal is the usual 503, with no time to come back.
    let plain = Dev::start(&["--jravan-url", &gateway], &[]).await;
    let r = plain.get("/races?date=2026-12-12").await;
    assert_eq!(r.status, 503);
    assert!(r.headers.get("retry-after").is_none());
    assert!(r.body["error"].get("available_at").is_none());
}
