//! Bounded waits and narrow retries for the AWS behaviours the SDK's own retry does not cover:
//! eventual consistency (IAM propagation) and asynchronous state changes (Lambda updates, table
//! creation). Every loop has a deadline and says what it waited for when the deadline passes.

use std::future::Future;
use std::time::{Duration, Instant};

use super::AwsError;

/// Poll intervals and bounds. `Timing::aws()` is for real AWS; tests shrink it.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub poll: Duration,
    /// A Lambda function leaving `Pending` / `InProgress`.
    pub function_update: Duration,
    /// A table reaching ACTIVE, or disappearing.
    pub table: Duration,
    /// A new IAM role becoming assumable by Lambda (eventual consistency, usually ~10 s).
    pub iam_propagation: Duration,
    /// How long a conflicting Lambda update may keep us waiting.
    pub conflict: Duration,
    /// An instance reaching running or terminated.
    pub instance: Duration,
    /// Lambda releasing a function's network interfaces after it leaves the VPC (AWS documents
    /// up to about 45 minutes), and the deletes that wait for it.
    pub eni_release: Duration,
    /// A Run Command invocation on the gateway instance.
    pub command: Duration,
}

impl Timing {
    pub fn aws() -> Timing {
        Timing {
            poll: Duration::from_secs(2),
            function_update: Duration::from_secs(300),
            table: Duration::from_secs(600),
            iam_propagation: Duration::from_secs(120),
            conflict: Duration::from_secs(300),
            instance: Duration::from_secs(900),
            eni_release: Duration::from_secs(50 * 60),
            command: Duration::from_secs(30 * 60),
        }
    }

    /// Millisecond polls with the same structure, for emulators and mocked clients.
    pub fn fast() -> Timing {
        Timing {
            poll: Duration::from_millis(10),
            function_update: Duration::from_secs(5),
            table: Duration::from_secs(5),
            iam_propagation: Duration::from_secs(2),
            conflict: Duration::from_secs(2),
            instance: Duration::from_secs(5),
            eni_release: Duration::from_secs(5),
            command: Duration::from_secs(5),
        }
    }
}

/// What one poll found.
pub enum Poll<T> {
    Done(T),
    /// Not yet; the text says what we are waiting for (shown when the bound is hit).
    Waiting(String),
}

/// Polls `check` every `timing.poll` until it is done, fails, or `bound` passes.
pub async fn wait_until<T, F, Fut>(
    operation: &'static str,
    resource: &str,
    timing: &Timing,
    bound: Duration,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, AwsError>>,
{
    let start = Instant::now();
    loop {
        match check().await? {
            Poll::Done(v) => return Ok(v),
            Poll::Waiting(what) => {
                if start.elapsed() >= bound {
                    return Err(AwsError::new(
                        operation,
                        resource,
                        format!("gave up after {}s waiting for {what}", start.elapsed().as_secs()),
                    )
                    .with_hint("the resource is still changing in AWS: check it in the console, then run the command again"));
                }
                tokio::time::sleep(timing.poll).await;
            }
        }
    }
}

/// Retries `call` while `retryable` says so, until `bound` passes. For errors that mean "not yet"
/// rather than "no": the SDK's retry handles throttling and 5xx, not these.
pub async fn retry_while<T, F, Fut>(
    timing: &Timing,
    bound: Duration,
    retryable: impl Fn(&AwsError) -> bool,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let start = Instant::now();
    let mut delay = timing.poll;
    loop {
        match call().await {
            Err(e) if retryable(&e) && start.elapsed() < bound => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(timing.poll * 8);
            }
            other => return other,
        }
    }
}
