//! Bounded waits and narrow retries for the AWS behaviours the SDK's own retry does not cover:
//! eventual consistency (IAM propagation) and asynchronous state changes (Lambda updates, table
//! creation). Every loop has a deadline and says what it waited for when the deadline passes.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
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
    /// A CloudFormation change set becoming ready, or a stack update or deletion finishing.
    pub stack: Duration,
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
            stack: Duration::from_secs(60 * 60),
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
            stack: Duration::from_secs(5),
        }
    }
}

/// What each wait in progress is waiting for, by the resource it names: the progress display shows
/// it beside the step (one command runs per process, so one board serves).
static WAITING: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// The waits in progress: (resource, what it waits for).
pub fn waiting_for() -> Vec<(String, String)> {
    WAITING
        .lock()
        .map(|w| w.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The board entry of one wait: updated on every poll, removed when the wait ends.
#[derive(Default)]
struct Notice(Option<String>);

impl Notice {
    fn show(&mut self, resource: &str, what: String) {
        if let Ok(mut w) = WAITING.lock() {
            if let Some(old) = self.0.as_deref().filter(|old| *old != resource) {
                w.remove(old);
            }
            w.insert(resource.to_string(), what);
        }
        self.0 = Some(resource.to_string());
    }
}

impl Drop for Notice {
    fn drop(&mut self) {
        if let (Some(resource), Ok(mut w)) = (&self.0, WAITING.lock()) {
            w.remove(resource);
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
    let mut notice = Notice::default();
    loop {
        match check().await? {
            Poll::Done(v) => return Ok(v),
            Poll::Waiting(what) => {
                notice.show(resource, what.clone());
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
    let mut notice = Notice::default();
    loop {
        match call().await {
            Err(e) if retryable(&e) && start.elapsed() < bound => {
                let code = e.code.as_deref().unwrap_or("an error");
                notice.show(
                    &e.resource,
                    format!("AWS to stop answering {code} ({}); retrying", e.message),
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(timing.poll * 8);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_running_wait_says_what_it_waits_for_and_clears_when_done() {
        let mut polls = 0;
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        wait_until(
            "Op",
            "instance t-gateway (i-1)",
            &Timing::fast(),
            Duration::from_secs(5),
            || {
                polls += 1;
                let n = polls;
                let seen = seen2.clone();
                async move {
                    seen.lock().unwrap().extend(waiting_for());
                    Ok(if n < 3 {
                        Poll::Waiting(format!("instance t-gateway to be running (poll {n})"))
                    } else {
                        Poll::Done(())
                    })
                }
            },
        )
        .await
        .unwrap();
        let seen = seen.lock().unwrap();
        // Each poll sees what the one before it reported: the entry lasts the whole wait.
        for n in [1, 2] {
            assert!(
                seen.contains(&(
                    "instance t-gateway (i-1)".to_string(),
                    format!("instance t-gateway to be running (poll {n})")
                )),
                "poll {n} in {seen:?}"
            );
        }
        assert!(!waiting_for()
            .iter()
            .any(|(r, _)| r == "instance t-gateway (i-1)"));
    }
}
