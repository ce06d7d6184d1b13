//! With many steps in flight, a deploy still keeps each service to AWS's documented
//! control-plane rate (src/aws/limits.rs): checked on the times the counting proxy saw.

use crate::harness::TestStack;
use crate::proxy::Seen;

/// The most requests in any stretch of time above `burst + per_second × seconds` (one of slack
/// for the clock's grain), or None when the rate held.
fn excess(seen: &[&Seen], per_second: f64, burst: f64) -> Option<String> {
    let times: Vec<f64> = seen.iter().map(|s| s.at.as_secs_f64()).collect();
    for i in 0..times.len() {
        for j in i..times.len() {
            let dt = times[j] - times[i];
            if (j - i + 1) as f64 > burst + per_second * dt + 1.0 {
                return Some(format!("{} requests in {dt:.3} s", j - i + 1));
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_deploy_keeps_api_gateway_to_its_documented_rates() {
    let s = TestStack::new("rate").await;
    let artifact = s.artifact.to_str().unwrap();
    s.baken_env(
        &["deploy", "--yes", "--artifact", artifact],
        &[("BAKEN_RATE_SCALE", "1")],
    )
    .await
    .expect_code(0);
    let mut seen = s.log.take();
    seen.sort_by_key(|r| r.at);
    let api: Vec<&Seen> = seen.iter().filter(|r| r.service == "apigateway").collect();
    // Enough requests that going faster than the rate would show.
    assert!(api.len() > 45, "{} API Gateway requests", api.len());
    assert_eq!(
        excess(&api, 10.0, 40.0),
        None,
        "all API Gateway operations: 10/s, burst 40"
    );
    let create_resource: Vec<&Seen> = api
        .iter()
        .copied()
        .filter(|r| r.method == "POST" && r.operation.contains("/resources/"))
        .collect();
    assert!(create_resource.len() >= 10);
    assert_eq!(
        excess(&create_resource, 5.0, 5.0),
        None,
        "CreateResource: 5/s"
    );
    // The check can fail: the same requests squeezed into no time at all break it.
    let squeezed: Vec<Seen> = api
        .iter()
        .map(|r| Seen {
            at: api[0].at,
            ..(*r).clone()
        })
        .collect();
    assert!(excess(&squeezed.iter().collect::<Vec<_>>(), 10.0, 40.0).is_some());
}
