//! Per-service request rates: every request waits for a token of its service's bucket (and of its
//! operation's, where AWS documents one) before it is sent, so running many steps at once never
//! pushes an account past AWS's control-plane quotas. Retries pass through the buckets too.
//!
//! The rates (per account and Region; a bucket holds `burst` tokens and refills at `per_second`):
//! - API Gateway, "quotas for creating, deploying and managing an API" (developer guide, Amazon
//!   API Gateway quotas; fixed): all operations 10/s with a burst of 40; CreateResource and
//!   DeleteResource 5/s; GetResources 5 every 2 s; CreateRestApi (regional) 1 every 3 s;
//!   CreateDeployment 1 every 5 s; DeleteRestApi 1 every 30 s; PutRestApi 1/s. The tightest of
//!   all.
//! - Lambda (Lambda quotas, API requests): control-plane calls 15/s; GetFunction 100/s;
//!   GetPolicy 15/s.
//! - EC2 (request throttling for the EC2 API): a token bucket per action; non-mutating actions
//!   hold 100 tokens and refill at 20/s, mutating ones refill more slowly. One bucket of 100
//!   refilled at 20/s for the whole service keeps every action under its own.
//! - Systems Manager: GetParameter's standard throughput is 40/s.
//! - CloudWatch Logs: CreateLogGroup and PutRetentionPolicy 5/s; 10/s for the rest.
//! - IAM, STS and DynamoDB's control plane publish no per-second rate a deploy comes near: 20/s
//!   with a burst of 40 each (50 for IAM), so a read of every role at once (four requests a
//!   role; 43 requests in jravan mode, with the gateway's role and profile) goes out in one round
//!   and a sustained run stays modest.
//!
//! A bucket starts full, so a command's first burst goes out at once; only a sustained run is
//! spread out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub const fn new(per_second: f64, burst: f64) -> Rate {
        Rate { per_second, burst }
    }

    fn scaled(self, scale: f64) -> Rate {
        Rate::new(self.per_second * scale, (self.burst * scale).max(1.0))
    }

    /// One request every `seconds`.
    pub const fn every(seconds: f64) -> Rate {
        Rate::new(1.0 / seconds, 1.0)
    }
}

#[derive(Debug)]
pub struct Bucket {
    rate: Rate,
    state: tokio::sync::Mutex<(f64, Instant)>,
}

impl Bucket {
    pub fn new(rate: Rate) -> Bucket {
        Bucket {
            rate,
            state: tokio::sync::Mutex::new((rate.burst, Instant::now())),
        }
    }

    /// Waits until a token is free and takes it. The lock is held while waiting, so waiters are
    /// served in the order they came.
    pub async fn take(&self) {
        let mut state = self.state.lock().await;
        loop {
            let now = Instant::now();
            let (tokens, last) = *state;
            let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate.per_second)
                .min(self.rate.burst);
            if tokens >= 1.0 {
                *state = (tokens - 1.0, now);
                return;
            }
            *state = (tokens, now);
            let wait = (1.0 - tokens) / self.rate.per_second;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

/// How an operation is told from the HTTP request: the JSON protocols name it in `X-Amz-Target`,
/// the query protocols in the body's `Action=`, the REST protocols (Lambda, API Gateway) by
/// method and path.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    Named(&'static str),
    /// Method, and the path's segments with `*` for any one segment.
    Rest(&'static str, &'static [&'static str]),
}

impl Operation {
    fn matches(&self, request: &HttpRequest) -> bool {
        match self {
            Operation::Named(name) => {
                let target = request.headers().get("x-amz-target").unwrap_or_default();
                if !target.is_empty() {
                    return target.rsplit('.').next() == Some(name);
                }
                let body = request.body().bytes().unwrap_or_default();
                let action = format!("Action={name}&");
                body.starts_with(action.as_bytes())
                    || body == &action.as_bytes()[..action.len() - 1]
            }
            Operation::Rest(method, segments) => {
                if request.method() != *method {
                    return false;
                }
                // `scheme://authority/path?query`: the path alone.
                let uri = request.uri();
                let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
                let path = rest.find('/').map_or("", |i| &rest[i..]);
                let path = path.split('?').next().unwrap_or_default();
                let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
                parts.len() == segments.len()
                    && parts
                        .iter()
                        .zip(*segments)
                        .all(|(p, s)| *s == "*" || p == s)
            }
        }
    }
}

/// One service's buckets: its total, and those of operations with a quota of their own.
#[derive(Debug)]
pub struct ServiceLimits {
    total: Bucket,
    operations: Vec<(Operation, Bucket)>,
    /// Shared by the requests no operation of the list matches, when set.
    rest: Option<Bucket>,
}

impl ServiceLimits {
    pub fn new(total: Rate, operations: &[(Operation, Rate)]) -> ServiceLimits {
        let scale = scale();
        ServiceLimits {
            total: Bucket::new(total.scaled(scale)),
            operations: operations
                .iter()
                .map(|(op, rate)| (*op, Bucket::new(rate.scaled(scale))))
                .collect(),
            rest: None,
        }
    }

    /// Waits for the request's tokens: its operation's first, then the service's.
    pub async fn admit(&self, request: &HttpRequest) {
        match self.operations.iter().find(|(op, _)| op.matches(request)) {
            Some((_, bucket)) => bucket.take().await,
            None => {
                if let Some(rest) = &self.rest {
                    rest.take().await;
                }
            }
        }
        self.total.take().await;
    }

    pub fn api_gateway() -> ServiceLimits {
        use Operation::Rest;
        ServiceLimits::new(
            Rate::new(10.0, 40.0),
            &[
                (
                    Rest("POST", &["restapis", "*", "resources", "*"]),
                    Rate::new(5.0, 5.0),
                ),
                (
                    Rest("DELETE", &["restapis", "*", "resources", "*"]),
                    Rate::new(5.0, 5.0),
                ),
                (
                    Rest("GET", &["restapis", "*", "resources"]),
                    Rate::new(2.5, 5.0),
                ),
                (Rest("POST", &["restapis"]), Rate::every(3.0)),
                (
                    Rest("POST", &["restapis", "*", "deployments"]),
                    Rate::every(5.0),
                ),
                (Rest("DELETE", &["restapis", "*"]), Rate::every(30.0)),
                // PutRestApi (a new API's whole tree in one call).
                (Rest("PUT", &["restapis", "*"]), Rate::every(1.0)),
            ],
        )
    }

    pub fn lambda() -> ServiceLimits {
        use Operation::Rest;
        // GetFunction and GetPolicy are outside the control-plane rate; the service bucket is
        // sized for GetFunction, and everything else shares a 15/s bucket of its own.
        ServiceLimits::new(
            Rate::new(100.0, 100.0),
            &[
                (
                    Rest("GET", &["2015-03-31", "functions", "*"]),
                    Rate::new(100.0, 100.0),
                ),
                (
                    Rest("GET", &["2015-03-31", "functions", "*", "policy"]),
                    Rate::new(15.0, 15.0),
                ),
            ],
        )
        .with_rest_of_service(Rate::new(15.0, 15.0))
    }

    pub fn logs() -> ServiceLimits {
        use Operation::Named;
        ServiceLimits::new(
            Rate::new(10.0, 20.0),
            &[
                (Named("CreateLogGroup"), Rate::new(5.0, 5.0)),
                (Named("PutRetentionPolicy"), Rate::new(5.0, 5.0)),
            ],
        )
    }

    /// CloudWatch's quotas: PutMetricAlarm and DeleteAlarms 3 a second, DescribeAlarms 9
    /// ("CloudWatch service quotas" in the CloudWatch User Guide).
    pub fn cloudwatch() -> ServiceLimits {
        use Operation::Named;
        ServiceLimits::new(
            Rate::new(9.0, 9.0),
            &[
                (Named("PutMetricAlarm"), Rate::new(3.0, 3.0)),
                (Named("DeleteAlarms"), Rate::new(3.0, 3.0)),
            ],
        )
    }

    pub fn plain(per_second: f64, burst: f64) -> ServiceLimits {
        ServiceLimits::new(Rate::new(per_second, burst), &[])
    }

    /// Requests that match no operation of the list also share `rate` (Lambda's control plane).
    fn with_rest_of_service(mut self, rate: Rate) -> ServiceLimits {
        self.rest = Some(Bucket::new(rate.scaled(scale())));
        self
    }
}

/// `BAKEN_RATE_SCALE` multiplies every rate and burst: for an emulator, which has no quotas (the
/// test suite runs at 20×), or an account whose quotas were raised. Default 1: AWS's published
/// rates. A value that is not a positive number is ignored.
fn scale() -> f64 {
    std::env::var("BAKEN_RATE_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0)
}

/// The HTTP client the SDK would choose itself (hyper 1, rustls with aws-lc, the proxy from
/// `HTTPS_PROXY`/`NO_PROXY`), to put the limits in front of.
pub fn default_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// The SDK's HTTP client with a service's limits in front of it.
#[derive(Debug, Clone)]
pub struct Limited {
    inner: SharedHttpClient,
    limits: Arc<ServiceLimits>,
}

impl Limited {
    pub fn new(inner: SharedHttpClient, limits: ServiceLimits) -> Limited {
        Limited {
            inner,
            limits: Arc::new(limits),
        }
    }
}

impl HttpClient for Limited {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limits: self.limits.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    limits: Arc<ServiceLimits>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let limits = self.limits.clone();
        HttpConnectorFuture::new(async move {
            limits.admit(&request).await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In any stretch of `dt` seconds at most `burst + rate × dt` tokens are taken (one of slack
    /// for the clock's grain).
    fn within(times: &[f64], rate: Rate) -> Result<(), String> {
        for i in 0..times.len() {
            for j in i..times.len() {
                let allowed = rate.burst + rate.per_second * (times[j] - times[i]) + 1.0;
                let taken = (j - i + 1) as f64;
                if taken > allowed {
                    return Err(format!("{taken} tokens in {:.3} s", times[j] - times[i]));
                }
            }
        }
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_takers_at_once_never_get_more_than_the_rate() {
        let rate = Rate::new(40.0, 4.0);
        let bucket = Arc::new(Bucket::new(rate));
        let start = Instant::now();
        let takers = (0..24).map(|_| {
            let bucket = bucket.clone();
            tokio::spawn(async move {
                bucket.take().await;
                start.elapsed().as_secs_f64()
            })
        });
        let mut times = Vec::new();
        for t in takers {
            times.push(t.await.unwrap());
        }
        times.sort_by(f64::total_cmp);
        within(&times, rate).unwrap();
        // The burst went out at once; the other 20 took at least 20 ÷ 40 s.
        assert!(times[3] < 0.2, "{times:?}");
        assert!(times[23] >= 0.45, "{times:?}");
    }

    #[test]
    fn the_check_itself_catches_a_burst_over_the_rate() {
        assert!(within(&[0.0; 10], Rate::new(40.0, 4.0)).is_err());
    }

    fn request(method: &str, uri: &str, target: Option<&str>, body: &str) -> HttpRequest {
        let mut r = HttpRequest::new(aws_smithy_types::body::SdkBody::from(body.to_string()));
        r.set_method(method).unwrap();
        r.set_uri(uri).unwrap();
        if let Some(t) = target {
            r.headers_mut().insert("x-amz-target", t.to_string());
        }
        r
    }

    #[test]
    fn operations_are_told_from_the_request_in_each_protocol() {
        let create = Operation::Rest("POST", &["restapis", "*", "resources", "*"]);
        assert!(create.matches(&request(
            "POST",
            "https://apigateway.ap-northeast-1.amazonaws.com/restapis/a1/resources/r1",
            None,
            "{}"
        )));
        assert!(!create.matches(&request(
            "POST",
            "http://127.0.0.1:5000/restapis/a1/resources",
            None,
            "{}"
        )));
        assert!(!create.matches(&request(
            "GET",
            "http://127.0.0.1:5000/restapis/a1/resources/r1",
            None,
            ""
        )));
        let logs = Operation::Named("CreateLogGroup");
        assert!(logs.matches(&request(
            "POST",
            "http://h/",
            Some("Logs_20140328.CreateLogGroup"),
            "{}"
        )));
        assert!(!logs.matches(&request(
            "POST",
            "http://h/",
            Some("Logs_20140328.CreateLogStream"),
            "{}"
        )));
        let query = Operation::Named("RunInstances");
        assert!(query.matches(&request(
            "POST",
            "http://h/",
            None,
            "Action=RunInstances&Version=2016-11-15"
        )));
        assert!(!query.matches(&request(
            "POST",
            "http://h/",
            None,
            "Action=RunInstancesX&Version=1"
        )));
    }
}
