//! The plumbing every service module shares: the SDK clients of one run, their retry and
//! timeout configuration, the per-service request rates, the request counter and the error type.
//! Nothing here knows a resource kind.

pub mod counter;
pub mod error;
pub mod limits;
pub mod retry;

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use counter::{RequestCounter, RequestCounts};
pub use error::AwsError;
pub use retry::Timing;

/// Where the commands point: region, profile and an optional endpoint (emulators).
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: String,
    pub profile: Option<String>,
    /// Overrides every service's endpoint. The SDK also reads `AWS_ENDPOINT_URL` by itself.
    pub endpoint_url: Option<String>,
}

/// The SDK clients of one command run, sharing one configuration and one request counter.
#[derive(Clone)]
pub struct Clients {
    pub region: String,
    pub counter: Arc<RequestCounter>,
    pub timing: Timing,
    pub iam: aws_sdk_iam::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub sts: aws_sdk_sts::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub scheduler: aws_sdk_scheduler::Client,
}

/// Explicit retry policy: standard mode (exponential back-off with jitter, retry quota), more
/// attempts than the SDK's default of 3 because a deploy makes bursts of control-plane calls that
/// AWS throttles at low rates (API Gateway allows a handful of writes per second).
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(8)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(20))
}

impl Clients {
    pub async fn connect(target: &Target) -> Clients {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(target.region.clone()))
            .retry_config(retry_config())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        // The default chain reads AWS_ACCESS_KEY_ID before any profile, so `--profile` alone would
        // be ignored when keys are in the environment; the AWS CLI lets the flag win, and so does
        // baken: a named profile gets the profile provider and nothing else.
        if let Some(profile) = &target.profile {
            loader = loader.profile_name(profile).credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .build(),
            );
        }
        if let Some(url) = &target.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        Clients::from_config(&config, Timing::aws())
    }

    pub fn from_config(config: &SdkConfig, timing: Timing) -> Clients {
        let counter = Arc::new(RequestCounter::default());
        let interceptor = counter::CountingInterceptor(counter.clone());
        // A client the configuration brings (a test's) gets the limits too.
        let http = config.http_client().unwrap_or_else(limits::default_client);
        macro_rules! client {
            ($krate:ident, $limits:expr) => {{
                let conf = $krate::config::Builder::from(config)
                    .interceptor(interceptor.clone())
                    .http_client(limits::Limited::new(http.clone(), $limits))
                    .build();
                $krate::Client::from_conf(conf)
            }};
        }
        use limits::ServiceLimits;
        Clients {
            region: config.region().map(|r| r.to_string()).unwrap_or_default(),
            counter,
            timing,
            // A burst of 50: a jravan stack's whole read (43 requests) goes out at once.
            iam: client!(aws_sdk_iam, ServiceLimits::plain(20.0, 50.0)),
            lambda: client!(aws_sdk_lambda, ServiceLimits::lambda()),
            logs: client!(aws_sdk_cloudwatchlogs, ServiceLimits::logs()),
            dynamodb: client!(aws_sdk_dynamodb, ServiceLimits::plain(20.0, 40.0)),
            apigateway: client!(aws_sdk_apigateway, ServiceLimits::api_gateway()),
            sts: client!(aws_sdk_sts, ServiceLimits::plain(20.0, 40.0)),
            ec2: client!(aws_sdk_ec2, ServiceLimits::plain(20.0, 100.0)),
            ssm: client!(aws_sdk_ssm, ServiceLimits::plain(40.0, 40.0)),
            // CloudFormation throttles its API per account at a few requests a second.
            cloudformation: client!(aws_sdk_cloudformation, ServiceLimits::plain(5.0, 10.0)),
            sns: client!(aws_sdk_sns, ServiceLimits::plain(9.0, 9.0)),
            cloudwatch: client!(aws_sdk_cloudwatch, ServiceLimits::cloudwatch()),
            scheduler: client!(aws_sdk_scheduler, ServiceLimits::plain(10.0, 10.0)),
            s3: {
                // An emulator's endpoint has no bucket subdomains: path-style addressing there.
                // Checksums only where S3 requires them (it does not for PutObject): the
                // default streams the body aws-chunked with a trailing checksum, for nothing a
                // template of at most 1 MB gains from.
                let conf = aws_sdk_s3::config::Builder::from(config)
                    .interceptor(interceptor.clone())
                    .http_client(limits::Limited::new(
                        http.clone(),
                        ServiceLimits::plain(20.0, 20.0),
                    ))
                    .force_path_style(config.endpoint_url().is_some())
                    .request_checksum_calculation(
                        aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                    )
                    .build();
                aws_sdk_s3::Client::from_conf(conf)
            },
        }
    }
}
