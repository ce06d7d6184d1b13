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

/// A new API comes with its whole tree in one PutRestApi: a handful of API Gateway requests.
/// Rebuilding the tree of an API that exists (its resources deleted by hand) takes one call per
/// resource, method and integration: about 60 of them, which still keep to API Gateway's rates.
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_rebuilding_the_api_tree_keeps_api_gateway_to_its_documented_rates() {
    let s = TestStack::new("rate").await;
    let args = [
        "deploy",
        "--yes",
        "--artifact",
        s.artifact.to_str().unwrap(),
    ];
    let scale = [("BAKEN_RATE_SCALE", "1")];
    let deploy = || s.baken_env(&args, &scale);
    deploy().await.expect_code(0);
    let fresh = s.log.take();
    let api_calls: Vec<&Seen> = fresh.iter().filter(|r| r.service == "apigateway").collect();
    let imports = api_calls
        .iter()
        .filter(|r| r.method == "PUT" && r.operation.matches('/').count() == 2)
        .count();
    let created = api_calls
        .iter()
        .filter(|r| r.method == "POST" && r.operation.contains("/resources/"))
        .count();
    assert_eq!(
        (imports, created),
        (1, 0),
        "one PutRestApi, no CreateResource"
    );
    assert!(
        api_calls.len() <= 10,
        "{} API Gateway requests",
        api_calls.len()
    );

    // The tree deleted by hand: deploy puts it back call by call.
    let gw = aws_sdk_apigateway::Client::new(&crate::harness::sdk().await);
    let api_id = s.api_id().await;
    let tree = s.api_resources(&api_id).await;
    // Every resource but the root, deepest first (moto does not take the subtree with it).
    let mut under: Vec<_> = tree.iter().filter(|r| r.path() != Some("/")).collect();
    under.sort_by_key(|r| std::cmp::Reverse(r.path().unwrap_or_default().len()));
    for r in under {
        gw.delete_resource()
            .rest_api_id(&api_id)
            .resource_id(r.id().unwrap())
            .send()
            .await
            .unwrap();
    }
    deploy().await.expect_code(0);
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
